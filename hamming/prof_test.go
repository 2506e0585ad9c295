package hamming

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kspplatform/ksp/hamming/gen"
)

func BenchmarkTuneSearch(b *testing.B) {
	dir := os.Getenv("HAMMING_TUNE")
	if dir == "" {
		b.Skip("set HAMMING_TUNE")
	}
	base, err := gen.ReadFile(filepath.Join(dir, "uniform_10M.bin"), 1000000)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]uint64, len(base))
	for i := range ids {
		ids[i] = uint64(i)
	}
	if v := os.Getenv("HAMMING_TUNE_B"); v != "" {
		fmt.Sscan(v, &partBitsOverride)
		defer func() { partBitsOverride = 0 }()
	}
	ix := Build(ids, base)
	qs := gen.Queries(base, 1000, 107)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ix.Search(qs[i%len(qs)], 31)
	}
}
