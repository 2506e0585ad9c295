package web

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// defaultNext is where a sign-in lands without a usable next=.
const defaultNext = "/dashboard"

// maxNextLen bounds next=; anything longer is not a page of this site.
const maxNextLen = 2048

// safeNext keeps a post-sign-in redirect on this site: it returns next when
// it is a plain absolute path of this site, else the dashboard.
//
// Browsers are lenient with a Location header: they drop tabs and line
// breaks, read a backslash as a slash, and take "//host" for another site,
// so "/\t/host" lands on host. Only printable text is accepted (no control
// or format characters, no whitespace but the plain space, no backslash),
// starting with a single slash, with no scheme or host, and the same holds
// once it is decoded, and decoded again: what a server or proxy on the way
// decodes must not become another site either.
func safeNext(next string) string {
	p := next
	for range 3 {
		if !plainPath(p) {
			return defaultNext
		}
		d := unescape(p)
		if d == p {
			return next
		}
		p = d
	}
	// Still encoded after three decodings: nothing of ours looks like that.
	return defaultNext
}

// unescape decodes every %XX of s and keeps any other % as it is, as a
// lenient decoder on the way would.
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// plainPath reports whether p is an absolute path of this site as it
// stands (see safeNext).
func plainPath(p string) bool {
	if len(p) == 0 || len(p) > maxNextLen || p[0] != '/' || strings.HasPrefix(p, "//") || !utf8.ValidString(p) {
		return false
	}
	for _, r := range p {
		switch {
		case r == ' ':
		case r == '\\', r == utf8.RuneError, unicode.IsControl(r), unicode.Is(unicode.Cf, r), unicode.IsSpace(r), !unicode.IsPrint(r) && !unicode.IsGraphic(r):
			return false
		}
	}
	u, err := url.Parse(p)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && u.Opaque == "" && strings.HasPrefix(u.Path, "/") && !strings.HasPrefix(u.Path, "//")
}
