package hamming

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// memCap is the capacity of a memtable, the append-only buffer that takes
// new values until it is merged into an indexed segment. Memtables are
// scanned, so this bounds the scan cost of recent additions.
const memCap = 4096

// memtable is an append-only buffer of rows. Slots [0, n) are published:
// the writer fills slot n and then stores n+1, so readers that load n see
// complete rows. Only liveness bits change afterwards.
type memtable struct {
	vals  [][4]uint64
	ids   []uint64
	alive []uint64 // atomic
	n     atomic.Int32
	idx   map[uint64]int32 // id → slot of live rows; writer-only (Index.mu)
	src   bool             // source of the running merge; writer-only
}

func newMemtable() *memtable {
	return &memtable{
		vals:  make([][4]uint64, memCap),
		ids:   make([]uint64, memCap),
		alive: make([]uint64, memCap/64),
		idx:   make(map[uint64]int32),
	}
}

func (t *memtable) search(q *[4]uint64, d int, out []rawMatch) []rawMatch {
	n := int(t.n.Load())
	if n == 0 {
		return out
	}
	return scanRows(t.vals[:n], t.ids[:n], t.alive, q, d, out)
}

// state is an immutable view of the index: readers load it atomically and
// use it without locks. Segments are ordered by size, largest first.
type state struct {
	segs   []*segment
	frozen []*memtable
	mem    *memtable
}

// Index is an exact Hamming-distance index over 256-bit values. The zero
// value is an empty index ready to use; an Index must not be copied after
// first use. All methods are safe for concurrent use.
//
// Searches never lock: they load the current state (an atomic pointer to
// immutable segments, frozen memtables and the active memtable) and read it;
// liveness bits are read atomically. Add and Remove hold a mutex only for a
// map lookup or binary search per segment, an atomic bit update and an
// append. Merges of memtables and small segments into larger segments run in
// one background goroutine and take the mutex only to pick their sources
// and to swap in the result; removals made meanwhile are logged and applied
// to the merged segment before the swap.
//
// Consistency during concurrent mutation: a search returns only values that
// were stored at some point during the search, each at its true distance,
// and finds every value that was stored before the search started and not
// removed or replaced until it ended.
type Index struct {
	mu      sync.Mutex // serialises writers
	st      atomic.Pointer[state]
	n       atomic.Int64 // live values
	merging bool         // a merge goroutine is running (mu)
	done    chan struct{}
	pending []uint64 // ids removed from merge sources during the merge (mu)
}

// New returns an empty index.
func New() *Index { return &Index{} }

// Build returns an index of vals[i] under ids[i], built in bulk (in
// parallel across parts). If an id occurs more than once, its last value
// wins. It panics if the slices differ in length.
func Build(ids []uint64, vals [][4]uint64) *Index {
	if len(ids) != len(vals) {
		panic(fmt.Sprintf("hamming.Build: %d ids but %d values", len(ids), len(vals)))
	}
	sids, lo, hi := sortRows(ids, vals)
	ix := &Index{}
	s := &state{mem: newMemtable()}
	if len(sids) > 0 {
		s.segs = []*segment{newSegment(sids, lo, hi)}
	}
	ix.st.Store(s)
	ix.n.Store(int64(len(sids)))
	return ix
}

// load returns the current state, creating it for a zero Index.
func (ix *Index) load() *state {
	if s := ix.st.Load(); s != nil {
		return s
	}
	ix.st.CompareAndSwap(nil, &state{mem: newMemtable()})
	return ix.st.Load()
}

// Len returns the number of stored values.
func (ix *Index) Len() int { return int(ix.n.Load()) }

// Add stores v under id, replacing the value id had, if any.
func (ix *Index) Add(id uint64, v [4]uint64) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	s := ix.load()
	if !ix.removeLocked(s, id) {
		ix.n.Add(1)
	}
	mem := s.mem
	k := mem.n.Load()
	if k == memCap {
		ns := &state{segs: s.segs, frozen: append(slices.Clip(s.frozen), mem), mem: newMemtable()}
		ix.st.Store(ns)
		mem, k = ns.mem, 0
		ix.startMergeLocked()
	}
	mem.vals[k] = v
	mem.ids[k] = id
	atomic.OrUint64(&mem.alive[k>>6], 1<<(k&63))
	mem.idx[id] = k
	mem.n.Store(k + 1)
}

// Remove deletes id and reports whether it was stored.
func (ix *Index) Remove(id uint64) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.removeLocked(ix.load(), id) {
		ix.n.Add(-1)
		return true
	}
	return false
}

func (ix *Index) removeLocked(s *state, id uint64) bool {
	if r, ok := s.mem.idx[id]; ok {
		delete(s.mem.idx, id)
		kill(s.mem.alive, uint32(r))
		return true
	}
	for _, t := range s.frozen {
		if r, ok := t.idx[id]; ok {
			delete(t.idx, id)
			kill(t.alive, uint32(r))
			if t.src {
				ix.pending = append(ix.pending, id)
			}
			return true
		}
	}
	for _, g := range s.segs {
		if g.remove(id) {
			if g.src {
				ix.pending = append(ix.pending, id)
			}
			return true
		}
	}
	return false
}

// startMergeLocked starts the background merge goroutine if it is not
// running.
func (ix *Index) startMergeLocked() {
	if ix.merging {
		return
	}
	ix.merging = true
	ix.done = make(chan struct{})
	go ix.mergeLoop(false)
}

// Compact merges every stored value into one segment (waiting for any
// background merge first). Searches are fastest after it; it is not needed
// for correctness. Values added while it runs may stay in smaller segments
// or memtables.
func (ix *Index) Compact() {
	ix.mu.Lock()
	for ix.merging {
		done := ix.done
		ix.mu.Unlock()
		<-done
		ix.mu.Lock()
	}
	s := ix.load()
	if s.mem.n.Load() > 0 {
		ix.st.Store(&state{segs: s.segs, frozen: append(slices.Clip(s.frozen), s.mem), mem: newMemtable()})
	}
	ix.merging = true
	ix.done = make(chan struct{})
	ix.mu.Unlock()
	ix.mergeLoop(true)
}

// mergeRatio: a segment is merged into a merge whose other sources hold
// at least 1/mergeRatio of its size. Larger ratios mean fewer segments for
// searches to probe (each probe costs about the same whatever the segment's
// size) and more merge work.
var mergeRatio int64 = 8

// pickSources chooses what to merge: all frozen memtables plus, from the
// smallest segment up, each segment no larger than mergeRatio times what is
// already picked (size-tiered, so sizes grow by more than mergeRatio along
// the list), and any segment that is more than half dead. With all,
// everything is picked.
func pickSources(s *state, all bool) (mems []*memtable, segs []*segment) {
	mems = s.frozen
	size := int64(0)
	for _, t := range mems {
		size += int64(len(t.idx))
	}
	for i := len(s.segs) - 1; i >= 0; i-- {
		g := s.segs[i]
		a := g.nAlive.Load()
		if all || a <= mergeRatio*size || a < int64(len(g.ids))/2 {
			segs = append(segs, g)
			size += a
		}
	}
	if len(mems) == 0 && (len(segs) == 0 || len(segs) == 1 && segs[0].nAlive.Load() == int64(len(segs[0].ids))) {
		return nil, nil
	}
	return mems, segs
}

// mergeHook, if set, runs in the merge goroutine after the sources are
// picked and before they are read (tests only).
var mergeHook func(*Index)

// mergeLoop runs merges until there is nothing left to merge; with all,
// the first merge takes every segment.
func (ix *Index) mergeLoop(all bool) {
	for ; ; all = false {
		ix.mu.Lock()
		s := ix.load()
		mems, segs := pickSources(s, all)
		if mems == nil && segs == nil {
			ix.merging = false
			close(ix.done)
			ix.mu.Unlock()
			return
		}
		for _, t := range mems {
			t.src = true
		}
		for _, g := range segs {
			g.src = true
		}
		ix.pending = ix.pending[:0]
		ix.mu.Unlock()

		if mergeHook != nil {
			mergeHook(ix)
		}
		seg := mergeSources(mems, segs)

		ix.mu.Lock()
		for _, id := range ix.pending {
			seg.remove(id)
		}
		ix.pending = ix.pending[:0]
		cur := ix.load()
		ns := &state{mem: cur.mem}
		for _, t := range cur.frozen {
			if !t.src {
				ns.frozen = append(ns.frozen, t)
			}
		}
		for _, g := range cur.segs {
			if !g.src {
				ns.segs = append(ns.segs, g)
			}
		}
		if len(seg.ids) > 0 {
			ns.segs = append(ns.segs, seg)
		}
		slices.SortStableFunc(ns.segs, func(a, b *segment) int { return len(b.ids) - len(a.ids) })
		ix.st.Store(ns)
		ix.mu.Unlock()
	}
}

// mergeSources builds one segment from the live rows of the sources.
func mergeSources(mems []*memtable, segs []*segment) *segment {
	var ids []uint64
	var vals [][4]uint64
	for _, t := range mems {
		n := int(t.n.Load())
		for r := 0; r < n; r++ {
			if isAlive(t.alive, uint32(r)) {
				ids = append(ids, t.ids[r])
				vals = append(vals, t.vals[r])
			}
		}
	}
	for _, g := range segs {
		for r := range g.ids {
			if isAlive(g.alive, uint32(r)) {
				ids = append(ids, g.ids[r])
				vals = append(vals, [4]uint64{g.lo[r][0], g.lo[r][1], g.hi[r][0], g.hi[r][1]})
			}
		}
	}
	sids, lo, hi := sortRows(ids, vals)
	return newSegment(sids, lo, hi)
}

// Search returns every stored value within distance d of q (d = 0: equal
// values only; d < 0 matches nothing), sorted by distance then id.
func (ix *Index) Search(q [4]uint64, d int) []Match {
	s := ix.st.Load()
	if s == nil || d < 0 {
		return nil
	}
	sc := scratchPool.Get().(*scratch)
	ms := s.search(&q, d, sc)
	putScratch(sc)
	return ms
}

// SearchBatch runs Search for every query, spreading the queries over
// GOMAXPROCS goroutines; result i belongs to qs[i].
func (ix *Index) SearchBatch(qs [][4]uint64, d int) [][]Match {
	out := make([][]Match, len(qs))
	s := ix.st.Load()
	if s == nil || d < 0 || len(qs) == 0 {
		return out
	}
	workers := min(runtime.GOMAXPROCS(0), (len(qs)+7)/8)
	const chunk = 8
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := scratchPool.Get().(*scratch)
			defer putScratch(sc)
			for {
				i := int(next.Add(chunk)) - chunk
				if i >= len(qs) {
					return
				}
				for j := i; j < min(i+chunk, len(qs)); j++ {
					out[j] = s.search(&qs[j], d, sc)
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// search runs one query against a state.
func (s *state) search(q *[4]uint64, d int, sc *scratch) []Match {
	out := sc.out[:0]
	for _, g := range s.segs {
		out = g.search(q, d, sc, out)
	}
	for _, t := range s.frozen {
		out = t.search(q, d, out)
	}
	out = s.mem.search(q, d, out)
	sc.out = out
	if len(out) == 0 {
		return nil
	}
	// An id replaced during the search can be seen in two places; keep one.
	if len(out) > 1 && len(s.segs)+len(s.frozen) > 0 {
		slices.SortFunc(out, func(a, b rawMatch) int {
			if a.id != b.id {
				if a.id < b.id {
					return -1
				}
				return 1
			}
			return a.dist - b.dist
		})
		out = slices.CompactFunc(out, func(a, b rawMatch) bool { return a.id == b.id })
	}
	ms := make([]Match, len(out))
	for i, r := range out {
		ms[i] = Match{ID: r.id, Distance: r.dist}
	}
	SortMatches(ms)
	return ms
}

// Stats describes the memory held by an index.
type Stats struct {
	Values   int   // live values
	Rows     int   // stored rows, including removed ones not yet merged away
	Segments int   // indexed segments
	Bytes    int64 // bytes held by values, ids, tables and bitmaps
	// PartBits, Parts and DirBits describe the largest segment: parts of
	// PartBits bits, each with a directory over its top DirBits bits.
	PartBits, Parts, DirBits int
}

// Stats returns the current memory figures, computed from the structure
// sizes.
func (ix *Index) Stats() Stats {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	s := ix.st.Load()
	if s == nil {
		return Stats{}
	}
	st := Stats{Values: ix.Len(), Segments: len(s.segs)}
	mem := append(slices.Clip(s.frozen), s.mem)
	for _, t := range mem {
		st.Rows += int(t.n.Load())
		st.Bytes += int64(cap(t.vals))*32 + int64(cap(t.ids))*8 + int64(cap(t.alive))*8 + int64(len(t.idx))*24
	}
	for i, g := range s.segs {
		if i == 0 {
			st.PartBits, st.Parts, st.DirBits = g.g.b, g.g.m, g.g.dbits
		}
		st.Rows += len(g.ids)
		st.Bytes += int64(cap(g.ids))*8 + int64(cap(g.lo))*16 + int64(cap(g.hi))*16 + int64(cap(g.alive))*8
		for j := range g.dirs {
			st.Bytes += int64(cap(g.dirs[j]))*4 + int64(cap(g.ents[j]))*4
		}
		for _, m := range g.masks {
			st.Bytes += int64(cap(m)) * 4
		}
	}
	return st
}
