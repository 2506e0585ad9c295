package jpegscale

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/kspplatform/ksp/pdq/pdqtest"
)

// smooth makes a deterministic w×h image with gradients, discs and mild
// noise.
func smooth(w, h int, seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 3))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	cx, cy, r := rng.Float64()*float64(w), rng.Float64()*float64(h), float64(min(w, h))/3
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := 60 + 120*float64(x)/float64(w)
			g := 40 + 150*float64(y)/float64(h)
			b := 128.0
			if dx, dy := float64(x)-cx, float64(y)-cy; dx*dx+dy*dy < r*r {
				v, b = 230-v/2, 40
			}
			n := rng.Float64()*8 - 4
			img.SetNRGBA(x, y, color.NRGBA{uint8(v + n), uint8(g + n), uint8(b + n), 255})
		}
	}
	return img
}

// meanAbsDiff compares the decoded component c with the s×s box average of
// the same plane decoded by image/jpeg.
func meanAbsDiff(t *testing.T, m *Image, plane []uint8, stride, pw, ph, c int) float64 {
	t.Helper()
	s := m.Scale
	cp := m.Comps[c]
	var sum float64
	n := 0
	for y := 0; y+s <= ph; y += s {
		for x := 0; x+s <= pw; x += s {
			var acc int
			for dy := 0; dy < s; dy++ {
				for dx := 0; dx < s; dx++ {
					acc += int(plane[(y+dy)*stride+x+dx])
				}
			}
			avg := float64(acc) / float64(s*s)
			got := float64(cp.Pix[(y/s)*cp.Stride+x/s])
			sum += math.Abs(avg - got)
			n++
		}
	}
	return sum / float64(n)
}

func checkAgainstStdlib(t *testing.T, data []byte, scale int) {
	t.Helper()
	std, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var d Decoder
	m, err := d.Decode(data, scale)
	if err != nil {
		t.Fatal(err)
	}
	b := std.Bounds()
	if m.Width != b.Dx() || m.Height != b.Dy() {
		t.Fatalf("size %dx%d, stdlib %v", m.Width, m.Height, b.Size())
	}
	switch s := std.(type) {
	case *image.Gray:
		if len(m.Comps) != 1 {
			t.Fatalf("%d components for a grey JPEG", len(m.Comps))
		}
		if e := meanAbsDiff(t, m, s.Pix, s.Stride, b.Dx(), b.Dy(), 0); e > 3 {
			t.Errorf("grey: mean difference %.2f from the box-averaged full decode", e)
		}
	case *image.YCbCr:
		if len(m.Comps) != 3 {
			t.Fatalf("%d components for a colour JPEG", len(m.Comps))
		}
		cw, ch := s.CStride, len(s.Cb)/s.CStride
		for c, p := range []struct {
			pix    []uint8
			stride int
			w, h   int
		}{{s.Y, s.YStride, b.Dx(), b.Dy()}, {s.Cb, s.CStride, cw, ch}, {s.Cr, s.CStride, cw, ch}} {
			if e := meanAbsDiff(t, m, p.pix, p.stride, p.w, p.h, c); e > 3 {
				t.Errorf("component %d: mean difference %.2f from the box-averaged full decode", c, e)
			}
		}
	default:
		t.Fatalf("unexpected stdlib type %T", std)
	}
}

func TestAgainstStdlib(t *testing.T) {
	for _, size := range []image.Point{{640, 480}, {333, 517}, {17, 9}} {
		src := smooth(size.X, size.Y, 1)
		gray := image.NewGray(src.Bounds())
		for i := range gray.Pix {
			gray.Pix[i] = src.Pix[4*i+1]
		}
		for _, img := range []image.Image{src, gray} {
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
				t.Fatal(err)
			}
			for _, scale := range []int{2, 4, 8} {
				if size.X < 64 {
					// Too few samples for a meaningful average; it must decode.
					var d Decoder
					if m, err := d.Decode(buf.Bytes(), scale); err != nil || m.Width != size.X || m.Height != size.Y {
						t.Errorf("%v scale %d: %v", size, scale, err)
					}
					continue
				}
				checkAgainstStdlib(t, buf.Bytes(), scale)
			}
		}
	}
}

// sharedJPEG returns a file of the shared PDQ test data, or skips.
func sharedJPEG(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(pdqtest.Dir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestRestartIntervals decodes a camera-style JPEG with restart markers.
func TestRestartIntervals(t *testing.T) {
	data := sharedJPEG(t, "bridge-mods/high-contrast.jpg")
	for _, scale := range []int{2, 4, 8} {
		checkAgainstStdlib(t, data, scale)
	}
}

func TestUnsupported(t *testing.T) {
	data := sharedJPEG(t, "dih/bridge-2-rotate-90.jpg") // progressive
	var d Decoder
	if _, err := d.Decode(data, 2); !errors.Is(err, ErrUnsupported) {
		t.Errorf("progressive: %v, want ErrUnsupported", err)
	}
}

func TestErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, smooth(100, 80, 2), nil); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	var d Decoder
	for _, cut := range []int{0, 1, 2, 20, len(data) / 2, len(data) - 2} {
		if _, err := d.Decode(data[:cut], 2); err == nil {
			t.Errorf("truncated at %d: no error", cut)
		}
	}
	if _, err := d.Decode(data, 3); err == nil {
		t.Error("scale 3 accepted")
	}
	d.MaxPixels = 100 * 79
	if _, err := d.Decode(data, 2); err == nil {
		t.Error("pixel budget not enforced")
	}
	// The decoder is reusable after errors.
	d.MaxPixels = 0
	if _, err := d.Decode(data, 4); err != nil {
		t.Errorf("reuse: %v", err)
	}
	if w, h, err := Config(data); err != nil || w != 100 || h != 80 {
		t.Errorf("Config: %d %d %v", w, h, err)
	}
}

func FuzzDecode(f *testing.F) {
	for i, size := range []image.Point{{16, 16}, {33, 21}, {8, 70}} {
		var buf bytes.Buffer
		var img image.Image = smooth(size.X, size.Y, uint64(i))
		if i == 1 {
			g := image.NewGray(img.Bounds())
			img = g
		}
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 50 + 20*i}); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes(), uint8(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, s uint8) {
		d := Decoder{MaxPixels: 1 << 16}
		scale := []int{2, 4, 8}[int(s)%3]
		m, err := d.Decode(data, scale)
		if err != nil {
			return
		}
		// Every full-size pixel maps inside every plane.
		for c := range m.Comps {
			m.Sample(c, m.Width-1, m.Height-1)
			m.Sample(c, 0, 0)
		}
	})
}
