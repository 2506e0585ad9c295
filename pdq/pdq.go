// Package pdq computes PDQ perceptual image hashes, compatible with Meta's
// reference C++ implementation (pdq-photo-hasher) in facebook/ThreatExchange.
//
// The pipeline is the reference one: luma (0.299 R + 0.587 G + 0.114 B, in
// float32), an optional nearest-neighbour pre-resize to 512×512 for images
// over 512 px (the C++ tool's default, also the default here), two passes of
// a Jarosz box filter, decimation to 64×64, a 16×16 DCT and a threshold at
// the median. The float32 arithmetic is done in the reference order, so the
// same pixels give the same hash as the reference.
//
// Images with a side under 5 pixels get the zero hash and quality 0.
package pdq

import (
	"fmt"
	"image"
	"math"
	"slices"
	"sync"
)

// MinSide is the smallest width and height that can be hashed; smaller images
// get the zero hash and quality 0.
const MinSide = 5

// PreResize is the size (both sides) to which the reference tool resizes, by
// nearest neighbour, images whose width or height exceeds it.
const PreResize = 512

// Options tune hashing. The zero value is the reference C++ tool's behaviour.
type Options struct {
	// FullResolution hashes the image at its own size instead of first
	// resizing images larger than 512 px to 512×512 by nearest neighbour as
	// the C++ tool does. It costs more time and gives hashes a few bits away
	// from the C++ tool's on large images (closer to Meta's HMA).
	FullResolution bool
}

// Dihedral names one of the 8 dihedral transforms of an image (rotations and
// flips), in the reference order used by DihedralImage and DihedralLuma.
type Dihedral int

// The dihedral transforms, in the order of the arrays returned by
// DihedralImage and DihedralLuma.
const (
	Original Dihedral = iota
	Rotate90
	Rotate180
	Rotate270
	FlipX
	FlipY
	FlipPlus1
	FlipMinus1
)

var dihedralNames = [8]string{"ORIGINAL", "ROTATE90", "ROTATE180", "ROTATE270", "FLIPX", "FLIPY", "FLIPPLUS1", "FLIPMINUS1"}

// String returns the transform's name as spelled by python-threatexchange
// (ORIGINAL, ROTATE90, …, FLIPMINUS1).
func (d Dihedral) String() string {
	if d < 0 || int(d) >= len(dihedralNames) {
		return fmt.Sprintf("Dihedral(%d)", int(d))
	}
	return dihedralNames[d]
}

// HashImage returns the PDQ hash and quality (0..100) of img. The colour used
// is the stored, non-premultiplied one (alpha is ignored). Images with a
// side under 5 pixels get the zero hash and quality 0.
func HashImage(img image.Image, opts Options) (Hash, int) {
	w := getWork()
	defer putWork(w)
	rows, cols, ok := w.lumaFromImage(img, opts)
	if !ok {
		return Hash{}, 0
	}
	q := w.dct(rows, cols, true)
	return hashFromDCT(&w.coef), q
}

// DihedralImage returns the hashes of img's 8 dihedral transforms, computed
// from one DCT as the reference does (indexed by Dihedral), and the quality.
// The DCT-domain hashes approximate the hashes of the transformed images
// (within the match threshold); element Original equals HashImage's result
// except for images of exactly 64×64, where the reference's dihedral path
// blurs and its single-hash path does not.
func DihedralImage(img image.Image, opts Options) ([8]Hash, int) {
	w := getWork()
	defer putWork(w)
	rows, cols, ok := w.lumaFromImage(img, opts)
	if !ok {
		return [8]Hash{}, 0
	}
	q := w.dct(rows, cols, false)
	return dihedralFromDCT(&w.coef), q
}

// HashLuma returns the PDQ hash and quality of a width×height luma image
// given row by row (luma[y*width+x], values 0..255). Unless
// opts.FullResolution is set, a buffer larger than 512 px on a side is first
// sampled to 512×512 by nearest neighbour, as for images, so HashLuma and
// HashImage agree on the same pixels. luma is not modified.
func HashLuma(width, height int, luma []float32, opts Options) (Hash, int, error) {
	w := getWork()
	defer putWork(w)
	rows, cols, ok, err := w.lumaFromFloat(width, height, luma, opts)
	if err != nil || !ok {
		return Hash{}, 0, err
	}
	q := w.dct(rows, cols, true)
	return hashFromDCT(&w.coef), q, nil
}

// DihedralLuma is DihedralImage for a luma buffer (see HashLuma).
func DihedralLuma(width, height int, luma []float32, opts Options) ([8]Hash, int, error) {
	w := getWork()
	defer putWork(w)
	rows, cols, ok, err := w.lumaFromFloat(width, height, luma, opts)
	if err != nil || !ok {
		return [8]Hash{}, 0, err
	}
	q := w.dct(rows, cols, false)
	return dihedralFromDCT(&w.coef), q, nil
}

// work holds the buffers of one hash computation; they are pooled.
type work struct {
	a, b   []float32 // full-size buffers (rows*cols)
	narrow []float32 // rows*64: third blur pass, at the 64 sampled columns only
	rowOut []float32 // cols: one row of the third blur pass
	sums   []float32 // column running sums
	need   []bool    // which rows/columns the decimation samples
	xs, ys []int     // source coordinates of the (pre-resized) grid
	cx     []int     // chroma column of each grid column (YCbCr)
	pal    []float32 // luma of a palette
	b64    [64 * 64]float32
	t      [16 * 64]float32
	coef   [16 * 16]float32
}

var workPool = sync.Pool{New: func() any { return new(work) }}

func getWork() *work  { return workPool.Get().(*work) }
func putWork(w *work) { workPool.Put(w) }

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// grid returns the size of the grid to hash for a width×height image and
// fills w.xs and w.ys with the source column and row of each grid point.
func (w *work) grid(width, height int, opts Options) (rows, cols int) {
	cols, rows = width, height
	if !opts.FullResolution && (width > PreResize || height > PreResize) {
		cols, rows = PreResize, PreResize
	}
	w.xs = grow(w.xs, cols)
	w.ys = grow(w.ys, rows)
	for x := range w.xs {
		w.xs[x] = x * width / cols
	}
	for y := range w.ys {
		w.ys[y] = y * height / rows
	}
	return rows, cols
}

func (w *work) lumaFromFloat(width, height int, luma []float32, opts Options) (rows, cols int, ok bool, err error) {
	if width < 0 || height < 0 || len(luma) < width*height {
		return 0, 0, false, fmt.Errorf("pdq: luma buffer of %d values is too short for %dx%d", len(luma), width, height)
	}
	if width < MinSide || height < MinSide {
		return 0, 0, false, nil
	}
	rows, cols = w.grid(width, height, opts)
	w.a = grow(w.a, rows*cols)
	for y, sy := range w.ys {
		src := luma[sy*width : sy*width+width]
		dst := w.a[y*cols : y*cols+cols]
		for x, sx := range w.xs {
			dst[x] = src[sx]
		}
	}
	return rows, cols, true, nil
}

// dct blurs and decimates w.a (rows×cols luma, overwritten) to 64×64, and
// computes the quality and the 16×16 DCT into w.coef. skip64 skips the blur
// for 64×64 input, as the reference's single-hash path does.
func (w *work) dct(rows, cols int, skip64 bool) int {
	if skip64 && rows == 64 && cols == 64 {
		copy(w.b64[:], w.a[:64*64])
	} else {
		w.blurDecimate(rows, cols)
	}
	q := quality(&w.b64)
	dct64To16(&w.b64, &w.t, &w.coef)
	return q
}

// blurDecimate applies two passes of the Jarosz filter (box along rows, then
// along columns) to w.a and samples the result at 64×64 centre points into
// w.b64. Only the samples the decimation reads are divided out in the second
// pass; the arithmetic of each of them is the reference's.
func (w *work) blurDecimate(rows, cols int) {
	winRows := (cols + 127) / 128       // window of the box filter along each row
	winCols := (rows + 127) / 128       // along each column
	w.b = grow(w.b, rows*max(cols, 64)) // also the output of the last pass (rows×64)
	w.sums = grow(w.sums, max(cols, 64))
	w.rowOut = grow(w.rowOut, cols)
	w.narrow = grow(w.narrow, rows*64)
	w.need = grow(w.need, max(rows, cols))

	// Pass 1, full.
	for r := 0; r < rows; r++ {
		box1D(w.a[r*cols:(r+1)*cols], w.b[r*cols:(r+1)*cols], winRows, nil)
	}
	boxCols(w.b, w.a, rows, cols, winCols, w.sums, nil)

	// Pass 2: along rows, keeping only the 64 sampled columns.
	var sx [64]int
	need := w.need[:cols]
	clear(need)
	for j := range sx {
		sx[j] = int((float64(j) + 0.5) * float64(cols) / 64)
		need[sx[j]] = true
	}
	for r := 0; r < rows; r++ {
		box1D(w.a[r*cols:(r+1)*cols], w.rowOut, winRows, need)
		nr := w.narrow[r*64 : r*64+64]
		for j, x := range sx {
			nr[j] = w.rowOut[x]
		}
	}
	// Along columns of the narrow buffer, keeping only the 64 sampled rows.
	var sy [64]int
	needR := w.need[:rows]
	clear(needR)
	for i := range sy {
		sy[i] = int((float64(i) + 0.5) * float64(rows) / 64)
		needR[sy[i]] = true
	}
	boxCols(w.narrow, w.b, rows, 64, winCols, w.sums, needR)
	for i, y := range sy {
		copy(w.b64[i*64:i*64+64], w.b[y*64:y*64+64])
	}
}

// box1D is the reference's 1-D box filter over in, written to out. The window
// is truncated at the ends, where the divisor is the number of samples summed.
// If need is not nil, only out[i] with need[i] are written.
func box1D(in, out []float32, window int, need []bool) {
	n := len(in)
	half := (window + 2) / 2
	p1 := half - 1
	p2 := window - half + 1
	p3 := n - window
	p4 := half - 1
	li, ri, oi := 0, 0, 0
	var sum float32
	cnt := 0
	for range p1 {
		sum += in[ri]
		cnt++
		ri++
	}
	for range p2 {
		sum += in[ri]
		cnt++
		if need == nil || need[oi] {
			out[oi] = sum / float32(cnt)
		}
		ri++
		oi++
	}
	fw := float32(cnt)
	switch {
	case need == nil && isPow2(cnt):
		// x/2^n and x·2^-n are the same correctly rounded value.
		inv := 1 / fw
		for range p3 {
			sum += in[ri]
			sum -= in[li]
			out[oi] = sum * inv
			li++
			ri++
			oi++
		}
	case need == nil:
		for range p3 {
			sum += in[ri]
			sum -= in[li]
			out[oi] = sum / fw
			li++
			ri++
			oi++
		}
	default:
		for range p3 {
			sum += in[ri]
			sum -= in[li]
			if need[oi] {
				out[oi] = sum / fw
			}
			li++
			ri++
			oi++
		}
	}
	for range p4 {
		sum -= in[li]
		cnt--
		if need == nil || need[oi] {
			out[oi] = sum / float32(cnt)
		}
		li++
		oi++
	}
}

func isPow2(n int) bool { return n > 0 && n&(n-1) == 0 }

// boxCols runs box1D down every column of in (rows×cols) into out, all
// columns at once, row by row; per column the operations are the reference's.
// If needR is not nil, only the output rows with needR[row] are written.
func boxCols(in, out []float32, rows, cols, window int, sums []float32, needR []bool) {
	half := (window + 2) / 2
	p1 := half - 1
	p2 := window - half + 1
	p3 := rows - window
	p4 := half - 1
	sums = sums[:cols]
	clear(sums)
	li, ri, oi := 0, 0, 0
	cnt := 0
	for range p1 {
		addRow(sums, in[ri*cols:ri*cols+cols])
		cnt++
		ri++
	}
	for range p2 {
		addRow(sums, in[ri*cols:ri*cols+cols])
		cnt++
		divRow(out, sums, oi, cnt, needR)
		ri++
		oi++
	}
	for range p3 {
		// Per column: sum += in[ri]; sum -= in[li], in that order.
		rrow := in[ri*cols : ri*cols+cols]
		lrow := in[li*cols : li*cols+cols]
		for j := range sums {
			sums[j] = sums[j] + rrow[j] - lrow[j]
		}
		divRow(out, sums, oi, cnt, needR)
		li++
		ri++
		oi++
	}
	for range p4 {
		row := in[li*cols : li*cols+cols]
		for j, v := range row {
			sums[j] -= v
		}
		cnt--
		divRow(out, sums, oi, cnt, needR)
		li++
		oi++
	}
}

func addRow(sums, row []float32) {
	for j, v := range row {
		sums[j] += v
	}
}

// divRow writes output row o of boxCols: the running sums divided by cnt.
func divRow(out, sums []float32, o, cnt int, needR []bool) {
	if needR != nil && !needR[o] {
		return
	}
	cols := len(sums)
	dst := out[o*cols : o*cols+cols]
	d := float32(cnt)
	if isPow2(cnt) {
		// x/2^n and x·2^-n are the same correctly rounded value.
		inv := 1 / d
		for j, s := range sums {
			dst[j] = s * inv
		}
		return
	}
	for j, s := range sums {
		dst[j] = s / d
	}
}

// quality is the reference's image-domain quality metric of the 64×64
// buffer: the sum of truncated scaled gradients, divided by 90, at most 100.
func quality(b *[64 * 64]float32) int {
	sum := 0
	for i := 0; i < 63; i++ {
		for j := 0; j < 64; j++ {
			u, v := b[i*64+j], b[(i+1)*64+j]
			d := int(float32(float32(u-v)*100) / 255)
			if d < 0 {
				d = -d
			}
			sum += d
		}
	}
	for i := 0; i < 64; i++ {
		for j := 0; j < 63; j++ {
			u, v := b[i*64+j], b[i*64+j+1]
			d := int(float32(float32(u-v)*100) / 255)
			if d < 0 {
				d = -d
			}
			sum += d
		}
	}
	return min(sum/90, 100)
}

// dctMatrix is the reference's 16×64 DCT-II matrix without the DC row,
// computed in float64 and stored in float32.
var dctMatrix = func() (d [16 * 64]float32) {
	scale := math.Sqrt(2.0 / 64)
	for i := 0; i < 16; i++ {
		for j := 0; j < 64; j++ {
			d[i*64+j] = float32(scale * math.Cos((math.Pi/2/64)*float64(i+1)*float64(2*j+1)))
		}
	}
	return d
}()

// dct64To16 computes B = D·A·Dᵀ with float32 sums accumulated in increasing
// k, as the reference does. The explicit float32 conversions keep the
// compiler from fusing multiply and add.
func dct64To16(a *[64 * 64]float32, t *[16 * 64]float32, b *[16 * 16]float32) {
	d := &dctMatrix
	clear(t[:])
	for i := 0; i < 16; i++ {
		ti := t[i*64 : i*64+64 : i*64+64]
		for k := 0; k < 64; k++ {
			dik := d[i*64+k]
			ak := a[k*64 : k*64+64 : k*64+64]
			for j := range ti {
				ti[j] += float32(dik * ak[j])
			}
		}
	}
	for i := 0; i < 16; i++ {
		ti := t[i*64 : i*64+64 : i*64+64]
		for j := 0; j < 16; j++ {
			dj := d[j*64 : j*64+64 : j*64+64]
			var s float32
			for k := range ti {
				s += float32(ti[k] * dj[k])
			}
			b[i*16+j] = s
		}
	}
}

// median returns the 128th smallest of the 256 values, the value the
// reference's Torben median selection returns for 256 inputs.
func median(v *[256]float32) float32 {
	var s [256]float32
	s = *v
	slices.Sort(s[:])
	return s[127]
}

func hashFromDCT(c *[256]float32) Hash {
	m := median(c)
	var h Hash
	for k, v := range c {
		if v > m {
			h.setBit(k)
		}
	}
	return h
}

// dihedralFromDCT derives the hashes of the 8 dihedral transforms from the
// DCT of the original, by the reference's sign and transpose rules.
func dihedralFromDCT(a *[256]float32) [8]Hash {
	var out [8]Hash
	var b [256]float32
	out[Original] = hashFromDCT(a)
	transform := func(d Dihedral, f func(i, j int, v float32) (int, int, float32)) {
		for i := 0; i < 16; i++ {
			for j := 0; j < 16; j++ {
				bi, bj, v := f(i, j, a[i*16+j])
				b[bi*16+bj] = v
			}
		}
		out[d] = hashFromDCT(&b)
	}
	transform(Rotate90, func(i, j int, v float32) (int, int, float32) {
		if j&1 == 1 {
			return j, i, v
		}
		return j, i, -v
	})
	transform(Rotate180, func(i, j int, v float32) (int, int, float32) {
		if (i+j)&1 == 1 {
			return i, j, -v
		}
		return i, j, v
	})
	transform(Rotate270, func(i, j int, v float32) (int, int, float32) {
		if i&1 == 1 {
			return j, i, v
		}
		return j, i, -v
	})
	transform(FlipX, func(i, j int, v float32) (int, int, float32) {
		if i&1 == 1 {
			return i, j, v
		}
		return i, j, -v
	})
	transform(FlipY, func(i, j int, v float32) (int, int, float32) {
		if j&1 == 1 {
			return i, j, v
		}
		return i, j, -v
	})
	transform(FlipPlus1, func(i, j int, v float32) (int, int, float32) {
		return j, i, v
	})
	transform(FlipMinus1, func(i, j int, v float32) (int, int, float32) {
		if (i+j)&1 == 1 {
			return j, i, -v
		}
		return j, i, v
	})
	return out
}
