package jpegdec

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// encodeTest returns a JPEG of the test picture, from cjpeg when it is
// installed (any sampling factors), else from image/jpeg (4:2:0).
func encodeTest(t testing.TB, w, h int, args ...string) []byte {
	t.Helper()
	return encodePicture(t, w, h, testPicture(w, h, uint64(w*h)), args...)
}

// encodePicture encodes pix (RGB) as encodeTest does.
func encodePicture(t testing.TB, w, h int, pix []byte, args ...string) []byte {
	t.Helper()
	if cjpeg, err := exec.LookPath("cjpeg"); err == nil {
		dir := t.TempDir()
		src := filepath.Join(dir, "src.ppm")
		writePPM(t, src, w, h, pix)
		out := filepath.Join(dir, "out.jpg")
		if msg, err := exec.Command(cjpeg, append(args, "-outfile", out, src)...).CombinedOutput(); err != nil {
			t.Fatalf("cjpeg: %v: %s", err, msg)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		img.Set(i%w, i/w, color.RGBA{pix[3*i], pix[3*i+1], pix[3*i+2], 255})
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestDecodePickedMatchesDecode checks that the picked pixels equal the
// full decode's at the same coordinates, for the reference's 512×512
// nearest-neighbour grid and for random picks (repeated, unordered).
func TestDecodePickedMatchesDecode(t *testing.T) {
	cases := []struct {
		w, h int
		args []string
	}{
		{1100, 900, []string{"-quality", "90", "-sample", "2x2"}},
		{1024, 768, []string{"-quality", "95", "-sample", "2x1", "-progressive"}},
		{700, 1300, []string{"-quality", "80", "-sample", "1x2"}},
		{2100, 600, []string{"-quality", "85", "-sample", "4x1", "-restart", "3"}},
		{777, 555, []string{"-quality", "70", "-grayscale"}},
		{600, 601, []string{"-quality", "75", "-sample", "1x1", "-progressive"}},
		{513, 40, []string{"-quality", "90", "-sample", "2x2"}},
	}
	r := rand.New(rand.NewPCG(1, 2))
	var full, picked Decoder
	for _, c := range cases {
		name := fmt.Sprintf("%dx%d%v", c.w, c.h, c.args)
		data := encodeTest(t, c.w, c.h, c.args...)
		img, err := full.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		grids := [][2][]int{{grid(c.w, 512), grid(c.h, 512)}}
		for k := 0; k < 3; k++ {
			xs := make([]int, 1+r.IntN(300))
			ys := make([]int, 1+r.IntN(300))
			for i := range xs {
				xs[i] = r.IntN(c.w)
			}
			for i := range ys {
				ys[i] = r.IntN(c.h)
			}
			grids = append(grids, [2][]int{xs, ys})
		}
		for gi, g := range grids {
			xs, ys := g[0], g[1]
			p, err := picked.DecodePicked(data, xs, ys)
			if err != nil {
				t.Fatalf("%s: picked: %v", name, err)
			}
			ch := img.Channels
			if p.Width != len(xs) || p.Height != len(ys) || p.Channels != ch {
				t.Fatalf("%s: picked image %dx%dx%d", name, p.Width, p.Height, p.Channels)
			}
			for j, y := range ys {
				for i, x := range xs {
					a := p.Pix[(j*len(xs)+i)*ch:][:ch]
					b := img.Pix[(y*c.w+x)*ch:][:ch]
					if !bytes.Equal(a, b) {
						t.Fatalf("%s grid %d: pixel (%d,%d) picked %v, full decode %v", name, gi, x, y, a, b)
					}
				}
			}
		}
	}
}

func grid(size, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i * size / n
	}
	return s
}
