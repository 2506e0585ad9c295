package gen

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// prefix returns the first 16 hex digits of the SHA-256 of hs in file form.
func prefix(t *testing.T, hs [][4]uint64) string {
	t.Helper()
	h := sha256.New()
	if err := Write(h, hs); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// TestChecksums checks the query files of the 100k and 1M sets (whose bases
// are prefixes of the 10M bases) against the published SHA-256 prefixes.
func TestChecksums(t *testing.T) {
	tests := []struct {
		kind      Kind
		seed      uint64
		n         int
		querySeed uint64
		want      string
	}{
		{Uniform, 1, 100_000, 107, "6fbf24d42d08370a"},
		{Clustered, 2, 100_000, 207, "152b3a9e72faa842"},
		{Uniform, 1, 1_000_000, 107, "f9732388ff6c08a8"},
		{Clustered, 2, 1_000_000, 207, "7d9fc71807f2cd3c"},
	}
	for _, tc := range tests {
		t.Run(tc.kind.String(), func(t *testing.T) {
			base := Base(tc.kind, tc.n, tc.seed)
			if got := prefix(t, Queries(base, 1000, tc.querySeed)); got != tc.want {
				t.Errorf("%s %d queries: sha256 prefix %s, want %s", tc.kind, tc.n, got, tc.want)
			}
		})
	}
}

// TestChecksums10M checks the 10M base and query files. It needs ~1 GB of
// memory and a few seconds, so it is skipped with -short and under the race
// detector.
func TestChecksums10M(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("10M data sets skipped with -short and -race")
	}
	tests := []struct {
		kind              Kind
		seed, querySeed   uint64
		wantBase, wantQry string
	}{
		{Uniform, 1, 107, "83e4bbbbcffa701b", "add27343a84694cd"},
		{Clustered, 2, 207, "3a70cf3ee1e617ac", "f5bd2cb38e8a08ed"},
	}
	for _, tc := range tests {
		t.Run(tc.kind.String(), func(t *testing.T) {
			base := Base(tc.kind, 10_000_000, tc.seed)
			if got := prefix(t, base); got != tc.wantBase {
				t.Errorf("base sha256 prefix %s, want %s", got, tc.wantBase)
			}
			if got := prefix(t, Queries(base, 1000, tc.querySeed)); got != tc.wantQry {
				t.Errorf("queries sha256 prefix %s, want %s", got, tc.wantQry)
			}
		})
	}
}

func TestPrefixProperty(t *testing.T) {
	for _, k := range []Kind{Uniform, Clustered} {
		a := Base(k, 1000, 9)
		b := Base(k, 300, 9)
		for i := range b {
			if a[i] != b[i] {
				t.Fatalf("%s: item %d differs between sizes", k, i)
			}
		}
	}
}

func TestFlipDistinct(t *testing.T) {
	r := NewRNG(5)
	for k := 0; k <= 256; k += 17 {
		var h [4]uint64
		r.Flip(&h, k)
		n := 0
		for _, w := range h {
			for ; w != 0; w &= w - 1 {
				n++
			}
		}
		if n != k {
			t.Fatalf("Flip(%d) set %d bits", k, n)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	hs := Base(Clustered, 257, 3)
	var buf bytes.Buffer
	if err := Write(&buf, hs); err != nil {
		t.Fatal(err)
	}
	var buf2 bytes.Buffer
	if err := WriteBase(&buf2, Clustered, 257, 3); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), buf2.Bytes()) {
		t.Fatal("WriteBase differs from Write(Base)")
	}
	got, err := Read(bytes.NewReader(buf.Bytes()), -1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(hs) {
		t.Fatalf("read %d hashes, want %d", len(got), len(hs))
	}
	for i := range hs {
		if got[i] != hs[i] {
			t.Fatalf("hash %d differs after round trip", i)
		}
	}
	if _, err := Read(bytes.NewReader(buf.Bytes()[:40]), -1); err == nil {
		t.Fatal("truncated file read without error")
	}
}

func TestParseKind(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Kind
		ok   bool
	}{{"uniform", Uniform, true}, {"clustered", Clustered, true}, {"x", 0, false}} {
		k, err := ParseKind(tc.in)
		if (err == nil) != tc.ok || (tc.ok && k != tc.want) {
			t.Errorf("ParseKind(%q) = %v, %v", tc.in, k, err)
		}
	}
}
