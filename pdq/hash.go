package pdq

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
)

// HashBits is the number of bits in a PDQ hash.
const HashBits = 256

// HexLen is the length of a hash in its text form (64 lower-case hex digits).
const HexLen = 64

// Hash is a 256-bit PDQ hash.
//
// It holds the 256-bit number whose bit k (k = i·16 + j for DCT coefficient
// row i, column j) has weight 2^k, stored big-endian: Hash[0] holds bits
// 255..248 and Hash[31] holds bits 7..0. This is the byte order of the text
// form, so String is the hex encoding of the array and two hashes compare
// with == . The zero value is the all-zeros hash given to images too small to
// hash.
type Hash [32]byte

// String returns the hash as 64 lower-case hex digits, the format used by
// Meta's reference implementation and by the hash-sharing banks.
func (h Hash) String() string {
	return hex.EncodeToString(h[:])
}

// MarshalText implements encoding.TextMarshaler (the String form).
func (h Hash) MarshalText() ([]byte, error) {
	return []byte(h.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler (the ParseHash rules).
func (h *Hash) UnmarshalText(text []byte) error {
	p, err := ParseHash(string(text))
	if err != nil {
		return err
	}
	*h = p
	return nil
}

// ErrHashLength is returned (wrapped) by ParseHash for input that is not 64
// characters long.
var ErrHashLength = errors.New("pdq hash must be 64 hex digits")

// ErrHashDigit is returned (wrapped) by ParseHash for a character that is not
// a hex digit.
var ErrHashDigit = errors.New("invalid hex digit in pdq hash")

// ParseHash parses the 64-hex-digit text form of a hash. Upper-case digits are
// accepted. The error names the wrong length, or the first bad character and
// its 0-based position; it wraps ErrHashLength or ErrHashDigit.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != HexLen {
		return h, fmt.Errorf("%w: got %d characters", ErrHashLength, len(s))
	}
	for i := 0; i < HexLen; i += 2 {
		hi, ok1 := hexVal(s[i])
		lo, ok2 := hexVal(s[i+1])
		if !ok1 {
			return Hash{}, fmt.Errorf("%w: %q at position %d", ErrHashDigit, s[i], i)
		}
		if !ok2 {
			return Hash{}, fmt.Errorf("%w: %q at position %d", ErrHashDigit, s[i+1], i+1)
		}
		h[i/2] = hi<<4 | lo
	}
	return h, nil
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Words returns the hash as four 64-bit words, most significant first:
// Words()[0] holds bits 255..192 and Words()[3] bits 63..0. It is meant for
// Hamming indexes; the distance between two hashes is the sum of the
// popcounts of the XORs of their words.
func (h Hash) Words() [4]uint64 {
	return [4]uint64{
		binary.BigEndian.Uint64(h[0:8]),
		binary.BigEndian.Uint64(h[8:16]),
		binary.BigEndian.Uint64(h[16:24]),
		binary.BigEndian.Uint64(h[24:32]),
	}
}

// HashFromWords is the inverse of Hash.Words.
func HashFromWords(w [4]uint64) Hash {
	var h Hash
	for i, x := range w {
		binary.BigEndian.PutUint64(h[i*8:], x)
	}
	return h
}

// Bit reports whether bit k (0..255, weight 2^k) is set. Bit i·16+j is the
// sign of DCT coefficient (i, j) relative to the median.
func (h Hash) Bit(k int) bool {
	return h[31-k/8]>>(uint(k)%8)&1 == 1
}

func (h *Hash) setBit(k int) {
	h[31-k/8] |= 1 << (uint(k) % 8)
}

// IsZero reports whether every bit of the hash is 0 (the hash of an image too
// small to hash).
func (h Hash) IsZero() bool {
	return h == Hash{}
}

// Distance returns the Hamming distance between two hashes (0..256). Two
// hashes match when their distance is at most 31 (MatchThreshold).
func Distance(a, b Hash) int {
	wa, wb := a.Words(), b.Words()
	return bits.OnesCount64(wa[0]^wb[0]) + bits.OnesCount64(wa[1]^wb[1]) +
		bits.OnesCount64(wa[2]^wb[2]) + bits.OnesCount64(wa[3]^wb[3])
}

// MatchThreshold is the usual largest distance at which two PDQ hashes are
// considered a match.
const MatchThreshold = 31

// MinQuality is the quality below which a hash is considered unreliable and
// is not accepted into a bank.
const MinQuality = 50
