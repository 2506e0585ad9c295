package pdq

import (
	"image"
	"image/color"
)

// Luma coefficients of the reference (float32), and their products with
// every 8-bit value: the table lookups give exactly the float32 products the
// reference computes.
const (
	lumaR = 0.299
	lumaG = 0.587
	lumaB = 0.114
)

var lumTab = func() (t [3][256]float32) {
	for v := 0; v < 256; v++ {
		t[0][v] = float32(lumaR) * float32(v)
		t[1][v] = float32(lumaG) * float32(v)
		t[2][v] = float32(lumaB) * float32(v)
	}
	return t
}()

// RGBLuma returns the reference's float32 luma of an 8-bit RGB colour:
// 0.299·R + 0.587·G + 0.114·B, products and sums rounded to float32 in that
// order.
func RGBLuma(r, g, b uint8) float32 {
	return lumTab[0][r] + lumTab[1][g] + lumTab[2][b]
}

// ColorLuma returns the luma PDQ uses for one colour: the grey value for grey
// colours (16-bit ones by their high byte), otherwise RGBLuma of the stored,
// non-premultiplied colour (alpha is ignored; 16-bit channels by their high
// byte). It defines the generic path; the fast paths for concrete image
// types give the same values.
func ColorLuma(c color.Color) float32 {
	switch c := c.(type) {
	case color.Gray:
		return float32(c.Y)
	case color.Gray16:
		return float32(c.Y >> 8)
	case color.NRGBA:
		return RGBLuma(c.R, c.G, c.B)
	case color.NRGBA64:
		return RGBLuma(uint8(c.R>>8), uint8(c.G>>8), uint8(c.B>>8))
	case color.NYCbCrA:
		return RGBLuma(color.YCbCrToRGB(c.Y, c.Cb, c.Cr))
	}
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return RGBLuma(n.R, n.G, n.B)
}

// unpremul8 is color.NRGBAModel's conversion of a premultiplied 8-bit colour.
func unpremul8(r, g, b, a uint8) (uint8, uint8, uint8) {
	switch a {
	case 0xff:
		return r, g, b
	case 0:
		return 0, 0, 0
	}
	a16 := uint32(a) * 0x101
	return uint8((uint32(r) * 0x101 * 0xffff / a16) >> 8),
		uint8((uint32(g) * 0x101 * 0xffff / a16) >> 8),
		uint8((uint32(b) * 0x101 * 0xffff / a16) >> 8)
}

// unpremul16 is color.NRGBAModel's conversion of a premultiplied 16-bit colour.
func unpremul16(r, g, b, a uint32) (uint8, uint8, uint8) {
	switch a {
	case 0xffff:
		return uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)
	case 0:
		return 0, 0, 0
	}
	return uint8((r * 0xffff / a) >> 8), uint8((g * 0xffff / a) >> 8), uint8((b * 0xffff / a) >> 8)
}

// lumaFromImage fills w.a with the luma of img sampled on the hashing grid.
// ok is false when the image is too small to hash.
func (w *work) lumaFromImage(img image.Image, opts Options) (rows, cols int, ok bool) {
	bounds := img.Bounds()
	width, height := bounds.Dx(), bounds.Dy()
	if width < MinSide || height < MinSide {
		return 0, 0, false
	}
	rows, cols = w.grid(width, height, opts)
	w.a = grow(w.a, rows*cols)
	fillLuma(w, img, bounds, cols)
	return rows, cols, true
}

// fillLuma writes the luma of img at the grid points (w.xs, w.ys, relative to
// bounds.Min) into w.a, through a fast path for the common image types.
func fillLuma(w *work, img image.Image, bounds image.Rectangle, cols int) {
	xs, ys, dst := w.xs, w.ys, w.a
	switch m := img.(type) {
	case *image.Gray:
		for oy, sy := range ys {
			row := m.Pix[sy*m.Stride:]
			d := dst[oy*cols : oy*cols+cols]
			for ox, sx := range xs {
				d[ox] = float32(row[sx])
			}
		}
	case *image.Gray16:
		for oy, sy := range ys {
			row := m.Pix[sy*m.Stride:]
			d := dst[oy*cols : oy*cols+cols]
			for ox, sx := range xs {
				d[ox] = float32(row[2*sx])
			}
		}
	case *image.NRGBA:
		for oy, sy := range ys {
			row := m.Pix[sy*m.Stride:]
			d := dst[oy*cols : oy*cols+cols]
			for ox, sx := range xs {
				p := row[4*sx : 4*sx+3 : 4*sx+3]
				d[ox] = RGBLuma(p[0], p[1], p[2])
			}
		}
	case *image.RGBA:
		for oy, sy := range ys {
			row := m.Pix[sy*m.Stride:]
			d := dst[oy*cols : oy*cols+cols]
			for ox, sx := range xs {
				p := row[4*sx : 4*sx+4 : 4*sx+4]
				r, g, b := unpremul8(p[0], p[1], p[2], p[3])
				d[ox] = RGBLuma(r, g, b)
			}
		}
	case *image.NRGBA64:
		for oy, sy := range ys {
			row := m.Pix[sy*m.Stride:]
			d := dst[oy*cols : oy*cols+cols]
			for ox, sx := range xs {
				p := row[8*sx : 8*sx+5 : 8*sx+5]
				d[ox] = RGBLuma(p[0], p[2], p[4])
			}
		}
	case *image.RGBA64:
		for oy, sy := range ys {
			row := m.Pix[sy*m.Stride:]
			d := dst[oy*cols : oy*cols+cols]
			for ox, sx := range xs {
				p := row[8*sx : 8*sx+8 : 8*sx+8]
				r, g, b := unpremul16(uint32(p[0])<<8|uint32(p[1]), uint32(p[2])<<8|uint32(p[3]),
					uint32(p[4])<<8|uint32(p[5]), uint32(p[6])<<8|uint32(p[7]))
				d[ox] = RGBLuma(r, g, b)
			}
		}
	case *image.CMYK:
		for oy, sy := range ys {
			row := m.Pix[sy*m.Stride:]
			d := dst[oy*cols : oy*cols+cols]
			for ox, sx := range xs {
				p := row[4*sx : 4*sx+4 : 4*sx+4]
				d[ox] = RGBLuma(color.CMYKToRGB(p[0], p[1], p[2], p[3]))
			}
		}
	case *image.YCbCr:
		fillYCbCr(w, m, cols)
	case *image.NYCbCrA:
		fillYCbCr(w, &m.YCbCr, cols)
	case *image.Paletted:
		w.pal = grow(w.pal, len(m.Palette))
		for i, c := range m.Palette {
			w.pal[i] = ColorLuma(c)
		}
		for oy, sy := range ys {
			row := m.Pix[sy*m.Stride:]
			d := dst[oy*cols : oy*cols+cols]
			for ox, sx := range xs {
				if i := int(row[sx]); i < len(w.pal) {
					d[ox] = w.pal[i]
				} else {
					// At returns opaque black for an index outside the palette.
					d[ox] = 0
				}
			}
		}
	default:
		for oy, sy := range ys {
			d := dst[oy*cols : oy*cols+cols]
			for ox, sx := range xs {
				d[ox] = ColorLuma(img.At(bounds.Min.X+sx, bounds.Min.Y+sy))
			}
		}
	}
}

// fillYCbCr is the fast path for *image.YCbCr: the same RGB as
// color.YCbCr.RGBA (high byte) for every sampled pixel.
func fillYCbCr(w *work, m *image.YCbCr, cols int) {
	rx, ry := 1, 1
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		rx = 2
	case image.YCbCrSubsampleRatio420:
		rx, ry = 2, 2
	case image.YCbCrSubsampleRatio440:
		ry = 2
	case image.YCbCrSubsampleRatio411:
		rx = 4
	case image.YCbCrSubsampleRatio410:
		rx, ry = 4, 2
	}
	minX, minY := m.Rect.Min.X, m.Rect.Min.Y
	w.cx = grow(w.cx, len(w.xs))
	for i, sx := range w.xs {
		w.cx[i] = (minX+sx)/rx - minX/rx
	}
	for oy, sy := range w.ys {
		yrow := m.Y[sy*m.YStride:]
		coff := ((minY+sy)/ry - minY/ry) * m.CStride
		cb, cr := m.Cb[coff:], m.Cr[coff:]
		d := w.a[oy*cols : oy*cols+cols]
		for ox, sx := range w.xs {
			c := w.cx[ox]
			// YCbCrLuma, written out: the compiler does not inline it.
			yy1 := int32(yrow[sx]) * 0x10101
			cb1 := int32(cb[c]) - 128
			cr1 := int32(cr[c]) - 128
			r := min(max(yy1+91881*cr1, 0), 0xffffff) >> 16
			g := min(max(yy1-22554*cb1-46802*cr1, 0), 0xffffff) >> 16
			b := min(max(yy1+116130*cb1, 0), 0xffffff) >> 16
			d[ox] = lumTab[0][uint8(r)] + lumTab[1][uint8(g)] + lumTab[2][uint8(b)]
		}
	}
}

// YCbCrLuma is RGBLuma(color.YCbCrToRGB(y, cb, cr)), the luma of a JPEG
// YCbCr sample as image/jpeg's pixels give it, with the conversion written
// out branch-free: clamping to [0, 0xffffff] before the shift gives the same
// bytes as the standard library's test of the top byte.
func YCbCrLuma(y, cb, cr uint8) float32 {
	yy1 := int32(y) * 0x10101
	cb1 := int32(cb) - 128
	cr1 := int32(cr) - 128
	r := min(max(yy1+91881*cr1, 0), 0xffffff) >> 16
	g := min(max(yy1-22554*cb1-46802*cr1, 0), 0xffffff) >> 16
	b := min(max(yy1+116130*cb1, 0), 0xffffff) >> 16
	return lumTab[0][uint8(r)] + lumTab[1][uint8(g)] + lumTab[2][uint8(b)]
}
