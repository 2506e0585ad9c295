package hamming

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kspplatform/ksp/hamming/gen"
)

var testDists = []int{0, 1, 8, 15, 16, 31, 32, 47, 63, 64}

// refSearch is brute force over a map of id → value.
func refSearch(m map[uint64][4]uint64, q [4]uint64, d int) []Match {
	var out []Match
	for id, v := range m {
		if dist := Distance(v, q); dist <= d {
			out = append(out, Match{id, dist})
		}
	}
	SortMatches(out)
	return out
}

// queriesFor makes queries near and far from the values.
func queriesFor(vals [][4]uint64, n int, seed uint64) [][4]uint64 {
	qs := gen.Queries(vals, n, seed)
	// Add exact copies and very near ones too.
	r := gen.NewRNG(seed + 1)
	for i := 0; i < n/4; i++ {
		h := vals[r.Below(uint64(len(vals)))]
		r.Flip(&h, int(r.Below(3)))
		qs = append(qs, h)
	}
	return qs
}

func sameMatches(a, b []Match) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return slices.Equal(a, b)
}

func checkAgainst(t *testing.T, ix *Index, ref map[uint64][4]uint64, qs [][4]uint64) {
	t.Helper()
	for _, d := range testDists {
		batch := ix.SearchBatch(qs, d)
		for i, q := range qs {
			want := refSearch(ref, q, d)
			got := ix.Search(q, d)
			if !sameMatches(got, want) {
				t.Fatalf("d=%d query %d: got %d matches, want %d (first diff %s)", d, i, len(got), len(want), firstDiff(got, want))
			}
			if !sameMatches(batch[i], want) {
				t.Fatalf("d=%d query %d: batch got %d matches, want %d", d, i, len(batch[i]), len(want))
			}
		}
	}
}

func firstDiff(a, b []Match) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("at %d: %v vs %v", i, a[i], b[i])
		}
	}
	return "prefix equal"
}

func testSizes() (int, int) {
	if raceEnabled || testing.Short() {
		return 20_000, 30
	}
	return 100_000, 60
}

func TestBuildMatchesBruteForce(t *testing.T) {
	n, nq := testSizes()
	for _, kind := range []gen.Kind{gen.Uniform, gen.Clustered} {
		t.Run(kind.String(), func(t *testing.T) {
			vals := gen.Base(kind, n, 11)
			ids := make([]uint64, n)
			ref := make(map[uint64][4]uint64, n)
			for i := range ids {
				ids[i] = uint64(i)*7919 + 3 // not sorted after wrap? keep simple but non-dense
				ref[ids[i]] = vals[i]
			}
			ix := Build(ids, vals)
			if ix.Len() != n {
				t.Fatalf("Len = %d, want %d", ix.Len(), n)
			}
			checkAgainst(t, ix, ref, queriesFor(vals, nq, 5))
		})
	}
}

// TestPartWidths checks exactness for every part width the parameter choice
// can produce, including widths that leave bits unindexed.
func TestPartWidths(t *testing.T) {
	n := 20_000
	vals := gen.Base(gen.Clustered, n, 12)
	ids := make([]uint64, n)
	ref := make(map[uint64][4]uint64, n)
	for i := range ids {
		ids[i] = uint64(n - i)
		ref[ids[i]] = vals[i]
	}
	qs := queriesFor(vals, 16, 8)
	defer func() { partBitsOverride, dirBitsOverride = 0, 0 }()
	for _, g := range []struct{ b, dbits int }{
		{8, 8}, {12, 8}, {13, 13}, {16, 10}, {18, 12}, {19, 16}, {21, 14}, {22, 15}, {23, 10}, {25, 12},
	} {
		t.Run(fmt.Sprint(g.b, "/", g.dbits), func(t *testing.T) {
			partBitsOverride, dirBitsOverride = g.b, g.dbits
			ix := Build(ids, vals)
			partBitsOverride, dirBitsOverride = 0, 0
			seg := ix.st.Load().segs[0]
			if seg.g.b != g.b || seg.g.dbits != g.dbits {
				t.Fatalf("geometry %+v, want b=%d dbits=%d", seg.g, g.b, g.dbits)
			}
			checkAgainst(t, ix, ref, qs)
		})
	}
}

func TestAddRemove(t *testing.T) {
	n, nq := testSizes()
	n /= 2
	vals := gen.Base(gen.Clustered, 2*n, 13)
	ix := New()
	ref := map[uint64][4]uint64{}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2*n; i++ {
		id := uint64(r.IntN(n)) // repeated ids replace values
		ix.Add(id, vals[i])
		ref[id] = vals[i]
		if i%3 == 0 {
			victim := uint64(r.IntN(n))
			_, had := ref[victim]
			if got := ix.Remove(victim); got != had {
				t.Fatalf("Remove(%d) = %v, want %v", victim, got, had)
			}
			delete(ref, victim)
		}
	}
	if ix.Len() != len(ref) {
		t.Fatalf("Len = %d, want %d", ix.Len(), len(ref))
	}
	qs := queriesFor(vals, nq, 9)
	checkAgainst(t, ix, ref, qs)
	ix.Compact()
	if st := ix.Stats(); st.Segments != 1 || st.Rows != len(ref) {
		t.Fatalf("after Compact: %+v, want 1 segment of %d rows", st, len(ref))
	}
	checkAgainst(t, ix, ref, qs)
}

func TestZeroAndEdgeCases(t *testing.T) {
	var ix Index
	if got := ix.Search([4]uint64{}, 10); got != nil {
		t.Fatalf("empty index returned %v", got)
	}
	if ix.Remove(1) {
		t.Fatal("Remove on empty index returned true")
	}
	ix.Add(1, [4]uint64{1})
	ix.Add(2, [4]uint64{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)})
	tests := []struct {
		d    int
		want []Match
	}{
		{-1, nil},
		{0, []Match{{1, 1}}[:0]},
		{1, []Match{{1, 1}}},
		{256, []Match{{1, 1}, {2, 256}}},
		{1000, []Match{{1, 1}, {2, 256}}},
	}
	for _, tc := range tests {
		if got := ix.Search([4]uint64{}, tc.d); !sameMatches(got, tc.want) {
			t.Errorf("Search(0, %d) = %v, want %v", tc.d, got, tc.want)
		}
	}
	b := Build([]uint64{5, 5, 6}, [][4]uint64{{1}, {2}, {3}})
	if b.Len() != 2 {
		t.Fatalf("Build with a repeated id: Len = %d, want 2", b.Len())
	}
	if got := b.Search([4]uint64{2}, 0); !sameMatches(got, []Match{{5, 0}}) {
		t.Fatalf("repeated id: last value should win, got %v", got)
	}
	if got := Build(nil, nil).Search([4]uint64{}, 3); got != nil {
		t.Fatalf("empty Build returned %v", got)
	}
}

// TestConcurrent mutates the index from several goroutines while others
// query, checks that every result is consistent, then compares exactly.
func TestConcurrent(t *testing.T) {
	n := 20_000
	if raceEnabled {
		n = 8_000
	}
	for _, kind := range []gen.Kind{gen.Uniform, gen.Clustered} {
		t.Run(kind.String(), func(t *testing.T) {
			vals := gen.Base(kind, 3*n, 21)
			ids := make([]uint64, n)
			for i := range ids {
				ids[i] = uint64(i)
			}
			ix := Build(ids, vals[:n])
			// Ids [0, n/2) are stable: never touched. Writers own disjoint
			// id ranges above n/2 and record what they store.
			const writers = 2
			var stored [writers]sync.Map // id → value, current
			var stop atomic.Bool
			var wg sync.WaitGroup
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := rand.New(rand.NewPCG(uint64(w), 7))
					lo := n/2 + w*n/4
					for i := lo; i < lo+n/4; i++ {
						stored[w].Store(uint64(i), vals[i])
					}
					for k := 0; !stop.Load() || k < 3*memCap; k++ {
						id := uint64(lo + r.IntN(n/4))
						if r.IntN(3) == 0 {
							ix.Remove(id)
							stored[w].Delete(id)
						} else {
							v := vals[n+r.IntN(2*n)]
							ix.Add(id, v)
							stored[w].Store(id, v)
						}
					}
				}()
			}
			all := map[uint64][4]uint64{}
			for i := 0; i < n; i++ {
				all[uint64(i)] = vals[i]
			}
			qs := queriesFor(vals[:n/2], 40, 3)
			var rg sync.WaitGroup
			var failed atomic.Value
			for g := 0; g < 2; g++ {
				rg.Add(1)
				go func() {
					defer rg.Done()
					for rep := 0; rep < 3; rep++ {
						for i, q := range qs {
							d := testDists[(i+rep+g)%len(testDists)]
							got := ix.Search(q, d)
							// Every result is a real value at its true distance:
							// stable ids exactly; writer ids from their value pool.
							seen := map[uint64]bool{}
							for _, m := range got {
								if seen[m.ID] {
									failed.Store(fmt.Sprintf("duplicate id %d", m.ID))
								}
								seen[m.ID] = true
								if m.ID < uint64(n/2) && Distance(all[m.ID], q) != m.Distance {
									failed.Store(fmt.Sprintf("id %d at wrong distance", m.ID))
								}
								if m.Distance > d {
									failed.Store("result beyond d")
								}
							}
							for id := uint64(0); id < uint64(n/2); id++ {
								if Distance(all[id], q) <= d && !seen[id] {
									failed.Store(fmt.Sprintf("stable id %d missed at d=%d", id, d))
								}
							}
						}
					}
				}()
			}
			rg.Wait()
			stop.Store(true)
			wg.Wait()
			if f := failed.Load(); f != nil {
				t.Fatal(f)
			}
			ref := map[uint64][4]uint64{}
			for id := uint64(0); id < uint64(n/2); id++ {
				ref[id] = vals[id]
			}
			for w := range stored {
				stored[w].Range(func(k, v any) bool {
					ref[k.(uint64)] = v.([4]uint64)
					return true
				})
			}
			if ix.Len() != len(ref) {
				t.Fatalf("Len = %d, want %d", ix.Len(), len(ref))
			}
			// Wait for background merges to finish, then compare exactly,
			// before and after a full compaction.
			deadline := time.Now().Add(10 * time.Second)
			for {
				ix.mu.Lock()
				m := ix.merging
				ix.mu.Unlock()
				if !m || time.Now().After(deadline) {
					break
				}
				time.Sleep(time.Millisecond)
			}
			qs2 := queriesFor(vals, 20, 4)
			checkAgainst(t, ix, ref, qs2)
			ix.Compact()
			checkAgainst(t, ix, ref, qs2)
		})
	}
}

func TestMasksOfWeight(t *testing.T) {
	for _, tc := range []struct{ b, w, n int }{{16, 0, 1}, {16, 1, 16}, {16, 2, 120}, {21, 3, 1330}, {8, 8, 1}} {
		ms := masksOfWeight(tc.b, tc.w)
		if len(ms) != tc.n {
			t.Errorf("masksOfWeight(%d,%d): %d masks, want %d", tc.b, tc.w, len(ms), tc.n)
		}
		for _, m := range ms {
			if c := slowPopcount(m); c != tc.w || m>>tc.b != 0 {
				t.Errorf("bad mask %b", m)
			}
		}
	}
}

func slowPopcount(x uint32) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

func TestPopcount32(t *testing.T) {
	for _, x := range []uint32{0, 1, 3, 0x80000000, 0xffffffff, 0x12345678, 0xdeadbeef} {
		if got, want := int(popcount32(x)), slowPopcount(x); got != want {
			t.Errorf("popcount32(%#x) = %d, want %d", x, got, want)
		}
	}
}

func TestPlanPigeonhole(t *testing.T) {
	for _, n := range []int{5000, 100_000, 1 << 20, 10_000_000} {
		g := chooseGeometry(n)
		m := g.m
		for d := 0; d <= maxDist; d++ {
			p := makePlan(n, g, d)
			if p.scan {
				continue
			}
			sum := 0
			for _, t := range p.t {
				sum += int(t)
			}
			if sum < d-m+1 {
				t.Fatalf("n=%d d=%d: Σt=%d < d-m+1=%d", n, d, sum, d-m+1)
			}
		}
	}
}

func TestBruteForce(t *testing.T) {
	vals := [][4]uint64{{0}, {1}, {3}, {0, 0, 0, 1}}
	got := BruteForce(vals, [4]uint64{}, 1)
	want := []Match{{0, 0}, {1, 1}, {3, 1}}
	if !slices.Equal(got, want) {
		t.Fatalf("BruteForce = %v, want %v", got, want)
	}
}

func TestSortRows(t *testing.T) {
	tests := []struct {
		ids  []uint64
		want []uint64
	}{
		{nil, nil},
		{[]uint64{1, 2, 3}, []uint64{1, 2, 3}},
		{[]uint64{3, 1, 2, 1 << 60, 1 << 33}, []uint64{1, 2, 3, 1 << 33, 1 << 60}},
		{[]uint64{7, 7, 7}, []uint64{7}},
	}
	for _, tc := range tests {
		vals := make([][4]uint64, len(tc.ids))
		for i := range vals {
			vals[i] = [4]uint64{uint64(i)}
		}
		ids, vs, _ := sortRows(tc.ids, vals)
		if !slices.Equal(ids, tc.want) && !(len(ids) == 0 && len(tc.want) == 0) {
			t.Errorf("sortRows(%v) = %v, want %v", tc.ids, ids, tc.want)
		}
		for i, id := range ids {
			// The value of an id is the one at its last position.
			last := slices.Index(tc.ids, id)
			for j := range tc.ids {
				if tc.ids[j] == id {
					last = j
				}
			}
			if vs[i][0] != uint64(last) {
				t.Errorf("sortRows(%v): id %d has value %d, want %d", tc.ids, id, vs[i][0], last)
			}
		}
	}
}

// TestBuildTableRadix checks the two-level build against a plain stable
// counting sort.
func TestBuildTableRadix(t *testing.T) {
	n := 1<<18 + 77
	if raceEnabled {
		t.Skip("large build skipped under the race detector")
	}
	vals := gen.Base(gen.Uniform, n, 31)
	lo, hi := make([][2]uint64, n), make([][2]uint64, n)
	for i, v := range vals {
		lo[i], hi[i] = [2]uint64{v[0], v[1]}, [2]uint64{v[2], v[3]}
	}
	for _, g := range []geometry{
		{b: 23, m: 11, dbits: 17, lbits: 6, rowBits: 19},
		{b: 20, m: 12, dbits: 20, lbits: 0, rowBits: 19},
	} {
		for _, off := range []uint{0, 46, 230} {
			var tmp []uint64
			dir, ent := buildTable(lo, hi, off, g, &tmp)
			// Reference: bucket each row by its high key, rows ascending.
			buckets := make([][]uint32, 1<<g.dbits)
			for i := range vals {
				key := partKey(&vals[i], off, uint(g.b))
				h := key >> g.lbits
				buckets[h] = append(buckets[h], (key&(1<<g.lbits-1))<<g.rowBits|uint32(i))
			}
			pos := 0
			for h, bk := range buckets {
				if int(dir[h]) != pos || int(dir[h+1]) != pos+len(bk) {
					t.Fatalf("%+v off %d: bucket %d is [%d,%d), want [%d,%d)", g, off, h, dir[h], dir[h+1], pos, pos+len(bk))
				}
				if !slices.Equal(ent[pos:pos+len(bk)], bk) {
					t.Fatalf("%+v off %d: bucket %d entries differ", g, off, h)
				}
				pos += len(bk)
			}
		}
	}
}

// TestMutationDuringMerge removes, replaces and re-adds values of the merge
// sources while a merge is between picking and swapping, and checks that
// the merged result reflects every change.
func TestMutationDuringMerge(t *testing.T) {
	n := 3 * memCap
	vals := gen.Base(gen.Clustered, 2*n, 41)
	ix := New()
	ref := map[uint64][4]uint64{}
	for i := 0; i < n; i++ {
		ix.Add(uint64(i), vals[i])
		ref[uint64(i)] = vals[i]
	}
	ix.Compact()
	calls := 0
	mergeHook = func(ix *Index) {
		calls++
		for i := 0; i < n; i += 7 {
			ix.Remove(uint64(i)) // in a source: logged and replayed
		}
		for i := 3; i < n; i += 11 {
			ix.Add(uint64(i), vals[n+i]) // replaced: the old copy must go
		}
	}
	defer func() { mergeHook = nil }()
	for i := 0; i < n; i += 7 {
		delete(ref, uint64(i))
	}
	for i := 3; i < n; i += 11 {
		ref[uint64(i)] = vals[n+i]
	}
	// A new value makes Compact merge the segment with the memtable.
	ix.Add(uint64(2*n), vals[2*n-1])
	ref[uint64(2*n)] = vals[2*n-1]
	ix.Compact()
	mergeHook = nil
	if calls == 0 {
		t.Fatal("merge hook never ran")
	}
	if ix.Len() != len(ref) {
		t.Fatalf("Len = %d, want %d", ix.Len(), len(ref))
	}
	qs := queriesFor(vals, 20, 42)
	checkAgainst(t, ix, ref, qs)
	ix.Compact()
	checkAgainst(t, ix, ref, qs)
}
