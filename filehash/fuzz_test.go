package filehash

import (
	"errors"
	"testing"
)

// fuzzMaxPixels is the pixel budget of the fuzz target: small, so that a
// header announcing a large image must be refused before any decoding.
const fuzzMaxPixels = 1 << 16

// FuzzHashBytes feeds arbitrary bytes to HashBytes: it must not panic,
// must return the digests, and must not decode an image over the budget.
func FuzzHashBytes(f *testing.F) {
	for _, e := range syntheticImages(f, 23, 17) {
		f.Add(e.data)
	}
	f.Add(pngHeader(100000, 100000))
	f.Add([]byte("\xff\xd8\xff"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	f.Add([]byte("not an image"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := HashBytes(data, Options{MaxPixels: fuzzMaxPixels})
		if len(res.MD5) != 32 || len(res.SHA256) != 64 {
			t.Fatalf("digests missing: %+v", res)
		}
		if err != nil {
			if !errors.Is(err, ErrTooManyPixels) {
				t.Fatalf("unexpected error: %v", err)
			}
			if res.IsImage {
				t.Fatalf("image over budget was hashed")
			}
			return
		}
		if res.IsImage && int64(res.Width)*int64(res.Height) > fuzzMaxPixels {
			t.Fatalf("hashed a %dx%d image over the budget", res.Width, res.Height)
		}
		if res.IsImage && res.ImageError != nil {
			t.Fatalf("image with an error: %v", res.ImageError)
		}
	})
}
