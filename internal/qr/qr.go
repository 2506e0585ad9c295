// Package qr encodes QR codes as ISO/IEC 18004 defines them, for what KSP
// shows as one: the otpauth:// URI of a second-factor setup, rendered as
// inline SVG so that the page needs no JavaScript and no outside request.
//
// It does only what that needs: byte mode, error correction level M
// (15 % of the symbol may be damaged), versions 1 to 10 (up to 213 bytes),
// chosen by length; of the eight masks, the one with the lowest penalty by
// the standard's four rules.
package qr

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxBytes is the longest input Encode accepts (version 10-M in byte mode).
const MaxBytes = 213

// ErrTooLong is returned for input that does not fit version 10-M.
var ErrTooLong = errors.New("qr: data longer than " + strconv.Itoa(MaxBytes) + " bytes")

// Code is an encoded symbol: a square of modules, dark or light, without
// the quiet zone around it.
type Code struct {
	// Version is 1 to 10; the symbol is 17 + 4 × Version modules wide.
	Version int
	// Mask is the data mask pattern applied, 0 to 7.
	Mask int
	// Size is the width and height in modules.
	Size    int
	modules []bool
}

// Dark reports whether the module at row, col is dark.
func (c *Code) Dark(row, col int) bool { return c.modules[row*c.Size+col] }

// block layout of one version at level M: every block carries ecLen error
// correction codewords; groups lists {number of blocks, data codewords per
// block}, shorter blocks first (ISO/IEC 18004, table 9).
type layout struct {
	ecLen  int
	groups [][2]int
}

var layouts = [11]layout{
	1:  {10, [][2]int{{1, 16}}},
	2:  {16, [][2]int{{1, 28}}},
	3:  {26, [][2]int{{1, 44}}},
	4:  {18, [][2]int{{2, 32}}},
	5:  {24, [][2]int{{2, 43}}},
	6:  {16, [][2]int{{4, 27}}},
	7:  {18, [][2]int{{4, 31}}},
	8:  {22, [][2]int{{2, 38}, {2, 39}}},
	9:  {22, [][2]int{{3, 36}, {2, 37}}},
	10: {26, [][2]int{{4, 43}, {1, 44}}},
}

// alignment lists the row and column coordinates of the alignment
// patterns' centres (ISO/IEC 18004, annex E).
var alignment = [11][]int{
	2: {6, 18}, 3: {6, 22}, 4: {6, 26}, 5: {6, 30}, 6: {6, 34},
	7: {6, 22, 38}, 8: {6, 24, 42}, 9: {6, 26, 46}, 10: {6, 28, 50},
}

func (l layout) dataLen() int {
	n := 0
	for _, g := range l.groups {
		n += g[0] * g[1]
	}
	return n
}

// countBits is the width of byte mode's character count.
func countBits(version int) int {
	if version < 10 {
		return 8
	}
	return 16
}

// capacity is how many bytes a version holds at level M in byte mode.
func capacity(version int) int {
	return (layouts[version].dataLen()*8 - 4 - countBits(version)) / 8
}

// Encode encodes data in the smallest version that holds it, with the
// mask of lowest penalty.
func Encode(data []byte) (*Code, error) {
	return encode(data, 0, -1)
}

// encode encodes data in version (0: the smallest that fits) with mask
// (-1: the best).
func encode(data []byte, version, mask int) (*Code, error) {
	if version == 0 {
		for v := 1; v <= 10; v++ {
			if len(data) <= capacity(v) {
				version = v
				break
			}
		}
		if version == 0 {
			return nil, ErrTooLong
		}
	}
	if version < 1 || version > 10 {
		return nil, fmt.Errorf("qr: version %d not supported", version)
	}
	if len(data) > capacity(version) {
		return nil, fmt.Errorf("qr: %d bytes do not fit version %d-M", len(data), version)
	}
	if mask < -1 || mask > 7 {
		return nil, fmt.Errorf("qr: no mask %d", mask)
	}
	cw := codewords(data, version)
	base := newMatrix(version)
	base.place(cw)
	if mask >= 0 {
		m := base.withMask(mask)
		return &Code{Version: version, Mask: mask, Size: m.size, modules: m.dark}, nil
	}
	var best *matrix
	bestMask, bestScore := 0, -1
	for k := 0; k < 8; k++ {
		m := base.withMask(k)
		if s := penalty(m.size, m.dark); bestScore < 0 || s < bestScore {
			best, bestMask, bestScore = m, k, s
		}
	}
	return &Code{Version: version, Mask: bestMask, Size: best.size, modules: best.dark}, nil
}

// bits is a big-endian bit string.
type bits struct {
	b []byte
	n int
}

func (w *bits) put(v uint, width int) {
	for i := width - 1; i >= 0; i-- {
		if w.n%8 == 0 {
			w.b = append(w.b, 0)
		}
		if v>>uint(i)&1 == 1 {
			w.b[w.n/8] |= 0x80 >> uint(w.n%8)
		}
		w.n++
	}
}

// dataCodewords is the data bit stream of byte mode, terminated and padded
// to the version's data capacity.
func dataCodewords(data []byte, version int) []byte {
	capBits := layouts[version].dataLen() * 8
	var w bits
	w.put(0b0100, 4)
	w.put(uint(len(data)), countBits(version))
	for _, b := range data {
		w.put(uint(b), 8)
	}
	w.put(0, min(4, capBits-w.n)) // terminator, shortened at capacity
	if w.n%8 != 0 {
		w.put(0, 8-w.n%8)
	}
	for i := 0; w.n < capBits; i++ {
		w.put([]uint{0xEC, 0x11}[i%2], 8)
	}
	return w.b
}

// codewords splits the data into blocks, adds each block's error
// correction and interleaves them (ISO/IEC 18004, 7.6).
func codewords(data []byte, version int) []byte {
	l := layouts[version]
	d := dataCodewords(data, version)
	var blocks, ecs [][]byte
	for _, g := range l.groups {
		for range g[0] {
			blocks = append(blocks, d[:g[1]])
			ecs = append(ecs, rsEncode(d[:g[1]], l.ecLen))
			d = d[g[1]:]
		}
	}
	var out []byte
	longest := l.groups[len(l.groups)-1][1]
	for i := range longest {
		for _, b := range blocks {
			if i < len(b) {
				out = append(out, b[i])
			}
		}
	}
	for i := range l.ecLen {
		for _, e := range ecs {
			out = append(out, e[i])
		}
	}
	return out
}

// GF(256) with the QR code's field polynomial x⁸+x⁴+x³+x²+1.
var gfExp [512]byte
var gfLog [256]int

func init() {
	x := 1
	for i := range 255 {
		gfExp[i], gfExp[i+255] = byte(x), byte(x)
		gfLog[x] = i
		x <<= 1
		if x&0x100 != 0 {
			x ^= 0x11D
		}
	}
}

func gfMul(a, b byte) byte {
	if a == 0 || b == 0 {
		return 0
	}
	return gfExp[gfLog[a]+gfLog[b]]
}

// rsGenerator returns the generator polynomial of degree n, the product of
// (x − αⁱ) for i < n, highest power first.
func rsGenerator(n int) []byte {
	g := []byte{1}
	for i := range n {
		next := make([]byte, len(g)+1)
		for j, c := range g {
			next[j] ^= c
			next[j+1] ^= gfMul(c, gfExp[i])
		}
		g = next
	}
	return g
}

// rsEncode returns the n error correction codewords of data: the
// remainder of data(x)·xⁿ divided by the generator.
func rsEncode(data []byte, n int) []byte {
	g := rsGenerator(n)
	r := make([]byte, n)
	for _, d := range data {
		f := d ^ r[0]
		copy(r, r[1:])
		r[n-1] = 0
		for j := range n {
			r[j] ^= gfMul(g[j+1], f)
		}
	}
	return r
}

// matrix is a symbol under construction; fn marks the function modules,
// which data and masks leave alone.
type matrix struct {
	version, size int
	dark, fn      []bool
}

func (m *matrix) set(r, c int, dark bool) {
	m.dark[r*m.size+c], m.fn[r*m.size+c] = dark, true
}

// newMatrix draws a version's function patterns and reserves the format
// and version information areas.
func newMatrix(version int) *matrix {
	size := 17 + 4*version
	m := &matrix{version: version, size: size, dark: make([]bool, size*size), fn: make([]bool, size*size)}
	// Finder patterns with their light separators.
	for _, o := range [][2]int{{0, 0}, {0, size - 7}, {size - 7, 0}} {
		for dr := -1; dr <= 7; dr++ {
			for dc := -1; dc <= 7; dc++ {
				r, c := o[0]+dr, o[1]+dc
				if r < 0 || c < 0 || r >= size || c >= size {
					continue
				}
				d := max(abs(dr-3), abs(dc-3))
				m.set(r, c, d != 2 && d != 4)
			}
		}
	}
	// Timing patterns.
	for i := 8; i < size-8; i++ {
		m.set(6, i, i%2 == 0)
		m.set(i, 6, i%2 == 0)
	}
	// Alignment patterns, except where they would overlap a finder.
	a := alignment[version]
	for i, r := range a {
		for j, c := range a {
			if (i == 0 && j == 0) || (i == 0 && j == len(a)-1) || (i == len(a)-1 && j == 0) {
				continue
			}
			for dr := -2; dr <= 2; dr++ {
				for dc := -2; dc <= 2; dc++ {
					m.set(r+dr, c+dc, max(abs(dr), abs(dc)) != 1)
				}
			}
		}
	}
	// Format information (drawn per mask) and the dark module.
	m.drawFormat(0)
	if version >= 7 {
		v := versionBits(version)
		for i := range 18 {
			dark := v>>uint(i)&1 == 1
			m.set(i/3, size-11+i%3, dark)
			m.set(size-11+i%3, i/3, dark)
		}
	}
	return m
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Error correction levels as the format information encodes them.
const (
	levelL = 0b01
	levelM = 0b00
	levelQ = 0b11
	levelH = 0b10
)

// bch returns v followed by the remainder of v·x^deg divided by poly,
// poly having degree deg.
func bch(v, poly uint, deg int) uint {
	r := v << uint(deg)
	for i := bitsLen(r) - 1; i >= deg; i-- {
		if r>>uint(i)&1 == 1 {
			r ^= poly << uint(i-deg)
		}
	}
	return v<<uint(deg) | r
}

func bitsLen(v uint) int {
	n := 0
	for ; v != 0; v >>= 1 {
		n++
	}
	return n
}

// formatBits is the 15-bit format information of a level and mask:
// BCH(15,5) with generator x¹⁰+x⁸+x⁵+x⁴+x²+x+1, XORed with 101010000010010
// so that it is never all light.
func formatBits(level, mask int) uint {
	return bch(uint(level<<3|mask), 0x537, 10) ^ 0x5412
}

// versionBits is the 18-bit version information: BCH(18,6) with generator
// x¹²+x¹¹+x¹⁰+x⁹+x⁸+x⁵+x²+1.
func versionBits(version int) uint {
	return bch(uint(version), 0x1F25, 12)
}

// drawFormat writes the format information of level M and mask in both
// copies, bit 0 being the least significant.
func (m *matrix) drawFormat(mask int) {
	f := formatBits(levelM, mask)
	bit := func(i int) bool { return f>>uint(i)&1 == 1 }
	s := m.size
	for i := range 15 {
		// First copy, around the top-left finder: up column 8 from row 0
		// (skipping the timing row), then left along row 8.
		switch {
		case i < 6:
			m.set(i, 8, bit(i))
		case i < 8:
			m.set(i+1, 8, bit(i))
		case i == 8:
			m.set(8, 7, bit(i))
		default:
			m.set(8, 14-i, bit(i))
		}
		// Second copy: along row 8 from the right edge, then down
		// column 8 to the bottom edge.
		if i < 8 {
			m.set(8, s-1-i, bit(i))
		} else {
			m.set(s-15+i, 8, bit(i))
		}
	}
	m.set(s-8, 8, true) // the dark module
}

// place writes the codewords into the data modules in the standard order:
// two-module columns from the right edge, alternately upwards and
// downwards, skipping the vertical timing pattern. Remainder bits are
// light.
func (m *matrix) place(cw []byte) {
	i, total := 0, len(cw)*8
	up := true
	for right := m.size - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		for v := range m.size {
			r := v
			if up {
				r = m.size - 1 - v
			}
			for _, c := range []int{right, right - 1} {
				if m.fn[r*m.size+c] {
					continue
				}
				if i < total {
					m.dark[r*m.size+c] = cw[i/8]>>uint(7-i%8)&1 == 1
				}
				i++
			}
		}
		up = !up
	}
}

// maskAt reports whether mask k inverts the module at row r, column c
// (ISO/IEC 18004, table 10).
func maskAt(k, r, c int) bool {
	switch k {
	case 0:
		return (r+c)%2 == 0
	case 1:
		return r%2 == 0
	case 2:
		return c%3 == 0
	case 3:
		return (r+c)%3 == 0
	case 4:
		return (r/2+c/3)%2 == 0
	case 5:
		return r*c%2+r*c%3 == 0
	case 6:
		return (r*c%2+r*c%3)%2 == 0
	default:
		return ((r+c)%2+r*c%3)%2 == 0
	}
}

// withMask returns a copy with mask k applied to the data modules and its
// format information drawn.
func (m *matrix) withMask(k int) *matrix {
	out := &matrix{version: m.version, size: m.size, dark: append([]bool(nil), m.dark...), fn: append([]bool(nil), m.fn...)}
	for r := range m.size {
		for c := range m.size {
			if !m.fn[r*m.size+c] && maskAt(k, r, c) {
				out.dark[r*m.size+c] = !out.dark[r*m.size+c]
			}
		}
	}
	out.drawFormat(k)
	return out
}

// Penalty weights of ISO/IEC 18004, 7.8.3.
const (
	penaltyN1 = 3
	penaltyN2 = 3
	penaltyN3 = 40
	penaltyN4 = 10
)

// penalty scores a masked symbol by the standard's four rules; the mask of
// lowest score is used.
func penalty(size int, dark []bool) int {
	at := func(r, c int, transpose bool) bool {
		if transpose {
			r, c = c, r
		}
		return dark[r*size+c]
	}
	score := 0
	finderA := []bool{true, false, true, true, true, false, true, false, false, false, false}
	finderB := []bool{false, false, false, false, true, false, true, true, true, false, true}
	for _, tr := range []bool{false, true} {
		for r := range size {
			// Rule 1: runs of five or more modules of one colour.
			run := 1
			for c := 1; c <= size; c++ {
				if c < size && at(r, c, tr) == at(r, c-1, tr) {
					run++
					continue
				}
				if run >= 5 {
					score += penaltyN1 + run - 5
				}
				run = 1
			}
			// Rule 3: 1:1:3:1:1 finder-like patterns with four light
			// modules on either side.
			for c := 0; c+11 <= size; c++ {
				a, b := true, true
				for k := range 11 {
					v := at(r, c+k, tr)
					a = a && v == finderA[k]
					b = b && v == finderB[k]
				}
				if a {
					score += penaltyN3
				}
				if b {
					score += penaltyN3
				}
			}
		}
	}
	// Rule 2: 2×2 blocks of one colour.
	for r := 0; r+1 < size; r++ {
		for c := 0; c+1 < size; c++ {
			v := dark[r*size+c]
			if dark[r*size+c+1] == v && dark[(r+1)*size+c] == v && dark[(r+1)*size+c+1] == v {
				score += penaltyN2
			}
		}
	}
	// Rule 4: the share of dark modules, per 5 % away from half.
	n := 0
	for _, d := range dark {
		if d {
			n++
		}
	}
	total := size * size
	score += penaltyN4 * (abs(20*n-10*total) / total)
	return score
}

// SVG renders the code as an SVG image with a quiet zone of four modules,
// one unit per module; the caller sizes it (CSS or width and height).
// label is its text alternative, for screen readers.
func (c *Code) SVG(label string) string {
	const quiet = 4
	n := c.Size + 2*quiet
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s" shape-rendering="crispEdges">`, n, n, escape(label))
	fmt.Fprintf(&b, `<title>%s</title><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, escape(label), n, n)
	for r := range c.Size {
		for col := 0; col < c.Size; {
			if !c.Dark(r, col) {
				col++
				continue
			}
			end := col
			for end < c.Size && c.Dark(r, end) {
				end++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", col+quiet, r+quiet, end-col, end-col)
			col = end
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String()
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")

func escape(s string) string { return escaper.Replace(s) }
