package ksp

import (
	"strings"
	"unicode"
)

// NameKey folds an organisation's name to what a reader takes it for, so
// that names that look alike compare equal: case folded; accents dropped;
// full-width forms, Cyrillic and Greek letters that look Latin read as
// the Latin letter; i, l, 1 and | as one letter, 0 as o, rn as m and vv as
// w; zero-width and other invisible characters dropped; spaces,
// punctuation and symbols dropped. It serves to keep members from naming
// themselves like the programme's secretariat; it is no general
// confusables skeleton (Unicode TR39), only a reasonable part of one.
func NameKey(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		}
		if l, ok := lookalikes[r]; ok {
			r = l
		}
		r = unicode.ToLower(r)
		if base := latinBase(r); base != 0 {
			r = base
		}
		switch {
		case r == 'i' || r == '1' || r == '|' || r == '!':
			b.WriteByte('l')
		case r == '0':
			b.WriteByte('o')
		case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Cc),
			unicode.IsSpace(r), unicode.IsPunct(r), unicode.IsSymbol(r), unicode.In(r, unicode.Z):
		default:
			b.WriteRune(r)
		}
	}
	return strings.NewReplacer("rn", "m", "vv", "w").Replace(b.String())
}

// latinBase returns the unaccented lower-case letter of a Latin letter with
// diacritics (U+00C0–U+024F, U+1E00–U+1EFF), or 0.
func latinBase(r rune) rune {
	var c byte = '.'
	switch {
	case r >= 0xC0 && r < 0x250:
		c = latinBase1[r-0xC0]
	case r >= 0x1E00 && r < 0x1F00:
		c = latinBase2[r-0x1E00]
	}
	if c == '.' {
		return 0
	}
	return rune(c)
}

// latinBase1 and latinBase2 hold, per code point from U+00C0 and U+1E00,
// the base letter of its compatibility decomposition ('.': none).
const (
	latinBase1 = "aaaaaa.ceeeeiiii.nooooo.ouuuuy..aaaaaa.ceeeeiiii.nooooo.ouuuuy.y" +
		"aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii..jjkk.lllllll" +
		"lllnnnnnn...oooooo..rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs" +
		"b........dd......ffg...ikkl.....oo..pp......tttuu..yyzz........." +
		".............aaiioouuuuuuuuuueaaaa..ggggkkoooo..j...gg..nnaa...." +
		"aaaaeeeeiiiioooorrrruuuusstt..hh......aaeeooooooooyy......acc.t." +
		"......eejj..rryy"
	latinBase2 = "aabbbbbbccddddddddddeeeeeeeeeeffgghhhhhhhhhhiiiikkkkkkllllllllmm" +
		"mmmmnnnnnnnnoooooooopppprrrrrrrrssssssssssttttttttuuuuuuuuuuvvvv" +
		"wwwwwwwwwwxxxxyyzzzzzzhtwy.s....aaaaaaaaaaaaaaaaaaaaaaaaeeeeeeee" +
		"eeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyy......"
)

// lookalikes maps Cyrillic and Greek letters to the Latin letters they are
// drawn like (upper and lower case apart: Greek Ν looks like N, ν like v).
var lookalikes = map[rune]rune{
	// Cyrillic
	'А': 'A', 'В': 'B', 'Е': 'E', 'Ё': 'E', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O', 'Р': 'P', 'С': 'C', 'Т': 'T',
	'У': 'Y', 'Х': 'X', 'Ѕ': 'S', 'І': 'I', 'Ї': 'I', 'Ј': 'J', 'Ԛ': 'Q', 'Ԝ': 'W', 'Ӏ': 'I',
	'а': 'a', 'е': 'e', 'ё': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'у': 'y', 'х': 'x', 'ѕ': 's', 'і': 'i',
	'ї': 'i', 'ј': 'j', 'һ': 'h', 'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w', 'ӏ': 'l', 'ɡ': 'g',
	// Greek
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Ζ': 'Z', 'Η': 'H', 'Ι': 'I', 'Κ': 'K', 'Μ': 'M', 'Ν': 'N', 'Ο': 'O',
	'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X',
	'α': 'a', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p', 'υ': 'u', 'χ': 'x',
}
