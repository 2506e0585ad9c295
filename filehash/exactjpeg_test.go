package filehash

import (
	"bytes"
	"image/jpeg"
	"testing"

	"github.com/kspplatform/ksp/internal/jpegdec"
	"github.com/kspplatform/ksp/pdq"
)

// TestExactJPEGMatchesFullDecode checks that the default JPEG path, which
// decodes only the pixels of the reference's 512×512 pre-resize, gives the
// same hashes as hashing the full decode (pdq then does the pre-resize).
func TestExactJPEGMatchesFullDecode(t *testing.T) {
	for _, tc := range []struct {
		w, h int
		opts Options
	}{
		{1024, 768, Options{}},
		{1024, 768, Options{Dihedral: true}},
		{2000, 130, Options{}},
		{513, 900, Options{}},
		{300, 200, Options{}},
		{640, 480, Options{FullResolution: true}},
		{4, 700, Options{}},
	} {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, photo(tc.w, tc.h, uint64(tc.w)), &jpeg.Options{Quality: 92}); err != nil {
			t.Fatal(err)
		}
		res, err := HashBytes(b.Bytes(), tc.opts)
		if err != nil || !res.IsImage {
			t.Fatalf("%dx%d: %v %v", tc.w, tc.h, err, res.ImageError)
		}
		var d jpegdec.Decoder
		img, err := d.Decode(b.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		luma := imageLuma(nil, img)
		popts := pdq.Options{FullResolution: tc.opts.FullResolution}
		h, q, err := pdq.HashLuma(tc.w, tc.h, luma, popts)
		if err != nil {
			t.Fatal(err)
		}
		if res.PDQ != h || res.Quality != q {
			t.Errorf("%dx%d %+v: hash %s q%d, full decode %s q%d", tc.w, tc.h, tc.opts, res.PDQ, res.Quality, h, q)
		}
		if tc.opts.Dihedral {
			dh, _, err := pdq.DihedralLuma(tc.w, tc.h, luma, popts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Dihedral == nil || *res.Dihedral != dh {
				t.Errorf("%dx%d: dihedral hashes differ from the full decode's", tc.w, tc.h)
			}
		}
	}
}

// TestExactJPEGFallback checks that JPEGs the exact decoder refuses go to
// image/jpeg (CMYK, arithmetic coding) and that corrupt ones are an
// ImageError, not an error.
func TestExactJPEGFallback(t *testing.T) {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, photo(64, 48, 3), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	truncated := b.Bytes()[:b.Len()/2]
	res, err := HashBytes(truncated, Options{})
	if err != nil || res.IsImage || res.ImageError == nil || res.Format != "jpeg" {
		t.Errorf("truncated JPEG: %v %+v", err, res)
	}
	if _, ok := exactJPEG(jpegDeclaring(0xc0, 100, 100, 2, 0x11, 0x11, 0x11, 0x11)); ok {
		t.Error("CMYK header taken by the exact decoder")
	}
	twelve := jpegDeclaring(0xc1, 100, 100, -1, 0x22, 0x11, 0x11)
	twelve[bytes.Index(twelve, []byte{0xff, 0xc1})+4] = 12
	if _, ok := exactJPEG(twelve); ok {
		t.Error("12-bit header taken by the exact decoder")
	}
	arith := bytes.Replace(b.Bytes(), []byte{0xff, 0xc0}, []byte{0xff, 0xc9}, 1)
	if _, err := jpegdec.DecodeConfig(arith); err == nil {
		t.Error("arithmetic-coded frame accepted by the exact decoder")
	}
	if res, err := HashBytes(arith, Options{}); err != nil || res.IsImage {
		t.Errorf("arithmetic-coded JPEG: %v %+v", err, res)
	}
}
