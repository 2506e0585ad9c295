package pdq

import (
	"bytes"
	"image"
	"image/jpeg"
	"sync"
	"testing"
	"time"
)

var benchImages sync.Map // "WxH" -> image.Image

// benchYCbCr returns a photo-like w×h image as image/jpeg decodes it
// (*image.YCbCr, 4:2:0), made once per size.
func benchYCbCr(b *testing.B, w, h int) image.Image {
	key := image.Pt(w, h)
	if v, ok := benchImages.Load(key); ok {
		return v.(image.Image)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, photoLike(w, h, 11), &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	img, err := jpeg.Decode(&buf)
	if err != nil {
		b.Fatal(err)
	}
	benchImages.Store(key, img)
	return img
}

func benchHash(b *testing.B, w, h int, opts Options) {
	img := benchYCbCr(b, w, h)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		HashImage(img, opts)
	}
	reportRates(b, cpu0)
}

// BenchmarkHash1024x768 hashes decoded pixels (pre-resize to 512×512
// included), the C++ tool's default path.
func BenchmarkHash1024x768(b *testing.B) { benchHash(b, 1024, 768, Options{}) }

// BenchmarkHash4000x3000 is the same for a 12-megapixel photo.
func BenchmarkHash4000x3000(b *testing.B) { benchHash(b, 4000, 3000, Options{}) }

// BenchmarkHash1024x768Full hashes at full resolution (no pre-resize).
func BenchmarkHash1024x768Full(b *testing.B) {
	benchHash(b, 1024, 768, Options{FullResolution: true})
}

// BenchmarkDihedral1024x768 computes the 8 dihedral hashes.
func BenchmarkDihedral1024x768(b *testing.B) {
	img := benchYCbCr(b, 1024, 768)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		DihedralImage(img, Options{})
	}
	reportRates(b, cpu0)
}

// reportRates reports images per second of wall time from one goroutine
// (images/s/core), and images per second of the process's CPU time
// (images/cpu-s), which is less disturbed by other processes on a shared
// machine.
func reportRates(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s/core")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "images/cpu-s")
	}
}
