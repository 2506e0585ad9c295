package pdq

import (
	"image"
	"os"
	"testing"

	"github.com/kspplatform/ksp/internal/jpegdec"
)

// decodeExactJPEG decodes a JPEG file with internal/jpegdec into an
// *image.Gray or an opaque *image.RGBA.
func decodeExactJPEG(t testing.TB, path string) image.Image {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d jpegdec.Decoder
	img, err := d.Decode(data)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	r := image.Rect(0, 0, img.Width, img.Height)
	if img.Channels == 1 {
		return &image.Gray{Pix: img.Pix, Stride: img.Width, Rect: r}
	}
	out := image.NewRGBA(r)
	for i := 0; i < img.Width*img.Height; i++ {
		copy(out.Pix[4*i:4*i+3], img.Pix[3*i:3*i+3])
		out.Pix[4*i+3] = 0xff
	}
	return out
}
