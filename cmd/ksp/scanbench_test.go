package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/filehash"
	"github.com/kspplatform/ksp/sqlite"
	"github.com/kspplatform/ksp/storetest"
)

// benchJPEG draws a 1024×768 photo-like picture (gradients, shapes and
// noise, different for each seed) and encodes it as a JPEG of quality 85.
func benchJPEG(seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed*7+1))
	img := image.NewYCbCr(image.Rect(0, 0, 1024, 768), image.YCbCrSubsampleRatio420)
	fx, fy := 1+r.Float64()*6, 1+r.Float64()*6
	cx, cy, rad := r.IntN(1024), r.IntN(768), 80+r.IntN(250)
	for y := 0; y < 768; y++ {
		for x := 0; x < 1024; x++ {
			v := 128 + 60*sinApprox(fx*float64(x)/1024+fy*float64(y)/768+float64(seed))
			if dx, dy := x-cx, y-cy; dx*dx+dy*dy < rad*rad {
				v = 255 - v
			}
			v += float64(r.IntN(24)) - 12
			img.Y[y*img.YStride+x] = uint8(min(max(v, 0), 255))
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = uint8(100+seed%50), uint8(140-seed%40)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// sinApprox is a cheap periodic wave in [-1, 1] (a triangle), enough to
// give the pictures structure.
func sinApprox(x float64) float64 {
	x -= float64(int(x))
	if x < 0 {
		x++
	}
	return 4*min(x, 1-x) - 1
}

// BenchmarkScanCasesServer measures `ksp scan --cases` over a folder of
// 1024×768 JPEGs (KSP_BENCH_SCAN_FILES, default 10,000: copies of
// KSP_BENCH_SCAN_DISTINCT distinct pictures, default 200) matching through
// a local server, one distinct picture in the bank (so one file in every
// KSP_BENCH_SCAN_DISTINCT opens a case). It reports files/s. Run with
// -benchtime=1x: one iteration scans the whole folder.
func BenchmarkScanCasesServer(b *testing.B) {
	files, distinct := benchEnvInt("KSP_BENCH_SCAN_FILES", 10000), benchEnvInt("KSP_BENCH_SCAN_DISTINCT", 200)
	dir := b.TempDir()
	tree := filepath.Join(dir, "media")
	start := time.Now()
	pics := make([][]byte, distinct)
	for i := range pics {
		pics[i] = benchJPEG(uint64(i + 1))
	}
	for i := range files {
		p := filepath.Join(tree, fmt.Sprintf("d%03d", i/1000), fmt.Sprintf("img%05d.jpg", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, pics[i%distinct], 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("generated %d files (%d distinct) in %v", files, distinct, time.Since(start).Round(time.Millisecond))

	dbPath := filepath.Join(dir, "ksp.db")
	log := slog.New(slog.DiscardHandler)
	db, err := sqlite.Open(context.Background(), dbPath, log)
	if err != nil {
		b.Fatal(err)
	}
	fx := storetest.NewFixture(b, db)
	h, err := filehash.HashFile(filepath.Join(tree, "d000", "img00000.jpg"), filehash.Options{})
	if err != nil {
		b.Fatal(err)
	}
	q := h.Quality
	if _, err := db.Submit(storetest.As(fx.Platform, fx.PlatAdmin), ksp.SubmissionInput{Type: ksp.TypePDQ, Value: h.PDQ.String(), Quality: &q, ContentType: "photo",
		Labels: []string{"propaganda"}, Basis: "branded_publication", Severity: "high"}); err != nil {
		b.Fatalf("submit (quality %d): %v", q, err)
	}
	for i := range 2000 { // a bank that is not trivially small
		if _, err := db.Submit(storetest.As(fx.Platform, fx.PlatAdmin), storetest.Submission(i, ksp.DistMembers, ksp.TLPGreen)); err != nil {
			b.Fatal(err)
		}
	}
	k, err := db.CreateAPIKey(storetest.As(fx.Startup, fx.StartAdm), ksp.NewAPIKey{Name: "bench", Scopes: []ksp.Scope{ksp.ScopeMatch, ksp.ScopeSubmit}})
	if err != nil {
		b.Fatal(err)
	}
	db.Close()
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan string, 1), make(chan int, 1)
	var serr syncBuf
	srv := &Main{Stdin: bytes.NewReader(nil), Stdout: &syncBuf{}, Stderr: &serr, Getenv: func(string) string { return "" }, Listening: ready}
	go func() {
		done <- srv.Run(ctx, []string{"serve", "--db", dbPath, "--rate-limit", "100000", "--addr", "127.0.0.1:0", "--log-level", "warn"})
	}()
	var addr string
	select {
	case addr = <-ready:
	case code := <-done:
		b.Fatalf("serve exited %d: %s", code, serr.String())
	}
	defer func() { cancel(); <-done }()

	if os.Getenv("KSP_BENCH_SCAN_HASHONLY") != "" {
		// The same folder hashed without matching or cases, for the
		// share of the scan that is hashing.
		var out, errb syncBuf
		m := &Main{Stdin: bytes.NewReader(nil), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
		var paths []string
		filepath.WalkDir(tree, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				paths = append(paths, p)
			}
			return nil
		})
		t0 := time.Now()
		if code := m.Run(context.Background(), append([]string{"hash"}, paths...)); code != 0 {
			b.Fatalf("hash: exit %d\n%s", code, errb.String())
		}
		b.Logf("ksp hash of the same folder: %.1f files/s", float64(files)/time.Since(t0).Seconds())
	}
	b.ResetTimer()
	for range b.N {
		var out, errb syncBuf
		m := &Main{Stdin: bytes.NewReader(nil), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
		t0 := time.Now()
		if code := m.Run(context.Background(), []string{"scan", "--server", "http://" + addr, "--key", k.Secret, "--cases", tree}); code != 0 {
			b.Fatalf("scan: exit %d\n%s", code, errb.String())
		}
		el := time.Since(t0)
		b.ReportMetric(float64(files)/el.Seconds(), "files/s")
		b.Logf("%s", lastLines(errb.String(), 2))
	}
}

func benchEnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func lastLines(s string, n int) string {
	lines := bytes.Split(bytes.TrimSpace([]byte(s)), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte(" | ")))
}
