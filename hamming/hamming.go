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
// i has H(x_i, q_i) ≤ t_i (t_i = −1 skips a part). Each part has a table
// that is one array of row numbers sorted by the part's value plus a dense
// offsets directory, so a bucket is a contiguous range and a probe is two
// loads. A query enumerates, for each part, every key within t_i of the
// query's part, gathers the rows, and checks each against the full 256-bit
// value. The thresholds are balanced by a cost model (greedy over a convex
// cost, which is optimal), and a part's table reports a candidate only if
// no earlier part's probe would have found it, so no set is needed for
// de-duplication. When the model says a linear scan is cheaper (large d),
// the segment is scanned instead.
//
// The query runs in phases so that the CPU can overlap cache misses: first
// all directory loads (no data-dependent branches), then the row gathers,
// then the verification loads. b and m are chosen from the number of rows
// to bound memory (about 100 bytes per stored hash including the 32-byte
// value and the 8-byte id).
//
// # Concurrency
//
// Readers never take a lock. Data lives in immutable segments (sorted by id,
// with tables) and small append-only memtables; an atomic pointer names the
// current set. Writers (Add, Remove) hold a mutex for O(log n) work:
// removal clears a bit in an atomically updated liveness bitmap; addition
// appends to the active memtable and publishes the new length atomically.
// Full memtables are frozen and merged into segments by one background
// goroutine (size-tiered, so at most about log2(N/4096) segments); the
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

// Hash is a 256-bit hash: bit b is bit b&63 of word b>>6.
type Hash = [4]uint64

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
