package filehash

import (
	"sync"

	"github.com/kspplatform/ksp/filehash/internal/jpegscale"
	"github.com/kspplatform/ksp/pdq"
)

// minScaledSide is the smallest side, in decoded pixels, that the reduced
// JPEG decode may leave: the scale (1/2, 1/4, 1/8) is the strongest that
// keeps both sides at least this long. PDQ samples a 512×512 grid and then
// blurs it over about 8 grid points, so a decode down to 256 px changes the
// hash little (see docs/bench-pdq.md for the distances measured).
var minScaledSide = 256

var (
	decoderPool = sync.Pool{New: func() any { return new(jpegscale.Decoder) }}
	gridPool    = sync.Pool{New: func() any { return new([pdq.PreResize * pdq.PreResize]float32) }}
)

// scaleFor returns the JPEG decode scale for a w×h image, or 1 when the
// image must be decoded at full size: it is hashed without pre-resize (at
// most 512 px, or full resolution requested), or it is too small to shrink.
func scaleFor(w, h int, opts pdq.Options) int {
	if opts.FullResolution || (w <= pdq.PreResize && h <= pdq.PreResize) {
		return 1
	}
	for _, s := range []int{8, 4, 2} {
		if (w+s-1)/s >= minScaledSide && (h+s-1)/s >= minScaledSide {
			return s
		}
	}
	return 1
}

// hashJPEGScaled hashes a JPEG decoded at 1/s (s from scaleFor): the
// 512×512 grid of the reference's pre-resize is sampled from the reduced
// image, each grid point from the decoded pixel that covers its source
// pixel. ok is false when the file needs the full decoder (variants
// jpegscale does not handle, errors).
func hashJPEGScaled(data []byte, w, ht, s int, maxPixels int64, opts pdq.Options) (h pdq.Hash, q int, ok bool) {
	if s == 1 {
		return h, 0, false
	}
	defer func() {
		if recover() != nil { // never let a malformed file crash the caller
			h, q, ok = pdq.Hash{}, 0, false
		}
	}()
	dec := decoderPool.Get().(*jpegscale.Decoder)
	defer decoderPool.Put(dec)
	dec.MaxPixels = maxPixels
	img, err := dec.Decode(data, s)
	if err != nil || img.Width != w || img.Height != ht {
		return h, 0, false
	}
	grid := gridPool.Get().(*[pdq.PreResize * pdq.PreResize]float32)
	defer gridPool.Put(grid)
	sampleGrid(img, grid)
	h, q, err = pdq.HashLuma(pdq.PreResize, pdq.PreResize, grid[:], opts)
	return h, q, err == nil
}

// sampleGrid fills grid with the luma of the reference's nearest-neighbour
// 512×512 grid: point (ox, oy) is full-size pixel (ox·W/512, oy·H/512).
func sampleGrid(img *jpegscale.Image, grid *[pdq.PreResize * pdq.PreResize]float32) {
	const n = pdq.PreResize
	var yx, cx [n]int32
	y := &img.Comps[0]
	for ox := 0; ox < n; ox++ {
		sx := ox * img.Width / n
		yx[ox] = int32(sx * y.H / img.HMax / img.Scale)
	}
	if len(img.Comps) == 1 {
		for oy := 0; oy < n; oy++ {
			sy := oy * img.Height / n
			row := y.Pix[(sy*y.V/img.VMax/img.Scale)*y.Stride:]
			g := grid[oy*n : oy*n+n]
			for ox := range g {
				g[ox] = float32(row[yx[ox]])
			}
		}
		return
	}
	cb, cr := &img.Comps[1], &img.Comps[2]
	sameChroma := cb.H == cr.H && cb.V == cr.V
	for ox := 0; ox < n; ox++ {
		sx := ox * img.Width / n
		cx[ox] = int32(sx * cb.H / img.HMax / img.Scale)
	}
	for oy := 0; oy < n; oy++ {
		sy := oy * img.Height / n
		yrow := y.Pix[(sy*y.V/img.VMax/img.Scale)*y.Stride:]
		g := grid[oy*n : oy*n+n]
		if !sameChroma {
			for ox := range g {
				sx := ox * img.Width / n
				g[ox] = pdq.YCbCrLuma(yrow[yx[ox]], img.Sample(1, sx, sy), img.Sample(2, sx, sy))
			}
			continue
		}
		crow := (sy * cb.V / img.VMax / img.Scale) * cb.Stride
		cbrow, crrow := cb.Pix[crow:], cr.Pix[crow:]
		for ox := range g {
			c := cx[ox]
			g[ox] = pdq.YCbCrLuma(yrow[yx[ox]], cbrow[c], crrow[c])
		}
	}
}
