package filehash

import (
	"bytes"
	"image/jpeg"
	"sync"
	"testing"
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
	for b.Loop() {
		res, err := HashBytes(data, opts)
		if err != nil || !res.IsImage {
			b.Fatalf("%v %v", err, res.ImageError)
		}
	}
	// One goroutine: images per second per core.
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s/core")
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
