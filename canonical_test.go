package ksp

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFormatNumberESRFC8785 checks the number samples of RFC 8785 appendix
// B: IEEE 754 bit patterns and the text ECMAScript writes for them.
func TestFormatNumberESRFC8785(t *testing.T) {
	tests := []struct{ bits, want string }{
		{"0000000000000000", "0"},
		{"8000000000000000", "0"}, // minus zero
		{"0000000000000001", "5e-324"},
		{"8000000000000001", "-5e-324"},
		{"7fefffffffffffff", "1.7976931348623157e+308"},
		{"ffefffffffffffff", "-1.7976931348623157e+308"},
		{"4340000000000000", "9007199254740992"},
		{"c340000000000000", "-9007199254740992"},
		{"4430000000000000", "295147905179352830000"},
		{"44b52d02c7e14af5", "9.999999999999997e+22"},
		{"44b52d02c7e14af6", "1e+23"},
		{"44b52d02c7e14af7", "1.0000000000000001e+23"},
		{"444b1ae4d6e2ef4e", "999999999999999700000"},
		{"444b1ae4d6e2ef4f", "999999999999999900000"},
		{"444b1ae4d6e2ef50", "1e+21"},
		{"3eb0c6f7a0b5ed8c", "9.999999999999997e-7"},
		{"3eb0c6f7a0b5ed8d", "0.000001"},
		{"41b3de4355555553", "333333333.3333332"},
		{"41b3de4355555554", "333333333.33333325"},
		{"41b3de4355555555", "333333333.3333333"},
		{"41b3de4355555556", "333333333.3333334"},
		{"41b3de4355555557", "333333333.33333343"},
		{"becbf647612f3696", "-0.0000033333333333333333"},
		{"43143ff3c1cb0959", "1424953923781206.2"},
	}
	for _, tt := range tests {
		t.Run(tt.bits, func(t *testing.T) {
			b, err := hex.DecodeString(tt.bits)
			if err != nil {
				t.Fatal(err)
			}
			x := math.Float64frombits(binary.BigEndian.Uint64(b))
			got, err := FormatNumberES(x)
			if err != nil || got != tt.want {
				t.Fatalf("FormatNumberES(%v) = %q, %v; want %q", x, got, err, tt.want)
			}
			// Inside a document too.
			doc, err := CanonicalJSON(map[string]any{"n": x})
			if err != nil || string(doc) != `{"n":`+tt.want+`}` {
				t.Fatalf("CanonicalJSON = %s, %v", doc, err)
			}
		})
	}
	// The appendix's NaN and Infinity have no JSON form.
	for _, bits := range []uint64{0x7fffffffffffffff, 0x7ff0000000000000, 0xfff0000000000000} {
		if s, err := FormatNumberES(math.Float64frombits(bits)); err == nil {
			t.Errorf("FormatNumberES(%x) = %q, want an error", bits, s)
		}
		if _, err := CanonicalJSON([]any{math.Float64frombits(bits)}); err == nil {
			t.Errorf("CanonicalJSON accepted %x", bits)
		}
	}
}

// TestFormatNumberESRoundTrips checks on random doubles that the text reads
// back as the same number and takes the form ECMAScript chooses for its
// magnitude.
func TestFormatNumberESRoundTrips(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		x := math.Float64frombits(r.Uint64())
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		s, err := FormatNumberES(x)
		if err != nil {
			t.Fatalf("FormatNumberES(%v): %v", x, err)
		}
		back, err := strconv.ParseFloat(s, 64)
		if err != nil || back != x {
			t.Fatalf("FormatNumberES(%v) = %q reads back as %v, %v", x, s, back, err)
		}
		abs := math.Abs(x)
		exp := strings.ContainsRune(s, 'e')
		if want := abs >= 1e21 || (abs < 1e-6 && abs != 0); exp != want {
			t.Fatalf("FormatNumberES(%v) = %q: exponent form %v, want %v", x, s, exp, want)
		}
	}
}

// TestCanonicalJSONRFC8785 canonicalises the examples of RFC 8785 sections
// 3.2.2 (primitives) and 3.2.3 (property sorting by UTF-16 code units).
func TestCanonicalJSONRFC8785(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"primitives",
			`{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
			  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
			  "literals": [null, true, false]}`,
			`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`},
		{"sorting",
			`{"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
			  "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control",
			  "\u00f6": "Latin Small Letter O With Diaeresis"}`,
			"{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\"," +
				"\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v any
			if err := json.Unmarshal([]byte(tt.in), &v); err != nil {
				t.Fatal(err)
			}
			got, err := CanonicalJSON(v)
			if err != nil || string(got) != tt.want {
				t.Fatalf("CanonicalJSON =\n%s, %v\nwant\n%s", got, err, tt.want)
			}
		})
	}
}

func TestValidUTF8Details(t *testing.T) {
	in := map[string]any{
		"user_agent": "Mozilla\xff\xfe/5.0 caf\xc3",
		"k\xff":      []string{"ok", "bad\x80"},
		"nested":     map[string]any{"list": []any{"\xe2\x82", int64(7), true, nil}},
		"n":          1.5,
	}
	got := ValidUTF8Details(in)
	want := map[string]any{
		"user_agent": "Mozilla\uFFFD/5.0 caf\uFFFD",
		"k\uFFFD":    []string{"ok", "bad\uFFFD"},
		"nested":     map[string]any{"list": []any{"\uFFFD", int64(7), true, nil}},
		"n":          1.5,
	}
	gj, _ := CanonicalJSON(got)
	wj, _ := CanonicalJSON(want)
	if string(gj) != string(wj) {
		t.Fatalf("ValidUTF8Details = %s, want %s", gj, wj)
	}
	if in["user_agent"] != "Mozilla\xff\xfe/5.0 caf\xc3" {
		t.Error("ValidUTF8Details changed its argument")
	}
	if ValidUTF8Details(nil) != nil {
		t.Error("ValidUTF8Details(nil) is not nil")
	}
}

// roundTrip is what a store does to details: JSON out, JSON back.
func roundTrip(t *testing.T, details map[string]any) map[string]any {
	t.Helper()
	js, err := json.Marshal(details)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	return back
}

// chainOf links events as a store does and returns them with their details
// after a JSON round trip.
func chainOf(t *testing.T, events []*AuditEvent, details []map[string]any) []*AuditEvent {
	t.Helper()
	prev := ZeroHash
	for i, e := range events {
		e.Seq, e.PrevHash = int64(i+1), prev
		h, err := e.ComputeHash()
		if err != nil {
			t.Fatal(err)
		}
		e.Hash, prev = h, h
		e.Details = roundTrip(t, details[i])
	}
	return events
}

func verifyAll(events []*AuditEvent) error {
	var v ChainVerifier
	for _, e := range events {
		if err := v.Next(e); err != nil {
			return err
		}
	}
	return nil
}

func TestAuditDetailsWithInvalidUTF8Verify(t *testing.T) {
	raw := map[string]any{"ip": "192.0.2.1", "user_agent": "curl\xff\xfe/8 \xc3", "state": "active"}
	at := T(time.UnixMicro(1_700_000_000_000_000))

	// Built the way stores build events now.
	e, stored, err := NewAuditEvent(at, "user:u1\xff", "org1", "session.create", "session:s1", raw)
	if err != nil {
		t.Fatal(err)
	}
	if stored["user_agent"] != "curl\uFFFD/8 \uFFFD" || e.Actor != "user:u1\uFFFD" {
		t.Fatalf("NewAuditEvent kept bad bytes: %q, actor %q", stored["user_agent"], e.Actor)
	}
	if err := verifyAll(chainOf(t, []*AuditEvent{e}, []map[string]any{stored})); err != nil {
		t.Fatalf("verify: %v", err)
	}

	// Built the way they were before: the digest of the raw details, the
	// raw details stored.
	digest, err := DetailsDigest(raw)
	if err != nil {
		t.Fatal(err)
	}
	old := &AuditEvent{Time: at, Actor: "user:u1", OrgID: "org1", Action: "session.create", Object: "session:s1", DetailsDigest: digest}
	if err := verifyAll(chainOf(t, []*AuditEvent{old}, []map[string]any{raw})); err != nil {
		t.Fatalf("verify an event written before the fix: %v", err)
	}

	// An edit is still an edit, under either form.
	for name, d := range map[string]map[string]any{
		"new":    stored,
		"legacy": raw,
	} {
		ev := &AuditEvent{Time: at, Actor: "a", Action: "session.create", DetailsDigest: mustDigest(t, d)}
		if name == "new" {
			ev.DetailsDigest = e.DetailsDigest
		}
		edited := map[string]any{}
		for k, v := range d {
			edited[k] = v
		}
		edited["ip"] = "198.51.100.7"
		err := verifyAll(chainOf(t, []*AuditEvent{ev}, []map[string]any{edited}))
		if err == nil || !strings.Contains(err.Error(), "details were edited") {
			t.Errorf("%s: verify after editing details: %v", name, err)
		}
	}
}

func mustDigest(t *testing.T, d map[string]any) string {
	t.Helper()
	s, err := DetailsDigest(d)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
