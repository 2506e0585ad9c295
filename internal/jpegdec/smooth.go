package jpegdec

// Block smoothing of progressive JPEGs, as libjpeg-turbo 2.1 applies it by
// default: when the scans leave some of the first 9 AC coefficients (in
// zig-zag order) not known to full precision, those still zero are
// estimated from the DC values of the block and its 24 neighbours (5×5),
// in the manner of T.81 Annex K.8. When no AC data came at all, the DC
// value is re-estimated too and 4 more coefficients are predicted.

// smoothPos are the natural-order positions of zig-zag coefficients 0..9.
var smoothPos = [10]int{0, 1, 8, 16, 9, 2, 3, 10, 17, 24}

// Kernels over the 5×5 neighbourhood of DC values (row-major, the block at
// the centre), per zig-zag coefficient 1..9 and 0 (index 0 here).
type kernel [25]int64

// smoothKernels is used while some AC data is known: coefficients 1..5.
var smoothKernels = [6]kernel{
	1: {10: -7, 11: 50, 13: -50, 14: 7},
	2: {2: -7, 7: 50, 17: -50, 22: 7},
	3: {2: -1, 7: 13, 12: -24, 17: 13, 22: -1},
	4: {1: -1, 3: 1, 5: -1, 6: 10, 8: -10, 9: 1, 15: 1, 16: -10, 18: 10, 19: -1, 21: 1, 23: -1},
	5: {10: -1, 11: 13, 12: -24, 13: 13, 14: -1},
}

// interpKernels is used when no AC coefficient is known (DC interpolation):
// coefficients 1..9, and the DC at index 0.
var interpKernels = [10]kernel{
	0: {-2, -6, -8, -6, -2, -6, 6, 42, 6, -6, -8, 42, 152, 42, -8, -6, 6, 42, 6, -6, -2, -6, -8, -6, -2},
	1: {-1, -1, 0, 1, 1, -3, 13, 0, -13, 3, -3, 38, 0, -38, 3, -3, 13, 0, -13, 3, -1, -1, 0, 1, 1},
	2: {-1, -3, -3, -3, -1, -1, 13, 38, 13, -1, 0, 0, 0, 0, 0, 1, -13, -38, -13, 1, 1, 3, 3, 3, 1},
	3: {0, 0, 1, 0, 0, 0, 2, 7, 2, 0, 0, -5, -14, -5, 0, 0, 2, 7, 2, 0, 0, 0, 1, 0, 0},
	4: {-1, 0, 0, 0, 1, 0, 9, 0, -9, 0, 0, 0, 0, 0, 0, 0, -9, 0, 9, 0, 1, 0, 0, 0, -1},
	5: {0, 0, 0, 0, 0, 0, 2, -5, 2, 0, 1, 7, -14, 7, 1, 0, 2, -5, 2, 0, 0, 0, 0, 0, 0},
	6: {6: 1, 8: -1, 11: 2, 13: -2, 16: 1, 18: -1},
	7: {6: 1, 7: -3, 8: 1, 16: -1, 17: 3, 18: -1},
	8: {6: 1, 8: -1, 11: -3, 13: 3, 16: 1, 18: -1},
	9: {6: 1, 7: 2, 8: 1, 16: -1, 17: -2, 18: -1},
}

// setupSmoothing decides whether block smoothing applies to this image:
// progressive, every component's DC at least partly known,
// the quantisers involved non-zero, and some of the first 9 AC
// coefficients of some component not known to full precision.
func (d *Decoder) setupSmoothing() {
	d.smoothing = false
	if !d.progressive {
		return
	}
	useful := false
	for ci := 0; ci < d.ncomp; ci++ {
		c := &d.comps[ci]
		if !c.latched || c.coefBits[0] < 0 {
			return
		}
		for _, p := range smoothPos {
			if c.quant[p] == 0 {
				return
			}
		}
		for k := 1; k <= 9; k++ {
			if c.coefBits[k] != 0 {
				useful = true
			}
		}
	}
	d.smoothing = useful
}

// smoothRows returns the 5 block rows (2 above to 2 below) whose DC values
// smooth block row by of c. At the image's edges the nearest row stands in.
// As observed from libjpeg-turbo 2.1.5, the rows two away are taken only
// from the same iMCU row (v block rows), or from an iMCU row that is at
// least two away from the image's first or last one; otherwise the row one
// away stands in.
func (d *Decoder) smoothRows(c *component, by int) [5]int {
	hib := (c.dh + 7) / 8
	v, last := c.v, d.mcusY-1
	imcu, b := by/v, by%v
	rows := v // block rows in this iMCU row
	if imcu == last {
		if rows = hib % v; rows == 0 {
			rows = v
		}
	}
	var r [5]int
	r[2] = by
	r[1] = by
	if imcu > 0 || b > 0 {
		r[1] = by - 1
	}
	r[0] = r[1]
	if imcu > 1 || b > 1 {
		r[0] = by - 2
	}
	r[3] = by
	if imcu < last || b+1 < rows {
		r[3] = by + 1
	}
	r[4] = r[3]
	if imcu < last-1 || b+2 < rows {
		r[4] = by + 2
	}
	return r
}

// smoothBlock returns block (bx, by) of c with the smoothing estimates
// applied, in dst.
func (d *Decoder) smoothBlock(c *component, bx, by int, dst *[64]int16) *[64]int16 {
	src := (*[64]int16)(c.coef[(by*c.bw+bx)*64:][:64])
	*dst = *src
	rows := d.smoothRows(c, by)
	last := (c.dw+7)/8 - 1
	var g [25]int64
	for i, r := range rows {
		base := r * c.bw
		for j := 0; j < 5; j++ {
			x := min(max(bx+j-2, 0), last)
			if last == 1 && (j == 4 || (bx == 1 && j == 3)) {
				// Two blocks wide: libjpeg-turbo 2.1 takes the first block's
				// DC value for the columns two to the right of the first
				// block and one and two to the right of the second.
				x = 0
			}
			g[i*5+j] = int64(c.coef[(base+x)*64])
		}
	}
	interp := true
	for k := 1; k <= 9; k++ {
		if c.coefBits[k] != -1 {
			interp = false
		}
	}
	q00 := int64(c.quant[0])
	n := 5
	if interp {
		n = 9
	}
	for k := 1; k <= n; k++ {
		al := int(c.coefBits[k])
		pos := smoothPos[k]
		if al == 0 || dst[pos] != 0 {
			continue
		}
		var kern *kernel
		if interp {
			kern = &interpKernels[k]
		} else {
			kern = &smoothKernels[k]
		}
		dst[pos] = int16(predict(q00*dot(kern, &g), int64(c.quant[pos]), al))
	}
	if interp {
		dst[0] = int16(predict(q00*dot(&interpKernels[0], &g), q00, 0))
	}
	return dst
}

func dot(k *kernel, g *[25]int64) int64 {
	var s int64
	for i, w := range k {
		s += w * g[i]
	}
	return s
}

// predict divides num by 256·q rounding to nearest (half away from zero),
// limiting the magnitude to 2^al − 1 when al > 0.
func predict(num, q int64, al int) int64 {
	neg := num < 0
	if neg {
		num = -num
	}
	p := (q<<7 + num) / (q << 8)
	if al > 0 && p >= 1<<al {
		p = 1<<al - 1
	}
	if neg {
		p = -p
	}
	return p
}
