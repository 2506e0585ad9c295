package jpegdec

// Upsampling methods, chosen per component as libjpeg-turbo does with fancy
// upsampling on (its default).
const (
	upFull = iota // component at full resolution
	upH2V1        // half width: triangular filter across columns
	upH1V2        // half height: triangular filter across rows
	upH2V2        // half width and height: triangular filter both ways
	upRep         // other integer ratios (and 2:1 at most 2 samples wide): replication
)

// compOut is the output plan of one component: the component rows and
// columns the picked pixels need, their samples (compactly stored), and for
// every picked pixel where to find its samples.
type compOut struct {
	method  int
	rx, ry  int
	rowMark []int32 // per component row: compact index, or -1
	colMark []int32 // per component column: compact index, or -1
	rows    []int32 // needed component rows, ascending
	cols    []int32 // needed component columns, ascending
	samples []uint8 // len(rows) × len(cols)
	xc0     []int32 // per picked column: compact column of its sample
	xc1     []int32 // and of the neighbour it is interpolated with
	xb      []uint8 // rounding bias of the horizontal filter
	yr0     []int32 // per picked row: offset in samples of its row
	yr1     []int32 // and of the neighbouring row
	yb      []uint8 // rounding bias of the vertical filter (upH1V2)
	blocks  []int32 // block columns holding needed columns
	bstart  []int32 // per entry of blocks: first compact column in it; one more entry at the end
	ws      []int32 // column-pass workspace, 64 per needed block
	flat    []int16 // per needed block: its value when it has no AC coefficient, else -1
	line    []uint8 // one picked row of this component, upsampled
}

type output struct {
	comps [3]compOut
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// render computes the picked pixels from the coefficient buffers.
func (d *Decoder) render(xs, ys []int) (*Image, error) {
	ch := 3
	if d.ncomp == 1 {
		ch = 1
	}
	d.setupSmoothing()
	for ci := 0; ci < d.ncomp; ci++ {
		if c := &d.comps[ci]; !d.progressive && !c.scanned {
			clear(c.coef) // no scan: zero coefficients, as libjpeg leaves them
		}
		co := &d.out.comps[ci]
		d.plan(ci, co, xs, ys)
		d.fill(ci, co)
	}
	nx, ny := len(xs), len(ys)
	d.img.Width, d.img.Height, d.img.Channels = nx, ny, ch
	d.img.Pix = grow(d.img.Pix, nx*ny*ch)
	for j := 0; j < ny; j++ {
		dst := d.img.Pix[j*nx*ch : (j+1)*nx*ch]
		if ch == 1 {
			d.out.comps[0].upsample(j, dst)
			continue
		}
		for ci := 0; ci < 3; ci++ {
			co := &d.out.comps[ci]
			co.line = grow(co.line, nx)
			co.upsample(j, co.line)
		}
		y, cb, cr := d.out.comps[0].line[:nx], d.out.comps[1].line[:nx], d.out.comps[2].line[:nx]
		if d.colour == csRGB {
			for i := range y {
				p := dst[3*i : 3*i+3 : 3*i+3]
				p[0], p[1], p[2] = y[i], cb[i], cr[i]
			}
			continue
		}
		yccToRGB(y, cb, cr, dst)
	}
	return &d.img, nil
}

// Fixed-point YCbCr→RGB (JFIF, 16 fractional bits) as libjpeg tabulates it:
// R = Y + round(1.402·(Cr−128)), B = Y + round(1.772·(Cb−128)),
// G = Y + ((−0.34414·(Cb−128) − 0.71414·(Cr−128) + ½) >> 16).
var crR, cbB, crG, cbG [256]int32

func init() {
	const half = 1 << 15
	for i := 0; i < 256; i++ {
		x := int32(i - 128)
		crR[i] = (91881*x + half) >> 16
		cbB[i] = (116130*x + half) >> 16
		crG[i] = -46802 * x
		cbG[i] = -22554*x + half
	}
}

// clampTab[v+clampOff] is v limited to 0..255, for v in [-clampOff, 767-clampOff].
var clampTab = func() (t [1024]uint8) {
	for i := range t {
		t[i] = uint8(min(max(i-clampOff, 0), 255))
	}
	return t
}()

const clampOff = 384

func yccToRGB(y, cb, cr, dst []uint8) {
	dst = dst[:3*len(y)]
	cb = cb[:len(y)]
	cr = cr[:len(y)]
	for i, yv := range y {
		Y := int32(yv)
		b, r := cb[i], cr[i]
		p := dst[3*i : 3*i+3 : 3*i+3]
		p[0] = clampTab[(Y+crR[r]+clampOff)&1023]
		p[1] = clampTab[(Y+(cbG[b]+crG[r])>>16+clampOff)&1023]
		p[2] = clampTab[(Y+cbB[b]+clampOff)&1023]
	}
}

// plan works out which samples of component ci the picked pixels need.
func (d *Decoder) plan(ci int, co *compOut, xs, ys []int) {
	c := &d.comps[ci]
	co.rx, co.ry = d.hmax/c.h, d.vmax/c.v
	switch {
	case co.rx == 1 && co.ry == 1:
		co.method = upFull
	case co.rx == 2 && co.ry == 1 && c.dw > 2:
		co.method = upH2V1
	case co.rx == 1 && co.ry == 2:
		co.method = upH1V2
	case co.rx == 2 && co.ry == 2 && c.dw > 2:
		co.method = upH2V2
	default:
		co.method = upRep
	}
	hFancy := co.method == upH2V1 || co.method == upH2V2
	vFancy := co.method == upH1V2 || co.method == upH2V2

	co.colMark = grow(co.colMark, c.dw)
	co.rowMark = grow(co.rowMark, c.dh)
	for i := range co.colMark {
		co.colMark[i] = -1
	}
	for i := range co.rowMark {
		co.rowMark[i] = -1
	}
	nx, ny := len(xs), len(ys)
	co.xc0, co.xc1, co.xb = grow(co.xc0, nx), grow(co.xc1, nx), grow(co.xb, nx)
	co.yr0, co.yr1, co.yb = grow(co.yr0, ny), grow(co.yr1, ny), grow(co.yb, ny)
	for i, x := range xs {
		c0, c1, b := x/co.rx, x/co.rx, uint8(0)
		if hFancy {
			c0 = x >> 1
			if x&1 == 1 {
				c1, b = min(c0+1, c.dw-1), 2
			} else {
				c1, b = max(c0-1, 0), 1
			}
			if co.method == upH2V2 {
				b = 9 - b // 8 for the left output sample, 7 for the right
			}
		}
		co.xc0[i], co.xc1[i], co.xb[i] = int32(c0), int32(c1), b
		co.colMark[c0], co.colMark[c1] = 0, 0
	}
	for j, y := range ys {
		r0, r1, b := y/co.ry, y/co.ry, uint8(0)
		if vFancy {
			r0 = y >> 1
			if y&1 == 1 {
				r1, b = min(r0+1, c.dh-1), 2
			} else {
				r1, b = max(r0-1, 0), 1
			}
		}
		co.yr0[j], co.yr1[j], co.yb[j] = int32(r0), int32(r1), b
		co.rowMark[r0], co.rowMark[r1] = 0, 0
	}
	co.cols = co.cols[:0]
	for x, m := range co.colMark {
		if m == 0 {
			co.colMark[x] = int32(len(co.cols))
			co.cols = append(co.cols, int32(x))
		}
	}
	co.rows = co.rows[:0]
	for y, m := range co.rowMark {
		if m == 0 {
			co.rowMark[y] = int32(len(co.rows))
			co.rows = append(co.rows, int32(y))
		}
	}
	ncols := int32(len(co.cols))
	for i := range co.xc0 {
		co.xc0[i] = co.colMark[co.xc0[i]]
		co.xc1[i] = co.colMark[co.xc1[i]]
	}
	for j := range co.yr0 {
		co.yr0[j] = co.rowMark[co.yr0[j]] * ncols
		co.yr1[j] = co.rowMark[co.yr1[j]] * ncols
	}
	co.blocks = co.blocks[:0]
	co.bstart = co.bstart[:0]
	for k, x := range co.cols {
		if b := x >> 3; len(co.blocks) == 0 || co.blocks[len(co.blocks)-1] != b {
			co.blocks = append(co.blocks, b)
			co.bstart = append(co.bstart, int32(k))
		}
	}
	co.bstart = append(co.bstart, ncols)
	co.samples = grow(co.samples, len(co.rows)*len(co.cols))
}

// fill runs the inverse DCT for the needed samples: the column pass once
// per needed block, the row pass for the needed rows only.
func (d *Decoder) fill(ci int, co *compOut) {
	c := &d.comps[ci]
	ncols := len(co.cols)
	co.ws = grow(co.ws, 64*len(co.blocks))
	co.flat = grow(co.flat, len(co.blocks))
	curBR := int32(-1)
	var tmp [8]uint8
	var sm [64]int16
	for ri, r := range co.rows {
		if br := r >> 3; br != curBR {
			curBR = br
			for t, bx := range co.blocks {
				idx := int(br)*c.bw + int(bx)
				co.flat[t] = -1
				if !d.progressive && c.dcOnly[idx] {
					// Both passes reduce to the DC value, scaled and rounded.
					dc := int64((int32(c.coef[idx*64]) * c.quant[0]) << pass1Bits)
					co.flat[t] = int16(rangeLimit[((dc+(1<<(pass1Bits+2)))>>(pass1Bits+3))&1023])
					continue
				}
				blk := (*[64]int16)(c.coef[idx*64:][:64])
				if d.smoothing {
					blk = d.smoothBlock(c, int(bx), int(br), &sm)
				}
				idctCols(blk, &c.quant, (*[64]int32)(co.ws[t*64:][:64]))
			}
		}
		rr := int(r & 7)
		out := co.samples[ri*ncols : (ri+1)*ncols]
		for t := range co.blocks {
			k0, k1 := co.bstart[t], co.bstart[t+1]
			if v := co.flat[t]; v >= 0 {
				seg := out[k0:k1]
				for k := range seg {
					seg[k] = uint8(v)
				}
				continue
			}
			w := co.ws[t*64+rr*8 : t*64+rr*8+8]
			if k1-k0 == 8 {
				idctRow(w, out[k0:k1])
				continue
			}
			idctRow(w, tmp[:])
			for k := k0; k < k1; k++ {
				out[k] = tmp[co.cols[k]&7]
			}
		}
	}
}

// upsample writes picked row j of the component, at full resolution, to dst.
func (co *compOut) upsample(j int, dst []uint8) {
	a := co.samples[co.yr0[j]:]
	xc0 := co.xc0[:len(dst)]
	switch co.method {
	case upFull, upRep:
		for i, c := range xc0 {
			dst[i] = a[c]
		}
	case upH2V1:
		xc1, xb := co.xc1[:len(dst)], co.xb[:len(dst)]
		for i, c := range xc0 {
			dst[i] = uint8((3*uint32(a[c]) + uint32(a[xc1[i]]) + uint32(xb[i])) >> 2)
		}
	case upH1V2:
		b := co.samples[co.yr1[j]:]
		bias := uint32(co.yb[j])
		for i, c := range xc0 {
			dst[i] = uint8((3*uint32(a[c]) + uint32(b[c]) + bias) >> 2)
		}
	case upH2V2:
		b := co.samples[co.yr1[j]:]
		xc1, xb := co.xc1[:len(dst)], co.xb[:len(dst)]
		for i, c := range xc0 {
			c1 := xc1[i]
			s0 := 3*uint32(a[c]) + uint32(b[c])
			s1 := 3*uint32(a[c1]) + uint32(b[c1])
			dst[i] = uint8((3*s0 + s1 + uint32(xb[i])) >> 4)
		}
	}
}
