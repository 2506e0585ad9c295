package qr

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"testing"
)

// The expectations below are written from ISO/IEC 18004 independently of
// the encoder: its tables are copied again, its patterns are drawn from
// pictures, and the decoder reads a symbol the way a reader would.

// specFormat is the table of format information (annex C): the 15 bits
// after masking, per error correction level and mask pattern.
var specFormat = map[string][8]uint{
	"L": {0x77C4, 0x72F3, 0x7DAA, 0x789D, 0x662F, 0x6318, 0x6C41, 0x6976},
	"M": {0x5412, 0x5125, 0x5E7C, 0x5B4B, 0x45F9, 0x40CE, 0x4F97, 0x4AA0},
	"Q": {0x355F, 0x3068, 0x3F31, 0x3A06, 0x24B4, 0x2183, 0x2EDA, 0x2BED},
	"H": {0x1689, 0x13BE, 0x1CE7, 0x19D0, 0x0762, 0x0255, 0x0D0C, 0x083B},
}

func TestFormatBits(t *testing.T) {
	levels := map[string]int{"L": levelL, "M": levelM, "Q": levelQ, "H": levelH}
	for name, want := range specFormat {
		for mask, w := range want {
			if got := formatBits(levels[name], mask); got != w {
				t.Errorf("format %s mask %d: %015b, want %015b", name, mask, got, w)
			}
		}
	}
}

func TestVersionBits(t *testing.T) {
	// Annex D.
	for v, want := range map[int]uint{7: 0x07C94, 8: 0x085BC, 9: 0x09A99, 10: 0x0A4D3} {
		if got := versionBits(v); got != want {
			t.Errorf("version %d: %018b, want %018b", v, got, want)
		}
	}
}

func TestReedSolomon(t *testing.T) {
	tests := []struct {
		name     string
		data, ec []byte
	}{
		// The standard's worked example (annex I): "01234567" in numeric
		// mode, version 1-M.
		{"01234567 1-M",
			[]byte{0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11},
			[]byte{0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55}},
		// "HELLO WORLD" in alphanumeric mode, version 1-M.
		{"HELLO WORLD 1-M",
			[]byte{32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17},
			[]byte{196, 35, 39, 119, 235, 215, 231, 226, 93, 23}},
	}
	for _, tt := range tests {
		if got := rsEncode(tt.data, len(tt.ec)); !bytes.Equal(got, tt.ec) {
			t.Errorf("%s: % x, want % x", tt.name, got, tt.ec)
		}
	}
	// Generator of degree 10 as exponents of α (annex A).
	want := []int{0, 251, 67, 46, 61, 118, 70, 64, 94, 32, 45}
	for i, c := range rsGenerator(10) {
		if gfLog[c] != want[i] {
			t.Fatalf("generator 10: coefficient %d is α^%d, want α^%d", i, gfLog[c], want[i])
		}
	}
}

func TestDataCodewords(t *testing.T) {
	// 0100 00000101 "hello" 0000, then the pad bytes.
	want := []byte{0x40, 0x56, 0x86, 0x56, 0xC6, 0xC6, 0xF0, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC}
	if got := dataCodewords([]byte("hello"), 1); !bytes.Equal(got, want) {
		t.Fatalf("% x\nwant % x", got, want)
	}
	// Full to the last bit: the terminator is dropped.
	full := dataCodewords(bytes.Repeat([]byte{0xFF}, 14), 1)
	if len(full) != 16 || full[15] != 0xF0 {
		t.Fatalf("full: % x", full)
	}
	// Version 10 counts in 16 bits.
	if got := dataCodewords([]byte("a"), 10)[:4]; !bytes.Equal(got, []byte{0x40, 0x00, 0x16, 0x10}) {
		t.Fatalf("version 10: % x", got)
	}
}

// specCapacity is the byte mode capacity at level M (table 7).
var specCapacity = []int{0, 14, 26, 42, 62, 84, 106, 122, 152, 180, 213}

func TestVersionChoice(t *testing.T) {
	for v := 1; v <= 10; v++ {
		if capacity(v) != specCapacity[v] {
			t.Errorf("capacity of %d-M: %d, want %d", v, capacity(v), specCapacity[v])
		}
		for _, n := range []int{specCapacity[v-1] + 1, specCapacity[v]} {
			c, err := Encode(make([]byte, n))
			if err != nil || c.Version != v || c.Size != 17+4*v {
				t.Fatalf("%d bytes: %v %+v, want version %d", n, err, c, v)
			}
		}
	}
	if _, err := Encode(make([]byte, MaxBytes+1)); !errors.Is(err, ErrTooLong) {
		t.Fatalf("too long: %v", err)
	}
	if _, err := encode([]byte("x"), 11, -1); err == nil {
		t.Fatal("version 11 accepted")
	}
	if _, err := encode(make([]byte, 15), 1, -1); err == nil {
		t.Fatal("15 bytes accepted in version 1")
	}
}

// specBlocks is table 9 for level M: EC codewords per block, then the
// data codewords of each block.
var specBlocks = [11]struct {
	ec   int
	data []int
}{
	1: {10, []int{16}}, 2: {16, []int{28}}, 3: {26, []int{44}}, 4: {18, []int{32, 32}},
	5: {24, []int{43, 43}}, 6: {16, []int{27, 27, 27, 27}}, 7: {18, []int{31, 31, 31, 31}},
	8: {22, []int{38, 38, 39, 39}}, 9: {22, []int{36, 36, 36, 37, 37}}, 10: {26, []int{43, 43, 43, 43, 44}},
}

// specAlign is annex E: the centres' coordinates.
var specAlign = [11][]int{2: {6, 18}, 3: {6, 22}, 4: {6, 26}, 5: {6, 30}, 6: {6, 34},
	7: {6, 22, 38}, 8: {6, 24, 42}, 9: {6, 26, 46}, 10: {6, 28, 50}}

// pos is a module's row and column.
type pos struct{ r, c int }

// formatPositions returns where the format bits go, bit 0 first, in the
// two copies (figure 25).
func formatPositions(size int) (first, second [15]pos) {
	first = [15]pos{{0, 8}, {1, 8}, {2, 8}, {3, 8}, {4, 8}, {5, 8}, {7, 8}, {8, 8}, {8, 7}, {8, 5}, {8, 4}, {8, 3}, {8, 2}, {8, 1}, {8, 0}}
	for i := range 8 {
		second[i] = pos{8, size - 1 - i}
	}
	for i := 8; i < 15; i++ {
		second[i] = pos{size - 15 + i, 8}
	}
	return first, second
}

// versionPositions returns where version bit i goes in the two copies
// (figure 27): the block above the bottom-left finder, read across, and
// its transpose left of the top-right finder.
func versionPositions(size, i int) (bottomLeft, topRight pos) {
	return pos{size - 11 + i%3, i / 3}, pos{i / 3, size - 11 + i%3}
}

// specFunction returns the function modules of a version with format
// information for mask: which modules are function modules, and the
// colour of each.
func specFunction(v, mask int) (fn map[pos]bool) {
	size := 17 + 4*v
	fn = map[pos]bool{}
	finder := []string{"1111111", "1000001", "1011101", "1011101", "1011101", "1000001", "1111111"}
	for _, o := range []pos{{0, 0}, {0, size - 7}, {size - 7, 0}} {
		for r := -1; r <= 7; r++ {
			for c := -1; c <= 7; c++ {
				p := pos{o.r + r, o.c + c}
				if p.r < 0 || p.c < 0 || p.r >= size || p.c >= size {
					continue
				}
				fn[p] = r >= 0 && r < 7 && c >= 0 && c < 7 && finder[r][c] == '1'
			}
		}
	}
	for i := 8; i <= size-9; i++ {
		fn[pos{6, i}] = i%2 == 0
		fn[pos{i, 6}] = i%2 == 0
	}
	align := []string{"11111", "10001", "10101", "10001", "11111"}
	for _, r := range specAlign[v] {
		for _, c := range specAlign[v] {
			overlaps := false
			for dr := -2; dr <= 2; dr++ {
				for dc := -2; dc <= 2; dc++ {
					p := pos{r + dr, c + dc}
					if _, ok := fn[p]; ok && !(p.r == 6 || p.c == 6) {
						overlaps = true
					}
				}
			}
			if overlaps {
				continue
			}
			for dr := -2; dr <= 2; dr++ {
				for dc := -2; dc <= 2; dc++ {
					fn[pos{r + dr, c + dc}] = align[dr+2][dc+2] == '1'
				}
			}
		}
	}
	f := specFormat["M"][mask]
	first, second := formatPositions(size)
	for i := range 15 {
		fn[first[i]] = f>>uint(i)&1 == 1
		fn[second[i]] = f>>uint(i)&1 == 1
	}
	fn[pos{size - 8, 8}] = true
	if v >= 7 {
		vb := map[int]uint{7: 0x07C94, 8: 0x085BC, 9: 0x09A99, 10: 0x0A4D3}[v]
		for i := range 18 {
			a, b := versionPositions(size, i)
			fn[a] = vb>>uint(i)&1 == 1
			fn[b] = vb>>uint(i)&1 == 1
		}
	}
	return fn
}

func TestFunctionPatterns(t *testing.T) {
	for v := 1; v <= 10; v++ {
		for mask := range 8 {
			c, err := encode([]byte("patterns"), v, mask)
			if err != nil {
				t.Fatal(err)
			}
			fn := specFunction(v, mask)
			for p, dark := range fn {
				if c.Dark(p.r, p.c) != dark {
					t.Fatalf("version %d mask %d: module (%d,%d) is dark=%v, the standard says %v", v, mask, p.r, p.c, c.Dark(p.r, p.c), dark)
				}
			}
			// Every other module carries data: their count is the version's
			// codewords × 8 plus its remainder bits (table 1).
			total := 0
			for _, n := range specBlocks[v].data {
				total += n + specBlocks[v].ec
			}
			remainder := map[bool]int{true: 7, false: 0}[v >= 2 && v <= 6]
			if got := c.Size*c.Size - len(fn); got != total*8+remainder {
				t.Fatalf("version %d: %d data modules, want %d", v, got, total*8+remainder)
			}
		}
	}
}

// gfMulSlow multiplies in GF(256) bit by bit, modulo x⁸+x⁴+x³+x²+1.
func gfMulSlow(a, b byte) byte {
	var p byte
	for b != 0 {
		if b&1 != 0 {
			p ^= a
		}
		hi := a & 0x80
		a <<= 1
		if hi != 0 {
			a ^= 0x1D
		}
		b >>= 1
	}
	return p
}

// specMask is table 10, with i the row and j the column.
var specMask = [8]func(i, j int) bool{
	func(i, j int) bool { return (i+j)%2 == 0 },
	func(i, j int) bool { return i%2 == 0 },
	func(i, j int) bool { return j%3 == 0 },
	func(i, j int) bool { return (i+j)%3 == 0 },
	func(i, j int) bool { return (i/2+j/3)%2 == 0 },
	func(i, j int) bool { return (i*j)%2+(i*j)%3 == 0 },
	func(i, j int) bool { return ((i*j)%2+(i*j)%3)%2 == 0 },
	func(i, j int) bool { return ((i+j)%2+(i*j)%3)%2 == 0 },
}

// decode reads a symbol as a reader does: format information, unmasking,
// codewords in placement order, de-interleaving, a Reed–Solomon syndrome
// check of every block, then the byte mode segment.
func decode(size int, dark func(r, c int) bool) ([]byte, int, error) {
	v := (size - 17) / 4
	if v < 1 || v > 10 || size != 17+4*v {
		return nil, 0, fmt.Errorf("size %d", size)
	}
	first, second := formatPositions(size)
	var f1, f2 uint
	for i := range 15 {
		if dark(first[i].r, first[i].c) {
			f1 |= 1 << uint(i)
		}
		if dark(second[i].r, second[i].c) {
			f2 |= 1 << uint(i)
		}
	}
	if f1 != f2 {
		return nil, 0, fmt.Errorf("format copies differ: %015b %015b", f1, f2)
	}
	mask := -1
	for name, row := range specFormat {
		for m, w := range row {
			if w == f1 {
				if name != "M" {
					return nil, 0, fmt.Errorf("level %s", name)
				}
				mask = m
			}
		}
	}
	if mask < 0 {
		return nil, 0, fmt.Errorf("format %015b is not in the table", f1)
	}
	if v >= 7 {
		var a, b uint
		for i := range 18 {
			p, q := versionPositions(size, i)
			if dark(p.r, p.c) {
				a |= 1 << uint(i)
			}
			if dark(q.r, q.c) {
				b |= 1 << uint(i)
			}
		}
		if a != b || a>>12 != uint(v) {
			return nil, 0, fmt.Errorf("version information %018b %018b in a version %d symbol", a, b, v)
		}
	}
	fn := specFunction(v, mask)
	// Codewords in placement order: two-module columns right to left,
	// upwards first, skipping column 6; right module before left.
	var stream []bool
	up := true
	for col := size - 1; col > 0; col -= 2 {
		if col == 6 {
			col--
		}
		for k := range size {
			r := k
			if up {
				r = size - 1 - k
			}
			for _, c := range []int{col, col - 1} {
				if _, ok := fn[pos{r, c}]; ok {
					continue
				}
				stream = append(stream, dark(r, c) != specMask[mask](r, c))
			}
		}
		up = !up
	}
	var cw []byte
	for i := 0; i+8 <= len(stream); i += 8 {
		var b byte
		for k := range 8 {
			if stream[i+k] {
				b |= 0x80 >> uint(k)
			}
		}
		cw = append(cw, b)
	}
	// De-interleave.
	bl := specBlocks[v]
	blocks := make([][]byte, len(bl.data))
	i := 0
	for k := 0; k < bl.data[len(bl.data)-1]; k++ {
		for b, n := range bl.data {
			if k < n {
				blocks[b] = append(blocks[b], cw[i])
				i++
			}
		}
	}
	for range bl.ec {
		for b := range blocks {
			blocks[b] = append(blocks[b], cw[i])
			i++
		}
	}
	if i != len(cw) {
		return nil, 0, fmt.Errorf("%d codewords read, %d used", len(cw), i)
	}
	// Every syndrome S_j = c(α^j), j < ec, of a valid block is zero.
	var data []byte
	for b, blk := range blocks {
		alpha := byte(1)
		for j := range bl.ec {
			var s byte
			for _, x := range blk {
				s = gfMulSlow(s, alpha) ^ x
			}
			if s != 0 {
				return nil, 0, fmt.Errorf("block %d: syndrome %d is %#x", b, j, s)
			}
			alpha = gfMulSlow(alpha, 2)
		}
		data = append(data, blk[:bl.data[b]]...)
	}
	// The byte mode segment.
	bit := 0
	read := func(n int) int {
		x := 0
		for range n {
			x = x<<1 | int(data[bit/8]>>uint(7-bit%8)&1)
			bit++
		}
		return x
	}
	if m := read(4); m != 0b0100 {
		return nil, 0, fmt.Errorf("mode %04b", m)
	}
	n := read(map[bool]int{true: 8, false: 16}[v < 10])
	if 4+8*n+bit-4 > len(data)*8 {
		return nil, 0, fmt.Errorf("count %d too long", n)
	}
	out := make([]byte, n)
	for k := range out {
		out[k] = byte(read(8))
	}
	if rest := len(data)*8 - bit; rest > 0 {
		if t := read(min(4, rest)); t != 0 {
			return nil, 0, fmt.Errorf("terminator %b", t)
		}
	}
	bit = (bit + 7) / 8 * 8
	for k := 0; bit < len(data)*8; k++ {
		if p := read(8); p != []int{0xEC, 0x11}[k%2] {
			return nil, 0, fmt.Errorf("pad byte %#x", p)
		}
	}
	return out, mask, nil
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return b
	}
	for v := 1; v <= 10; v++ {
		lengths := []int{0, 1, specCapacity[v] / 2, specCapacity[v] - 1, specCapacity[v]}
		for range 4 {
			lengths = append(lengths, rng.IntN(specCapacity[v]+1))
		}
		for _, n := range lengths {
			in := random(n)
			for mask := range 8 {
				c, err := encode(in, v, mask)
				if err != nil {
					t.Fatal(err)
				}
				out, m, err := decode(c.Size, c.Dark)
				if err != nil {
					t.Fatalf("version %d mask %d, %d bytes: %v", v, mask, n, err)
				}
				if m != mask || !bytes.Equal(out, in) {
					t.Fatalf("version %d mask %d, %d bytes: read mask %d, % x", v, mask, n, m, out)
				}
			}
		}
	}
	// Encode's own choice, over every length.
	for n := 0; n <= MaxBytes; n++ {
		in := random(n)
		c, err := Encode(in)
		if err != nil {
			t.Fatal(err)
		}
		out, _, err := decode(c.Size, c.Dark)
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("%d bytes: %v", n, err)
		}
	}
}

// A damaged symbol is caught by the check (the decoder is not a pushover).
func TestDecoderNoticesDamage(t *testing.T) {
	c, err := Encode([]byte("otpauth://totp/KSP:a@b.example"))
	if err != nil {
		t.Fatal(err)
	}
	fn := specFunction(c.Version, c.Mask)
	for r := c.Size - 1; r >= 0; r-- {
		if _, ok := fn[pos{r, c.Size - 1}]; !ok {
			flipped := func(rr, cc int) bool { return c.Dark(rr, cc) != (rr == r && cc == c.Size-1) }
			if _, _, err := decode(c.Size, flipped); err == nil {
				t.Fatal("a flipped data module went unnoticed")
			}
			return
		}
	}
}

func TestPenaltyRules(t *testing.T) {
	grid := func(rows ...string) (int, []bool) {
		var d []bool
		for _, r := range rows {
			for _, ch := range r {
				d = append(d, ch == '1')
			}
		}
		return len(rows), d
	}
	tests := []struct {
		name string
		rows []string
		want int
	}{
		// Checkerboard: no runs, no blocks, no patterns, half dark.
		{"checkerboard", []string{"010101", "101010", "010101", "101010", "010101", "101010"}, 0},
		// All light 5×5: 10 runs of 5 (3 each), 16 blocks (3 each), all
		// light is 10 steps of 5 % away from half (10 each).
		{"all light", []string{"00000", "00000", "00000", "00000", "00000"}, 10*3 + 16*3 + 10*10},
		// One dark row of 6 in a checkerboard of 6: a run of 6 (3+1), no
		// block, 21 of 36 dark: |58.3 − 50| → one step (10).
		{"run of six", []string{"111111", "101010", "010101", "101010", "010101", "101010"}, 4 + 10},
	}
	for _, tt := range tests {
		n, d := grid(tt.rows...)
		if got := penalty(n, d); got != tt.want {
			t.Errorf("%s: penalty %d, want %d", tt.name, got, tt.want)
		}
	}
	// A finder-like pattern in a row: 10111010000 in an 11-wide symbol,
	// alternating rows below to keep other rules quiet.
	rows := []string{"10111010000"}
	for i := range 10 {
		if i%2 == 0 {
			rows = append(rows, "01010101010")
		} else {
			rows = append(rows, "10101010101")
		}
	}
	n, d := grid(rows...)
	base := penalty(n, append([]bool(nil), d...))
	// The same row without the pattern (last light module made dark,
	// breaking the four light modules).
	alt := append([]bool(nil), d...)
	alt[10] = true
	if diff := base - penalty(n, alt); diff < penaltyN3-penaltyN1-penaltyN4 || diff > penaltyN3+penaltyN4 {
		t.Errorf("finder-like pattern adds %d, want about %d", diff, penaltyN3)
	}
}

func TestBestMask(t *testing.T) {
	for _, in := range []string{"", "a", "otpauth://totp/KSP:ada@clipshare.example?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=KSP&algorithm=SHA1&digits=6&period=30"} {
		c, err := Encode([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		best := penalty(c.Size, c.modules)
		for m := range 8 {
			o, _ := encode([]byte(in), c.Version, m)
			if p := penalty(o.Size, o.modules); p < best {
				t.Errorf("%q: mask %d scores %d, below the chosen mask %d's %d", in, m, p, c.Mask, best)
			}
		}
	}
}

var moveRE = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)

func TestSVG(t *testing.T) {
	c, err := Encode([]byte("otpauth://totp/KSP:a@b.example?secret=AAAA"))
	if err != nil {
		t.Fatal(err)
	}
	svg := c.SVG(`QR code "for" <you> & me`)
	n := c.Size + 8
	for _, want := range []string{`viewBox="0 0 ` + strconv.Itoa(n) + ` ` + strconv.Itoa(n) + `"`, `role="img"`, `aria-label="QR code &#34;for&#34; &lt;you&gt; &amp; me"`, `<title>QR code &#34;for&#34; &lt;you&gt; &amp; me</title>`} {
		if !bytes.Contains([]byte(svg), []byte(want)) {
			t.Fatalf("svg lacks %s:\n%s", want, svg[:200])
		}
	}
	// Redraw the modules from the path and compare.
	got := make([]bool, c.Size*c.Size)
	for _, m := range moveRE.FindAllStringSubmatch(svg, -1) {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		w, _ := strconv.Atoi(m[3])
		for k := range w {
			got[(y-4)*c.Size+x-4+k] = true
		}
	}
	for r := range c.Size {
		for col := range c.Size {
			if got[r*c.Size+col] != c.Dark(r, col) {
				t.Fatalf("module (%d,%d) drawn wrong", r, col)
			}
		}
	}
}
