package hamming

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// Cost model (nanoseconds on the reference machine) used to balance the
// per-part thresholds and to choose between probing and scanning. A probe is
// two directory loads plus the start of a bucket; a candidate is a random
// load of a 32-byte value; a scanned row is a sequential 32-byte load.
var (
	costProbe = 6.0
	costCand  = 7.0
	costScan  = 1.6
)

// minIndexedRows is the smallest segment that gets tables; smaller ones are
// only ever scanned.
const minIndexedRows = 2048

// maxDist is the largest meaningful distance.
const maxDist = 256

// plan says how a segment answers a query at one distance.
type plan struct {
	scan bool
	t    []int8 // per-part threshold, −1 = part not probed
}

// segment is an immutable set of rows sorted by id, with one table per part.
// Only the liveness bitmap changes after construction (atomically).
type segment struct {
	ids    []uint64     // sorted ascending, unique
	vals   [][4]uint64  // row order = id order
	alive  []uint64     // bit per row; atomic access
	nAlive atomic.Int64 // number of set bits in alive
	b, m   int          // bits per part, number of parts (0 = scan only)
	dirs   [][]uint32   // per part: 2^b+1 bucket offsets into ents
	ents   [][]uint32   // per part: rows sorted by part key (then row)
	masks  [][]uint32   // masks[w] = all b-bit masks of weight w
	plans  []plan       // plans[d] for d in 0..maxDist
	src    bool         // source of the running merge; writer-only (Index.mu)
}

// partKey returns bits [off, off+b) of v (off+b ≤ 256, b ≤ 32).
func partKey(v *[4]uint64, off, b uint) uint32 {
	w, s := off>>6, off&63
	x := v[w&3] >> s
	if s+b > 64 {
		x |= v[(w+1)&3] << (64 - s)
	}
	return uint32(x) & (1<<b - 1)
}

// chooseParams returns the part width b and number of parts m for a segment
// of n rows. Wider parts mean fewer candidates but more probes per part and
// a larger directory (4·2^b bytes per part); the choices keep the tables at
// about 4·m + 4·m·2^b/n bytes per row: ≤ 68 at 1M rows and ≤ 58 at 10M.
func chooseParams(n int) (b, m int) {
	if n < minIndexedRows {
		return 0, 0
	}
	switch {
	case n < 1<<14:
		b = 12
	case n < 1<<16:
		b = 14
	case n < 1<<22:
		b = 16
	case n < 1<<23:
		b = 18
	case n < 1<<24:
		b = 21
	default:
		b = 22
	}
	if partBitsOverride > 0 {
		b = partBitsOverride
	}
	return b, 256 / b
}

// partBitsOverride forces the part width (tests and tuning only).
var partBitsOverride int

// binom returns C(n, k) as a float.
func binom(n, k int) float64 {
	if k < 0 || k > n {
		return 0
	}
	r := 1.0
	for i := 0; i < k; i++ {
		r = r * float64(n-i) / float64(i+1)
	}
	return r
}

// makePlan balances thresholds over m parts of b bits for distance d on a
// segment of n rows, or chooses a scan when that is estimated cheaper.
func makePlan(n, b, m, d int) plan {
	if b == 0 {
		return plan{scan: true}
	}
	// Start every part at −1 and raise the cheapest part until
	// Σ t_i ≥ d − m + 1. All parts have the same convex cost, so this greedy
	// allocation is the balanced one and is optimal.
	need := d + 1 // = (d − m + 1) − (−m)
	t := make([]int8, m)
	perBucket := costProbe + costCand*float64(n)/float64(uint64(1)<<b)
	cost := 0.0
	for i := range t {
		ti := -1 + need/m
		if i < need%m {
			ti++
		}
		if ti >= b || ti > 60 {
			return plan{scan: true}
		}
		t[i] = int8(ti)
		for w := 0; w <= ti; w++ {
			cost += binom(b, w) * perBucket
		}
	}
	if cost >= costScan*float64(n) {
		return plan{scan: true}
	}
	return plan{t: t}
}

// masksOfWeight returns all b-bit values with w bits set, ascending.
func masksOfWeight(b, w int) []uint32 {
	if w == 0 {
		return []uint32{0}
	}
	out := make([]uint32, 0, int(binom(b, w)))
	limit := uint64(1) << b
	for x := uint64(1)<<w - 1; x < limit; {
		out = append(out, uint32(x))
		// Gosper's hack: next value with the same popcount.
		c := x & -x
		r := x + c
		x = (((r ^ x) >> 2) / c) | r
	}
	return out
}

// newSegment builds a segment from rows already sorted by unique id. It
// takes ownership of ids and vals.
func newSegment(ids []uint64, vals [][4]uint64) *segment {
	n := len(ids)
	s := &segment{ids: ids, vals: vals, alive: make([]uint64, (n+63)/64)}
	for i := range s.alive {
		s.alive[i] = ^uint64(0)
	}
	if r := n & 63; r != 0 {
		s.alive[len(s.alive)-1] = 1<<r - 1
	}
	s.nAlive.Store(int64(n))
	s.b, s.m = chooseParams(n)
	s.plans = make([]plan, maxDist+1)
	maxW := -1
	for d := range s.plans {
		p := makePlan(n, s.b, s.m, d)
		s.plans[d] = p
		for _, t := range p.t {
			maxW = max(maxW, int(t))
		}
	}
	if s.b == 0 {
		return s
	}
	for w := 0; w <= maxW; w++ {
		s.masks = append(s.masks, masksOfWeight(s.b, w))
	}
	s.dirs = make([][]uint32, s.m)
	s.ents = make([][]uint32, s.m)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i := 0; i < s.m; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			s.dirs[i], s.ents[i] = buildTable(vals, uint(i*s.b), uint(s.b))
		}()
	}
	wg.Wait()
	return s
}

// buildTable counting-sorts the rows by the part at bit offset off.
func buildTable(vals [][4]uint64, off, b uint) (dir, ent []uint32) {
	dir = make([]uint32, 1<<b+1)
	ent = make([]uint32, len(vals))
	for i := range vals {
		dir[partKey(&vals[i], off, b)+1]++
	}
	for k := 1; k < len(dir); k++ {
		dir[k] += dir[k-1]
	}
	// Scatter using dir[k] as the cursor of bucket k, which leaves dir[k]
	// at the end of bucket k = start of bucket k+1; shift back afterwards.
	for i := range vals {
		k := partKey(&vals[i], off, b)
		ent[dir[k]] = uint32(i)
		dir[k]++
	}
	copy(dir[1:], dir[:len(dir)-1])
	dir[0] = 0
	return dir, ent
}

// isAlive reports whether row r is live.
func isAlive(alive []uint64, r uint32) bool {
	return atomic.LoadUint64(&alive[r>>6])&(1<<(r&63)) != 0
}

// kill clears row r's live bit and reports whether it was set.
func kill(alive []uint64, r uint32) bool {
	old := atomic.AndUint64(&alive[r>>6], ^(uint64(1) << (r & 63)))
	return old&(1<<(r&63)) != 0
}

// find returns the row of id, or −1.
func (s *segment) find(id uint64) int {
	lo, hi := 0, len(s.ids)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if s.ids[mid] < id {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(s.ids) && s.ids[lo] == id {
		return lo
	}
	return -1
}

// remove kills the live row holding id and reports whether there was one.
func (s *segment) remove(id uint64) bool {
	r := s.find(id)
	if r < 0 || !kill(s.alive, uint32(r)) {
		return false
	}
	s.nAlive.Add(-1)
	return true
}

// rawMatch is a match before sorting.
type rawMatch struct {
	id   uint64
	dist int
}

// scratch holds per-query buffers.
type scratch struct {
	ranges  []uint32
	cands   []uint32
	rbounds []int
	cbounds []int
	out     []rawMatch
	ms      []Match
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// search appends the live rows within d of q to out.
func (s *segment) search(q *[4]uint64, d int, sc *scratch, out []rawMatch) []rawMatch {
	if len(s.ids) == 0 || s.nAlive.Load() == 0 {
		return out
	}
	p := &s.plans[min(d, maxDist)]
	if p.scan {
		return scanRows(s.vals, s.ids, s.alive, q, d, out)
	}
	b := uint(s.b)
	var qk [32]uint32
	for i := 0; i < s.m; i++ {
		qk[i] = partKey(q, uint(i)*b, b)
	}

	// Phase 1: directory loads for every probed key; no branch depends on
	// the loaded values, so the misses overlap.
	ranges := sc.ranges[:0]
	bounds := sc.rbounds[:0]
	for i, t := range p.t {
		if t < 0 {
			continue
		}
		dir := s.dirs[i]
		k0 := qk[i]
		for w := 0; w <= int(t); w++ {
			for _, mk := range s.masks[w] {
				k := k0 ^ mk
				ranges = append(ranges, dir[k], dir[k+1])
			}
		}
		bounds = append(bounds, len(ranges))
	}

	// Phase 2: gather candidate rows per part.
	cands := sc.cands[:0]
	bi, rs := 0, 0
	cb := sc.cbounds[:0]
	for i, t := range p.t {
		if t < 0 {
			continue
		}
		ent := s.ents[i]
		re := bounds[bi]
		for j := rs; j < re; j += 2 {
			cands = append(cands, ent[ranges[j]:ranges[j+1]]...)
		}
		rs = re
		bi++
		cb = append(cb, len(cands))
	}

	// Phase 3: verify. A match found through part i is reported only if no
	// earlier probed part would have found it.
	q0, q1, q2, q3 := q[0], q[1], q[2], q[3]
	vals := s.vals
	bi, cs := 0, 0
	for i, t := range p.t {
		if t < 0 {
			continue
		}
		ce := cb[bi]
		bi++
		for _, r := range cands[cs:ce] {
			v := &vals[r]
			dist := bits.OnesCount64(v[0]^q0) + bits.OnesCount64(v[1]^q1) +
				bits.OnesCount64(v[2]^q2) + bits.OnesCount64(v[3]^q3)
			if dist > d {
				continue
			}
			dup := false
			for j := 0; j < i; j++ {
				if tj := int(p.t[j]); tj >= 0 &&
					bits.OnesCount32(partKey(v, uint(j)*b, b)^qk[j]) <= tj {
					dup = true
					break
				}
			}
			if !dup && isAlive(s.alive, r) {
				out = append(out, rawMatch{s.ids[r], dist})
			}
		}
		cs = ce
	}
	sc.ranges, sc.cands, sc.rbounds, sc.cbounds = ranges, cands, bounds, cb
	return out
}

// scanRows appends the live rows of vals within d of q to out.
func scanRows(vals [][4]uint64, ids []uint64, alive []uint64, q *[4]uint64, d int, out []rawMatch) []rawMatch {
	q0, q1, q2, q3 := q[0], q[1], q[2], q[3]
	ids = ids[:len(vals)]
	for r := range vals {
		v := &vals[r]
		dist := bits.OnesCount64(v[0]^q0) + bits.OnesCount64(v[1]^q1) +
			bits.OnesCount64(v[2]^q2) + bits.OnesCount64(v[3]^q3)
		if dist <= d && isAlive(alive, uint32(r)) {
			out = append(out, rawMatch{ids[r], dist})
		}
	}
	return out
}
