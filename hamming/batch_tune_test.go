package hamming

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kspplatform/ksp/hamming/gen"
)

func TestTuneBatch(t *testing.T) {
	dir := os.Getenv("HAMMING_TUNE")
	if dir == "" {
		t.Skip("set HAMMING_TUNE")
	}
	base, err := gen.ReadFile(filepath.Join(dir, "uniform_10M.bin"), 1000000)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]uint64, len(base))
	for i := range ids {
		ids[i] = uint64(i)
	}
	ix := Build(ids, base)
	qs := gen.Queries(base, 1000, 107)
	for rep := 0; rep < 3; rep++ {
		t0 := time.Now()
		for _, q := range qs {
			ix.Search(q, 31)
		}
		seq := time.Since(t0)
		t0 = time.Now()
		ix.SearchBatch(qs, 31)
		bat := time.Since(t0)
		t.Logf("sequential %.0f q/s, batch %.0f q/s", 1000/seq.Seconds(), 1000/bat.Seconds())
	}
}
