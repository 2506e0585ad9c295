package filehash

import (
	"bytes"
	"image/jpeg"
	"sync"
	"testing"
	"time"
)

var benchJPEG = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, photo(1024, 768, 5), &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	return b.Bytes()
})

func benchBytes(b *testing.B, data []byte, opts Options) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		res, err := HashBytes(data, opts)
		if err != nil || !res.IsImage {
			b.Fatalf("%v %v", err, res.ImageError)
		}
	}
	reportRates(b, cpu0)
}

// BenchmarkDecodeHashJPEG1024x768 is decode + PDQ + MD5 + SHA-256 of a
// photo-like 1024×768 JPEG (quality 90, 4:2:0), through the default path.
func BenchmarkDecodeHashJPEG1024x768(b *testing.B) {
	benchBytes(b, benchJPEG(), Options{})
}

// BenchmarkDecodeHashJPEG1024x768Stdlib is the same through image/jpeg.
func BenchmarkDecodeHashJPEG1024x768Stdlib(b *testing.B) {
	benchBytes(b, benchJPEG(), Options{StdlibJPEG: true})
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
