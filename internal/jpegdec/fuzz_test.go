package jpegdec

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"testing"
)

// fuzzMaxPixels is the fuzz target's pixel budget: small, so that headers
// announcing large images must be refused before anything is allocated.
const fuzzMaxPixels = 1 << 16

// allocated is what the decoder's buffers hold.
func (d *Decoder) allocated() int64 {
	var n int64
	for i := range d.comps {
		n += 2*int64(cap(d.comps[i].coef)) + int64(cap(d.comps[i].dcOnly))
	}
	for i := range d.out.comps {
		co := &d.out.comps[i]
		n += int64(cap(co.samples)) + 2*int64(cap(co.flat)) + 4*int64(cap(co.ws)+cap(co.rowMark)+cap(co.colMark)+cap(co.rows)+cap(co.cols))
		n += 9*int64(cap(co.xc0)+cap(co.yr0)) + int64(cap(co.line)) + 4*int64(cap(co.blocks)+cap(co.bstart))
	}
	return n + int64(cap(d.img.Pix))
}

func fuzzSeeds(f *testing.F) {
	img := image.NewRGBA(image.Rect(0, 0, 37, 21))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	grey := image.NewGray(image.Rect(0, 0, 9, 17))
	for i := range grey.Pix {
		grey.Pix[i] = uint8(i * 13)
	}
	for _, m := range []image.Image{img, grey} {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 80}); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
		f.Add(b.Bytes()[:b.Len()*2/3])
	}
	for _, args := range [][]string{
		{"-progressive", "-sample", "2x2", "-restart", "1"},
		{"-sample", "1x2", "-restart", "2B", "-quality", "30"},
		{"-progressive", "-grayscale"},
	} {
		f.Add(encodeTest(f, 19, 23, args...))
	}
	// A header announcing 65535×65535 pixels with nothing after it.
	huge := []byte{0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, 0xff, 0xff, 0xff, 0xff, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1}
	f.Add(huge)
}

// FuzzDecode feeds arbitrary bytes to the decoder: it must return an error
// or an image, never panic, never decode an image over the pixel budget,
// and never allocate more than the header's MemoryCost.
func FuzzDecode(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, cfgErr := DecodeConfig(data)
		d := Decoder{MaxPixels: fuzzMaxPixels}
		img, err := d.Decode(data)
		if err != nil {
			if errors.Is(err, ErrTooManyPixels) && cfgErr == nil && int64(cfg.Width)*int64(cfg.Height) <= fuzzMaxPixels {
				t.Fatalf("refused %dx%d as over the budget", cfg.Width, cfg.Height)
			}
			return
		}
		if cfgErr != nil {
			t.Fatalf("decoded, but DecodeConfig failed: %v", cfgErr)
		}
		if int64(img.Width)*int64(img.Height) > fuzzMaxPixels {
			t.Fatalf("decoded %dx%d, over the budget", img.Width, img.Height)
		}
		if img.Width != cfg.Width || img.Height != cfg.Height || len(img.Pix) != img.Width*img.Height*img.Channels {
			t.Fatalf("image %dx%dx%d with %d bytes, header %dx%d", img.Width, img.Height, img.Channels, len(img.Pix), cfg.Width, cfg.Height)
		}
		if a, c := d.allocated(), cfg.MemoryCost(cfg.Width, cfg.Height); a > c {
			t.Fatalf("allocated %d bytes, MemoryCost says %d", a, c)
		}
		// Picking the corners gives the full decode's pixels.
		full := append([]byte(nil), img.Pix...)
		xs, ys := []int{0, cfg.Width - 1}, []int{cfg.Height - 1, 0}
		p, err := d.DecodePicked(data, xs, ys)
		if err != nil {
			t.Fatalf("full decode worked, picked failed: %v", err)
		}
		ch := img.Channels
		for j, y := range ys {
			for i, x := range xs {
				if !bytes.Equal(p.Pix[(j*2+i)*ch:][:ch], full[(y*cfg.Width+x)*ch:][:ch]) {
					t.Fatalf("picked pixel (%d,%d) differs", x, y)
				}
			}
		}
	})
}
