package hamming

import (
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Cost model, in nanoseconds, calibrated on the reference machine (2-core
// AMD EPYC VM) with the tuning harness (tune_test.go). It is used to pick a
// segment's geometry, to balance the per-part thresholds and to choose
// between probing and scanning.
var (
	costRangeSmall = 12.0 // one bucket range, directories and entries cache-resident
	costRangeDir   = 24.0 // one bucket range, directories cache-resident
	costRangeMiss  = 45.0 // one bucket range whose directory line misses too
	costEntry      = 2.4  // one entry filtered on its inline low key bits
	costScan       = 2.2  // one row of a linear scan
)

// costRange is the cost of reading one bucket range of a geometry on n rows.
func costRange(n int, g geometry) float64 {
	dirBytes := 4 * (1 << g.dbits) * g.m
	switch {
	case dirBytes+4*n*g.m <= 8<<20:
		return costRangeSmall
	case dirBytes <= 8<<20:
		return costRangeDir
	}
	return costRangeMiss
}

// costCand is the cost of verifying one candidate, a random load from an
// array of 16·n bytes.
func costCand(n int) float64 {
	switch bytes := 16 * n; {
	case bytes <= 4<<20:
		return 6
	case bytes <= 8<<20:
		return 15
	case bytes <= 32<<20:
		return 30
	}
	return 35
}

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

// geometry is the shape of a segment's tables. Part i is the b-bit key at
// bits [i·b, i·b+b) of the value; m·b ≤ 256, the bits past m·b are only
// used in verification. A part's table is a directory over the high
// dbits = b − lbits bits of the key (2^dbits+1 offsets) and one uint32 entry
// per row, sorted by the high bits, holding the row in its low rowBits and
// the key's low lbits above them. A probe with threshold t enumerates the
// high keys within t of the query's and filters each bucket's entries by the
// inline low bits, so it finds exactly the rows whose b-bit key is within t
// while touching only V(dbits, t) buckets; the directory stays small.
type geometry struct {
	b, m, dbits, lbits, rowBits int
}

// segment is an immutable set of rows sorted by id, with one table per part.
// Only the liveness bitmap changes after construction (atomically).
type segment struct {
	ids    []uint64     // sorted ascending, unique
	lo, hi [][2]uint64  // words 0–1 and 2–3 of each value; row order = id order
	alive  []uint64     // bit per row; atomic access
	nAlive atomic.Int64 // number of set bits in alive
	g      geometry     // zero b: no tables, scan only
	dirs   [][]uint32   // per part: 2^dbits+1 bucket offsets into ents
	ents   [][]uint32   // per part: low<<rowBits | row, sorted by high key
	masks  [][]uint32   // masks[w] = all dbits-bit masks of weight w
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
	return uint32(x & (1<<b - 1))
}

// Phase timing (tuning only; not safe for concurrent searches).
var (
	phaseTiming bool
	phaseNanos  [4]int64
	phaseCounts [2]int64
)

var timeBase = time.Now()

func nanotime() int64 { return int64(time.Since(timeBase)) }

// Overrides of the geometry choice (tests and tuning only).
var (
	partBitsOverride int  // b
	dirBitsOverride  int  // dbits
	forceIndex       bool // never fall back to a scan
)

// chooseGeometry picks the geometry for a segment of n rows: the directory
// width (about n/8 to n/32 buckets, at most 2^20) and the key width b (hence
// m = 256/b parts) that minimise the modelled cost of a query at distance
// 31, the PDQ match threshold. Tables cost 4·m + 4·m·2^dbits/n bytes per
// row, about 44–50 at 1M and 10M rows.
func chooseGeometry(n int) geometry {
	if n < minIndexedRows {
		return geometry{}
	}
	rowBits := max(1, bits.Len(uint(n-1)))
	lg := int(math.Round(math.Log2(float64(n))))
	best, bestCost := geometry{}, math.Inf(1)
	for dbits := max(lg-5, 8); dbits <= min(lg-3, 20); dbits++ {
		if dirBitsOverride > 0 && dbits != dirBitsOverride {
			continue
		}
		for b := dbits; b <= min(32, dbits+32-rowBits); b++ {
			if partBitsOverride > 0 && b != partBitsOverride {
				continue
			}
			g := geometry{b: b, m: 256 / b, dbits: dbits, lbits: b - dbits, rowBits: rowBits}
			if _, c := thresholds(n, g, 31); c < bestCost {
				best, bestCost = g, c
			}
		}
	}
	if best.b == 0 { // overrides outside the usable range
		dbits := dirBitsOverride
		if dbits == 0 {
			dbits = min(max(lg-4, 8), 20)
		}
		b := min(max(partBitsOverride, dbits), dbits+32-rowBits)
		best = geometry{b: b, m: 256 / b, dbits: dbits, lbits: b - dbits, rowBits: rowBits}
	}
	return best
}

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

// ball returns the number of n-bit values within distance t of a value.
func ball(n, t int) float64 {
	v := 0.0
	for w := 0; w <= t && w <= n; w++ {
		v += binom(n, w)
	}
	return v
}

// thresholds balances thresholds over the parts for distance d and returns
// them with the modelled cost of the probe (+Inf if some threshold would
// cover a whole part, where the index cannot help).
//
// Start every part at −1 and raise the cheapest part until
// Σ t_i ≥ d − m + 1. All parts have the same convex cost, so this greedy
// allocation is the balanced one and is optimal.
func thresholds(n int, g geometry, d int) ([]int8, float64) {
	need := d + 1 // = (d − m + 1) − (−m)
	t := make([]int8, g.m)
	rangeCost := costRange(n, g)
	perBucket := float64(n) / float64(uint64(1)<<g.dbits)
	perKey := float64(n) / float64(uint64(1)<<g.b)
	cand := costCand(n)
	cost := 0.0
	for i := range t {
		ti := -1 + need/g.m
		if i < need%g.m {
			ti++
		}
		if ti >= g.b || ti > 60 {
			return nil, math.Inf(1)
		}
		t[i] = int8(ti)
		if ti < 0 {
			continue
		}
		ranges := ball(g.dbits, ti)
		cost += ranges*(rangeCost+perBucket*costEntry) + ball(g.b, ti)*perKey*cand
	}
	return t, cost
}

// makePlan chooses how to answer distance d on n rows.
func makePlan(n int, g geometry, d int) plan {
	if g.b == 0 {
		return plan{scan: true}
	}
	t, cost := thresholds(n, g, d)
	// The model underestimates large probes (their buffers outgrow the
	// caches), so the index must look 1.55 times cheaper than the scan; this
	// reproduces the measured crossovers (d ≈ 54 at 100k rows, 52 at 1M,
	// 54 at 10M).
	if t == nil || (1.55*cost >= costScan*float64(n) && !forceIndex) {
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
// takes ownership of the slices.
//
// Values are stored as two arrays of 128-bit halves: verification loads the
// first half, and only if its distance alone is ≤ d (for d ≤ 31 almost never
// for a non-match) the second. The first-half array is half the size of
// whole values, so more of it stays in cache, at no cost in memory.
func newSegment(ids []uint64, lo, hi [][2]uint64) *segment {
	n := len(ids)
	if uint64(n) >= 1<<32 {
		panic("hamming: a segment holds fewer than 2^32 values")
	}
	s := &segment{ids: ids, lo: lo, hi: hi, alive: make([]uint64, (n+63)/64)}
	for i := range s.alive {
		s.alive[i] = ^uint64(0)
	}
	if r := n & 63; r != 0 {
		s.alive[len(s.alive)-1] = 1<<r - 1
	}
	s.nAlive.Store(int64(n))
	s.g = chooseGeometry(n)
	s.plans = make([]plan, maxDist+1)
	maxW := -1
	for d := range s.plans {
		p := makePlan(n, s.g, d)
		s.plans[d] = p
		for _, t := range p.t {
			maxW = max(maxW, int(t))
		}
	}
	if s.g.b == 0 {
		return s
	}
	for w := 0; w <= min(maxW, s.g.dbits); w++ {
		s.masks = append(s.masks, masksOfWeight(s.g.dbits, w))
	}
	s.dirs = make([][]uint32, s.g.m)
	s.ents = make([][]uint32, s.g.m)
	// One goroutine per core, each with its own scratch buffer.
	var wg sync.WaitGroup
	var next atomic.Int32
	for w := 0; w < min(runtime.GOMAXPROCS(0), s.g.m); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var tmp []uint64
			for {
				i := int(next.Add(1)) - 1
				if i >= s.g.m {
					return
				}
				s.dirs[i], s.ents[i] = buildTable(lo, hi, uint(i*s.g.b), s.g, &tmp)
			}
		}()
	}
	wg.Wait()
	return s
}

// buildTable counting-sorts the rows by the high bits of the part at bit
// offset off. Directories larger than the caches are built by a two-level
// radix partition, so no pass scatters at random over a large array.
// *tmp is scratch space, reused across calls.
func buildTable(lo, hi [][2]uint64, off uint, g geometry, tmp *[]uint64) (dir, ent []uint32) {
	dir = make([]uint32, 1<<g.dbits+1)
	ent = make([]uint32, len(lo))
	hi = hi[:len(lo)]
	b, lb, rb := uint(g.b), uint(g.lbits), uint(g.rowBits)
	lmask := uint32(1)<<lb - 1
	const subBits = 12 // second-level directories of 4K buckets (16 KB)
	if g.dbits <= subBits+2 || len(lo) < 1<<18 {
		for i := range lo {
			v := [4]uint64{lo[i][0], lo[i][1], hi[i][0], hi[i][1]}
			dir[partKey(&v, off, b)>>lb+1]++
		}
		for k := 1; k < len(dir); k++ {
			dir[k] += dir[k-1]
		}
		// Scatter using dir[k] as the cursor of bucket k, which leaves
		// dir[k] at the end of bucket k = start of bucket k+1; shift back.
		for i := range lo {
			v := [4]uint64{lo[i][0], lo[i][1], hi[i][0], hi[i][1]}
			key := partKey(&v, off, b)
			k := key >> lb
			ent[dir[k]] = (key&lmask)<<rb | uint32(i)
			dir[k]++
		}
		copy(dir[1:], dir[:len(dir)-1])
		dir[0] = 0
		return dir, ent
	}
	// Level 1: partition (high key, entry) pairs by the top bits of the
	// high key into tmp, in 2^(dbits−subBits) sequential streams.
	shift := uint(subBits)
	parts := 1 << (uint(g.dbits) - shift)
	start := make([]int, parts+1)
	for i := range lo {
		v := [4]uint64{lo[i][0], lo[i][1], hi[i][0], hi[i][1]}
		start[partKey(&v, off, b)>>lb>>shift+1]++
	}
	for p := 1; p <= parts; p++ {
		start[p] += start[p-1]
	}
	if cap(*tmp) < len(lo) {
		*tmp = make([]uint64, len(lo))
	}
	buf := (*tmp)[:len(lo)]
	cur := slices.Clone(start[:parts])
	for i := range lo {
		v := [4]uint64{lo[i][0], lo[i][1], hi[i][0], hi[i][1]}
		key := partKey(&v, off, b)
		h := key >> lb
		p := h >> shift
		buf[cur[p]] = uint64(h)<<32 | uint64((key&lmask)<<rb|uint32(i))
		cur[p]++
	}
	// Level 2: within each partition, a counting sort over 2^subBits
	// buckets whose directory slice and output range are cache-resident.
	smask := uint64(1)<<shift - 1
	for p := 0; p < parts; p++ {
		seg := buf[start[p]:start[p+1]]
		sub := dir[p<<shift : (p+1)<<shift+1]
		for _, x := range seg {
			sub[(x>>32)&smask+1]++
		}
		sub[0] = uint32(start[p])
		for k := 1; k < len(sub); k++ {
			sub[k] += sub[k-1]
		}
		for _, x := range seg {
			k := (x >> 32) & smask
			ent[sub[k]] = uint32(x)
			sub[k]++
		}
		// sub[k] now holds the end of bucket k; shift back by one.
		copy(sub[1:], sub[:len(sub)-1])
		sub[0] = uint32(start[p])
	}
	dir[len(dir)-1] = uint32(len(lo))
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
	surv    []uint32
	out     []rawMatch
	sink    uint32 // keeps the touch loads of phase 2a alive
	ms      []Match
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// maxKept is the largest buffer (in elements) a scratch keeps for reuse, so
// that one query at a large distance does not pin a large buffer.
const maxKept = 1 << 20

// putScratch returns sc to the pool, dropping oversized buffers.
func putScratch(sc *scratch) {
	if cap(sc.ranges) > 3*maxKept {
		sc.ranges = nil
	}
	if cap(sc.cands) > maxKept {
		sc.cands = nil
	}
	if cap(sc.surv) > maxKept {
		sc.surv = nil
	}
	if cap(sc.out) > maxKept/16 {
		sc.out = nil
	}
	scratchPool.Put(sc)
}

// search appends the live rows within d of q to out.
func (s *segment) search(q *[4]uint64, d int, sc *scratch, out []rawMatch) []rawMatch {
	if len(s.ids) == 0 || s.nAlive.Load() == 0 {
		return out
	}
	p := &s.plans[min(d, maxDist)]
	if p.scan {
		return scanHalves(s.lo, s.hi, s.ids, s.alive, q, d, out)
	}
	g := s.g
	b, lb, rb := uint(g.b), uint(g.lbits), uint(g.rowBits)
	var qk [32]uint32
	for i := 0; i < g.m; i++ {
		qk[i] = partKey(q, uint(i)*b, b)
	}
	var t0 int64
	if phaseTiming {
		t0 = nanotime()
	}

	// Phase 1: directory loads for every probed high key: (start, end,
	// allowed low distance) triples. No branch depends on the loaded
	// values, so the misses overlap.
	ranges := sc.ranges[:0]
	bounds := sc.rbounds[:0]
	for i, t := range p.t {
		if t < 0 {
			continue
		}
		ranges = probeDir(ranges, s.dirs[i], s.masks, qk[i]>>lb, int(t))
		bounds = append(bounds, len(ranges))
	}
	if phaseTiming {
		t0 = phaseMark(0, t0)
	}

	// Phase 2a: touch the first and last entry of every bucket. The loads
	// are independent and the loop is short, so many misses overlap; the
	// filtering loop below then finds its entries in cache. (The filtering
	// loop does several instructions per entry, which would limit the
	// misses in flight to a few buckets.)
	var sink uint32
	total := 0
	bi, rs := 0, 0
	for i, t := range p.t {
		if t < 0 {
			continue
		}
		re := bounds[bi]
		bi++
		x, n := touch(s.ents[i], ranges[rs:re])
		sink += x
		total += n
		rs = re
	}
	sc.sink += sink
	if phaseTiming {
		t0 = phaseMark(1, t0)
	}

	// Phase 2b: scan each bucket's entries, keeping the rows whose low key
	// bits are within the allowed distance (branch-free compaction).
	cands := slices.Grow(sc.cands[:0], total)[:total]
	nc := 0
	cb := sc.cbounds[:0]
	bi, rs = 0, 0
	for i, t := range p.t {
		if t < 0 {
			continue
		}
		re := bounds[bi]
		bi++
		nc += filter(cands[nc:], s.ents[i], ranges[rs:re], qk[i]&(1<<lb-1), rb)
		rs = re
		cb = append(cb, nc)
	}
	cands = cands[:nc]
	if phaseTiming {
		t0 = phaseMark(2, t0)
	}

	// Phase 3: verify, first on the low halves (one pass over all
	// candidates, compacting survivors without branches), then on the high
	// halves. A match found through part i is reported only if no earlier
	// probed part would have found it.
	surv := slices.Grow(sc.surv[:0], nc)[:nc]
	bi, cs := 0, 0
	for i, t := range p.t {
		if t < 0 {
			continue
		}
		ce := cb[bi]
		bi++
		k := filterLow(surv, cands[cs:ce], s.lo, q, d)
		cs = ce
		for _, r := range surv[:k] {
			h := &s.hi[r]
			l := &s.lo[r]
			dist := bits.OnesCount64(l[0]^q[0]) + bits.OnesCount64(l[1]^q[1]) +
				bits.OnesCount64(h[0]^q[2]) + bits.OnesCount64(h[1]^q[3])
			if dist > d {
				continue
			}
			v := [4]uint64{l[0], l[1], h[0], h[1]}
			dup := false
			for j := 0; j < i; j++ {
				if tj := int(p.t[j]); tj >= 0 &&
					bits.OnesCount32(partKey(&v, uint(j)*b, b)^qk[j]) <= tj {
					dup = true
					break
				}
			}
			if !dup && isAlive(s.alive, r) {
				out = append(out, rawMatch{s.ids[r], dist})
			}
		}
	}
	sc.ranges, sc.cands, sc.rbounds, sc.cbounds, sc.surv = ranges, cands, bounds, cb, surv
	if phaseTiming {
		phaseMark(3, t0)
		phaseCounts[0] += int64(len(ranges) / 3)
		phaseCounts[1] += int64(len(cands))
	}
	return out
}

// phaseMark adds the time since t0 to phase i and returns the time now.
func phaseMark(i int, t0 int64) int64 {
	t1 := nanotime()
	phaseNanos[i] += t1 - t0
	return t1
}

// probeDir appends a (start, end, allowed low distance) triple for every
// high key within t of kh.
func probeDir(ranges, dir []uint32, masks [][]uint32, kh uint32, t int) []uint32 {
	for w := 0; w <= t && w < len(masks); w++ {
		allowed := uint32(t - w)
		for _, mk := range masks[w] {
			k := kh ^ mk
			ranges = append(ranges, dir[k], dir[k+1], allowed)
		}
	}
	return ranges
}

// touch loads the first entry of every range (and the entry just past it)
// and returns their sum, to be kept, and the total length of the ranges.
func touch(ent, ranges []uint32) (uint32, int) {
	var sink uint32
	total := 0
	last := uint32(len(ent) - 1)
	for j := 0; j+2 < len(ranges); j += 3 {
		lo, hi := ranges[j], ranges[j+1]
		sink += ent[min(lo, last)] + ent[min(hi, last)]
		total += int(hi - lo)
	}
	return sink, total
}

// filter writes to dst the rows of the entries in ranges whose inline low
// key bits are within the range's allowed distance of qlow, and returns
// their number. Most ranges allow distance 0 (their high key already uses
// the whole threshold) and take an equality loop; the others count bits
// with a call-free popcount (math/bits would leave a fallback call in the
// loop on GOAMD64=v1, which makes the compiler spill every variable).
func filter(dst, ent, ranges []uint32, qlow uint32, rb uint) int {
	rowMask := uint32(1)<<rb - 1
	n := 0
	for j := 0; j+2 < len(ranges); j += 3 {
		es := ent[ranges[j]:ranges[j+1]]
		out := dst[n:]
		out = out[:len(es)]
		k := 0
		if allowed := ranges[j+2]; allowed == 0 {
			for _, e := range es {
				out[k] = e & rowMask
				k += int((e>>rb ^ qlow - 1) >> 31)
			}
		} else {
			for _, e := range es {
				out[k] = e & rowMask
				k += int((allowed-popcount32(e>>rb^qlow))>>31 ^ 1)
			}
		}
		n += k
	}
	return n
}

// popcount32 counts the set bits of x without branches or calls.
func popcount32(x uint32) uint32 {
	x -= (x >> 1) & 0x55555555
	x = x&0x33333333 + (x>>2)&0x33333333
	x = (x + x>>4) & 0x0f0f0f0f
	return x * 0x01010101 >> 24
}

// filterLow writes to dst the rows whose low half is within d of q's and
// returns their number.
func filterLow(dst, rows []uint32, lo [][2]uint64, q *[4]uint64, d int) int {
	q0, q1 := q[0], q[1]
	dst = dst[:len(rows)]
	k := 0
	for _, r := range rows {
		h := &lo[r]
		dist := bits.OnesCount64(h[0]^q0) + bits.OnesCount64(h[1]^q1)
		dst[k] = r
		k += int(uint(d-dist)>>63 ^ 1)
	}
	return k
}

// scanHalves appends the live rows within d of q to out.
func scanHalves(lo, hi [][2]uint64, ids []uint64, alive []uint64, q *[4]uint64, d int, out []rawMatch) []rawMatch {
	q0, q1, q2, q3 := q[0], q[1], q[2], q[3]
	hi = hi[:len(lo)]
	ids = ids[:len(lo)]
	for r := range lo {
		l, h := &lo[r], &hi[r]
		dist := bits.OnesCount64(l[0]^q0) + bits.OnesCount64(l[1]^q1) +
			bits.OnesCount64(h[0]^q2) + bits.OnesCount64(h[1]^q3)
		if dist <= d && isAlive(alive, uint32(r)) {
			out = append(out, rawMatch{ids[r], dist})
		}
	}
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
