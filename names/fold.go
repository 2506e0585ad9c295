// Package names matches the names of designated persons and groups across
// spellings: case, diacritics, punctuation, hyphens, word order, particles,
// transliteration variants and Arabic-script variants. It imports nothing of
// the project; the entity search builds on it.
//
// # Folding rules
//
// Fold turns a name into tokens. The rules, in order:
//
//  1. Compatibility decomposition (NFKD), then every combining mark
//     (Unicode category Mn) is dropped: é → e, ï → i, and in Arabic script
//     the tashkeel (fatha, damma, kasra, tanwin, shadda, sukun, superscript
//     alef) and the hamza and madda carried on a letter (أ إ آ → ا, ؤ → و,
//     ئ → ي). Presentation forms and full-width letters become plain letters.
//  2. Lower case. A few letters without a decomposition are spelt out:
//     ß → ss, æ → ae, œ → oe, ø → o, ł → l, đ → d, ı → i, þ → th.
//  3. Arabic script: tatweel (ـ) is removed; ٱ → ا; ى and Persian/Urdu ی ے → ي;
//     ة and Urdu ہ ۃ ھ → ه; Persian ک → ك; Arabic-Indic digits → 0–9.
//  4. Apostrophes and ayn/hamza signs (' ’ ‘ ` ´ ʼ ʻ ʿ ʾ) are deleted inside a
//     word (jama'at → jamaat); every other character that is not a letter
//     or a digit — spaces, hyphens, punctuation, slashes — separates tokens.
//  5. Particles are dropped: Arabic articles and connectors as transliterated
//     (al el ul ud ur us ut ad an ar as ash at az ed es et ez e i y wa wal
//     waal fi l d), the same in French and English (le la les de du des the
//     of and in for a to), the Arabic ones in Cyrillic (аль ал эль ат ад
//     ан ар ас аш аз уль валь ва, and и), and in Arabic script the
//     standalone ال and a leading ال, وال or بال on a word when two letters
//     or more remain. So lashkar-e-jhangvi, lashkar i jhangvi and Lashkar
//     Jhangvi fold alike. If a name is made of particles only, they are
//     kept.
//  6. Each remaining Latin token is reduced by transliteration rules, applied
//     in this order: dzh, dj, zh → j; ph → f; kh → h; ch → sh; ck, q, c → k;
//     ou, oo → u; ee → i; y → i; th → t; dh → d; gh → g; w after a vowel → u;
//     doubled letters collapse to one; a final h after a vowel is dropped (ta
//     marbuta: khilafah = khilafa). In other scripts, doubled letters
//     collapse too (جبهة → جبهه → جبه). So qaeda → kaeda, mujahideen =
//     mujahidin, tawheed = tauhid, tayyiba = taiba, mourabitoun = murabitun.
//
// # Matching
//
// Matching goes further than equality of folded tokens (see Search and
// Score). A query token also matches a name token, with less weight, when
// two adjacent tokens of one are written as one word of the other (abu bakar
// = abubakar, ansarallah = ansar allah); when their consonant skeletons are
// equal (vowels dropped, an initial vowel kept as one mark; tokens of four
// letters or more: qaida = qaeda, jehad = jihad); when they are one edit
// apart (four letters or more: jaulani = julani), or two (eight or more);
// or when one is a prefix of the other (a word typed in part: jhang).
package names

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// letterMap spells out the letters that have no canonical decomposition and
// unifies Arabic-script letter forms (rules 2 and 3 of the package doc).
var letterMap = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'ł': "l", 'đ': "d", 'ı': "i", 'þ': "th",
	'ٱ': "ا", // alef wasla
	'ى': "ي", // alef maqsura
	'ی': "ي", // Farsi yeh
	'ے': "ي", // Urdu yeh barree
	'ة': "ه", // ta marbuta
	'ہ': "ه", // Urdu heh goal
	'ۃ': "ه", // heh goal with hamza
	'ھ': "ه", // heh doachashmee
	'ک': "ك", // keheh
	'ـ': "",  // tatweel
}

// isJoiner reports the apostrophes and ayn/hamza signs deleted inside a word.
func isJoiner(r rune) bool {
	switch r {
	case '\'', '’', '‘', '`', '´', 'ʼ', 'ʻ', 'ʿ', 'ʾ':
		return true
	}
	return false
}

var particles = map[string]bool{}

func init() {
	for _, p := range strings.Fields(`al el ul ud ur us ut ad an ar as ash at az ed es et ez e i y
		wa wal waal fi l d le la les de du des the of and in for a to ال
		аль ал эль ат ад ан ар ас аш аз уль валь ва и`) {
		particles[p] = true
	}
	for r := '٠'; r <= '٩'; r++ {
		letterMap[r] = string('0' + (r - '٠'))
	}
	for r := '۰'; r <= '۹'; r++ {
		letterMap[r] = string('0' + (r - '۰'))
	}
}

// rawTokens applies rules 1 to 4: the tokens before particles and
// transliteration rules.
func rawTokens(s string) []string {
	s = norm.NFKD.String(s)
	var toks []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			toks = append(toks, b.String())
			b.Reset()
		}
	}
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r), isJoiner(r):
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			r = unicode.ToLower(r)
			if m, ok := letterMap[r]; ok {
				b.WriteString(m)
				continue
			}
			b.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	return toks
}

// Fold returns the folded tokens of a name, following the rules of the
// package doc. Equal spellings up to those rules give equal tokens.
func Fold(s string) []string {
	raw := rawTokens(s)
	out := make([]string, 0, len(raw))
	for _, t := range raw {
		if particles[t] {
			continue
		}
		out = append(out, key(t))
	}
	if len(out) == 0 {
		for _, t := range raw {
			out = append(out, key(t))
		}
	}
	return out
}

// latinRules are the transliteration rules of rule 6, applied in order.
var latinRules = []struct{ from, to string }{
	{"dzh", "j"}, {"dj", "j"}, {"zh", "j"}, {"ph", "f"}, {"kh", "h"}, {"ch", "sh"},
	{"ck", "k"}, {"q", "k"}, {"c", "k"}, {"ou", "u"}, {"oo", "u"}, {"ee", "i"},
	{"y", "i"}, {"th", "t"}, {"dh", "d"}, {"gh", "g"},
}

func isVowel(r rune) bool {
	switch r {
	case 'a', 'e', 'i', 'o', 'u', 'ا', 'و', 'ي':
		return true
	}
	return false
}

// key folds one token that is not a particle (the Arabic article prefix of
// rule 5, and rule 6).
func key(t string) string {
	for _, p := range []string{"وال", "بال", "ال"} {
		if rest, ok := strings.CutPrefix(t, p); ok && len([]rune(rest)) >= 2 {
			t = rest
			break
		}
	}
	ascii := true
	for i := 0; i < len(t); i++ {
		if t[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if !ascii {
		return collapse(t)
	}
	for _, r := range latinRules {
		t = strings.ReplaceAll(t, r.from, r.to)
	}
	b := []byte(t)
	for i := 1; i < len(b); i++ {
		if b[i] == 'w' && isVowel(rune(b[i-1])) {
			b[i] = 'u'
		}
	}
	t = collapse(string(b))
	if n := len(t); n > 3 && t[n-1] == 'h' && isVowel(rune(t[n-2])) {
		t = collapse(t[:n-1])
	}
	return t
}

// collapse reduces runs of one letter to one letter.
func collapse(t string) string {
	var b strings.Builder
	var prev rune = -1
	for _, r := range t {
		if r != prev {
			b.WriteRune(r)
		}
		prev = r
	}
	return b.String()
}

// skeleton is a key without vowels; an initial vowel is kept as one mark.
// Consonants that meet once the vowels are gone are not collapsed, so that
// shabab (shbb) and sahib (shb) stay apart.
func skeleton(k string) string {
	var b strings.Builder
	for i, r := range []rune(k) {
		if isVowel(r) {
			if i == 0 {
				b.WriteByte('*')
			}
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
