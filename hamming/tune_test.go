package hamming

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp/hamming/gen"
)

// TestTune measures single-query p50 latency over part widths and distances
// on the benchmark data. It runs only with HAMMING_TUNE=dir (holding
// uniform_10M.bin or clustered_10M.bin from pdqbench); HAMMING_TUNE_N,
// HAMMING_TUNE_B and HAMMING_TUNE_D are comma-separated lists.
func TestTune(t *testing.T) {
	dir := os.Getenv("HAMMING_TUNE")
	if dir == "" {
		t.Skip("set HAMMING_TUNE to the pdqbench data directory")
	}
	list := func(env, def string) []int {
		s := os.Getenv(env)
		if s == "" {
			s = def
		}
		var out []int
		for _, f := range strings.Split(s, ",") {
			v, err := strconv.Atoi(f)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		return out
	}
	kind := os.Getenv("HAMMING_TUNE_KIND")
	if kind == "" {
		kind = "uniform"
	}
	ns := list("HAMMING_TUNE_N", "1000000")
	bs := list("HAMMING_TUNE_B", "0")
	dbs := list("HAMMING_TUNE_DB", "0")
	ds := list("HAMMING_TUNE_D", "31")
	base, err := gen.ReadFile(filepath.Join(dir, kind+"_10M.bin"), slices.Max(ns))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { partBitsOverride, dirBitsOverride, forceIndex = 0, 0, false }()
	for _, n := range ns {
		vals := base[:n]
		ids := make([]uint64, n)
		for i := range ids {
			ids[i] = uint64(i)
		}
		qs := gen.Queries(vals, 1000, 107)
		for gi, b := range bs {
			partBitsOverride, dirBitsOverride, forceIndex = b, dbs[gi%len(dbs)], os.Getenv("HAMMING_TUNE_FORCE") != ""
			t0 := time.Now()
			ix := Build(ids, vals)
			bt := time.Since(t0)
			st := ix.Stats()
			phaseTiming = true
			var ph [4][]int64
			for rep := 0; rep < 3; rep++ {
				for _, q := range qs {
					phaseNanos, phaseCounts = [4]int64{}, [2]int64{}
					ix.Search(q, 31)
					for k := range ph {
						ph[k] = append(ph[k], phaseNanos[k])
					}
				}
			}
			phaseTiming = false
			for k := range ph {
				slices.Sort(ph[k])
			}
			t.Logf("d=31 median phases µs: dir %.1f touch %.1f filter %.1f verify %.1f; ranges %d cands %d",
				float64(ph[0][len(ph[0])/2])/1e3, float64(ph[1][len(ph[0])/2])/1e3, float64(ph[2][len(ph[0])/2])/1e3, float64(ph[3][len(ph[0])/2])/1e3, phaseCounts[0], phaseCounts[1])
			line := fmt.Sprintf("n=%d b=%d m=%d dbits=%d build=%.2fs bytes/row=%.1f:", n, st.PartBits, st.Parts, st.DirBits, bt.Seconds(), float64(st.Bytes)/float64(n))
			for _, d := range ds {
				lat := make([]time.Duration, len(qs))
				for rep := 0; rep < 2; rep++ {
					for i, q := range qs {
						t0 := time.Now()
						ix.Search(q, d)
						if e := time.Since(t0); rep == 0 || e < lat[i] {
							lat[i] = e
						}
					}
				}
				slices.Sort(lat)
				line += fmt.Sprintf(" d%d=%.0fµs", d, float64(lat[len(lat)/2].Nanoseconds())/1e3)
			}
			// Scan for reference.
			seg := ix.st.Load().segs[0]
			var sl []time.Duration
			for i, q := range qs[:100] {
				_ = i
				t0 := time.Now()
				scanHalves(seg.lo, seg.hi, seg.ids, seg.alive, &q, 31, nil)
				sl = append(sl, time.Since(t0))
			}
			slices.Sort(sl)
			line += fmt.Sprintf(" scan=%.0fµs", float64(sl[len(sl)/2].Nanoseconds())/1e3)
			t.Log(line)
		}
	}
}

// BenchmarkTuneBuild builds HAMMING_TUNE_N (first value) hashes of the
// benchmark data (HAMMING_TUNE set).
func BenchmarkTuneBuild(b *testing.B) {
	dir := os.Getenv("HAMMING_TUNE")
	if dir == "" {
		b.Skip("set HAMMING_TUNE")
	}
	n := 1000000
	if s := os.Getenv("HAMMING_TUNE_N"); s != "" {
		n, _ = strconv.Atoi(strings.Split(s, ",")[0])
	}
	base, err := gen.ReadFile(filepath.Join(dir, "uniform_10M.bin"), n)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = uint64(i)
	}
	for b.Loop() {
		Build(ids, base)
	}
}

// TestTuneAdd adds HAMMING_TUNE_N (first value) hashes one at a time and
// reports the time, the segments and the query latency before and after
// Compact.
func TestTuneAdd(t *testing.T) {
	dir := os.Getenv("HAMMING_TUNE")
	if dir == "" {
		t.Skip("set HAMMING_TUNE to the pdqbench data directory")
	}
	n := 1000000
	if s := os.Getenv("HAMMING_TUNE_N"); s != "" {
		n, _ = strconv.Atoi(strings.Split(s, ",")[0])
	}
	base, err := gen.ReadFile(filepath.Join(dir, "uniform_10M.bin"), n)
	if err != nil {
		t.Fatal(err)
	}
	qs := gen.Queries(base, 1000, 107)
	ix := New()
	t0 := time.Now()
	for i, v := range base {
		ix.Add(uint64(i), v)
	}
	t.Logf("%d Adds: %.2f s (%.0f ns each)", n, time.Since(t0).Seconds(), float64(time.Since(t0).Nanoseconds())/float64(n))
	p50 := func() float64 {
		lat := make([]time.Duration, len(qs))
		for i, q := range qs {
			t0 := time.Now()
			ix.Search(q, 31)
			lat[i] = time.Since(t0)
		}
		slices.Sort(lat)
		return float64(lat[len(lat)/2].Nanoseconds()) / 1e3
	}
	t0 = time.Now()
	for {
		ix.mu.Lock()
		m := ix.merging
		ix.mu.Unlock()
		if !m {
			break
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("background merges finished %.2f s later", time.Since(t0).Seconds())
	st := ix.Stats()
	t.Logf("before Compact: %d segments, %d rows, %.1f bytes/value, p50 %.0f µs", st.Segments, st.Rows, float64(st.Bytes)/float64(n), p50())
	t0 = time.Now()
	ix.Compact()
	st = ix.Stats()
	t.Logf("Compact %.2f s: %d segments, %.1f bytes/value, p50 %.0f µs", time.Since(t0).Seconds(), st.Segments, float64(st.Bytes)/float64(n), p50())
}

// TestTuneBatch compares sequential searches with SearchBatch at 1M
// (HAMMING_TUNE set).
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
