// Package filehash hashes files for matching against hash banks: MD5 and
// SHA-256 of every file, and for images the PDQ perceptual hash and quality.
//
// Images are recognised by their signature (JPEG, PNG, GIF, WebP, BMP,
// TIFF). Their dimensions are read first and an image over the pixel budget
// is refused before anything is decompressed. A file is read once: its bytes
// feed MD5 and SHA-256 and, for an image, the decoder.
package filehash

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"sync"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"

	"github.com/kspplatform/ksp/filehash/internal/jpegscale"
	"github.com/kspplatform/ksp/pdq"
)

// DefaultMaxPixels is the default pixel budget (width × height) above which
// an image is refused: 100 megapixels.
const DefaultMaxPixels = 100_000_000

// MaxImageBytes is the largest file that is decoded as an image. Larger files
// with an image signature still get their MD5 and SHA-256, with
// Result.ImageError set.
const MaxImageBytes = 1 << 30

// Options tune hashing. The zero value uses the defaults.
type Options struct {
	// MaxPixels is the pixel budget: images whose width × height exceeds it
	// are refused with an error wrapping ErrTooManyPixels, before decoding.
	// 0 means DefaultMaxPixels.
	MaxPixels int64
	// FullResolution hashes images at their own size instead of the
	// reference tool's 512×512 pre-resize (see pdq.Options).
	FullResolution bool
	// StdlibJPEG decodes JPEG images with image/jpeg at full size instead of
	// the default decoder, whose pixels are libjpeg-turbo's (the decoder of
	// Meta's reference tool, so hashes equal the reference's).
	StdlibJPEG bool
	// ScaledJPEG decodes JPEG images larger than 512 px at 1/2, 1/4 or 1/8
	// scale in the DCT domain: faster, but the hashes are a few bits away
	// from the reference's (more on fine textures). Not for hashes that are
	// shared or matched against banks.
	ScaledJPEG bool
	// Dihedral also computes the hashes of the image's 8 rotations and
	// mirrors (Result.Dihedral), for matching content that was flipped or
	// rotated to evade a bank. It decodes at full size.
	Dihedral bool
	// Memory, when set, bounds the memory of concurrent decodes: an image
	// takes its DecodeCost from it before it is decoded and gives it back
	// once hashed. An image that finds the budget in use for the budget's
	// whole wait is an error wrapping ErrBusy; one that needs more than all
	// of it, an error wrapping ErrOverBudget.
	Memory *MemoryBudget
}

func (o Options) maxPixels() int64 {
	if o.MaxPixels <= 0 {
		return DefaultMaxPixels
	}
	return o.MaxPixels
}

// ErrTooManyPixels is wrapped by the error returned for an image over the
// pixel budget.
var ErrTooManyPixels = errors.New("image exceeds the pixel budget")

// Result is what is known of one file.
type Result struct {
	// MD5 and SHA256 are the lower-case hex digests of the file's bytes.
	MD5    string
	SHA256 string
	// IsImage is true when the file was decoded as an image and PDQ and
	// Quality are set.
	IsImage bool
	// Format is the image format recognised by signature ("jpeg", "png",
	// "gif", "webp", "bmp", "tiff"), empty for other files. It is set even
	// when decoding failed.
	Format string
	// Width and Height are the image's dimensions, when known.
	Width, Height int
	// PDQ is the perceptual hash and Quality its quality (0..100); hashes of
	// quality under 50 are unreliable. Images under 5 px on a side get the
	// zero hash and quality 0.
	PDQ     pdq.Hash
	Quality int
	// Dihedral holds the 8 dihedral hashes (index pdq.Original …
	// pdq.FlipMinus1) when Options.Dihedral was set.
	Dihedral *[8]pdq.Hash
	// ImageError is set when the file has an image signature but could not be
	// decoded (corrupt, truncated, unsupported variant); the file is then
	// treated as a non-image. It is not set for images over the pixel budget,
	// which are an error.
	ImageError error
}

// HashFile hashes the file at path (see HashReader). Errors start with the
// path.
func HashFile(path string, opts Options) (Result, error) {
	res, err := hashPath(path, opts)
	if err != nil {
		return res, fmt.Errorf("%s: %w", path, err)
	}
	return res, nil
}

// hashPath is HashFile with errors that do not name the file.
func hashPath(path string, opts Options) (Result, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return Result{}, pe.Err
		}
		return Result{}, err
	}
	defer f.Close()
	var size int64 = -1
	if st, err := f.Stat(); err == nil {
		if st.IsDir() {
			return Result{}, errors.New("is a directory")
		}
		if st.Mode().IsRegular() {
			size = st.Size()
		}
	}
	return hashStream(f, size, opts)
}

// HashReader reads r to its end once, and returns its MD5 and SHA-256 and,
// if it is an image, its PDQ hash. A file that is not an image is not an
// error. An image over the pixel budget is an error wrapping
// ErrTooManyPixels, and one the memory budget (Options.Memory) cannot take
// an error wrapping ErrBusy or ErrOverBudget; the returned Result then still
// holds MD5 and SHA-256, and the image's format and dimensions.
func HashReader(r io.Reader, opts Options) (Result, error) {
	return hashStream(r, -1, opts)
}

// HashBytes is HashReader for bytes already in memory.
func HashBytes(data []byte, opts Options) (Result, error) {
	res := Result{MD5: md5Hex(data), SHA256: sha256Hex(data)}
	err := hashImage(data, opts, &res)
	return res, err
}

func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// sniffLen is how many leading bytes identify an image format.
const sniffLen = 16

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// hashStream hashes r. Files with an image signature are buffered (to at
// most MaxImageBytes) for decoding; other files are streamed through the
// digests.
func hashStream(r io.Reader, sizeHint int64, opts Options) (Result, error) {
	var head [sniffLen]byte
	n, err := io.ReadFull(r, head[:])
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return Result{}, fmt.Errorf("read: %w", err)
	}
	if sniff(head[:n]) == "" || sizeHint > MaxImageBytes {
		return streamDigests(head[:n], r, sniff(head[:n]))
	}
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<20 { // do not keep huge buffers alive
			buf.Reset()
			bufPool.Put(buf)
		}
	}()
	buf.Reset()
	if sizeHint > 0 {
		buf.Grow(int(sizeHint) + 1)
	}
	buf.Write(head[:n])
	if _, err := buf.ReadFrom(io.LimitReader(r, MaxImageBytes-int64(n)+1)); err != nil {
		return Result{}, fmt.Errorf("read: %w", err)
	}
	if buf.Len() > MaxImageBytes {
		return streamDigests(buf.Bytes(), r, sniff(head[:n]))
	}
	return HashBytes(buf.Bytes(), opts)
}

// streamDigests computes the digests of prefix followed by the rest of r,
// without keeping the bytes.
func streamDigests(prefix []byte, r io.Reader, format string) (Result, error) {
	m, s := md5.New(), sha256.New()
	w := io.MultiWriter(m, s)
	w.Write(prefix)
	cp := copyBufPool.Get().(*[]byte)
	defer copyBufPool.Put(cp)
	if _, err := io.CopyBuffer(w, r, *cp); err != nil {
		return Result{}, fmt.Errorf("read: %w", err)
	}
	res := Result{MD5: sumHex(m), SHA256: sumHex(s), Format: format}
	if format != "" {
		res.ImageError = fmt.Errorf("%s file over %d bytes: not decoded", format, MaxImageBytes)
	}
	return res, nil
}

var copyBufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

func sumHex(h hash.Hash) string {
	var b [sha256.Size]byte
	return hex.EncodeToString(h.Sum(b[:0]))
}

// sniff returns the image format that data's signature announces, or "".
func sniff(data []byte) string {
	has := func(sig string) bool { return bytes.HasPrefix(data, []byte(sig)) }
	switch {
	case has("\xff\xd8"):
		return "jpeg"
	case has("\x89PNG\r\n\x1a\n"):
		return "png"
	case has("GIF87a"), has("GIF89a"):
		return "gif"
	case has("RIFF") && len(data) >= 12 && string(data[8:12]) == "WEBP":
		return "webp"
	case has("BM") && len(data) >= 10 && string(data[6:10]) == "\x00\x00\x00\x00":
		return "bmp"
	case has("II*\x00"), has("MM\x00*"):
		return "tiff"
	}
	return ""
}

type codec struct {
	decode       func(io.Reader) (image.Image, error)
	decodeConfig func(io.Reader) (image.Config, error)
}

var codecs = map[string]codec{
	"jpeg": {jpeg.Decode, jpeg.DecodeConfig},
	"png":  {png.Decode, png.DecodeConfig},
	"gif":  {gif.Decode, gif.DecodeConfig},
	"webp": {webp.Decode, webp.DecodeConfig},
	"bmp":  {bmp.Decode, bmp.DecodeConfig},
	"tiff": {tiff.Decode, tiff.DecodeConfig},
}

// hashImage fills the image fields of res when data is an image. Only the
// pixel and memory budgets are errors.
func hashImage(data []byte, opts Options, res *Result) error {
	format := sniff(data)
	if format == "" {
		return nil
	}
	res.Format = format
	c := codecs[format]
	if format == "jpeg" && !opts.StdlibJPEG && !opts.ScaledJPEG {
		if jc, ok := exactJPEG(data); ok {
			res.Width, res.Height = jc.Width, jc.Height
			if err := checkBudget(jc.Width, jc.Height, opts); err != nil {
				return err
			}
			release, err := opts.Memory.Reserve(exactJPEGCost(jc, opts))
			if err != nil {
				return err
			}
			err = hashJPEGExact(data, jc, opts, res)
			release()
			if err == nil {
				return nil
			}
			// Corrupt or truncated: image/jpeg gives its own verdict below.
			res.PDQ, res.Quality, res.Dihedral, res.IsImage = pdq.Hash{}, 0, nil, false
		}
	}
	fast := format == "jpeg" && opts.ScaledJPEG && !opts.StdlibJPEG && !opts.Dihedral
	var cfg image.Config
	var err error
	if w, h, jerr := jpegscale.Config(data); fast && jerr == nil {
		// The reduced-scale decoder reads the same frame header without
		// allocating; other variants go to image/jpeg's.
		cfg.Width, cfg.Height = w, h
	} else if cfg, err = c.decodeConfig(bytes.NewReader(data)); err != nil {
		res.ImageError = fmt.Errorf("%s header: %w", format, err)
		return nil
	}
	res.Width, res.Height = cfg.Width, cfg.Height
	if err := checkBudget(cfg.Width, cfg.Height, opts); err != nil {
		return err
	}
	popts := pdq.Options{FullResolution: opts.FullResolution}
	if s := fastScale(format, data, cfg, opts); s > 1 {
		release, err := opts.Memory.Reserve(scaledJPEGCost(data, cfg, s))
		if err != nil {
			return err
		}
		h, q, ok := hashJPEGScaled(data, cfg.Width, cfg.Height, s, opts.maxPixels(), popts)
		release()
		if ok {
			res.PDQ, res.Quality, res.IsImage = h, q, true
			return nil
		}
	}
	release, err := opts.Memory.Reserve(fullDecodeCost(format, data, cfg, opts))
	if err != nil {
		return err
	}
	defer release()
	img, err := decodeSafely(c.decode, data)
	if err != nil {
		res.ImageError = fmt.Errorf("%s: %w", format, err)
		return nil
	}
	// The decoded size is what is hashed; it can differ from the header's
	// (GIF frames, some TIFFs).
	b := img.Bounds()
	if err := checkBudget(b.Dx(), b.Dy(), opts); err != nil {
		return err
	}
	res.PDQ, res.Quality = pdq.HashImage(img, popts)
	res.IsImage = true
	if opts.Dihedral {
		d, _ := pdq.DihedralImage(img, popts)
		res.Dihedral = &d
	}
	return nil
}

func checkBudget(w, h int, opts Options) error {
	if w < 0 || h < 0 || int64(w)*int64(h) > opts.maxPixels() {
		return fmt.Errorf("%w: %dx%d is %d pixels, the limit is %d", ErrTooManyPixels, w, h, int64(w)*int64(h), opts.maxPixels())
	}
	return nil
}

// decodeSafely runs a decoder, turning a panic in it into an error: hashing
// untrusted files must not bring the process down.
func decodeSafely(decode func(io.Reader) (image.Image, error), data []byte) (img image.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("decoder panic: %v", r)
		}
	}()
	return decode(bytes.NewReader(data))
}
