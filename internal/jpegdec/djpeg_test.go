package jpegdec

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// jpegTools returns the paths of djpeg and cjpeg (libjpeg-turbo-progs).
// Without them the test is skipped, or failed under CI=true.
func jpegTools(t testing.TB) (djpeg, cjpeg string) {
	t.Helper()
	var err1, err2 error
	djpeg, err1 = exec.LookPath("djpeg")
	cjpeg, err2 = exec.LookPath("cjpeg")
	if err1 != nil || err2 != nil {
		msg := "djpeg/cjpeg not found (install libjpeg-turbo-progs)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: the test needs them)")
		}
		t.Skip(msg)
	}
	return djpeg, cjpeg
}

// testPicture returns a w×h RGB picture with what stresses a decoder:
// smooth gradients, fine sinusoidal texture, hard edges, saturated colours
// and noise.
func testPicture(w, h int, seed uint64) []byte {
	return picture(w, h, seed, 12)
}

// picture is testPicture with the given noise level (standard deviation).
func picture(w, h int, seed uint64, noiseLevel float64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	pix := make([]byte, 3*w*h)
	fx := 0.05 + r.Float64()*0.6
	fy := 0.05 + r.Float64()*0.6
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := pix[3*(y*w+x):]
			g := float64(x*255) / float64(max(w-1, 1))
			v := float64(y*255) / float64(max(h-1, 1))
			tex := 60 * math.Sin(float64(x)*fx+float64(y)*fy*0.7) * math.Cos(float64(y)*fy)
			edge := 0.0
			if (x/7+y/11)%3 == 0 {
				edge = 90
			}
			noise := r.NormFloat64() * noiseLevel
			vals := [3]float64{g + tex + noise, v - tex + edge, 255 - g/2 + edge - noise}
			if (x*3+y*5)%97 < 3 {
				vals = [3]float64{255, 0, 255 * float64(x&1)}
			}
			for c := range vals {
				p[c] = uint8(min(max(math.Round(vals[c]), 0), 255))
			}
		}
	}
	return pix
}

func writePPM(t testing.TB, path string, w, h int, pix []byte) {
	t.Helper()
	var b bytes.Buffer
	fmt.Fprintf(&b, "P6\n%d %d\n255\n", w, h)
	b.Write(pix)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// parsePNM reads djpeg's P5/P6 output.
func parsePNM(data []byte) (w, h, ch int, pix []byte, err error) {
	fields := make([]int, 0, 3)
	if len(data) < 2 || data[0] != 'P' || (data[1] != '5' && data[1] != '6') {
		return 0, 0, 0, nil, fmt.Errorf("not a P5/P6 file")
	}
	ch = 1
	if data[1] == '6' {
		ch = 3
	}
	i := 2
	for len(fields) < 3 {
		for i < len(data) && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t') {
			i++
		}
		j := i
		for j < len(data) && data[j] >= '0' && data[j] <= '9' {
			j++
		}
		n, e := strconv.Atoi(string(data[i:j]))
		if e != nil {
			return 0, 0, 0, nil, fmt.Errorf("bad PNM header")
		}
		fields = append(fields, n)
		i = j
	}
	i++ // one whitespace byte
	w, h = fields[0], fields[1]
	if len(data)-i != w*h*ch {
		return 0, 0, 0, nil, fmt.Errorf("PNM has %d bytes of pixels, want %d", len(data)-i, w*h*ch)
	}
	return w, h, ch, data[i:], nil
}

// djpegDecode runs djpeg -pnm (its defaults otherwise) on a JPEG file.
func djpegDecode(t testing.TB, djpeg, path string, extra ...string) (w, h, ch int, pix []byte) {
	t.Helper()
	args := append([]string{"-pnm"}, extra...)
	out, err := exec.Command(djpeg, append(args, path)...).Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 2 && len(out) > 0 {
		err = nil // exit status 2: warnings (such as a missing EOI), image written
	}
	if err != nil {
		t.Fatalf("djpeg %s: %v", path, err)
	}
	w, h, ch, pix, err = parsePNM(out)
	if err != nil {
		t.Fatalf("djpeg %s: %v", path, err)
	}
	return w, h, ch, pix
}

// compareWithDjpeg decodes the file with both decoders and fails on the
// first differing sample.
func compareWithDjpeg(t *testing.T, d *Decoder, djpeg, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	w, h, ch, want := djpegDecode(t, djpeg, path)
	img, err := d.Decode(data)
	if err != nil {
		t.Fatalf("%s: decode: %v", filepath.Base(path), err)
	}
	if img.Width != w || img.Height != h || img.Channels != ch {
		t.Fatalf("%s: got %dx%dx%d, djpeg %dx%dx%d", filepath.Base(path), img.Width, img.Height, img.Channels, w, h, ch)
	}
	if !bytes.Equal(img.Pix, want) {
		diffs, first := 0, -1
		for i := range want {
			if img.Pix[i] != want[i] {
				diffs++
				if first < 0 {
					first = i
				}
			}
		}
		px := first / ch
		t.Errorf("%s: %d samples differ from djpeg; first at x=%d y=%d channel %d: got %d, want %d",
			filepath.Base(path), diffs, px%w, px/w, first%ch, img.Pix[first], want[first])
	}
}

type corpusCase struct {
	w, h int
	args []string
}

func (c corpusCase) name() string {
	s := fmt.Sprintf("%dx%d_%s", c.w, c.h, strings.Join(c.args, "_"))
	return strings.NewReplacer("-", "", ",", "+", " ", "").Replace(s)
}

// corpus returns the test corpus: every sampling factor at several odd and
// even sizes, qualities 10..100, baseline and progressive, restart
// intervals, greyscale and RGB, and a few large images.
func corpus() []corpusCase {
	samplings := []string{"1x1", "2x1", "2x2", "1x2", "4x1", "1x4", "4x2", "2x4", "3x1", "1x3", "3x2", "2x1,1x2,1x1"}
	qualities := []string{"10", "35", "50", "75", "90", "95", "100"}
	sizes := [][2]int{{1, 1}, {2, 2}, {3, 3}, {4, 5}, {5, 4}, {7, 9}, {8, 8}, {9, 7}, {15, 17}, {16, 16},
		{17, 15}, {23, 31}, {31, 23}, {33, 65}, {64, 48}, {100, 75}, {127, 129}, {255, 97}, {321, 241}}
	var cs []corpusCase
	k := 0
	for _, sz := range sizes {
		for _, s := range samplings {
			q := qualities[k%len(qualities)]
			args := []string{"-quality", q, "-sample", s}
			switch k % 5 {
			case 1:
				args = append(args, "-progressive")
			case 2:
				args = append(args, "-restart", strconv.Itoa(1+k%3)+"B")
			case 3:
				args = append(args, "-progressive", "-restart", "1")
			case 4:
				args = append(args, "-optimize")
			}
			cs = append(cs, corpusCase{sz[0], sz[1], args})
			k++
		}
		gq := qualities[k%len(qualities)]
		cs = append(cs, corpusCase{sz[0], sz[1], []string{"-grayscale", "-quality", gq}},
			corpusCase{sz[0], sz[1], []string{"-grayscale", "-progressive", "-quality", gq}},
			corpusCase{sz[0], sz[1], []string{"-rgb", "-quality", gq}})
		k++
	}
	for _, q := range []string{"10", "75", "100"} {
		cs = append(cs, corpusCase{640, 480, []string{"-quality", q, "-sample", "2x2"}},
			corpusCase{641, 479, []string{"-quality", q, "-sample", "2x1", "-progressive"}})
	}
	cs = append(cs,
		corpusCase{1023, 769, []string{"-quality", "92", "-sample", "2x2", "-restart", "2"}},
		corpusCase{1024, 768, []string{"-quality", "100", "-sample", "1x1"}},
		corpusCase{1024, 768, []string{"-quality", "85", "-sample", "2x2", "-progressive"}},
		corpusCase{4000, 3000, []string{"-quality", "90", "-sample", "2x2"}},
		corpusCase{3999, 2999, []string{"-quality", "75", "-sample", "2x1", "-progressive"}},
	)
	return cs
}

// TestDjpegCorpus encodes the corpus with cjpeg and compares every decoded
// sample with djpeg's.
func TestDjpegCorpus(t *testing.T) {
	djpeg, cjpeg := jpegTools(t)
	dir := t.TempDir()
	cases := corpus()
	if testing.Short() {
		cases = cases[:len(cases)/4]
	}
	if raceEnabled {
		// The race detector slows decoding several times: keep the test
		// within its time by leaving out the 12-megapixel images.
		kept := cases[:0]
		for _, c := range cases {
			if c.w*c.h <= 1100*1000 {
				kept = append(kept, c)
			}
		}
		cases = kept
	}
	start := time.Now()
	srcs := map[[2]int]string{}
	var d Decoder
	for i, c := range cases {
		src, ok := srcs[[2]int{c.w, c.h}]
		if !ok {
			src = filepath.Join(dir, fmt.Sprintf("src%dx%d.ppm", c.w, c.h))
			writePPM(t, src, c.w, c.h, testPicture(c.w, c.h, uint64(i)))
			srcs[[2]int{c.w, c.h}] = src
		}
		jpg := filepath.Join(dir, c.name()+".jpg")
		args := append(append([]string{}, c.args...), "-outfile", jpg, src)
		if out, err := exec.Command(cjpeg, args...).CombinedOutput(); err != nil {
			t.Fatalf("cjpeg %v: %v: %s", args, err, out)
		}
		compareWithDjpeg(t, &d, djpeg, jpg)
	}
	t.Logf("%d files in %v", len(cases), time.Since(start))
}

// TestDjpegSmoothing compares progressive files whose scans leave some of
// the low AC coefficients incomplete, where libjpeg-turbo smooths blocks.
func TestDjpegSmoothing(t *testing.T) {
	djpeg, cjpeg := jpegTools(t)
	dir := t.TempDir()
	scripts := map[string]string{
		"dconly":      "0,1,2: 0-0, 0, 0;\n",
		"dcapprox":    "0,1,2: 0-0, 0, 1;\n0: 1-2, 0, 0;\n",
		"acapprox":    "0,1,2: 0-0, 0, 0;\n0: 1-5, 0, 2;\n0: 6-63, 0, 0;\n1: 1-63, 0, 0;\n2: 1-63, 0, 0;\n",
		"lowac":       "0,1,2: 0-0, 0, 0;\n0: 1-9, 0, 1;\n1: 1-3, 0, 0;\n2: 1-63, 0, 3;\n",
		"refinedpart": "0,1,2: 0-0, 0, 1;\n0: 1-63, 0, 2;\n0: 1-63, 2, 1;\n1: 1-63, 0, 1;\n2: 1-4, 0, 0;\n0,1,2: 0-0, 1, 0;\n",
	}
	greyScripts := map[string]string{
		"dconly": "0: 0-0, 0, 0;\n",
		"lowac":  "0: 0-0, 0, 0;\n0: 1-4, 0, 1;\n",
	}
	sizes := [][2]int{{1, 1}, {9, 9}, {17, 20}, {33, 40}, {77, 53}, {150, 99}, {40, 130}}
	samplings := []string{"1x1", "2x2", "2x1", "1x2", "4x1"}
	var d Decoder
	n := 0
	for si, sz := range sizes {
		src := filepath.Join(dir, fmt.Sprintf("src%d.ppm", si))
		writePPM(t, src, sz[0], sz[1], testPicture(sz[0], sz[1], uint64(si+100)))
		run := func(name, script string, extra ...string) {
			sc := filepath.Join(dir, name+".txt")
			if err := os.WriteFile(sc, []byte(script), 0o644); err != nil {
				t.Fatal(err)
			}
			jpg := filepath.Join(dir, fmt.Sprintf("%s_%d_%s.jpg", name, si, strings.Join(extra, "")))
			args := append(append([]string{"-quality", "80", "-scans", sc}, extra...), "-outfile", jpg, src)
			if out, err := exec.Command(cjpeg, args...).CombinedOutput(); err != nil {
				t.Fatalf("cjpeg %v: %v: %s", args, err, out)
			}
			compareWithDjpeg(t, &d, djpeg, jpg)
			n++
		}
		for name, script := range scripts {
			run(name, script, "-sample", samplings[(si+len(name))%len(samplings)])
		}
		for name, script := range greyScripts {
			run("grey"+name, script, "-grayscale")
			run("grey"+name, script, "-grayscale", "-sample", "1x2")
			run("grey"+name, script, "-grayscale", "-sample", "1x4")
		}
	}
	t.Logf("%d files", n)
}

// TestDjpegEdgeFiles compares hand-made variants of cjpeg files: fill bytes
// before markers, extra APP and COM segments, no EOI, no JFIF marker (so
// that the component ids decide the colour space), an Adobe marker saying
// RGB or its marker removed, no Huffman tables, and a restart interval defined in the middle
// of a progressive file.
func TestDjpegEdgeFiles(t *testing.T) {
	djpeg, cjpeg := jpegTools(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src.ppm")
	writePPM(t, src, 45, 37, testPicture(45, 37, 9))
	encode := func(args ...string) []byte {
		out := filepath.Join(dir, "base.jpg")
		if msg, err := exec.Command(cjpeg, append(args, "-outfile", out, src)...).CombinedOutput(); err != nil {
			t.Fatalf("cjpeg: %v: %s", err, msg)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	base := encode("-quality", "85", "-sample", "2x2", "-restart", "1")
	prog := encode("-quality", "85", "-sample", "2x1", "-progressive")
	rgb := encode("-quality", "85", "-rgb")
	sos := bytes.Index(base, []byte{0xff, 0xda})
	jfifEnd := 4 + int(base[4])<<8 | int(base[5])
	cases := map[string][]byte{
		"fill bytes before SOS": append(append(append([]byte{}, base[:sos]...), 0xff, 0xff, 0xff), base[sos:]...),
		"no EOI":                base[:len(base)-2],
		"APP and COM segments": append(append(append([]byte{}, base[:2]...),
			0xff, 0xe5, 0, 6, 'j', 'u', 'n', 'k', 0xff, 0xfe, 0, 5, 'h', 'i', '!'), base[2:]...),
		"no JFIF marker":                     append(append([]byte{}, base[:2]...), base[jfifEnd:]...),
		"RGB component ids, no Adobe marker": append(append([]byte{}, rgb[:2]...), rgb[4+int(rgb[4])<<8|int(rgb[5]):]...),
		"Adobe RGB": append(append(append([]byte{}, rgb[:2]...),
			0xff, 0xee, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0), rgb[2:]...),
		"no Huffman tables (Motion JPEG)": func() []byte {
			// cjpeg without -optimize writes the standard tables: drop them.
			var out []byte
			for i := 0; i < len(base); {
				if i+4 <= len(base) && base[i] == 0xff && base[i+1] == 0xc4 {
					i += 2 + int(base[i+2])<<8 | int(base[i+3])
					continue
				}
				if base[i] == 0xff && base[i+1] == 0xda {
					return append(out, base[i:]...)
				}
				out = append(out, base[i])
				i++
			}
			return out
		}(),
		"DRI between scans": func() []byte {
			i := bytes.LastIndex(prog, []byte{0xff, 0xda})
			return append(append(append([]byte{}, prog[:i]...), 0xff, 0xdd, 0, 4, 0, 0), prog[i:]...)
		}(),
	}
	if bytes.Contains(cases["no Huffman tables (Motion JPEG)"], []byte{0xff, 0xc4}) {
		t.Fatal("the Motion JPEG case still has a DHT segment")
	}
	var d Decoder
	for name, data := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".jpg")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) { compareWithDjpeg(t, &d, djpeg, path) })
	}
}
