package filehash

import (
	"fmt"
	"sync"

	"github.com/kspplatform/ksp/internal/jpegdec"
	"github.com/kspplatform/ksp/pdq"
)

// The default JPEG path decodes with internal/jpegdec, whose pixels are
// libjpeg-turbo's (the decoder of Meta's reference tool), so JPEGs hash to
// the reference's exact values. For an image over 512 px the reference's
// nearest-neighbour pre-resize is done during the decode: only the picked
// rows and columns are computed past the first inverse-DCT pass.

// maxPooledJPEGBytes is the largest decoder kept for reuse: one that
// decoded a bigger image gives its buffers back to the garbage collector.
const maxPooledJPEGBytes = 64 << 20

type exactDecoder struct {
	dec  jpegdec.Decoder
	luma []float32
	xs   []int
	ys   []int
	cost int64
}

var exactPool = sync.Pool{New: func() any { return new(exactDecoder) }}

// exactJPEG returns the frame header of data when the exact decoder handles
// it (8-bit, 1 or 3 components, Huffman coding); ok is false otherwise.
func exactJPEG(data []byte) (cfg jpegdec.Config, ok bool) {
	cfg, err := jpegdec.DecodeConfig(data)
	if err != nil || cfg.MemoryCost(1, 1) == 0 {
		return cfg, false
	}
	return cfg, true
}

// exactGrid returns the size of the pixel grid that is decoded for a w×h
// image: 512×512 when the reference pre-resizes it, else the whole image.
func exactGrid(w, h int, opts Options) (nx, ny int) {
	// Images under pdq.MinSide on a side get the zero hash whatever their
	// other side: they are decoded whole, only to check that they decode.
	if !opts.FullResolution && (w > pdq.PreResize || h > pdq.PreResize) && w >= pdq.MinSide && h >= pdq.MinSide {
		return pdq.PreResize, pdq.PreResize
	}
	return w, h
}

// exactJPEGCost is what the exact path allocates: the decoder's buffers,
// the luma of the decoded grid, and the hasher's buffers for it.
func exactJPEGCost(cfg jpegdec.Config, opts Options) int64 {
	nx, ny := exactGrid(cfg.Width, cfg.Height, opts)
	return cfg.MemoryCost(nx, ny) + 4*int64(nx)*int64(ny) + hashCost(nx, ny, true) + decoderOverhead
}

// hashJPEGExact decodes and hashes a JPEG through the exact decoder. An
// error means the file is not decodable by it (corrupt, truncated): the
// caller falls back to image/jpeg.
func hashJPEGExact(data []byte, cfg jpegdec.Config, opts Options, res *Result) (err error) {
	defer func() {
		if r := recover(); r != nil { // never let a malformed file crash the caller
			err = fmt.Errorf("jpeg decoder panic: %v", r)
		}
	}()
	e := exactPool.Get().(*exactDecoder)
	defer func() {
		if e.cost <= maxPooledJPEGBytes {
			exactPool.Put(e)
		}
	}()
	e.dec.MaxPixels = opts.maxPixels()
	e.cost = cfg.MemoryCost(exactGrid(cfg.Width, cfg.Height, opts))
	nx, ny := exactGrid(cfg.Width, cfg.Height, opts)
	var img *jpegdec.Image
	if nx == cfg.Width && ny == cfg.Height {
		img, err = e.dec.Decode(data)
	} else {
		e.xs, e.ys = pickGrid(e.xs, cfg.Width, nx), pickGrid(e.ys, cfg.Height, ny)
		img, err = e.dec.DecodePicked(data, e.xs, e.ys)
	}
	if err != nil {
		return err
	}
	if img.Width != nx || img.Height != ny {
		return fmt.Errorf("jpeg: decoded %dx%d, header says %dx%d", img.Width, img.Height, cfg.Width, cfg.Height)
	}
	e.luma = imageLuma(e.luma, img)
	popts := pdq.Options{FullResolution: opts.FullResolution}
	if res.PDQ, res.Quality, err = pdq.HashLuma(nx, ny, e.luma, popts); err != nil {
		return err
	}
	if opts.Dihedral {
		d, _, err := pdq.DihedralLuma(nx, ny, e.luma, popts)
		if err != nil {
			return err
		}
		res.Dihedral = &d
	}
	res.IsImage = true
	return nil
}

// pickGrid returns the source coordinates of the reference's
// nearest-neighbour resize of size to n: i·size/n.
func pickGrid(s []int, size, n int) []int {
	if cap(s) < n {
		s = make([]int, n)
	}
	s = s[:n]
	for i := range s {
		s[i] = i * size / n
	}
	return s
}

// imageLuma returns the reference's float32 luma of every pixel of img.
func imageLuma(dst []float32, img *jpegdec.Image) []float32 {
	n := img.Width * img.Height
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	if img.Channels == 1 {
		for i, v := range img.Pix[:n] {
			dst[i] = float32(v)
		}
		return dst
	}
	pix := img.Pix[:3*n]
	for i := range dst {
		p := pix[3*i : 3*i+3 : 3*i+3]
		dst[i] = pdq.RGBLuma(p[0], p[1], p[2])
	}
	return dst
}
