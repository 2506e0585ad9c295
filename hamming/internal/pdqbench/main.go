// Command pdqbench runs the shared PDQ range-search benchmark
// (shared/bench/pdq-search) against package hamming and a brute-force scan
// in the same process.
//
// It generates the data sets with package gen (or reads them from -dir when
// present and of the right size), checks their SHA-256 prefixes against the
// published ones, and for every set and size reports build time, memory,
// single-core p50/p99 latency, two-core batch throughput and recall.
//
//	go run ./hamming/internal/pdqbench -dir /tmp/pdqbench
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kspplatform/ksp/hamming"
	"github.com/kspplatform/ksp/hamming/gen"
)

// sha256 prefixes published in the benchmark README.
var published = map[string]string{
	"uniform_10M.bin":      "83e4bbbbcffa701b",
	"clustered_10M.bin":    "3a70cf3ee1e617ac",
	"uniform_1M.q.bin":     "f9732388ff6c08a8",
	"clustered_1M.q.bin":   "7d9fc71807f2cd3c",
	"uniform_100k.q.bin":   "6fbf24d42d08370a",
	"clustered_100k.q.bin": "152b3a9e72faa842",
	"uniform_10M.q.bin":    "add27343a84694cd",
	"clustered_10M.q.bin":  "f5bd2cb38e8a08ed",
}

// Ground-truth match counts at d ≤ 31 over the 1,000 queries.
var truth = map[string]int{
	"uniform_100k": 500, "uniform_1M": 500, "uniform_10M": 500,
	"clustered_100k": 2784, "clustered_1M": 2523, "clustered_10M": 2787,
}

func main() {
	dir := flag.String("dir", "/tmp/pdqbench", "directory for the data files")
	sets := flag.String("sets", "uniform,clustered", "comma-separated kinds")
	sizes := flag.String("sizes", "1M,10M", "comma-separated sizes (100k, 1M, 10M)")
	dists := flag.String("d", "31", "comma-separated distances to measure")
	bruteQ := flag.Int("brute-queries", 1000, "queries timed for the brute-force scan (all are used for recall)")
	reps := flag.Int("reps", 3, "repetitions of the latency and throughput runs (best p50 is reported with all)")
	flag.Parse()
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("# pdqbench: %s, GOMAXPROCS=%d, %s\n", cpuModel(), runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Println("| set | N | d | geometry | build | bytes/hash: structure (heap delta) | p50 1 core | p99 1 core | queries/s 2 cores (batch) | scan p50 | matches found/brute force |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	for _, kindName := range strings.Split(*sets, ",") {
		kind, err := gen.ParseKind(kindName)
		if err != nil {
			log.Fatal(err)
		}
		seed, qseed := uint64(1), uint64(107)
		if kind == gen.Clustered {
			seed, qseed = 2, 207
		}
		base := loadBase(*dir, kind, seed)
		for _, sz := range strings.Split(*sizes, ",") {
			n := parseSize(sz)
			name := fmt.Sprintf("%s_%s", kind, sz)
			qs := loadQueries(*dir, name, base[:n], qseed)
			for _, ds := range strings.Split(*dists, ",") {
				d, err := strconv.Atoi(ds)
				if err != nil {
					log.Fatal(err)
				}
				run(name, base[:n], qs, d, *bruteQ, *reps)
			}
		}
	}
}

func run(name string, vals [][4]uint64, qs [][4]uint64, d, bruteQ, reps int) {
	n := len(vals)
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = uint64(i)
	}
	// Brute force: ground truth and single-core scan latency.
	want := make([][]hamming.Match, len(qs))
	var scanLat []time.Duration
	total := 0
	for i, q := range qs {
		t0 := time.Now()
		want[i] = scan(vals, q, d)
		if i < bruteQ {
			scanLat = append(scanLat, time.Since(t0))
		}
		total += len(want[i])
	}
	if exp, ok := truth[name]; ok && d == 31 && total != exp {
		log.Fatalf("%s: brute force found %d matches at d=31, README says %d", name, total, exp)
	}

	runtime.GC()
	debug.FreeOSMemory()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	t0 := time.Now()
	ix := hamming.Build(ids, vals)
	build := time.Since(t0)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	heapPer := float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)) / float64(n)
	st := ix.Stats()
	structPer := float64(st.Bytes) / float64(n)

	// Recall: every query, exact comparison with brute force.
	got := 0
	for i, q := range qs {
		r := ix.Search(q, d)
		if !slices.Equal(r, want[i]) && !(len(r) == 0 && len(want[i]) == 0) {
			log.Fatalf("%s d=%d query %d: index returned %d matches, brute force %d", name, d, i, len(r), len(want[i]))
		}
		got += len(r)
	}

	// Single-core latency: one goroutine, each query timed.
	var best []time.Duration
	for rep := 0; rep < reps; rep++ {
		lat := make([]time.Duration, len(qs))
		for i, q := range qs {
			t0 := time.Now()
			ix.Search(q, d)
			lat[i] = time.Since(t0)
		}
		slices.Sort(lat)
		if best == nil || lat[len(lat)/2] < best[len(best)/2] {
			best = lat
		}
	}
	// Throughput: batches over all cores.
	bestQPS := 0.0
	for rep := 0; rep < reps; rep++ {
		t0 := time.Now()
		const rounds = 5
		for r := 0; r < rounds; r++ {
			ix.SearchBatch(qs, d)
		}
		bestQPS = max(bestQPS, float64(rounds*len(qs))/time.Since(t0).Seconds())
	}
	slices.Sort(scanLat)
	fmt.Printf("| %s | %d | %d | m=%d×%d bits, dir %d bits | %.2f s | %.1f (%.1f) | %s | %s | %.0f | %s | %d/%d (100%%) |\n",
		name, n, d, st.Parts, st.PartBits, st.DirBits, build.Seconds(), structPer, heapPer,
		us(best[len(best)/2]), us(best[len(best)*99/100]), bestQPS,
		us(scanLat[len(scanLat)/2]), got, total)
	runtime.KeepAlive(ix)
}

func us(d time.Duration) string { return fmt.Sprintf("%.1f µs", float64(d.Nanoseconds())/1e3) }

// scan is a plain linear scan, the brute-force baseline.
func scan(vals [][4]uint64, q [4]uint64, d int) []hamming.Match {
	var out []hamming.Match
	q0, q1, q2, q3 := q[0], q[1], q[2], q[3]
	for i := range vals {
		v := &vals[i]
		dist := bits.OnesCount64(v[0]^q0) + bits.OnesCount64(v[1]^q1) +
			bits.OnesCount64(v[2]^q2) + bits.OnesCount64(v[3]^q3)
		if dist <= d {
			out = append(out, hamming.Match{ID: uint64(i), Distance: dist})
		}
	}
	hamming.SortMatches(out)
	return out
}

func parseSize(s string) int {
	switch s {
	case "100k":
		return 100_000
	case "1M":
		return 1_000_000
	case "10M":
		return 10_000_000
	}
	log.Fatalf("unknown size %q", s)
	return 0
}

// loadBase reads or generates the 10M base set of a kind.
func loadBase(dir string, kind gen.Kind, seed uint64) [][4]uint64 {
	file := fmt.Sprintf("%s_10M.bin", kind)
	path := filepath.Join(dir, file)
	var base [][4]uint64
	if st, err := os.Stat(path); err == nil && st.Size() == 10_000_000*32 {
		base, err = gen.ReadFile(path, -1)
		if err != nil {
			log.Fatal(err)
		}
	} else {
		base = gen.Base(kind, 10_000_000, seed)
		if err := gen.WriteFile(path, base); err != nil {
			log.Fatal(err)
		}
	}
	checkSum(file, base)
	return base
}

// loadQueries generates the query set of a base prefix, writes it, and
// checks its checksum.
func loadQueries(dir, name string, base [][4]uint64, seed uint64) [][4]uint64 {
	qs := gen.Queries(base, 1000, seed)
	file := name + ".q.bin"
	if err := gen.WriteFile(filepath.Join(dir, file), qs); err != nil {
		log.Fatal(err)
	}
	checkSum(file, qs)
	return qs
}

func checkSum(file string, hs [][4]uint64) {
	want, ok := published[file]
	if !ok {
		return
	}
	h := sha256.New()
	if err := gen.Write(h, hs); err != nil {
		log.Fatal(err)
	}
	if got := hex.EncodeToString(h.Sum(nil))[:16]; got != want {
		log.Fatalf("%s: sha256 prefix %s, want %s", file, got, want)
	}
	fmt.Printf("# %s sha256 %s… ok\n", file, want)
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			if i := strings.IndexByte(line, ':'); i >= 0 {
				return fmt.Sprintf("%s, %d CPUs", strings.TrimSpace(line[i+1:]), runtime.NumCPU())
			}
		}
	}
	return "unknown CPU"
}
