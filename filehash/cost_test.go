package filehash

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"runtime"
	"testing"

	"golang.org/x/image/tiff"
)

// pngChunk appends one PNG chunk, with its CRC.
func pngChunk(b *bytes.Buffer, typ string, data []byte) {
	binary.Write(b, binary.BigEndian, uint32(len(data)))
	chunk := append([]byte(typ), data...)
	b.Write(chunk)
	binary.Write(b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
}

// pngDeclaring is a PNG's signature and header chunks, with no image data:
// what the cost is computed from.
func pngDeclaring(w, h uint32, depth, ctype, interlace byte, trns bool) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9], ihdr[12] = depth, ctype, interlace
	pngChunk(&b, "IHDR", ihdr)
	if ctype == 3 {
		pngChunk(&b, "PLTE", make([]byte, 3*16))
	}
	if trns {
		pngChunk(&b, "tRNS", []byte{0, 0})
	}
	pngChunk(&b, "IDAT", nil)
	return b.Bytes()
}

// jpegDeclaring is a JPEG's markers up to its first scan: an optional Adobe
// segment with the given colour transform (-1: none), and a frame header of
// the given type with components of the given sampling factors (0xHV).
func jpegDeclaring(sof byte, w, h int, adobe int, factors ...byte) []byte {
	b := []byte{0xff, 0xd8}
	if adobe >= 0 {
		b = append(b, 0xff, 0xee, 0, 14)
		b = append(b, "Adobe\x00\x64\x00\x00\x00\x00"...)
		b = append(b, byte(adobe))
	}
	n := len(factors)
	b = append(b, 0xff, sof, 0, byte(8+3*n), 8, byte(h>>8), byte(h), byte(w>>8), byte(w), byte(n))
	for i, f := range factors {
		b = append(b, byte(i+1), f, 0)
	}
	return append(b, 0xff, 0xda, 0, 8)
}

// tiffGrey encodes a w×h grey TIFF (one strip, as x/image writes it), and
// with rows > 0 rewrites its RowsPerStrip to that.
func tiffGrey(t *testing.T, w, h int, rows uint32) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := tiff.Encode(&b, image.NewGray(image.Rect(0, 0, w, h)), &tiff.Options{Compression: tiff.Deflate}); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	if rows == 0 {
		return data
	}
	le := binary.LittleEndian
	ifd := int(le.Uint32(data[4:]))
	for i := 0; i < int(le.Uint16(data[ifd:])); i++ {
		e := ifd + 2 + 12*i
		if le.Uint16(data[e:]) == 278 {
			if le.Uint16(data[e+2:]) == 3 {
				le.PutUint16(data[e+8:], uint16(rows))
			} else {
				le.PutUint32(data[e+8:], rows)
			}
			return data
		}
	}
	t.Fatal("no RowsPerStrip in the encoded TIFF")
	return nil
}

// TestDecodeCostDeclared computes the cost of images from their headers
// alone: what the decoder allocates for the declared size and variant.
func TestDecodeCostDeclared(t *testing.T) {
	const mp = 1000 * 1000
	tests := []struct {
		name string
		data []byte
		w, h int
		want int64 // the decoder's share: DecodeCost less the hasher's and the fixed overhead
	}{
		{"png 16-bit RGBA, 10000×10000", pngDeclaring(10000, 10000, 16, 6, 0, false), 10000, 10000, 8*100*mp + 2*(1+8*10000)},
		{"png 8-bit RGBA", pngDeclaring(1000, 1000, 8, 6, 0, false), 1000, 1000, 4*mp + 2*(1+4000)},
		{"png 8-bit RGB", pngDeclaring(1000, 1000, 8, 2, 0, false), 1000, 1000, 4*mp + 2*(1+3000)},
		{"png 8-bit RGB, interlaced", pngDeclaring(1000, 1000, 8, 2, 1, false), 1000, 1000, 2*4*mp + 2*(1+3000)},
		{"png 8-bit grey", pngDeclaring(1000, 1000, 8, 0, 0, false), 1000, 1000, mp + 2*(1+1000)},
		{"png 8-bit grey with tRNS", pngDeclaring(1000, 1000, 8, 0, 0, true), 1000, 1000, 4*mp + 2*(1+1000)},
		{"png 16-bit grey", pngDeclaring(1000, 1000, 16, 0, 0, false), 1000, 1000, 2*mp + 2*(1+2000)},
		{"png 16-bit grey with tRNS", pngDeclaring(1000, 1000, 16, 0, 0, true), 1000, 1000, 8*mp + 2*(1+2000)},
		{"png 16-bit grey and alpha", pngDeclaring(1000, 1000, 16, 4, 0, false), 1000, 1000, 8*mp + 2*(1+4000)},
		{"png 4-bit palette", pngDeclaring(1000, 1000, 4, 3, 0, false), 1000, 1000, mp + 2*(1+500)},
		// 4:2:0: 250×188 MCUs of 16×16 luma and 8×8 of each chroma.
		{"jpeg baseline 4:2:0", jpegDeclaring(0xc0, 4000, 3000, -1, 0x22, 0x11, 0x11), 4000, 3000, 250 * 188 * (256 + 64 + 64)},
		{"jpeg progressive 4:2:0", jpegDeclaring(0xc2, 4000, 3000, -1, 0x22, 0x11, 0x11), 4000, 3000, 5 * 250 * 188 * (256 + 64 + 64)},
		{"jpeg baseline 4:2:2", jpegDeclaring(0xc0, 4000, 3000, -1, 0x21, 0x11, 0x11), 4000, 3000, 250 * 375 * (128 + 64 + 64)},
		{"jpeg grey, padded to 8", jpegDeclaring(0xc0, 1001, 1001, -1, 0x11), 1001, 1001, 126 * 126 * 64},
		{"jpeg RGB (Adobe transform 0)", jpegDeclaring(0xc0, 1000, 1000, 0, 0x11, 0x11, 0x11), 1000, 1000, 3*mp + 4*mp},
		{"jpeg CMYK", jpegDeclaring(0xc0, 1000, 1000, 2, 0x11, 0x11, 0x11, 0x11), 1000, 1000, 4*mp + 4*mp},
		{"gif", append([]byte("GIF89a\xe8\x03\xe8\x03"), 0, 0, 0), 1000, 1000, mp},
		// The strip is decompressed into a doubling buffer: 4 × 8 bytes a
		// pixel of the strip at most.
		{"tiff grey, one strip", tiffGrey(t, 1000, 1000, 0), 1000, 1000, mp + 32*mp},
		{"tiff grey, 16 rows a strip", tiffGrey(t, 1000, 1000, 16), 1000, 1000, mp + 32*1000*16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// At full size: the reduced-scale JPEG path is checked below.
			cost, err := DecodeCost(tt.data, Options{StdlibJPEG: true})
			if err != nil {
				t.Fatal(err)
			}
			got := cost - hashCost(tt.w, tt.h, false) - decoderOverhead
			if got != tt.want {
				t.Fatalf("decoder cost %d (%.2f B/px), want %d (%.2f B/px)", got, float64(got)/float64(tt.w*tt.h), tt.want, float64(tt.want)/float64(tt.w*tt.h))
			}
		})
	}
	// A JPEG decoded at reduced scale takes its planes at that scale (1/2
	// for 1001×1001), the 512×512 grid sampled from them and the hasher's
	// buffers for that grid: here more than the full decode.
	grey := jpegDeclaring(0xc0, 1001, 1001, -1, 0x11)
	want := int64(126*126*64/4+4*512*512) + hashCost(512, 512, false) + decoderOverhead
	if c, err := DecodeCost(grey, Options{ScaledJPEG: true}); c != want || err != nil {
		t.Errorf("DecodeCost(1001×1001 grey JPEG, reduced scale) = %d, %v; want %d", c, err, want)
	}
	// The default, exact decoder: the coefficients (2 bytes a sample of the
	// 126×126 blocks), the samples of the picked rows and columns (at most
	// twice 512 of each), the 512×512 grid and its luma, the hasher's
	// buffers; more than image/jpeg's full decode here.
	jc, ok := exactJPEG(grey)
	if !ok {
		t.Fatal("exact decoder refuses the grey header")
	}
	want = jc.MemoryCost(512, 512) + 4*512*512 + hashCost(512, 512, true) + decoderOverhead
	if c, err := DecodeCost(grey, Options{}); c != want || err != nil {
		t.Errorf("DecodeCost(1001×1001 grey JPEG) = %d, %v; want %d", c, err, want)
	}
	if c := jc.MemoryCost(512, 512); c < 2*126*126*64+1001*1001 {
		t.Errorf("exact decoder's cost %d is below its coefficients and samples", c)
	}
	// Dimensions from the reduced-scale decoder's header reader carry no
	// colour model: whether image/jpeg decodes to RGB is still asked.
	rgb := jpegDeclaring(0xc0, 1000, 1000, 0, 0x11, 0x11, 0x11)
	if c := imageCost("jpeg", rgb, image.Config{Width: 1000, Height: 1000}); c != 7*mp {
		t.Errorf("cost of an RGB JPEG without its colour model: %d, want %d", c, 7*mp)
	}
	if c, err := DecodeCost([]byte("not an image"), Options{}); c != 0 || err != nil {
		t.Errorf("DecodeCost(not an image) = %d, %v", c, err)
	}
	if _, err := DecodeCost([]byte("\x89PNG\r\n\x1a\ntruncated"), Options{}); err == nil {
		t.Error("DecodeCost of an unreadable header is not an error")
	}
}

// TestDecodeCostBoundsAllocation hashes real files of every format (and
// JPEG both ways) and checks that what the decode and the hash allocated
// stays within DecodeCost, and that the cost is not wildly above it.
func TestDecodeCostBoundsAllocation(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation changes what the decoders allocate")
	}
	type tc struct {
		name string
		data []byte
		opts Options
	}
	var cases []tc
	for _, e := range syntheticImages(t, 1200, 900) {
		cases = append(cases, tc{e.name, e.data, Options{}})
		if e.format == "jpeg" {
			cases = append(cases, tc{e.name + " full decode", e.data, Options{Dihedral: true}})
		}
	}
	// 16 bits a sample: the largest strip buffer.
	var b bytes.Buffer
	n64 := image.NewNRGBA64(image.Rect(0, 0, 1200, 900))
	for i := range n64.Pix {
		n64.Pix[i] = uint8(i * 7 / 3)
	}
	if err := tiff.Encode(&b, n64, &tiff.Options{Compression: tiff.Deflate}); err != nil {
		t.Fatal(err)
	}
	cases = append(cases, tc{"tiff-rgba16", b.Bytes(), Options{}})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cost, err := DecodeCost(c.data, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			// Empty the pools, so that every buffer is allocated afresh.
			runtime.GC()
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			res, err := HashBytes(c.data, c.opts)
			runtime.ReadMemStats(&after)
			if err != nil || !res.IsImage {
				t.Fatalf("hash: %v %+v", err, res.ImageError)
			}
			used := int64(after.TotalAlloc - before.TotalAlloc)
			t.Logf("allocated %.1f MiB, cost %.1f MiB", float64(used)/(1<<20), float64(cost)/(1<<20))
			if used > cost {
				t.Errorf("allocated %d bytes, more than the cost of %d", used, cost)
			}
			if cost > 4*used+4<<20 {
				t.Errorf("cost %d is far above the %d bytes allocated", cost, used)
			}
		})
	}
}
