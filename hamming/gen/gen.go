// Package gen makes the deterministic 256-bit hash data sets of the shared
// PDQ range-search benchmark (shared/bench/pdq-search), bit for bit equal to
// the reference generator's output.
//
// The PRNG is splitmix64 seeded with the given seed. A hash is four successive
// PRNG outputs; on disk each word is 8 bytes little-endian, so a hash is 32
// bytes and a file is a plain concatenation of hashes. Bit b (0..255) of a
// hash is bit b&63 of word b>>6.
//
// Kinds of base set:
//
//   - Uniform: every hash is four fresh PRNG words.
//   - Clustered: item 0, and each later item for which below(5) == 0, is a
//     fresh random "original"; every other item is a copy of the current
//     original with below(21) distinct bits flipped.
//
// A query set of NQ hashes over a base set alternates: even positions copy a
// random base hash and flip 5+below(21) distinct bits; odd positions are
// fresh random hashes.
package gen

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Kind names a kind of base data set.
type Kind int

const (
	// Uniform hashes are independent and uniformly random.
	Uniform Kind = iota
	// Clustered hashes form near-duplicate families (mean size 5) around
	// random originals.
	Clustered
)

// String returns "uniform" or "clustered".
func (k Kind) String() string {
	switch k {
	case Uniform:
		return "uniform"
	case Clustered:
		return "clustered"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ParseKind parses "uniform" or "clustered".
func ParseKind(s string) (Kind, error) {
	switch s {
	case "uniform":
		return Uniform, nil
	case "clustered":
		return Clustered, nil
	}
	return 0, fmt.Errorf("gen: unknown kind %q (want uniform or clustered)", s)
}

// RNG is the splitmix64 generator used by the data sets.
type RNG struct{ state uint64 }

// NewRNG returns a generator whose state starts at seed.
func NewRNG(seed uint64) *RNG { return &RNG{state: seed} }

// Next returns the next 64-bit output.
func (r *RNG) Next() uint64 {
	r.state += 0x9E3779B97F4A7C15
	z := r.state
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// Below returns Next() % n.
func (r *RNG) Below(n uint64) uint64 { return r.Next() % n }

// Hash returns four successive outputs as a hash.
func (r *RNG) Hash() [4]uint64 {
	var h [4]uint64
	for i := range h {
		h[i] = r.Next()
	}
	return h
}

// Flip flips k distinct bit positions of h, drawn as Below(256) with
// rejection of positions already chosen, in draw order.
func (r *RNG) Flip(h *[4]uint64, k int) {
	var used [4]uint64
	for n := 0; n < k; {
		b := r.Below(256)
		w, bit := b>>6, uint64(1)<<(b&63)
		if used[w]&bit != 0 {
			continue
		}
		used[w] |= bit
		h[w] ^= bit
		n++
	}
}

// BaseStream calls emit for each of the n hashes of a base set, in order,
// without holding the set in memory.
func BaseStream(kind Kind, n int, seed uint64, emit func([4]uint64)) {
	r := NewRNG(seed)
	var orig [4]uint64
	for i := 0; i < n; i++ {
		switch {
		case kind == Uniform:
			emit(r.Hash())
		case i == 0 || r.Below(5) == 0:
			orig = r.Hash()
			emit(orig)
		default:
			h := orig
			r.Flip(&h, int(r.Below(21)))
			emit(h)
		}
	}
}

// Base returns the n hashes of a base set. The first m hashes of a set of
// size n equal the set of size m made with the same kind and seed.
func Base(kind Kind, n int, seed uint64) [][4]uint64 {
	out := make([][4]uint64, 0, n)
	BaseStream(kind, n, seed, func(h [4]uint64) { out = append(out, h) })
	return out
}

// Queries returns nq query hashes over base (which must be non-empty).
func Queries(base [][4]uint64, nq int, seed uint64) [][4]uint64 {
	r := NewRNG(seed)
	out := make([][4]uint64, nq)
	for q := range out {
		if q&1 == 0 {
			h := base[r.Below(uint64(len(base)))]
			r.Flip(&h, 5+int(r.Below(21)))
			out[q] = h
		} else {
			out[q] = r.Hash()
		}
	}
	return out
}

// Encode appends the 32-byte file form of h to dst.
func Encode(dst []byte, h [4]uint64) []byte {
	for _, w := range h {
		dst = binary.LittleEndian.AppendUint64(dst, w)
	}
	return dst
}

// Decode reads a hash from its 32-byte file form.
func Decode(b []byte) [4]uint64 {
	_ = b[31]
	return [4]uint64{
		binary.LittleEndian.Uint64(b[0:]),
		binary.LittleEndian.Uint64(b[8:]),
		binary.LittleEndian.Uint64(b[16:]),
		binary.LittleEndian.Uint64(b[24:]),
	}
}

// Write writes hashes in the binary file format.
func Write(w io.Writer, hs [][4]uint64) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	var b [32]byte
	for _, h := range hs {
		if _, err := bw.Write(Encode(b[:0], h)); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// WriteBase streams a base set to w in the binary file format.
func WriteBase(w io.Writer, kind Kind, n int, seed uint64) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	var b [32]byte
	var err error
	BaseStream(kind, n, seed, func(h [4]uint64) {
		if err == nil {
			_, err = bw.Write(Encode(b[:0], h))
		}
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// Read reads up to max hashes (all if max < 0) in the binary file format.
func Read(r io.Reader, max int) ([][4]uint64, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var out [][4]uint64
	var b [32]byte
	for max < 0 || len(out) < max {
		_, err := io.ReadFull(br, b[:])
		if err == io.EOF {
			break
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return out, errors.New("gen: file length is not a multiple of 32 bytes")
		}
		if err != nil {
			return out, err
		}
		out = append(out, Decode(b[:]))
	}
	return out, nil
}

// ReadFile reads up to max hashes (all if max < 0) from the named file.
func ReadFile(path string, max int) ([][4]uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		n := int(st.Size() / 32)
		if max >= 0 {
			n = min(n, max)
		}
		return readN(f, n)
	}
	return Read(f, max)
}

// readN reads exactly n hashes.
func readN(r io.Reader, n int) ([][4]uint64, error) {
	out := make([][4]uint64, n)
	br := bufio.NewReaderSize(r, 1<<20)
	var b [32]byte
	for i := range out {
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return out[:i], err
		}
		out[i] = Decode(b[:])
	}
	return out, nil
}

// WriteFile writes hashes to the named file.
func WriteFile(path string, hs [][4]uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := Write(f, hs); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
