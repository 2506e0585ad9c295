// Package jpegscale decodes sequential (baseline and extended) Huffman JPEG
// images at a reduced scale in the DCT domain: 1/2, 1/4 or 1/8 of the size,
// from the top-left 4×4, 2×2 or 1×1 coefficients of each block and a small
// inverse DCT. All coefficients are still entropy-decoded (the bitstream
// demands it), but most are skipped, and the inverse transforms are a
// fraction of the full ones.
//
// It covers the JPEGs cameras and the web produce: 8-bit, sequential
// Huffman, 1 or 3 components (YCbCr or grey), any sampling factors,
// interleaved or not, with restart intervals. Anything else (progressive,
// arithmetic coding, 12-bit, CMYK/YCCK, Adobe RGB transform) returns
// ErrUnsupported, and the caller falls back to a full decoder.
package jpegscale

import (
	"errors"
	"fmt"
	"math"
)

// ErrUnsupported is returned for JPEG variants this package does not decode.
var ErrUnsupported = errors.New("jpegscale: unsupported JPEG variant")

// Component is one decoded colour component at the reduced scale.
type Component struct {
	// H and V are the component's sampling factors.
	H, V int
	// Pix holds Stride×Rows samples (the whole MCU-padded area at the
	// reduced scale).
	Pix    []uint8
	Stride int
	Rows   int
}

// Image is a JPEG decoded at 1/Scale.
type Image struct {
	// Width and Height are the full-size dimensions from the frame header.
	Width, Height int
	// Scale is the reduction (2, 4 or 8): one decoded sample per Scale×Scale
	// full-size samples of its component.
	Scale int
	// HMax and VMax are the largest sampling factors.
	HMax, VMax int
	// Comps holds 1 (grey) or 3 (Y, Cb, Cr) components.
	Comps []Component
}

// Sample returns component c's decoded value at full-size pixel (x, y).
func (m *Image) Sample(c, x, y int) uint8 {
	cp := &m.Comps[c]
	cx := x * cp.H / m.HMax / m.Scale
	cy := y * cp.V / m.VMax / m.Scale
	return cp.Pix[cy*cp.Stride+cx]
}

type huffman struct {
	lut    [1 << lutBits]uint16 // value<<8 | length, 0 if the code is longer
	maxc   [17]int32            // largest code of each length, -1 if none
	valptr [17]int32
	minc   [17]int32
	vals   []uint8
	ok     bool
}

const lutBits = 9

type component struct {
	id, h, v, tq int
	bw, bh       int // blocks per line and column (MCU-padded)
	pred         int32
	dc, ac       int
	pix          []uint8
	stride       int
}

// Decoder decodes JPEGs; it can be reused (it keeps its buffers). It is
// not safe for concurrent use.
type Decoder struct {
	// MaxPixels, if positive, refuses frames whose width × height exceeds
	// it, before allocating anything.
	MaxPixels int64

	data      []byte
	pos       int
	quant     [4][64]int32
	dcTab     [4]huffman
	acTab     [4]huffman
	comps     []component
	compsArr  [3]component
	width     int
	height    int
	hmax      int
	vmax      int
	restart   int
	frameSeen bool
	n         int // IDCT size: 8/scale
	scale     int
	img       Image
	adobe     bool
	adobeTf   int
	// bit reader
	acc    uint64
	nbits  uint
	marker bool // a marker (or the end) was met while reading the scan
	fake   uint // zero bits fed since then
	cos    [8][8]float32
}

// zigzag maps zig-zag order to natural order.
var zigzag = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
}

// Config reads the frame header only: the dimensions and whether the file
// is a variant this package decodes.
func Config(data []byte) (width, height int, err error) {
	var d Decoder
	d.data = data
	if err := d.headers(true); err != nil {
		return 0, 0, err
	}
	return d.width, d.height, nil
}

// Decode decodes data at 1/scale (scale 2, 4 or 8). The returned Image and
// its pixels belong to the Decoder and are valid until its next use.
func (d *Decoder) Decode(data []byte, scale int) (*Image, error) {
	if scale != 2 && scale != 4 && scale != 8 {
		return nil, fmt.Errorf("jpegscale: scale %d not in 2, 4, 8", scale)
	}
	d.data, d.pos, d.frameSeen, d.restart, d.adobe = data, 0, false, 0, false
	for i := range d.dcTab {
		d.dcTab[i].ok, d.acTab[i].ok = false, false
	}
	d.scale = scale
	d.n = 8 / scale
	d.initCos()
	if err := d.headers(false); err != nil {
		return nil, err
	}
	d.img.Width, d.img.Height, d.img.Scale = d.width, d.height, scale
	d.img.HMax, d.img.VMax = d.hmax, d.vmax
	d.img.Comps = d.img.Comps[:0]
	for i := range d.comps {
		c := &d.comps[i]
		d.img.Comps = append(d.img.Comps, Component{H: c.h, V: c.v, Pix: c.pix, Stride: c.stride, Rows: c.bh * d.n})
	}
	return &d.img, nil
}

func (d *Decoder) initCos() {
	n := d.n
	for x := 0; x < n; x++ {
		for u := 0; u < n; u++ {
			cu := 1.0
			if u == 0 {
				cu = 1 / math.Sqrt2
			}
			// Half of the 1/4 normalisation of the 8-point IDCT per dimension.
			d.cos[x][u] = float32(cu / 2 * math.Cos(float64((2*x+1)*u)*math.Pi/float64(2*n)))
		}
	}
}

var errTruncated = errors.New("jpegscale: truncated data")

func (d *Decoder) u16() (int, error) {
	if d.pos+2 > len(d.data) {
		return 0, errTruncated
	}
	v := int(d.data[d.pos])<<8 | int(d.data[d.pos+1])
	d.pos += 2
	return v, nil
}

// headers walks the markers. With configOnly it stops after the frame
// header; otherwise it decodes every scan until EOI.
func (d *Decoder) headers(configOnly bool) error {
	if len(d.data) < 2 || d.data[0] != 0xff || d.data[1] != 0xd8 {
		return errors.New("jpegscale: missing SOI marker")
	}
	d.pos = 2
	for {
		// Find the next marker, skipping fill bytes.
		if d.pos >= len(d.data) {
			return errTruncated
		}
		if d.data[d.pos] != 0xff {
			return fmt.Errorf("jpegscale: expected a marker at offset %d", d.pos)
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
		case m == 0xd9: // EOI
			if !d.frameSeen {
				return errors.New("jpegscale: no frame")
			}
			return nil
		case m >= 0xd0 && m <= 0xd7, m == 0x01: // stray RSTn / TEM: no length
			continue
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
		case m == 0xc0 || m == 0xc1:
			if d.frameSeen {
				return errors.New("jpegscale: two frames")
			}
			if err := d.sof(seg); err != nil {
				return err
			}
			if configOnly {
				return nil
			}
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
			d.restart = int(seg[0])<<8 | int(seg[1])
		case m == 0xee: // APP14 Adobe
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
				d.adobe, d.adobeTf = true, int(seg[11])
			}
		case m == 0xda:
			if !d.frameSeen {
				return errors.New("jpegscale: scan before frame")
			}
			if configOnly {
				return nil
			}
			if err := d.sos(seg); err != nil {
				return err
			}
		case m >= 0xc2 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc:
			return fmt.Errorf("%w (frame type 0x%02x)", ErrUnsupported, m)
		case m == 0xcc || m == 0xdc:
			return fmt.Errorf("%w (marker 0x%02x)", ErrUnsupported, m)
		default:
			// APPn, COM and others: skipped.
		}
	}
}

func (d *Decoder) sof(seg []byte) error {
	if len(seg) < 6 {
		return errTruncated
	}
	if seg[0] != 8 {
		return fmt.Errorf("%w (%d-bit samples)", ErrUnsupported, seg[0])
	}
	d.height = int(seg[1])<<8 | int(seg[2])
	d.width = int(seg[3])<<8 | int(seg[4])
	nc := int(seg[5])
	if d.width == 0 || d.height == 0 {
		return errors.New("jpegscale: zero width or height")
	}
	if d.MaxPixels > 0 && int64(d.width)*int64(d.height) > d.MaxPixels {
		return fmt.Errorf("jpegscale: %dx%d exceeds the pixel budget of %d", d.width, d.height, d.MaxPixels)
	}
	if nc != 1 && nc != 3 {
		return fmt.Errorf("%w (%d components)", ErrUnsupported, nc)
	}
	if len(seg) < 6+3*nc {
		return errTruncated
	}
	if nc == 3 && d.adobe && d.adobeTf == 0 {
		return fmt.Errorf("%w (Adobe RGB)", ErrUnsupported)
	}
	d.comps = d.compsArr[:nc]
	d.hmax, d.vmax = 1, 1
	for i := range d.comps {
		c := &d.comps[i]
		p := seg[6+3*i:]
		c.id, c.h, c.v, c.tq = int(p[0]), int(p[1]>>4), int(p[1]&15), int(p[2])
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3 {
			return errors.New("jpegscale: bad component parameters")
		}
		if nc == 1 {
			c.h, c.v = 1, 1 // a single component's factors do not matter
		}
		d.hmax, d.vmax = max(d.hmax, c.h), max(d.vmax, c.v)
	}
	if nc == 3 && !d.adobe && d.comps[0].id == 'R' && d.comps[1].id == 'G' && d.comps[2].id == 'B' {
		// image/jpeg reads components named R, G, B as RGB, not YCbCr.
		return fmt.Errorf("%w (RGB components)", ErrUnsupported)
	}
	mcuW, mcuH := 8*d.hmax, 8*d.vmax
	mx, my := (d.width+mcuW-1)/mcuW, (d.height+mcuH-1)/mcuH
	for i := range d.comps {
		c := &d.comps[i]
		if d.hmax%c.h != 0 || d.vmax%c.v != 0 {
			return fmt.Errorf("%w (sampling factors)", ErrUnsupported)
		}
		c.bw, c.bh = mx*c.h, my*c.v
		c.stride = c.bw * d.n
		size := c.stride * c.bh * d.n
		if cap(c.pix) < size {
			c.pix = make([]uint8, size)
		}
		c.pix = c.pix[:size]
		clear(c.pix)
	}
	d.frameSeen = true
	return nil
}

func (d *Decoder) dqt(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, seg[0]&15
		if tq > 3 {
			return errors.New("jpegscale: bad quantisation table")
		}
		seg = seg[1:]
		q := &d.quant[tq]
		switch pq {
		case 0:
			if len(seg) < 64 {
				return errTruncated
			}
			for i := 0; i < 64; i++ {
				q[i] = int32(seg[i])
			}
			seg = seg[64:]
		case 1:
			if len(seg) < 128 {
				return errTruncated
			}
			for i := 0; i < 64; i++ {
				q[i] = int32(seg[2*i])<<8 | int32(seg[2*i+1])
			}
			seg = seg[128:]
		default:
			return errors.New("jpegscale: bad quantisation precision")
		}
	}
	return nil
}

func (d *Decoder) dht(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return errTruncated
		}
		tc, th := seg[0]>>4, seg[0]&15
		if tc > 1 || th > 3 {
			return errors.New("jpegscale: bad Huffman table")
		}
		var counts [17]int
		total := 0
		for l := 1; l <= 16; l++ {
			counts[l] = int(seg[l])
			total += counts[l]
		}
		if total == 0 || total > 256 || len(seg) < 17+total {
			return errors.New("jpegscale: bad Huffman table")
		}
		h := &d.dcTab[th]
		if tc == 1 {
			h = &d.acTab[th]
		}
		h.vals = append(h.vals[:0], seg[17:17+total]...)
		clear(h.lut[:])
		code, k := int32(0), int32(0)
		for l := 1; l <= 16; l++ {
			h.valptr[l] = k
			h.minc[l] = code
			for i := 0; i < counts[l]; i++ {
				if code >= 1<<l {
					return errors.New("jpegscale: bad Huffman code lengths")
				}
				if l <= lutBits {
					lo := code << (lutBits - l)
					for j := int32(0); j < 1<<(lutBits-l); j++ {
						h.lut[lo+j] = uint16(h.vals[k])<<8 | uint16(l)
					}
				}
				code++
				k++
			}
			if counts[l] > 0 {
				h.maxc[l] = code - 1
			} else {
				h.maxc[l] = -1
			}
			code <<= 1
		}
		h.ok = true
		seg = seg[17+total:]
	}
	return nil
}

// fill tops the bit accumulator up to at least 57 bits. At a marker or the
// end of the data it feeds zeros and records that.
func (d *Decoder) fill() {
	for d.nbits <= 56 {
		var b byte
		if d.pos < len(d.data) {
			b = d.data[d.pos]
			if b == 0xff {
				if d.pos+1 < len(d.data) && d.data[d.pos+1] == 0 {
					d.pos += 2
				} else {
					d.marker = true
					b = 0
				}
			} else {
				d.pos++
			}
		} else {
			d.marker = true
		}
		if d.marker {
			d.fake += 8
		}
		d.acc |= uint64(b) << (56 - d.nbits)
		d.nbits += 8
	}
}

var errBadCode = errors.New("jpegscale: bad Huffman code")

func (d *Decoder) decodeHuff(h *huffman) (uint8, error) {
	if d.nbits < 16 {
		d.fill()
	}
	if e := h.lut[d.acc>>(64-lutBits)]; e != 0 {
		l := uint(e & 0xff)
		d.acc <<= l
		d.nbits -= l
		return uint8(e >> 8), nil
	}
	for l := lutBits + 1; l <= 16; l++ {
		code := int32(d.acc >> (64 - uint(l)))
		if code <= h.maxc[l] {
			d.acc <<= uint(l)
			d.nbits -= uint(l)
			i := h.valptr[l] + code - h.minc[l]
			if int(i) >= len(h.vals) {
				return 0, errBadCode
			}
			return h.vals[i], nil
		}
	}
	return 0, errBadCode
}

// receive reads s bits (s ≤ 16) and sign-extends them as JPEG does.
func (d *Decoder) receive(s uint8) int32 {
	if s == 0 {
		return 0
	}
	if d.nbits < uint(s) {
		d.fill()
	}
	v := int32(d.acc >> (64 - uint(s)))
	d.acc <<= uint(s)
	d.nbits -= uint(s)
	if v < 1<<(s-1) {
		v += (-1 << s) + 1
	}
	return v
}

func (d *Decoder) sos(seg []byte) error {
	if len(seg) < 1 {
		return errTruncated
	}
	ns := int(seg[0])
	if ns < 1 || ns > len(d.comps) || len(seg) < 1+2*ns+3 {
		return errors.New("jpegscale: bad scan header")
	}
	var scomp [3]*component
	for i := 0; i < ns; i++ {
		id, tables := int(seg[1+2*i]), seg[2+2*i]
		var c *component
		for j := range d.comps {
			if d.comps[j].id == id {
				c = &d.comps[j]
			}
		}
		if c == nil {
			return errors.New("jpegscale: scan names an unknown component")
		}
		c.dc, c.ac = int(tables>>4), int(tables&15)
		if c.dc > 3 || c.ac > 3 || !d.dcTab[c.dc].ok || !d.acTab[c.ac].ok {
			return errors.New("jpegscale: scan uses a missing Huffman table")
		}
		c.pred = 0
		scomp[i] = c
	}
	ss, se := seg[1+2*ns], seg[2+2*ns]
	if ss != 0 || se != 63 || seg[3+2*ns] != 0 {
		return fmt.Errorf("%w (spectral selection)", ErrUnsupported)
	}
	d.acc, d.nbits, d.marker, d.fake = 0, 0, false, 0

	var mcusX, mcusY int
	if ns == 1 {
		c := scomp[0]
		// A non-interleaved scan covers the component's own blocks.
		cw := (d.width*c.h + d.hmax - 1) / d.hmax
		chh := (d.height*c.v + d.vmax - 1) / d.vmax
		mcusX, mcusY = (cw+7)/8, (chh+7)/8
	} else {
		mcusX, mcusY = d.comps[0].bw/d.comps[0].h, d.comps[0].bh/d.comps[0].v
	}
	var blk [64]int32
	mcu := 0
	for my := 0; my < mcusY; my++ {
		for mx := 0; mx < mcusX; mx++ {
			if d.restart > 0 && mcu > 0 && mcu%d.restart == 0 {
				if err := d.handleRestart(scomp[:ns]); err != nil {
					return err
				}
			}
			mcu++
			for i := 0; i < ns; i++ {
				c := scomp[i]
				bh, bv := c.h, c.v
				if ns == 1 {
					bh, bv = 1, 1
				}
				for by := 0; by < bv; by++ {
					for bx := 0; bx < bh; bx++ {
						acKept, err := d.block(c, &blk)
						if err != nil {
							return err
						}
						var x, y int
						if ns == 1 {
							x, y = mx, my
						} else {
							x, y = mx*c.h+bx, my*c.v+by
						}
						d.idct(&blk, acKept, c, x, y)
					}
				}
			}
		}
	}
	if err := d.checkOverrun(); err != nil {
		return err
	}
	// The entropy-coded data ends at the first marker at or after the read
	// position (the reader never reads past a marker).
	p := d.pos
	for p+1 < len(d.data) && (d.data[p] != 0xff || d.data[p+1] == 0) {
		p++
	}
	if p+1 >= len(d.data) {
		return errTruncated
	}
	d.pos = p
	return nil
}

// checkOverrun reports whether the decoding used bits past the end of the
// entropy-coded data (the zeros fed at a marker): a corrupt or truncated
// stream.
func (d *Decoder) checkOverrun() error {
	if d.fake > d.nbits {
		return errTruncated
	}
	return nil
}

func (d *Decoder) handleRestart(scomp []*component) error {
	if err := d.checkOverrun(); err != nil {
		return err
	}
	// Drop the bits left in the accumulator and find the RSTn marker.
	d.acc, d.nbits, d.marker, d.fake = 0, 0, false, 0
	// The reader may have stopped at the marker already or just before it.
	for d.pos+1 < len(d.data) && !(d.data[d.pos] == 0xff && d.data[d.pos+1] >= 0xd0 && d.data[d.pos+1] <= 0xd7) {
		if d.data[d.pos] == 0xff && d.data[d.pos+1] != 0 && d.data[d.pos+1] != 0xff {
			return errors.New("jpegscale: missing restart marker")
		}
		d.pos++
	}
	if d.pos+1 >= len(d.data) {
		return errTruncated
	}
	d.pos += 2
	for _, c := range scomp {
		c.pred = 0
	}
	return nil
}

// block decodes one block's coefficients, keeping (dequantised, in natural
// order) only those in the top-left n×n corner.
func (d *Decoder) block(c *component, blk *[64]int32) (acKept bool, err error) {
	q := &d.quant[c.tq]
	t, err := d.decodeHuff(&d.dcTab[c.dc])
	if err != nil {
		return false, err
	}
	if t > 16 {
		return false, errBadCode
	}
	c.pred += d.receive(t)
	n := d.n
	for v := 0; v < n; v++ {
		clear(blk[v*8 : v*8+n])
	}
	blk[0] = c.pred * q[0]
	ac := &d.acTab[c.ac]
	for k := 1; k < 64; {
		// Inlined decodeHuff and receive: a code (≤ 16 bits) and its extra
		// bits (≤ 15) fit in the 57 bits fill guarantees.
		if d.nbits < 32 {
			d.fill()
		}
		var rs uint8
		if e := ac.lut[d.acc>>(64-lutBits)]; e != 0 {
			l := uint(e & 0xff)
			d.acc <<= l
			d.nbits -= l
			rs = uint8(e >> 8)
		} else {
			var err error
			if rs, err = d.decodeHuff(ac); err != nil {
				return false, err
			}
		}
		r, sz := int(rs>>4), uint(rs&15)
		if sz == 0 {
			if r != 15 {
				break // end of block
			}
			k += 16
			continue
		}
		k += r
		if k > 63 {
			return false, errors.New("jpegscale: coefficient index past 63")
		}
		v := int32(d.acc >> (64 - sz))
		d.acc <<= sz
		d.nbits -= sz
		if v < 1<<(sz-1) {
			v += (-1 << sz) + 1
		}
		z := zigzag[k]
		if int(z&7) < n && int(z>>3) < n {
			blk[z] = v * q[k]
			acKept = acKept || v != 0
		}
		k++
	}
	return acKept, nil
}

// idct writes the n×n reduced inverse DCT of blk to block (bx, by) of c.
// Without AC coefficients the block is flat.
func (d *Decoder) idct(blk *[64]int32, acKept bool, c *component, bx, by int) {
	n := d.n
	dst := c.pix[by*n*c.stride+bx*n:]
	if n == 1 || !acKept {
		v := clampRound(float32(blk[0])/8 + 128)
		for y := 0; y < n; y++ {
			row := dst[y*c.stride : y*c.stride+n]
			for x := range row {
				row[x] = v
			}
		}
		return
	}
	if n == 4 {
		idct4(blk, &d.cos, dst, c.stride)
		return
	}
	// n == 2
	cs := &d.cos
	f00, f01, f10, f11 := float32(blk[0]), float32(blk[1]), float32(blk[8]), float32(blk[9])
	for y := 0; y < 2; y++ {
		r0 := cs[y][0]*f00 + cs[y][1]*f10
		r1 := cs[y][0]*f01 + cs[y][1]*f11
		row := dst[y*c.stride : y*c.stride+2]
		row[0] = clampRound(cs[0][0]*r0 + cs[0][1]*r1 + 128)
		row[1] = clampRound(cs[1][0]*r0 + cs[1][1]*r1 + 128)
	}
}

// idct4 is the 4×4 inverse DCT of the top-left corner of blk.
func idct4(blk *[64]int32, cs *[8][8]float32, dst []uint8, stride int) {
	var tmp [4][4]float32
	for v := 0; v < 4; v++ {
		f0, f1, f2, f3 := float32(blk[v*8]), float32(blk[v*8+1]), float32(blk[v*8+2]), float32(blk[v*8+3])
		t := &tmp[v]
		for x := 0; x < 4; x++ {
			c := &cs[x]
			t[x] = c[0]*f0 + c[1]*f1 + c[2]*f2 + c[3]*f3
		}
	}
	for y := 0; y < 4; y++ {
		c := &cs[y]
		row := dst[y*stride : y*stride+4]
		for x := 0; x < 4; x++ {
			row[x] = clampRound(c[0]*tmp[0][x] + c[1]*tmp[1][x] + c[2]*tmp[2][x] + c[3]*tmp[3][x] + 128)
		}
	}
}

func clampRound(v float32) uint8 {
	v += 0.5
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v)
}
