package sqlstore

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kspplatform/ksp"
)

// Limits on a search, so that one request cannot make the engines parse a
// page of text or expand a thousand prefixes.
const (
	maxSearchBytes = 200
	maxSearchTerms = 12
	maxSearchLimit = 100
)

// searchTerms are the user's words as both engines see them: runs of
// letters, digits, marks and private-use characters (what the FTS5
// tokenizer of migration 011 and PostgreSQL's [[:alnum:]] keep), with
// everything else a separator. Prefix says whether the last word is still
// being typed (the query does not end with a separator) and long enough
// (two characters) for prefix matching to be worth it.
type searchTerms struct {
	Words  []string
	Prefix bool
}

func isWordRune(r rune) bool {
	return unicode.In(r, unicode.L, unicode.N, unicode.M, unicode.Co)
}

// parseSearch splits q into words. A query with no word (empty, or only
// punctuation) is an invalid q: the engines would otherwise be asked for
// everything or nothing.
func parseSearch(q string) (searchTerms, error) {
	bad := func(reason string) error {
		return &ksp.Error{Code: ksp.EINVALID, Message: "invalid q: " + reason, Fields: []ksp.FieldError{{Field: "q", Reason: reason}}}
	}
	q = strings.TrimLeftFunc(q, unicode.IsSpace)
	if len(q) > maxSearchBytes {
		return searchTerms{}, bad("at most 200 bytes")
	}
	if !utf8.ValidString(q) {
		return searchTerms{}, bad("not valid UTF-8")
	}
	words := strings.FieldsFunc(q, func(r rune) bool { return !isWordRune(r) })
	if len(words) == 0 {
		return searchTerms{}, bad("type at least one word (letters or digits)")
	}
	if len(words) > maxSearchTerms {
		return searchTerms{}, bad("at most 12 words")
	}
	last, _ := utf8.DecodeLastRuneInString(q)
	return searchTerms{Words: words, Prefix: isWordRune(last) && utf8.RuneCountInString(words[len(words)-1]) >= 2}, nil
}

// fts5 writes the terms as an FTS5 query: every word a quoted string (so
// that nothing the user types is FTS5 syntax: no column filters, NEAR, OR
// or NOT), all required, the last one a prefix when still being typed.
func (t searchTerms) fts5() string {
	var b strings.Builder
	for i, w := range t.Words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(`"` + strings.ReplaceAll(w, `"`, `""`) + `"`)
		if i == len(t.Words)-1 && t.Prefix {
			b.WriteByte('*')
		}
	}
	return b.String()
}

// tsquery writes the terms as PostgreSQL tsquery text for to_tsquery:
// every word a quoted lexeme, joined by &, the last one a prefix (:*) when
// still being typed.
func (t searchTerms) tsquery() string {
	var b strings.Builder
	for i, w := range t.Words {
		if i > 0 {
			b.WriteString(" & ")
		}
		b.WriteString("'" + strings.NewReplacer(`'`, `''`, `\`, `\\`).Replace(w) + "'")
		if i == len(t.Words)-1 && t.Prefix {
			b.WriteString(":*")
		}
	}
	return b.String()
}

// The markers the engines put around matched words in a snippet. They are
// control characters, which escaping leaves alone, and which the text
// itself could contain only by someone's design: markSnippet balances them,
// so that whatever the text holds, the snippet's only markup is well-formed
// <mark> pairs.
const (
	markStart = "\x02"
	markEnd   = "\x03"
)

// markSnippet turns an engine's snippet (plain text with the markers) into
// HTML: the text escaped, the markers made <mark> and </mark>, a marker
// that would open a second mark or close none dropped, and a mark left open
// closed.
func markSnippet(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	open := false
	for len(s) > 0 {
		i := strings.IndexAny(s, markStart+markEnd)
		if i < 0 {
			b.WriteString(html.EscapeString(s))
			break
		}
		b.WriteString(html.EscapeString(s[:i]))
		switch {
		case s[i] == markStart[0] && !open:
			b.WriteString("<mark>")
			open = true
		case s[i] == markEnd[0] && open:
			b.WriteString("</mark>")
			open = false
		}
		s = s[i+1:]
	}
	if open {
		b.WriteString("</mark>")
	}
	return strings.TrimSpace(b.String())
}

// pickSnippet returns the first candidate in which a word matched, else
// the first that is not empty: a resource's summary before its body, an
// entity's aliases before its comments.
func pickSnippet(candidates ...string) string {
	for _, c := range candidates {
		if strings.Contains(c, markStart) {
			return markSnippet(c)
		}
	}
	for _, c := range candidates {
		if strings.TrimSpace(c) != "" {
			return markSnippet(c)
		}
	}
	return ""
}
