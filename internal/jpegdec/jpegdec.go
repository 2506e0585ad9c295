// Package jpegdec decodes JPEG images to exactly the pixels that
// libjpeg-turbo 2.1.5 gives with its default settings (what `djpeg -pnm`
// writes): the accurate integer inverse DCT ("islow"), "fancy" triangular
// chroma upsampling for 2×1, 2×2 and 1×2 subsampling, replication for the
// other integer ratios, and the library's fixed-point YCbCr→RGB conversion.
//
// It decodes 8-bit baseline, extended sequential and progressive Huffman
// JPEGs with 1 (grey) or 3 components, any sampling factors whose ratios are
// integers, restart intervals and partial MCUs. 12-bit, lossless,
// hierarchical and arithmetic-coded files, and 2- or 4-component files
// (CMYK, YCCK) are refused with an error wrapping ErrUnsupported.
//
// Besides a full decode, the decoder can produce only a chosen set of rows
// and columns (DecodePicked), as a nearest-neighbour resize samples them:
// the second inverse-DCT pass, upsampling and colour conversion then run for
// the picked pixels (and the chroma samples they interpolate from) only,
// with the same values as a full decode.
//
// The code follows ITU-T T.81 and the behaviour observed from djpeg.
package jpegdec

import (
	"errors"
	"fmt"
)

// ErrUnsupported is wrapped by the errors for JPEG variants this package
// does not decode.
var ErrUnsupported = errors.New("jpegdec: unsupported JPEG variant")

// ErrTooManyPixels is wrapped by the error for a frame whose width × height
// exceeds Decoder.MaxPixels; nothing is allocated for it.
var ErrTooManyPixels = errors.New("jpegdec: image exceeds the pixel budget")

var (
	errTruncated = errors.New("jpegdec: truncated or corrupt data")
	errBadCode   = errors.New("jpegdec: bad Huffman code")
)

// Image is decoded pixels: Channels is 1 (grey) or 3 (R, G, B), samples are
// packed row by row, Stride = Width × Channels.
type Image struct {
	Width, Height, Channels int
	Pix                     []byte
}

// Config is what the frame header says.
type Config struct {
	Width, Height int
	// Components is 1 (grey), 3 (YCbCr or RGB) or, for files Decode
	// refuses, 2 or 4.
	Components  int
	Progressive bool

	comps []compGeom
}

// Colour spaces of 3-component files, as libjpeg infers them.
const (
	csGrey = iota
	csYCbCr
	csRGB
)

type component struct {
	id, h, v, tq int
	bw, bh       int // blocks per line and per column, MCU-padded
	dw, dh       int // samples per line and per column (not padded)
	coef         []int16
	dcOnly       []bool    // sequential: per block, no AC coefficient
	quant        [64]int32 // latched at the component's first scan, natural order
	latched      bool
	scanned      bool // a sequential scan wrote its blocks
	pred         int32
	dcTab, acTab int
	coefBits     [64]int8 // progressive: Al of the last scan for each coefficient, -1 before any
}

// Decoder decodes JPEGs. It keeps its buffers between calls; it is not safe
// for concurrent use. The zero value is ready to use.
type Decoder struct {
	// MaxPixels, if positive, refuses frames whose width × height exceeds
	// it, before allocating anything for them.
	MaxPixels int64

	data            []byte
	pos             int
	width, height   int
	ncomp           int
	precision       int
	comps           [4]component
	hmax, vmax      int
	progressive     bool
	frame           bool
	quant           [4][64]int32
	qset            [4]bool
	dc, ac          [4]huffTable
	restartInterval int
	jfif, adobe     bool
	adobeTransform  int
	colour          int
	eobrun          int
	mcusX, mcusY    int
	br              bitReader
	scans           int
	smoothing       bool
	out             output
	img             Image
	identX, identY  []int
}

// DecodeConfig reads the headers up to the frame header.
func DecodeConfig(data []byte) (Config, error) {
	var d Decoder
	if err := d.readHeaders(data, true); err != nil {
		return Config{}, err
	}
	cfg := Config{Width: d.width, Height: d.height, Components: d.ncomp, Progressive: d.progressive}
	if d.precision == 8 && (d.ncomp == 1 || d.ncomp == 3) {
		cfg.comps = make([]compGeom, d.ncomp)
		for i := range cfg.comps {
			c := &d.comps[i]
			cfg.comps[i] = compGeom{dw: c.dw, dh: c.dh, bw: c.bw, bh: c.bh}
		}
	}
	return cfg, nil
}

// compGeom is a component's size, for MemoryCost.
type compGeom struct{ dw, dh, bw, bh int }

// MemoryCost returns an upper bound of what a decode of a file with this
// header allocates: DecodePicked with nx×ny picked pixels, or Decode with
// nx, ny the image's width and height. It is 0 when the header did not
// describe a variant Decode handles.
func (c Config) MemoryCost(nx, ny int) int64 {
	if len(c.comps) == 0 {
		return 0
	}
	var n int64
	for _, g := range c.comps {
		n += (2*64 + 1) * int64(g.bw) * int64(g.bh) // coefficients, DC-only flags
		rows := min(int64(g.dh), 2*int64(ny))
		cols := min(int64(g.dw), 2*int64(nx))
		n += rows*cols + 8*int64(g.dw+g.dh) + (4*64+2)*int64(g.bw) // samples, plan, workspace
		n += 13*int64(nx+ny) + int64(nx)                           // per picked column and row
	}
	return n + int64(nx)*int64(ny)*int64(len(c.comps))
}

// Decode decodes the whole image. The returned Image belongs to the
// Decoder and is valid until its next use.
func (d *Decoder) Decode(data []byte) (*Image, error) {
	if err := d.decodeCoefficients(data); err != nil {
		return nil, err
	}
	d.identX = identity(d.identX, d.width)
	d.identY = identity(d.identY, d.height)
	return d.render(d.identX, d.identY)
}

// DecodePicked decodes the image and returns the len(xs)×len(ys) image
// whose pixel (i, j) is the full decode's pixel (xs[i], ys[j]). Only the
// rows and columns picked (and the chroma samples they are interpolated
// from) are computed past the first inverse-DCT pass. Coordinates must lie
// inside the image. The Image belongs to the Decoder and is valid until its
// next use.
func (d *Decoder) DecodePicked(data []byte, xs, ys []int) (*Image, error) {
	if err := d.decodeCoefficients(data); err != nil {
		return nil, err
	}
	for _, x := range xs {
		if x < 0 || x >= d.width {
			return nil, fmt.Errorf("jpegdec: picked column %d outside the image (width %d)", x, d.width)
		}
	}
	for _, y := range ys {
		if y < 0 || y >= d.height {
			return nil, fmt.Errorf("jpegdec: picked row %d outside the image (height %d)", y, d.height)
		}
	}
	return d.render(xs, ys)
}

func identity(s []int, n int) []int {
	if cap(s) < n {
		s = make([]int, n)
	}
	s = s[:n]
	for i := range s {
		s[i] = i
	}
	return s
}

// decodeCoefficients parses data and entropy-decodes every scan into the
// components' coefficient buffers.
func (d *Decoder) decodeCoefficients(data []byte) error {
	if err := d.readHeaders(data, false); err != nil {
		return err
	}
	return nil
}

func (d *Decoder) reset(data []byte) {
	d.data, d.pos = data, 0
	d.frame, d.progressive = false, false
	d.restartInterval = 0
	d.jfif, d.adobe, d.adobeTransform = false, false, 0
	d.qset = [4]bool{}
	for i := range d.dc {
		d.dc[i].ok, d.ac[i].ok = false, false
	}
	d.scans = 0
	d.ncomp = 0
}

func (d *Decoder) u16() (int, error) {
	if d.pos+2 > len(d.data) {
		return 0, errTruncated
	}
	v := int(d.data[d.pos])<<8 | int(d.data[d.pos+1])
	d.pos += 2
	return v, nil
}

// readHeaders walks the markers. With configOnly it stops after the frame
// header; otherwise it decodes every scan until EOI.
func (d *Decoder) readHeaders(data []byte, configOnly bool) error {
	d.reset(data)
	if len(data) < 2 || data[0] != 0xff || data[1] != 0xd8 {
		return errors.New("jpegdec: missing SOI marker")
	}
	d.pos = 2
	for {
		if d.pos >= len(d.data) {
			if d.scans > 0 {
				// libjpeg accepts a missing EOI after complete scans.
				return nil
			}
			return errTruncated
		}
		if d.data[d.pos] != 0xff {
			// Skip garbage before a marker, as libjpeg does (with a warning).
			d.pos++
			continue
		}
		for d.pos < len(d.data) && d.data[d.pos] == 0xff {
			d.pos++
		}
		if d.pos >= len(d.data) {
			return errTruncated
		}
		m := d.data[d.pos]
		d.pos++
		switch {
		case m == 0x00:
			continue // a stuffed zero outside a scan: garbage
		case m == 0xd9: // EOI
			if !d.frame || d.scans == 0 {
				return errors.New("jpegdec: no image data before EOI")
			}
			return nil
		case m >= 0xd0 && m <= 0xd7, m == 0x01, m == 0xd8:
			continue // stray RSTn, TEM, SOI: no length
		}
		length, err := d.u16()
		if err != nil {
			return err
		}
		if length < 2 || d.pos+length-2 > len(d.data) {
			return errTruncated
		}
		seg := d.data[d.pos : d.pos+length-2]
		d.pos += length - 2
		switch {
		case m == 0xc0 || m == 0xc1 || m == 0xc2:
			if d.frame {
				return errors.New("jpegdec: more than one frame")
			}
			d.progressive = m == 0xc2
			if err := d.sof(seg, configOnly); err != nil {
				return err
			}
			if configOnly {
				return nil
			}
		case m == 0xc3 || (m >= 0xc5 && m <= 0xc7):
			return fmt.Errorf("%w: lossless or hierarchical JPEG (SOF%d)", ErrUnsupported, m-0xc0)
		case m >= 0xc9 && m <= 0xcf && m != 0xcc:
			return fmt.Errorf("%w: arithmetic-coded JPEG (SOF%d)", ErrUnsupported, m-0xc0)
		case m == 0xcc:
			return fmt.Errorf("%w: arithmetic coding conditioning (DAC)", ErrUnsupported)
		case m == 0xc4:
			if err := d.dht(seg); err != nil {
				return err
			}
		case m == 0xdb:
			if err := d.dqt(seg); err != nil {
				return err
			}
		case m == 0xdd:
			if len(seg) < 2 {
				return errTruncated
			}
			d.restartInterval = int(seg[0])<<8 | int(seg[1])
		case m == 0xe0:
			if len(seg) >= 5 && string(seg[:5]) == "JFIF\x00" {
				d.jfif = true
			}
		case m == 0xee:
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
				d.adobe, d.adobeTransform = true, int(seg[11])
			}
		case m == 0xda:
			if !d.frame {
				return errors.New("jpegdec: scan before the frame header")
			}
			if configOnly {
				return nil
			}
			if err := d.sos(seg); err != nil {
				return err
			}
			d.scans++
		case m == 0xdc:
			return fmt.Errorf("%w: DNL marker", ErrUnsupported)
		default:
			// APPn, COM and others: skipped.
		}
	}
}

func (d *Decoder) sof(seg []byte, configOnly bool) error {
	if len(seg) < 6 {
		return errTruncated
	}
	d.height = int(seg[1])<<8 | int(seg[2])
	d.width = int(seg[3])<<8 | int(seg[4])
	d.ncomp = int(seg[5])
	d.precision = int(seg[0])
	if configOnly && (seg[0] != 8 || (d.ncomp != 1 && d.ncomp != 3)) {
		return nil // DecodeConfig reports what it can of variants Decode refuses
	}
	if seg[0] != 8 {
		return fmt.Errorf("%w: %d-bit samples", ErrUnsupported, seg[0])
	}
	if d.width == 0 || d.height == 0 {
		return errors.New("jpegdec: zero width or height")
	}
	if d.MaxPixels > 0 && int64(d.width)*int64(d.height) > d.MaxPixels {
		return fmt.Errorf("%w: %dx%d is more than %d pixels", ErrTooManyPixels, d.width, d.height, d.MaxPixels)
	}
	if d.ncomp != 1 && d.ncomp != 3 {
		return fmt.Errorf("%w: %d components", ErrUnsupported, d.ncomp)
	}
	if len(seg) < 6+3*d.ncomp {
		return errTruncated
	}
	d.hmax, d.vmax = 1, 1
	for i := 0; i < d.ncomp; i++ {
		c := &d.comps[i]
		p := seg[6+3*i:]
		c.id, c.h, c.v, c.tq = int(p[0]), int(p[1]>>4), int(p[1]&15), int(p[2])
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3 {
			return errors.New("jpegdec: bad component sampling factors or table")
		}
		for j := 0; j < i; j++ {
			if d.comps[j].id == c.id {
				return errors.New("jpegdec: duplicate component id")
			}
		}
		d.hmax, d.vmax = max(d.hmax, c.h), max(d.vmax, c.v)
	}
	d.colour = csGrey
	if d.ncomp == 3 {
		d.colour = csYCbCr
		switch {
		case d.jfif:
		case d.adobe:
			if d.adobeTransform == 0 {
				d.colour = csRGB
			}
		case d.comps[0].id == 'R' && d.comps[1].id == 'G' && d.comps[2].id == 'B':
			d.colour = csRGB
		}
	}
	d.mcusX = (d.width + 8*d.hmax - 1) / (8 * d.hmax)
	d.mcusY = (d.height + 8*d.vmax - 1) / (8 * d.vmax)
	for i := 0; i < d.ncomp; i++ {
		c := &d.comps[i]
		if d.hmax%c.h != 0 || d.vmax%c.v != 0 {
			return fmt.Errorf("%w: fractional sampling factors", ErrUnsupported)
		}
		c.dw = (d.width*c.h + d.hmax - 1) / d.hmax
		c.dh = (d.height*c.v + d.vmax - 1) / d.vmax
		c.bw, c.bh = d.mcusX*c.h, d.mcusY*c.v
		if configOnly {
			continue
		}
		n := c.bw * c.bh * 64
		if cap(c.coef) < n {
			c.coef = make([]int16, n)
		}
		c.coef = c.coef[:n]
		c.dcOnly = grow(c.dcOnly, n/64)
		if d.progressive {
			// Sequential scans write every block they cover; the rest is
			// cleared at output if a component got no scan.
			clear(c.coef)
		}
		c.latched, c.scanned = false, false
		for k := range c.coefBits {
			c.coefBits[k] = -1
		}
	}
	d.frame = !configOnly
	return nil
}

func (d *Decoder) dqt(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, seg[0]&15
		if tq > 3 {
			return errors.New("jpegdec: bad quantisation table id")
		}
		seg = seg[1:]
		q := &d.quant[tq]
		switch pq {
		case 0:
			if len(seg) < 64 {
				return errTruncated
			}
			for i := 0; i < 64; i++ {
				q[zigzag[i]] = int32(seg[i])
			}
			seg = seg[64:]
		case 1:
			if len(seg) < 128 {
				return errTruncated
			}
			for i := 0; i < 64; i++ {
				// libjpeg-turbo keeps multipliers as 16-bit signed values.
				q[zigzag[i]] = int32(int16(uint16(seg[2*i])<<8 | uint16(seg[2*i+1])))
			}
			seg = seg[128:]
		default:
			return errors.New("jpegdec: bad quantisation table precision")
		}
		d.qset[tq] = true
	}
	return nil
}

// zigzag maps zig-zag order to natural (row-major) order.
var zigzag = [64 + 16]uint8{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
	// Extra entries so that a corrupt run past 63 lands on a harmless slot
	// (63) instead of out of range; such blocks are errors anyway.
	63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
}
