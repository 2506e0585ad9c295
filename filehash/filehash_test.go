package filehash

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"

	"github.com/kspplatform/ksp/pdq"
	"github.com/kspplatform/ksp/pdq/pdqtest"
)

func stdDecode(t testing.TB, format string, data []byte) image.Image {
	t.Helper()
	dec := map[string]func(*bytes.Reader) (image.Image, error){
		"png":  func(r *bytes.Reader) (image.Image, error) { return png.Decode(r) },
		"gif":  func(r *bytes.Reader) (image.Image, error) { return gif.Decode(r) },
		"jpeg": func(r *bytes.Reader) (image.Image, error) { return jpeg.Decode(r) },
		"bmp":  func(r *bytes.Reader) (image.Image, error) { return bmp.Decode(r) },
		"tiff": func(r *bytes.Reader) (image.Image, error) { return tiff.Decode(r) },
		"webp": func(r *bytes.Reader) (image.Image, error) { return webp.Decode(r) },
	}[format]
	img, err := dec(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode %s: %v", format, err)
	}
	return img
}

// TestFormats: every format is recognised and hashed like the standard
// decoder's pixels (JPEG within the decoder tolerance).
func TestFormats(t *testing.T) {
	for _, size := range []image.Point{{97, 61}, {700, 530}} {
		for _, e := range syntheticImages(t, size.X, size.Y) {
			t.Run(e.name+"/"+strconv.Itoa(size.X), func(t *testing.T) {
				res, err := HashBytes(e.data, Options{})
				if err != nil {
					t.Fatal(err)
				}
				if !res.IsImage || res.Format != e.format || res.ImageError != nil {
					t.Fatalf("IsImage %v format %q error %v", res.IsImage, res.Format, res.ImageError)
				}
				if res.Width != size.X || res.Height != size.Y {
					t.Errorf("size %dx%d", res.Width, res.Height)
				}
				want, wq := pdq.HashImage(stdDecode(t, e.format, e.data), pdq.Options{})
				d := pdq.Distance(res.PDQ, want)
				t.Logf("distance %d from the standard decoder, quality %d", d, res.Quality)
				limit := 0
				if e.lossy {
					limit = 10
				}
				if d > limit || (!e.lossy && res.Quality != wq) {
					t.Errorf("distance %d (limit %d), quality %d vs %d", d, limit, res.Quality, wq)
				}
			})
		}
	}
}

func TestNonImage(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("hello, world\n"), bytes.Repeat([]byte{0}, 100000), []byte("GIF8")} {
		res, err := HashBytes(data, Options{})
		if err != nil {
			t.Fatal(err)
		}
		m, s := md5.Sum(data), sha256.Sum256(data)
		if res.MD5 != hex.EncodeToString(m[:]) || res.SHA256 != hex.EncodeToString(s[:]) {
			t.Errorf("digests wrong for %d bytes", len(data))
		}
		if res.IsImage || res.Format != "" || !res.PDQ.IsZero() {
			t.Errorf("non-image reported as image: %+v", res)
		}
		r2, err := HashReader(bytes.NewReader(data), Options{})
		if err != nil || r2 != res {
			t.Errorf("HashReader %+v %v, HashBytes %+v", r2, err, res)
		}
	}
}

func TestCorruptImage(t *testing.T) {
	e := syntheticImages(t, 60, 40)[0]
	for _, data := range [][]byte{e.data[:len(e.data)/2], append([]byte("\x89PNG\r\n\x1a\n"), "garbage"...)} {
		res, err := HashBytes(data, Options{})
		if err != nil {
			t.Fatalf("corrupt image is an error: %v", err)
		}
		if res.IsImage || res.ImageError == nil || res.Format != "png" || res.MD5 == "" {
			t.Errorf("corrupt image: %+v", res)
		}
	}
}

// pngHeader is a PNG signature and IHDR chunk announcing w×h pixels, with no
// image data: a decompression bomb's header.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	binary.Write(&b, binary.BigEndian, uint32(13))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestPixelBudget(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		opts Options
		dims string
	}{
		{"bomb header", pngHeader(100000, 100000), Options{}, "100000x100000"},
		{"just over", pngHeader(10001, 10000), Options{}, "10001x10000"},
		{"custom budget", syntheticImages(t, 100, 100)[0].data, Options{MaxPixels: 9999}, "100x100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := HashBytes(tc.data, tc.opts)
			if !errors.Is(err, ErrTooManyPixels) {
				t.Fatalf("error %v, want ErrTooManyPixels", err)
			}
			if !strings.Contains(err.Error(), tc.dims) {
				t.Errorf("error %q does not name %s", err, tc.dims)
			}
			if res.IsImage || res.MD5 == "" || res.SHA256 == "" {
				t.Errorf("result %+v", res)
			}
		})
	}
	// At the budget is fine.
	if _, err := HashBytes(syntheticImages(t, 100, 100)[0].data, Options{MaxPixels: 10000}); err != nil {
		t.Errorf("100x100 at a budget of 10000: %v", err)
	}
}

func TestHashFile(t *testing.T) {
	dir := t.TempDir()
	e := syntheticImages(t, 80, 60)[0]
	p := filepath.Join(dir, "a.png")
	if err := os.WriteFile(p, e.data, 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := HashFile(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := HashBytes(e.data, Options{})
	c, _ := HashReader(bytes.NewReader(e.data), Options{})
	if a != b || b != c || !a.IsImage {
		t.Errorf("HashFile %+v, HashBytes %+v, HashReader %+v", a, b, c)
	}
	if _, err := HashFile(filepath.Join(dir, "missing"), Options{}); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := HashFile(dir, Options{}); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
}

type expectedRow struct {
	file    string
	hash    pdq.Hash
	quality int
}

func readExpected(t testing.TB) []expectedRow {
	t.Helper()
	f, err := os.Open(filepath.Join(pdqtest.Dir(t), "expected.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []expectedRow
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		p := strings.Split(sc.Text(), "\t")
		if len(p) < 3 {
			continue
		}
		h, err := pdq.ParseHash(p[1])
		if err != nil {
			t.Fatalf("%s: %v", p[0], err)
		}
		q, err := strconv.Atoi(p[2])
		if err != nil {
			t.Fatalf("%s: %v", p[0], err)
		}
		rows = append(rows, expectedRow{p[0], h, q})
	}
	return rows
}

// TestExpectedFiles runs the reference vectors through HashFile, with the
// default (exact) JPEG decoder, which must give the reference's hashes
// exactly, with the reduced-scale one and with image/jpeg.
func TestExpectedFiles(t *testing.T) {
	dir := pdqtest.Dir(t)
	rows := readExpected(t)
	for _, decoder := range []struct {
		name string
		opts Options
	}{{"exact", Options{}}, {"scaled", Options{ScaledJPEG: true}}, {"stdlib", Options{StdlibJPEG: true}}} {
		maxDist := map[string]int{}
		for _, row := range rows {
			t.Run(decoder.name+"/"+row.file, func(t *testing.T) {
				if row.file == "pytx-resources/I16.png" {
					t.Skip("16-bit grey: reference implementations disagree (PDQ.md)")
				}
				res, err := HashFile(filepath.Join(dir, row.file), decoder.opts)
				if err != nil {
					t.Fatal(err)
				}
				if !res.IsImage {
					t.Fatalf("not an image: %v", res.ImageError)
				}
				d := pdq.Distance(res.PDQ, row.hash)
				t.Logf("distance %d, quality %d (reference %d)", d, res.Quality, row.quality)
				ext := strings.ToLower(filepath.Ext(row.file))
				if row.quality >= 80 || ext == ".png" || ext == ".gif" {
					maxDist[ext] = max(maxDist[ext], d)
				}
				limit := -1
				switch ext {
				case ".png", ".gif":
					limit = 2
				case ".jpg", ".jpeg":
					if decoder.name == "exact" {
						limit = 0 // libjpeg-turbo's pixels: the reference's hash
					} else if row.quality >= 80 {
						limit = 10
					}
				}
				if limit >= 0 && d > limit {
					t.Errorf("distance %d from the reference, want <= %d", d, limit)
				}
				if row.quality >= 50 && (res.Quality < row.quality-2 || res.Quality > row.quality+2) {
					t.Errorf("quality %d, reference %d", res.Quality, row.quality)
				}
			})
		}
		t.Logf("%s decoder: largest distance by extension (quality >= 80 JPEGs): %v", decoder.name, maxDist)
	}
}
