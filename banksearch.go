package ksp

import (
	"strings"
)

// MaxValueQuery bounds a bank search (the longest value a signal may have).
const MaxValueQuery = 4096

// ValueRange is the values of one type from Lo (inclusive) to Hi
// (exclusive) in byte order: exactly those that start with Lo. A store
// reads it from its (type, value) index.
type ValueRange struct {
	Type, Lo, Hi string
}

// SearchRanges turns a bank search into the value ranges it covers. Hex
// digits (any case) are a prefix of PDQ, MD5 and SHA-256 values, stored in
// lower case. Anything else, and hex digits too, is a prefix of a
// normalised URL: with a scheme, of the URL itself; without one, of what
// follows "https://" or "http://", so that a host ("example.test") or a
// host and the start of a path finds its URLs. Scheme and host are
// compared in lower case, as they are stored; the path as written. An
// empty search covers everything (no range).
func SearchRanges(q string) ([]ValueRange, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil
	}
	var f Fields
	if len(q) > MaxValueQuery {
		f.Add("q", "longer than 4096 characters")
	}
	if strings.ContainsAny(q, " \t\r\n\x00") {
		f.Add("q", "one value or prefix, without spaces")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	var out []ValueRange
	add := func(typ, prefix string) {
		out = append(out, ValueRange{Type: typ, Lo: prefix, Hi: prefixEnd(prefix)})
	}
	if isHex(q) {
		h := strings.ToLower(q)
		for _, t := range []struct {
			typ string
			n   int
		}{{TypePDQ, 64}, {TypeMD5, 32}, {TypeSHA256, 64}} {
			if len(h) <= t.n {
				add(t.typ, h)
			}
		}
	}
	lower := strings.ToLower(q)
	for _, scheme := range []string{"https://", "http://"} {
		if strings.HasPrefix(lower, scheme) {
			add(TypeURL, scheme+lowerHost(q[len(scheme):]))
			return out, nil
		}
	}
	if strings.Contains(q, "://") {
		f.Add("q", "URLs in the bank are http or https")
		return nil, f.Err()
	}
	rest := lowerHost(q)
	add(TypeURL, "https://"+rest)
	add(TypeURL, "http://"+rest)
	return out, nil
}

// lowerHost lower-cases the host part of a URL without scheme (up to the
// first "/", "?" or "#").
func lowerHost(s string) string {
	i := strings.IndexAny(s, "/?#")
	if i < 0 {
		return strings.ToLower(s)
	}
	return strings.ToLower(s[:i]) + s[i:]
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// prefixEnd returns the least string greater than every string starting
// with p, in byte order ("" when there is none: no upper bound).
func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}
