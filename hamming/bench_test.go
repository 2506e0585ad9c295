package hamming

import (
	"fmt"
	"sync"
	"testing"

	"github.com/kspplatform/ksp/hamming/gen"
)

const benchN = 200_000

var benchData = sync.OnceValues(func() ([]uint64, [][4]uint64) {
	vals := gen.Base(gen.Clustered, benchN, 2)
	ids := make([]uint64, len(vals))
	for i := range ids {
		ids[i] = uint64(i)
	}
	return ids, vals
})

func BenchmarkBuild(b *testing.B) {
	ids, vals := benchData()
	for b.Loop() {
		Build(ids, vals)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchN, "ns/value")
}

func BenchmarkSearch(b *testing.B) {
	ids, vals := benchData()
	ix := Build(ids, vals)
	qs := gen.Queries(vals, 1000, 207)
	for _, d := range []int{0, 8, 16, 31, 48} {
		b.Run(fmt.Sprintf("d=%d", d), func(b *testing.B) {
			i := 0
			for b.Loop() {
				ix.Search(qs[i%len(qs)], d)
				i++
			}
		})
	}
}

func BenchmarkSearchBatch(b *testing.B) {
	ids, vals := benchData()
	ix := Build(ids, vals)
	qs := gen.Queries(vals, 1000, 207)
	for b.Loop() {
		ix.SearchBatch(qs, 31)
	}
	b.ReportMetric(float64(b.N*len(qs))/b.Elapsed().Seconds(), "queries/s")
}

func BenchmarkBruteForce(b *testing.B) {
	_, vals := benchData()
	qs := gen.Queries(vals, 1000, 207)
	i := 0
	for b.Loop() {
		BruteForce(vals, qs[i%len(qs)], 31)
		i++
	}
}

func BenchmarkAdd(b *testing.B) {
	_, vals := benchData()
	ix := New()
	i := 0
	for b.Loop() {
		ix.Add(uint64(i), vals[i%len(vals)])
		i++
	}
}
