package jpegdec

import (
	"errors"
	"fmt"
)

// scan is one scan's parameters (T.81 B.2.3).
type scan struct {
	comps  [4]*component
	n      int
	ss, se int
	ah, al uint
}

// sos decodes one scan into the coefficient buffers and leaves d.pos at
// the marker that follows it.
func (d *Decoder) sos(seg []byte) error {
	if len(seg) < 1 {
		return errTruncated
	}
	var s scan
	s.n = int(seg[0])
	if s.n < 1 || s.n > d.ncomp || len(seg) < 1+2*s.n+3 {
		return errors.New("jpegdec: bad scan header")
	}
	blocks := 0
	for i := 0; i < s.n; i++ {
		id, tables := int(seg[1+2*i]), seg[2+2*i]
		var c *component
		for j := 0; j < d.ncomp; j++ {
			if d.comps[j].id == id {
				c = &d.comps[j]
			}
		}
		if c == nil {
			return errors.New("jpegdec: scan names an unknown component")
		}
		for j := 0; j < i; j++ {
			if s.comps[j] == c {
				return errors.New("jpegdec: scan names a component twice")
			}
		}
		c.dcTab, c.acTab = int(tables>>4), int(tables&15)
		if c.dcTab > 3 || c.acTab > 3 {
			return errors.New("jpegdec: bad Huffman table id in scan")
		}
		if !c.latched {
			// libjpeg latches a component's quantisation table when its
			// first scan starts.
			if !d.qset[c.tq] {
				return fmt.Errorf("jpegdec: quantisation table %d not defined", c.tq)
			}
			c.quant = d.quant[c.tq]
			c.latched = true
		}
		c.pred = 0
		c.scanned = true
		s.comps[i] = c
		blocks += c.h * c.v
	}
	p := seg[1+2*s.n:]
	s.ss, s.se, s.ah, s.al = int(p[0]), int(p[1]), uint(p[2]>>4), uint(p[2]&15)
	if s.n > 1 && blocks > 10 {
		return errors.New("jpegdec: too many blocks in an MCU")
	}
	if d.progressive {
		if err := d.checkProgressive(&s); err != nil {
			return err
		}
	} else {
		s.ss, s.se, s.ah, s.al = 0, 63, 0, 0
	}
	for i := 0; i < s.n; i++ {
		c := s.comps[i]
		if !d.progressive {
			// Sequential files may leave out tables 0 and 1 (Motion JPEG):
			// libjpeg-turbo then uses the standard ones.
			if c.dcTab < 2 && !d.dc[c.dcTab].ok {
				d.dc[c.dcTab] = stdHuff[c.dcTab]
			}
			if c.acTab < 2 && !d.ac[c.acTab].ok {
				d.ac[c.acTab] = stdHuff[2+c.acTab]
			}
		}
		needDC := s.ss == 0 && s.ah == 0
		needAC := s.se > 0
		if needDC && (!d.dc[c.dcTab].ok || d.dc[c.dcTab].maxSym > 15) {
			return errors.New("jpegdec: scan uses a missing or bad DC Huffman table")
		}
		if needAC && !d.ac[c.acTab].ok {
			return errors.New("jpegdec: scan uses a missing AC Huffman table")
		}
	}

	d.br = bitReader{data: d.data, pos: d.pos}
	d.eobrun = 0
	var mx, my int
	if s.n == 1 {
		c := s.comps[0]
		mx, my = (c.dw+7)/8, (c.dh+7)/8
	} else {
		mx, my = d.mcusX, d.mcusY
	}
	var err error
	mcu, rst := 0, 0
	for y := 0; y < my; y++ {
		for x := 0; x < mx; x++ {
			if d.restartInterval > 0 && mcu > 0 && mcu%d.restartInterval == 0 {
				if err := d.restart(&s, rst); err != nil {
					return err
				}
				rst = (rst + 1) & 7
			}
			mcu++
			if s.n == 1 {
				c := s.comps[0]
				err = d.block(&s, c, y*c.bw+x)
			} else {
				for i := 0; i < s.n && err == nil; i++ {
					c := s.comps[i]
					for by := 0; by < c.v && err == nil; by++ {
						row := (y*c.v + by) * c.bw
						for bx := 0; bx < c.h && err == nil; bx++ {
							err = d.block(&s, c, row+x*c.h+bx)
						}
					}
				}
			}
			if err != nil {
				return err
			}
		}
	}
	if d.br.overrun() {
		return errTruncated
	}
	if d.progressive {
		for i := 0; i < s.n; i++ {
			for k := s.ss; k <= s.se; k++ {
				s.comps[i].coefBits[k] = int8(s.al)
			}
		}
	}
	// The segment ends at the next marker other than RSTn: skip anything
	// left before it (libjpeg warns about such bytes).
	q := d.br.pos
	for ; q+1 < len(d.data); q++ {
		if d.data[q] == 0xff && d.data[q+1] != 0 && d.data[q+1] != 0xff && (d.data[q+1] < 0xd0 || d.data[q+1] > 0xd7) {
			break
		}
	}
	d.pos = q
	return nil
}

func (d *Decoder) checkProgressive(s *scan) error {
	bad := s.ss > s.se || s.se > 63 || s.al > 13 || s.ah > 13
	if s.ss == 0 {
		bad = bad || s.se != 0
	} else {
		bad = bad || s.n != 1
	}
	if s.ah != 0 {
		bad = bad || s.ah != s.al+1
	}
	if bad {
		return fmt.Errorf("jpegdec: bad progressive scan parameters Ss=%d Se=%d Ah=%d Al=%d", s.ss, s.se, s.ah, s.al)
	}
	return nil
}

// restart handles a restart marker: the bits left are dropped, the marker
// RSTn (n = want) is read, the predictions and the end-of-band run reset.
func (d *Decoder) restart(s *scan, want int) error {
	if d.br.overrun() {
		return errTruncated
	}
	p := d.br.pos
	for p+1 < len(d.data) && d.data[p] != 0xff {
		p++ // garbage bytes before the marker
	}
	for p+1 < len(d.data) && d.data[p+1] == 0xff {
		p++
	}
	if p+1 >= len(d.data) {
		return errTruncated
	}
	if m := d.data[p+1]; m != byte(0xd0+want) {
		return fmt.Errorf("jpegdec: expected restart marker RST%d, found 0xff%02x", want, m)
	}
	d.br = bitReader{data: d.data, pos: p + 2}
	d.eobrun = 0
	for i := 0; i < s.n; i++ {
		s.comps[i].pred = 0
	}
	return nil
}

// block decodes one block's share of the scan.
func (d *Decoder) block(s *scan, c *component, idx int) error {
	blk := c.coef[idx*64 : idx*64+64]
	br := &d.br
	if !d.progressive {
		return d.blockSequential(c, blk, idx)
	}
	if s.ss == 0 {
		// DC scans (G.1.2.1).
		if s.ah == 0 {
			t, err := br.decode(&d.dc[c.dcTab])
			if err != nil {
				return err
			}
			c.pred += br.receiveExtend(uint(t))
			blk[0] = int16(c.pred << s.al)
		} else if br.bit() {
			blk[0] |= 1 << s.al
		}
		return nil
	}
	if s.ah == 0 {
		return d.acFirst(s, c, blk)
	}
	return d.acRefine(s, c, blk)
}

// blockSequential decodes a whole block (T.81 F.2.2) and records in
// c.dcOnly whether it has no AC coefficient.
func (d *Decoder) blockSequential(c *component, blk []int16, idx int) error {
	br := &d.br
	t, err := br.decode(&d.dc[c.dcTab])
	if err != nil {
		return err
	}
	c.pred += br.receiveExtend(uint(t))
	clear(blk)
	blk[0] = int16(c.pred)
	ac := &d.ac[c.acTab]
	c.dcOnly[idx] = true
	for k := 1; k < 64; {
		if br.n < 32 {
			br.fill()
		}
		if f := ac.fastAC[br.acc>>(64-lutBits)]; f != 0 {
			// Code and extra bits in one lookup.
			l := uint(f & 0xff)
			br.acc <<= l
			br.n -= l
			k += int(f>>8) & 0xff
			if k > 63 {
				return errors.New("jpegdec: coefficient index past 63")
			}
			blk[zigzag[k]] = int16(f >> 16)
			c.dcOnly[idx] = false
			k++
			continue
		}
		var rs uint8
		if e := ac.lut[br.acc>>(64-lutBits)]; e != 0 {
			l := uint(e >> 8)
			br.acc <<= l
			br.n -= l
			rs = uint8(e)
		} else if rs, err = br.decode(ac); err != nil {
			return err
		}
		r, sz := int(rs>>4), uint(rs&15)
		if sz == 0 {
			if r != 15 {
				return nil // end of block
			}
			k += 16
			continue
		}
		k += r
		if k > 63 {
			return errors.New("jpegdec: coefficient index past 63")
		}
		v := int32(br.acc >> (64 - sz))
		br.acc <<= sz
		br.n -= sz
		if v < 1<<(sz-1) {
			v += -1<<sz + 1
		}
		blk[zigzag[k]] = int16(v)
		c.dcOnly[idx] = false
		k++
	}
	return nil
}

// acFirst is the first scan of a spectral band (G.1.2.2).
func (d *Decoder) acFirst(s *scan, c *component, blk []int16) error {
	if d.eobrun > 0 {
		d.eobrun--
		return nil
	}
	br := &d.br
	ac := &d.ac[c.acTab]
	for k := s.ss; k <= s.se; {
		rs, err := br.decode(ac)
		if err != nil {
			return err
		}
		r, sz := int(rs>>4), uint(rs&15)
		if sz == 0 {
			if r == 15 {
				k += 16
				continue
			}
			d.eobrun = 1 << r
			if r > 0 {
				d.eobrun += int(br.bits(uint(r)))
			}
			d.eobrun--
			return nil
		}
		k += r
		if k > s.se {
			return errors.New("jpegdec: coefficient index past the band")
		}
		blk[zigzag[k]] = int16(br.receiveExtend(sz) << s.al)
		k++
	}
	return nil
}

// acRefine is a successive-approximation refinement of a band (G.1.2.3).
func (d *Decoder) acRefine(s *scan, c *component, blk []int16) error {
	br := &d.br
	ac := &d.ac[c.acTab]
	p1 := int16(1) << s.al
	m1 := int16(-1) << s.al
	k := s.ss
	refine := func(z uint8) {
		if br.bit() && blk[z]&p1 == 0 {
			if blk[z] >= 0 {
				blk[z] += p1
			} else {
				blk[z] += m1
			}
		}
	}
	if d.eobrun == 0 {
		for ; k <= s.se; k++ {
			rs, err := br.decode(ac)
			if err != nil {
				return err
			}
			r, sz := int(rs>>4), rs&15
			var val int16
			if sz != 0 {
				if sz != 1 {
					return errors.New("jpegdec: bad refinement coefficient size")
				}
				val = m1
				if br.bit() {
					val = p1
				}
			} else if r != 15 {
				d.eobrun = 1 << r
				if r > 0 {
					d.eobrun += int(br.bits(uint(r)))
				}
				break
			}
			for k <= s.se {
				z := zigzag[k]
				if blk[z] != 0 {
					refine(z)
				} else {
					r--
					if r < 0 {
						break
					}
				}
				k++
			}
			if val != 0 {
				if k > s.se {
					return errors.New("jpegdec: coefficient index past the band")
				}
				blk[zigzag[k]] = val
			}
		}
	}
	if d.eobrun > 0 {
		for ; k <= s.se; k++ {
			if z := zigzag[k]; blk[z] != 0 {
				refine(z)
			}
		}
		d.eobrun--
	}
	return nil
}
