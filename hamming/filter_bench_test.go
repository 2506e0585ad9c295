package hamming

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkFilterLoop measures the bucket filter on cache-resident entries.
func BenchmarkFilterLoop(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	ent := make([]uint32, 1<<14)
	for i := range ent {
		ent[i] = r.Uint32()
	}
	// Buckets of 0–15 entries; most ranges allow low distance 0, as at
	// d = 31 (120 of the 137 high keys of a radius-2 probe use it up).
	var ranges []uint32
	for i := 0; i+16 <= len(ent); i += 16 {
		allowed := uint32(0)
		if r.IntN(8) == 0 {
			allowed = 1 + uint32(r.IntN(2))
		}
		ranges = append(ranges, uint32(i), uint32(i+r.IntN(16)), allowed)
	}
	dst := make([]uint32, len(ent))
	for b.Loop() {
		filter(dst, ent, ranges, 5, 24)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(ent)), "ns/entry")
}
