package jpegdec

import (
	"encoding/binary"
	"errors"
)

// lutBits is the number of bits the Huffman lookup table resolves at once;
// longer codes take the canonical-code search.
const lutBits = 9

// huffTable is one Huffman table (T.81 Annex C), decoded by a lookup table
// for short codes and the canonical code limits for the rest.
type huffTable struct {
	lut     [1 << lutBits]uint16 // length<<8 | value; 0 when the code is longer
	maxcode [18]int32            // largest code of each length, -1 if none
	valptr  [17]int32
	mincode [17]int32
	vals    [256]uint8
	nvals   int
	maxSym  uint8
	ok      bool
	// fastAC resolves, for AC tables, a code and its extra bits together
	// when both fit in lutBits: value<<16 | run<<8 | total length; 0 when
	// they do not.
	fastAC [1 << lutBits]int32
}

func (d *Decoder) dht(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return errTruncated
		}
		tc, th := seg[0]>>4, seg[0]&15
		if tc > 1 || th > 3 {
			return errors.New("jpegdec: bad Huffman table id")
		}
		var counts [17]int
		total := 0
		for l := 1; l <= 16; l++ {
			counts[l] = int(seg[l])
			total += counts[l]
		}
		if total > 256 || len(seg) < 17+total {
			return errors.New("jpegdec: bad Huffman table")
		}
		h := &d.dc[th]
		if tc == 1 {
			h = &d.ac[th]
		}
		if err := h.build(&counts, seg[17:17+total]); err != nil {
			return err
		}
		seg = seg[17+total:]
	}
	return nil
}

// build derives the decoding tables from the code-length counts and the
// symbols (T.81 C.2).
func (h *huffTable) build(counts *[17]int, vals []byte) error {
	h.nvals = copy(h.vals[:], vals)
	h.maxSym = 0
	for _, v := range vals {
		h.maxSym = max(h.maxSym, v)
	}
	clear(h.lut[:])
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		h.valptr[l] = k
		h.mincode[l] = code
		for i := 0; i < counts[l]; i++ {
			if code >= 1<<l {
				return errors.New("jpegdec: bad Huffman code lengths")
			}
			if l <= lutBits {
				lo := code << (lutBits - l)
				for j := int32(0); j < 1<<(lutBits-l); j++ {
					h.lut[lo+j] = uint16(l)<<8 | uint16(h.vals[k])
				}
			}
			code++
			k++
		}
		h.maxcode[l] = -1
		if counts[l] > 0 {
			h.maxcode[l] = code - 1
		}
		code <<= 1
	}
	h.maxcode[17] = 1 << 30 // sentinel: no code is longer than 16 bits
	for i, e := range h.lut {
		h.fastAC[i] = 0
		l := uint(e >> 8)
		rs := uint8(e)
		sz := uint(rs & 15)
		if e == 0 || sz == 0 || l+sz > lutBits {
			continue
		}
		v := int32(uint(i)>>(lutBits-l-sz)) & (1<<sz - 1)
		if v < 1<<(sz-1) {
			v += -1<<sz + 1
		}
		h.fastAC[i] = v<<16 | int32(rs>>4)<<8 | int32(l+sz)
	}
	h.ok = true
	return nil
}

// bitReader reads the entropy-coded segment of a scan: bytes with 0xFF00
// stuffing removed, most significant bit first. At a marker or the end of
// the data it feeds zero bits (as libjpeg does) and counts them, so that a
// scan that needs them can be reported as truncated.
type bitReader struct {
	data []byte
	pos  int
	acc  uint64 // bits left-aligned
	n    uint   // valid bits in acc
	fake uint   // zero bits fed past a marker or the end
	stop bool   // a marker or the end was reached
}

// fill tops the accumulator up to at least 57 bits.
func (b *bitReader) fill() {
	// Fast path: as many whole bytes as fit, when none of them is 0xFF.
	if !b.stop && b.pos+8 <= len(b.data) {
		v := binary.BigEndian.Uint64(b.data[b.pos:])
		k := (63 - b.n) >> 3 // bytes that fit: 7 when empty
		// A byte of v is 0xFF when the same byte of ^v is zero.
		x := ^v
		if (x-0x0101010101010101)&^x&0x8080808080808080&(^uint64(0)<<(64-8*k)) == 0 {
			b.acc |= v >> (64 - 8*k) << (64 - 8*k - b.n)
			b.n += 8 * k
			b.pos += int(k)
			return
		}
	}
	for b.n <= 56 {
		var c byte
		if !b.stop {
			if b.pos < len(b.data) {
				c = b.data[b.pos]
				if c == 0xff {
					if b.pos+1 < len(b.data) && b.data[b.pos+1] == 0 {
						b.pos += 2
					} else {
						b.stop = true
						c = 0
					}
				} else {
					b.pos++
				}
			} else {
				b.stop = true
			}
		}
		if b.stop {
			b.fake += 8
		}
		b.acc |= uint64(c) << (56 - b.n)
		b.n += 8
	}
}

// overrun reports whether bits past the end of the segment were consumed.
func (b *bitReader) overrun() bool { return b.fake > b.n }

func (b *bitReader) decode(h *huffTable) (uint8, error) {
	if b.n < 16 {
		b.fill()
	}
	if e := h.lut[b.acc>>(64-lutBits)]; e != 0 {
		l := uint(e >> 8)
		b.acc <<= l
		b.n -= l
		return uint8(e), nil
	}
	l := uint(lutBits + 1)
	code := int32(b.acc >> (64 - l))
	for code > h.maxcode[l] {
		l++
		if l > 16 {
			return 0, errBadCode
		}
		code = int32(b.acc >> (64 - l))
	}
	i := h.valptr[l] + code - h.mincode[l]
	if i < 0 || int(i) >= h.nvals {
		return 0, errBadCode
	}
	b.acc <<= l
	b.n -= l
	return h.vals[i], nil
}

// bits reads s bits (0 ≤ s ≤ 16) as an unsigned number.
func (b *bitReader) bits(s uint) int32 {
	if s == 0 {
		return 0
	}
	if b.n < s {
		b.fill()
	}
	v := int32(b.acc >> (64 - s))
	b.acc <<= s
	b.n -= s
	return v
}

// receiveExtend reads s bits and sign-extends them (T.81 F.2.2.1).
func (b *bitReader) receiveExtend(s uint) int32 {
	if s == 0 {
		return 0
	}
	v := b.bits(s)
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

func (b *bitReader) bit() bool {
	if b.n < 1 {
		b.fill()
	}
	v := b.acc>>63 != 0
	b.acc <<= 1
	b.n--
	return v
}
