package filehash

import (
	"bytes"
	"image/jpeg"
	"sync"
	"testing"
)

var benchJPEG4000 = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, photo(4000, 3000, 5), &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	return b.Bytes()
})

// BenchmarkDecodeHashJPEG4000x3000 is decode + PDQ + MD5 + SHA-256 of a
// photo-like 12-megapixel JPEG (quality 90, 4:2:0) through the default,
// exact path.
func BenchmarkDecodeHashJPEG4000x3000(b *testing.B) {
	benchBytes(b, benchJPEG4000(), Options{})
}

// BenchmarkDecodeHashJPEG4000x3000Stdlib is the same through image/jpeg.
func BenchmarkDecodeHashJPEG4000x3000Stdlib(b *testing.B) {
	benchBytes(b, benchJPEG4000(), Options{StdlibJPEG: true})
}
