package filehash

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// photo makes a deterministic photo-like image: gradients, discs and a
// little noise.
func photo(w, h int, seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 7))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	type disc struct{ x, y, r2 float64 }
	discs := make([]disc, 10)
	for i := range discs {
		r := (0.1 + 0.3*rng.Float64()) * float64(min(w, h))
		discs[i] = disc{rng.Float64() * float64(w), rng.Float64() * float64(h), r * r}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r := 70 + 110*float64(x)/float64(w)
			g := 50 + 130*float64(y)/float64(h)
			b := 100.0
			for i, d := range discs {
				dx, dy := float64(x)-d.x, float64(y)-d.y
				if dx*dx+dy*dy < d.r2 {
					switch i % 3 {
					case 0:
						r = 255 - r
					case 1:
						g = 255 - g
					default:
						b = 255 - b
					}
				}
			}
			n := rng.Float64()*12 - 6
			o := img.PixOffset(x, y)
			img.Pix[o+0] = clamp(r + n)
			img.Pix[o+1] = clamp(g + n)
			img.Pix[o+2] = clamp(b + n)
			img.Pix[o+3] = 255
		}
	}
	return img
}

func clamp(v float64) uint8 {
	return uint8(max(0, min(255, v)))
}

// encoded is one synthetic file.
type encoded struct {
	name   string
	format string
	data   []byte
	lossy  bool
}

// syntheticImages encodes small images in every supported format and
// variant that can be written from Go.
func syntheticImages(t testing.TB, w, h int) []encoded {
	t.Helper()
	src := photo(w, h, 1)
	var out []encoded
	add := func(name, format string, lossy bool, enc func(*bytes.Buffer) error) {
		var b bytes.Buffer
		if err := enc(&b); err != nil {
			t.Fatalf("encode %s: %v", name, err)
		}
		out = append(out, encoded{name, format, b.Bytes(), lossy})
	}
	add("png-rgb8", "png", false, func(b *bytes.Buffer) error { return png.Encode(b, src) })
	alpha := image.NewNRGBA(src.Rect)
	copy(alpha.Pix, src.Pix)
	for i := 3; i < len(alpha.Pix); i += 4 {
		alpha.Pix[i] = uint8(i * 7)
	}
	add("png-alpha", "png", false, func(b *bytes.Buffer) error { return png.Encode(b, alpha) })
	gray := image.NewGray(src.Rect)
	g16 := image.NewGray16(src.Rect)
	n64 := image.NewNRGBA64(src.Rect)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := src.NRGBAAt(x, y)
			gray.SetGray(x, y, color.Gray{c.G})
			g16.SetGray16(x, y, color.Gray16{uint16(c.R)<<8 | uint16(x)})
			n64.SetNRGBA64(x, y, color.NRGBA64{uint16(c.R) << 8, uint16(c.G)<<8 | 0xff, uint16(c.B) << 8, 0x8000})
		}
	}
	add("png-gray8", "png", false, func(b *bytes.Buffer) error { return png.Encode(b, gray) })
	add("png-gray16", "png", false, func(b *bytes.Buffer) error { return png.Encode(b, g16) })
	add("png-rgba16", "png", false, func(b *bytes.Buffer) error { return png.Encode(b, n64) })
	pal := image.NewPaletted(src.Rect, palette256())
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := src.NRGBAAt(x, y)
			// The nearest entry of palette256, computed directly.
			r, g, b := (int(c.R)+18)/36, (int(c.G)+18)/36, (int(c.B)+42)/85
			pal.SetColorIndex(x, y, uint8(min(r, 7)*32+min(g, 7)*4+min(b, 3)))
		}
	}
	add("png-palette", "png", false, func(b *bytes.Buffer) error { return png.Encode(b, pal) })
	add("gif", "gif", false, func(b *bytes.Buffer) error { return gif.Encode(b, pal, nil) })
	add("jpeg-color", "jpeg", true, func(b *bytes.Buffer) error { return jpeg.Encode(b, src, &jpeg.Options{Quality: 92}) })
	add("jpeg-gray", "jpeg", true, func(b *bytes.Buffer) error { return jpeg.Encode(b, gray, &jpeg.Options{Quality: 92}) })
	add("bmp", "bmp", false, func(b *bytes.Buffer) error { return bmp.Encode(b, src) })
	add("tiff", "tiff", false, func(b *bytes.Buffer) error { return tiff.Encode(b, src, &tiff.Options{Compression: tiff.Deflate}) })
	add("webp-lossless", "webp", false, func(b *bytes.Buffer) error { b.Write(vp8lTwoTone(w, h)); return nil })
	return out
}

func palette256() color.Palette {
	p := make(color.Palette, 0, 256)
	for r := 0; r < 8; r++ {
		for g := 0; g < 8; g++ {
			for b := 0; b < 4; b++ {
				p = append(p, color.RGBA{uint8(r * 36), uint8(g * 36), uint8(b * 85), 255})
			}
		}
	}
	return p
}

// vp8lTwoTone writes a lossless WebP (VP8L, no transforms) of a w×h image in
// two colours, a checkerboard of 8-pixel squares: each channel uses a
// two-symbol "simple" prefix code, so every pixel costs 4 bits.
func vp8lTwoTone(w, h int) []byte {
	var bw bitWriter
	bw.put(0x2f, 8)
	bw.put(uint32(w-1), 14)
	bw.put(uint32(h-1), 14)
	bw.put(0, 1) // alpha not used
	bw.put(0, 3) // version
	bw.put(0, 1) // no transform
	bw.put(0, 1) // no colour cache
	bw.put(0, 1) // no meta prefix codes
	// Five prefix codes: green, red, blue, alpha, distance. Simple codes with
	// two 8-bit symbols (distance: one symbol).
	sym := [4][2]uint32{{40, 200}, {30, 220}, {60, 180}, {255, 255}}
	for _, s := range sym {
		bw.put(1, 1) // simple code
		bw.put(1, 1) // two symbols
		bw.put(1, 1) // first symbol is 8 bits
		bw.put(s[0], 8)
		bw.put(s[1], 8)
	}
	bw.put(1, 1)
	bw.put(0, 1)
	bw.put(0, 1)
	bw.put(0, 1)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint32((x/8 + y/8) % 2)
			bw.put(v, 1) // green
			bw.put(v, 1) // red
			bw.put(v, 1) // blue
			bw.put(0, 1) // alpha: the two symbols are equal, but a bit is still read
		}
	}
	payload := bw.bytes()
	var b bytes.Buffer
	le32 := func(v int) { b.Write([]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}) }
	pad := len(payload) % 2
	b.WriteString("RIFF")
	le32(4 + 8 + len(payload) + pad)
	b.WriteString("WEBPVP8L")
	le32(len(payload))
	b.Write(payload)
	if pad == 1 {
		b.WriteByte(0)
	}
	return b.Bytes()
}

type bitWriter struct {
	buf   []byte
	acc   uint64
	nbits uint
}

func (w *bitWriter) put(v uint32, n uint) {
	w.acc |= uint64(v) << w.nbits
	w.nbits += n
	for w.nbits >= 8 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc >>= 8
		w.nbits -= 8
	}
}

func (w *bitWriter) bytes() []byte {
	if w.nbits > 0 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc, w.nbits = 0, 0
	}
	return w.buf
}
