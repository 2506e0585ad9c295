package hamming

import (
	"crypto/md5"
	"crypto/sha256"
	"slices"
	"sync"
	"testing"
)

func TestExact128(t *testing.T) {
	a, b, c := md5.Sum([]byte("a")), md5.Sum([]byte("b")), md5.Sum([]byte("c"))
	type op struct {
		kind string // "add", "remove", "lookup", "len"
		id   uint64
		v    [16]byte
		want []uint64 // lookup result; for remove/len, want[0] = 1/true or the length
	}
	tests := []struct {
		name string
		ops  []op
	}{
		{"empty", []op{{"lookup", 0, a, nil}, {"remove", 1, a, []uint64{0}}, {"len", 0, a, []uint64{0}}}},
		{"one", []op{{"add", 1, a, nil}, {"lookup", 0, a, []uint64{1}}, {"lookup", 0, b, nil}, {"len", 0, a, []uint64{1}}}},
		{"shared value", []op{{"add", 3, a, nil}, {"add", 1, a, nil}, {"add", 2, a, nil},
			{"lookup", 0, a, []uint64{1, 2, 3}}, {"remove", 3, a, []uint64{1}}, {"lookup", 0, a, []uint64{1, 2}},
			{"remove", 1, a, []uint64{1}}, {"lookup", 0, a, []uint64{2}}, {"remove", 2, a, []uint64{1}},
			{"lookup", 0, a, nil}, {"len", 0, a, []uint64{0}}}},
		{"replace", []op{{"add", 1, a, nil}, {"add", 1, b, nil}, {"lookup", 0, a, nil},
			{"lookup", 0, b, []uint64{1}}, {"add", 1, b, nil}, {"lookup", 0, b, []uint64{1}}, {"len", 0, a, []uint64{1}}}},
		{"replace within shared", []op{{"add", 1, a, nil}, {"add", 2, a, nil}, {"add", 1, c, nil},
			{"lookup", 0, a, []uint64{2}}, {"lookup", 0, c, []uint64{1}}, {"remove", 1, a, []uint64{1}},
			{"remove", 1, a, []uint64{0}}, {"lookup", 0, c, nil}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var m Exact128
			for i, o := range tc.ops {
				switch o.kind {
				case "add":
					m.Add(o.id, o.v)
				case "remove":
					if got := m.Remove(o.id); got != (o.want[0] == 1) {
						t.Fatalf("op %d: Remove(%d) = %v", i, o.id, got)
					}
				case "lookup":
					if got := m.Lookup(o.v); !slices.Equal(got, o.want) {
						t.Fatalf("op %d: Lookup = %v, want %v", i, got, o.want)
					}
				case "len":
					if got := m.Len(); got != int(o.want[0]) {
						t.Fatalf("op %d: Len = %d, want %d", i, got, o.want[0])
					}
				}
			}
		})
	}
}

func TestExact256(t *testing.T) {
	m := NewExact256()
	x, y := sha256.Sum256([]byte("x")), sha256.Sum256([]byte("y"))
	tests := []struct {
		id uint64
		v  [32]byte
	}{{10, x}, {11, x}, {12, y}}
	for _, tc := range tests {
		m.Add(tc.id, tc.v)
	}
	if got := m.Lookup(x); !slices.Equal(got, []uint64{10, 11}) {
		t.Fatalf("Lookup(x) = %v", got)
	}
	if !m.Remove(10) || m.Remove(10) {
		t.Fatal("Remove(10) twice should be true then false")
	}
	if got := m.Lookup(x); !slices.Equal(got, []uint64{11}) {
		t.Fatalf("Lookup(x) = %v", got)
	}
	if m.Len() != 2 {
		t.Fatalf("Len = %d", m.Len())
	}
}

func TestExactConcurrent(t *testing.T) {
	m := NewExact128()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				id := uint64(w*10000 + i)
				v := md5.Sum([]byte{byte(i % 7)})
				m.Add(id, v)
				if ids := m.Lookup(v); !slices.Contains(ids, id) {
					t.Errorf("id %d missing right after Add", id)
					return
				}
				if i%2 == 0 {
					m.Remove(id)
				}
			}
		}()
	}
	wg.Wait()
	if m.Len() != 4000 {
		t.Fatalf("Len = %d, want 4000", m.Len())
	}
	total := 0
	for i := 0; i < 7; i++ {
		total += len(m.Lookup(md5.Sum([]byte{byte(i)})))
	}
	if total != 4000 {
		t.Fatalf("ids over all values = %d, want 4000", total)
	}
}
