package jpegdec

import (
	"testing"
)

func benchDecode(b *testing.B, w, h int, picked bool, args ...string) {
	// A photo-like picture: smooth shading, texture and edges, little noise.
	data := encodePicture(b, w, h, picture(w, h, 1, 3), args...)
	var d Decoder
	xs, ys := grid(w, 512), grid(h, 512)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var err error
		if picked {
			_, err = d.DecodePicked(data, xs, ys)
		} else {
			_, err = d.Decode(data)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode1024x768 is a full decode of a 4:2:0 quality-90 photo-like
// JPEG.
func BenchmarkDecode1024x768(b *testing.B) {
	benchDecode(b, 1024, 768, false, "-quality", "90", "-sample", "2x2")
}

// BenchmarkDecodePicked1024x768 decodes only the 512×512 pixels of the
// reference's pre-resize.
func BenchmarkDecodePicked1024x768(b *testing.B) {
	benchDecode(b, 1024, 768, true, "-quality", "90", "-sample", "2x2")
}
