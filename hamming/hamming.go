// Package hamming is an exact Hamming-distance index for 256-bit hashes
// (PDQ and similar perceptual hashes) and exact-value maps for
// cryptographic digests.
//
// # Index
//
// An [Index] stores (id, value) pairs, where a value is a 256-bit hash held
// as [4]uint64 (bit b of the hash is bit b&63 of word b>>6), and answers
// "every stored value within Hamming distance d of q" exactly, for any d from
// 0 to 256 (it is tuned for d ≤ 64, the range that matters for PDQ).
//
// The search structure is a multi-index hash with the generalised pigeonhole
// principle (Qin et al., "GPH: Similarity Search in Hamming Space", ICDE
// 2018): the first m·b bits of a hash are cut into m parts of b bits. If
// H(x, q) ≤ d, then for any thresholds t_i with Σ t_i ≥ d − m + 1 some part
// i has H(x_i, q_i) ≤ t_i (t_i = −1 skips a part). The thresholds are
// balanced (greedy over a convex cost, which is optimal), so d = 0 probes
// one part, d = 15 with 16 parts probes each part exactly, and d = 31 with
// 11 parts probes ten parts at radius 2 and one at radius 1.
//
// Each part's table is a counting-sorted array with one uint32 per row, plus
// a directory of bucket offsets over the top dbits bits of the part's key.
// The entry holds the row number and, above it, the key's remaining
// b − dbits low bits. A probe at radius t enumerates the V(dbits, t) high
// keys within t of the query's, and filters each bucket's entries by their
// inline low bits, so it yields exactly the rows whose b-bit key is within
// t while touching far fewer buckets than a b-bit directory would, and the
// directory stays small (a key of 23 bits with a 16- to 20-bit directory at
// 1M–10M hashes). A candidate found through part i is dropped if an earlier
// part's probe also covers it, so no set is needed for de-duplication.
// Values are kept as two arrays of 128-bit halves: a candidate is checked
// on its first half (half the bytes, so more of the array stays in cache),
// and only if that alone is within d on the second.
//
// A query runs in phases so that the CPU overlaps its cache misses: all
// directory loads; one touch of every bucket; the branch-free filtering of
// the buckets; the verification. Geometry (b, dbits) is chosen per segment
// from its size with a cost model calibrated on the benchmark machine, and
// the same model switches a segment to a linear scan where that is cheaper
// (from d ≈ 52 at 1M hashes and d ≈ 56 at 10M, the measured crossovers).
//
// Memory per stored hash: 32 bytes of value, 8 of id, 4·m of entries and
// 4·m·2^dbits/N of directory, about 90 bytes at 1M and 10M.
//
// # Concurrency
//
// Readers never take a lock. Data lives in immutable segments (sorted by id,
// with tables) and small append-only memtables; an atomic pointer names the
// current set. Writers (Add, Remove) hold a mutex for O(log n) work:
// removal clears a bit in an atomically updated liveness bitmap; addition
// appends to the active memtable and publishes the new length atomically.
// Full memtables are frozen and merged into segments by one background
// goroutine (size-tiered by a factor of 8, so at most about log8(N/4096)
// segments: 3 at 1M); the
// merged segment replaces its sources with one atomic pointer swap, after
// the removals made during the merge have been applied to it. See [Index].
//
// # Exact maps
//
// [Exact128] and [Exact256] map MD5 and SHA-256 digests to ids.
package hamming

import (
	"cmp"
	"math/bits"
	"slices"
)

// Match is one search result: the id of a stored value and its Hamming
// distance to the query.
type Match struct {
	ID       uint64
	Distance int
}

// Distance returns the Hamming distance between a and b.
func Distance(a, b [4]uint64) int {
	return bits.OnesCount64(a[0]^b[0]) + bits.OnesCount64(a[1]^b[1]) +
		bits.OnesCount64(a[2]^b[2]) + bits.OnesCount64(a[3]^b[3])
}

// BruteForce returns every i with Distance(vals[i], q) ≤ d as a Match with
// ID i, sorted by distance then id. It is the reference for the index.
func BruteForce(vals [][4]uint64, q [4]uint64, d int) []Match {
	var out []Match
	for i := range vals {
		if dist := Distance(vals[i], q); dist <= d {
			out = append(out, Match{ID: uint64(i), Distance: dist})
		}
	}
	SortMatches(out)
	return out
}

// SortMatches sorts ms by distance, then id.
func SortMatches(ms []Match) {
	slices.SortFunc(ms, func(a, b Match) int {
		if c := cmp.Compare(a.Distance, b.Distance); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}
