package filehash

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"

	"github.com/kspplatform/ksp/filehash/internal/jpegscale"
	"github.com/kspplatform/ksp/pdq"
)

// The costs below are what the decoders this package uses (image/jpeg,
// image/png, image/gif, golang.org/x/image's webp, bmp and tiff, and the
// reduced-scale JPEG decoder) allocate for an image of the declared size and
// variant, read from its header before anything is decompressed, plus the
// PDQ hasher's buffers. They are upper bounds for well-formed files and for
// the decoders' own limits on malformed ones; memory the decoders free early
// counts until the hash is done.

// decoderOverhead covers what does not grow with the pixels: Huffman and
// quantisation tables, zlib and LZW state, palettes, small row buffers.
const decoderOverhead = 256 << 10

// DecodeCost returns the most memory, in bytes, that hashing data takes from
// a MemoryBudget at any one time under opts, read from the image's headers
// only. It is 0 for data that is not an image, and an error for an image
// whose header cannot be read (such a file is not decoded).
func DecodeCost(data []byte, opts Options) (int64, error) {
	format := sniff(data)
	if format == "" {
		return 0, nil
	}
	cfg, err := codecs[format].decodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, fmt.Errorf("%s header: %w", format, err)
	}
	cost := fullDecodeCost(format, data, cfg, opts)
	if s := fastScale(format, data, cfg, opts); s > 1 {
		cost = max(cost, scaledJPEGCost(data, cfg, s))
	}
	if format == "jpeg" && !opts.StdlibJPEG && !opts.ScaledJPEG {
		if jc, ok := exactJPEG(data); ok {
			// The exact decoder, then image/jpeg if it fails: one at a time.
			cost = max(cost, exactJPEGCost(jc, opts))
		}
	}
	return cost, nil
}

// fastScale returns the scale at which hashImage decodes a JPEG with the
// reduced-scale decoder, or 1 when it decodes at full size.
func fastScale(format string, data []byte, cfg image.Config, opts Options) int {
	if format != "jpeg" || !opts.ScaledJPEG || opts.StdlibJPEG || opts.Dihedral {
		return 1
	}
	if _, _, err := jpegscale.Config(data); err != nil {
		return 1
	}
	return scaleFor(cfg.Width, cfg.Height, pdq.Options{FullResolution: opts.FullResolution})
}

// fullDecodeCost is what decoding at full size and hashing allocate.
func fullDecodeCost(format string, data []byte, cfg image.Config, opts Options) int64 {
	return imageCost(format, data, cfg) + hashCost(cfg.Width, cfg.Height, opts.FullResolution) + decoderOverhead
}

// scaledJPEGCost is what the reduced-scale JPEG path allocates at 1/s: the
// component planes at that scale, the 512×512 grid it samples, and the
// hasher's buffers for that grid.
func scaledJPEGCost(data []byte, cfg image.Config, s int) int64 {
	f, ok := readJPEGFrame(data)
	if !ok {
		return imageCost("jpeg", data, cfg)
	}
	grid := int64(4 * pdq.PreResize * pdq.PreResize)
	return f.planes()/int64(s*s) + grid + hashCost(pdq.PreResize, pdq.PreResize, false) + decoderOverhead
}

// hashCost is what the PDQ hasher allocates for a w×h image: two float32
// buffers of the hashing grid (512×512, or the whole image at full
// resolution or when it is smaller), a 64-column strip of it, and indexes.
func hashCost(w, h int, fullResolution bool) int64 {
	if w < pdq.MinSide || h < pdq.MinSide {
		return 0
	}
	cols, rows := int64(w), int64(h)
	if !fullResolution && (w > pdq.PreResize || h > pdq.PreResize) {
		cols, rows = pdq.PreResize, pdq.PreResize
	}
	wide := max(cols, 64)
	return 4*rows*cols + 4*rows*wide + 4*64*rows + 8*wide + max(rows, cols) + 8*3*(rows+cols)
}

// imageCost is what the format's decoder allocates for the image.
func imageCost(format string, data []byte, cfg image.Config) int64 {
	w, h := int64(cfg.Width), int64(cfg.Height)
	px := w * h
	switch format {
	case "jpeg":
		return jpegCost(data, cfg, px)
	case "png":
		return pngCost(data, w, px)
	case "gif":
		// One paletted frame, which must lie within the logical screen.
		return px
	case "webp":
		return webpCost(data, cfg, px)
	case "bmp":
		return bytesPerPixel(cfg.ColorModel)*px + 4*w
	case "tiff":
		// The image, and the buffer a strip or tile is decompressed into:
		// up to 8 bytes a pixel (the decoder's own cap), read into a buffer
		// that grows by doubling, so that its successive allocations add up
		// to four times that.
		return bytesPerPixel(cfg.ColorModel)*px + 4*8*tiffBlockPixels(data, w, h)
	}
	return 8 * px
}

// bytesPerPixel is the size of a pixel of the image type a decoder returns
// for a colour model; 8 (the largest) for models it does not know.
func bytesPerPixel(m color.Model) int64 {
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel, color.NYCbCrAModel:
		return 4
	}
	return 8
}

// jpegFrame is what a JPEG's frame header says about the decoded size.
type jpegFrame struct {
	width, height int
	progressive   bool
	h, v          [4]int64 // sampling factors of each component
	n             int      // components
}

// readJPEGFrame walks the markers up to the first frame header.
func readJPEGFrame(data []byte) (f jpegFrame, ok bool) {
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		return f, false
	}
	for pos := 2; pos+4 <= len(data); {
		if data[pos] != 0xff {
			return f, false
		}
		for pos < len(data) && data[pos] == 0xff {
			pos++
		}
		if pos >= len(data) {
			return f, false
		}
		m := data[pos]
		pos++
		if m == 0x01 || (m >= 0xd0 && m <= 0xd8) { // TEM, RSTn, SOI: no length
			continue
		}
		if m == 0xd9 || m == 0xda || pos+2 > len(data) { // EOI or a scan before any frame
			return f, false
		}
		n := int(data[pos])<<8 | int(data[pos+1])
		if n < 2 || pos+n > len(data) {
			return f, false
		}
		seg := data[pos+2 : pos+n]
		pos += n
		if m < 0xc0 || m > 0xcf || m == 0xc4 || m == 0xc8 || m == 0xcc {
			continue // not a frame header
		}
		if len(seg) < 6 {
			return f, false
		}
		f.height = int(seg[1])<<8 | int(seg[2])
		f.width = int(seg[3])<<8 | int(seg[4])
		f.n = int(seg[5])
		if f.n < 1 || f.n > 4 || len(seg) < 6+3*f.n {
			return f, false
		}
		for i := 0; i < f.n; i++ {
			c := seg[6+3*i+1]
			f.h[i], f.v[i] = max(int64(c>>4), 1), max(int64(c&15), 1)
			if f.n == 1 {
				f.h[i], f.v[i] = 1, 1 // a single component's factors do not matter
			}
		}
		f.progressive = m == 0xc2 || m == 0xc6 || m == 0xca || m == 0xce
		return f, true
	}
	return f, false
}

// planes is the size of the decoded component planes, each padded to whole
// MCUs, as image/jpeg and jpegscale allocate them at full scale.
func (f jpegFrame) planes() int64 {
	var hmax, vmax int64 = 1, 1
	for i := 0; i < f.n; i++ {
		hmax, vmax = max(hmax, f.h[i]), max(vmax, f.v[i])
	}
	mx := (int64(f.width) + 8*hmax - 1) / (8 * hmax)
	my := (int64(f.height) + 8*vmax - 1) / (8 * vmax)
	var total int64
	for i := 0; i < f.n; i++ {
		total += 64 * f.h[i] * f.v[i] * mx * my
	}
	return total
}

// jpegCost is what image/jpeg allocates: the component planes; for a
// progressive file, every coefficient too (a 64-entry int32 block per 8×8
// samples: 4 bytes a sample); and an RGBA or CMYK copy for files that decode
// to RGB (as the header's colour model says) or have 4 components.
func jpegCost(data []byte, cfg image.Config, px int64) int64 {
	f, ok := readJPEGFrame(data)
	if !ok {
		// Not readable here, so image/jpeg fails early too; assume the
		// worst variant anyway.
		return 3*px + 4*3*px + 4*px
	}
	planes := f.planes()
	cost := planes
	if f.progressive {
		cost += 4 * planes
	}
	model := cfg.ColorModel
	if model == nil && f.n == 3 {
		// The dimensions came from the reduced-scale decoder's header
		// reader; whether image/jpeg takes the file for RGB is its call.
		if c, err := codecs["jpeg"].decodeConfig(bytes.NewReader(data)); err == nil {
			model = c.ColorModel
		}
	}
	if f.n == 4 || model == color.RGBAModel {
		cost += 4 * px
	}
	return cost
}

// pngCost is what image/png allocates: the image of the type the colour type
// and depth decode to (transparency from a tRNS chunk widens grey and
// truecolour to NRGBA), a second full set of pixels for the passes of an
// interlaced file, and two rows of raw data.
func pngCost(data []byte, w, px int64) int64 {
	// Signature, then IHDR: length, type, width, height, depth, colour
	// type, compression, filter, interlace.
	if len(data) < 33 || string(data[12:16]) != "IHDR" {
		return 2*8*px + 2*(8*w+1)
	}
	depth, ctype, interlaced := int64(data[24]), data[25], data[28] == 1
	trns := false
	for pos := 8; pos+8 <= len(data); {
		n := int64(binary.BigEndian.Uint32(data[pos:]))
		typ := string(data[pos+4 : pos+8])
		if typ == "IDAT" || typ == "IEND" {
			break
		}
		if typ == "tRNS" {
			trns = true
		}
		if n > int64(len(data)) {
			break
		}
		pos += 12 + int(n)
	}
	wide := depth == 16
	var bpp, channels int64
	switch ctype {
	case 0: // grey
		channels = 1
		switch {
		case wide && trns:
			bpp = 8
		case wide:
			bpp = 2
		case trns:
			bpp = 4
		default:
			bpp = 1
		}
	case 2: // truecolour
		channels, bpp = 3, 4
	case 3: // paletted
		channels, bpp = 1, 1
	case 4: // grey and alpha
		channels, bpp = 2, 4
	case 6: // truecolour and alpha
		channels, bpp = 4, 4
	default:
		channels, bpp = 4, 8
	}
	if wide && ctype != 0 {
		bpp = 8
	}
	cost := bpp * px
	if interlaced {
		cost *= 2
	}
	return cost + 2*(1+(channels*depth*w+7)/8)
}

// webpCost is what x/image/webp allocates: lossy files decode to 4:2:0
// YCbCr over whole 16×16 macroblocks, after a copy of the compressed data;
// an alpha channel adds its plane, and, when it is compressed losslessly,
// the RGBA image it is decoded through and a copy from its colour-indexing
// transform; lossless files decode to RGBA, with the same copy.
func webpCost(data []byte, cfg image.Config, px int64) int64 {
	mbs := int64((cfg.Width+15)/16) * int64((cfg.Height+15)/16)
	lossy := 384*mbs + int64(len(data))
	switch cfg.ColorModel {
	case color.YCbCrModel:
		return lossy
	case color.NYCbCrAModel:
		return lossy + px + 8*px
	}
	return 8 * px
}

// tiffBlockPixels returns the pixels of the largest strip or tile the first
// image file directory declares, or the whole image when it cannot say.
func tiffBlockPixels(data []byte, w, h int64) int64 {
	whole := w * h
	if len(data) < 8 {
		return whole
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if data[0] == 'M' {
		bo = binary.BigEndian
	}
	off := int64(bo.Uint32(data[4:8]))
	if off+2 > int64(len(data)) {
		return whole
	}
	n := int64(bo.Uint16(data[off:]))
	var rows, tw, tl int64
	for i := int64(0); i < n; i++ {
		e := off + 2 + 12*i
		if e+12 > int64(len(data)) {
			break
		}
		var v int64
		switch bo.Uint16(data[e+2:]) {
		case 3: // SHORT
			v = int64(bo.Uint16(data[e+8:]))
		case 4: // LONG
			v = int64(bo.Uint32(data[e+8:]))
		default:
			continue
		}
		switch bo.Uint16(data[e:]) {
		case 278:
			rows = v
		case 322:
			tw = v
		case 323:
			tl = v
		}
	}
	switch {
	case tw > 0 && tl > 0:
		return tw * tl
	case rows > 0 && rows < h:
		return w * rows
	}
	return whole
}
