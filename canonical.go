package ksp

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// CanonicalJSON encodes v per RFC 8785 (JSON Canonicalization Scheme) for
// the value kinds KSP hashes: maps with string keys, slices, strings,
// booleans, nil, integers within ±2^53 and finite float64 numbers, the
// latter written as ECMAScript writes numbers (1e+21, 0.000001, 5e-324).
// Strings should be valid UTF-8 (see ValidUTF8Details); a byte that is not
// is written as the escape \ufffd.
func CanonicalJSON(v any) ([]byte, error) {
	return canonicalJSON(v, false)
}

// canonicalJSON is CanonicalJSON; with legacyFFFD it writes U+FFFD as the
// escape \ufffd, as digests made before details were cleaned of invalid
// UTF-8 wrote the invalid bytes that a store round trip turns into U+FFFD.
func canonicalJSON(v any, legacyFFFD bool) ([]byte, error) {
	c := canonicalWriter{legacyFFFD: legacyFFFD}
	if err := c.write(v); err != nil {
		return nil, err
	}
	return c.b.Bytes(), nil
}

type canonicalWriter struct {
	b          bytes.Buffer
	legacyFFFD bool
}

func (c *canonicalWriter) write(v any) error {
	b := &c.b
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case string:
		c.writeString(x)
	case int:
		return c.writeInt(int64(x))
	case int64:
		return c.writeInt(x)
	case float64:
		s, err := FormatNumberES(x)
		if err != nil {
			return fmt.Errorf("canonical JSON: %w", err)
		}
		b.WriteString(s)
	case []string:
		b.WriteByte('[')
		for i, s := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			c.writeString(s)
		}
		b.WriteByte(']')
	case []any:
		b.WriteByte('[')
		for i, s := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := c.write(s); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		// RFC 8785 orders keys by their UTF-16 code units.
		sort.Slice(keys, func(i, j int) bool { return lessUTF16(keys[i], keys[j]) })
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			c.writeString(k)
			b.WriteByte(':')
			if err := c.write(x[k]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("canonical JSON: unsupported type %T", v)
	}
	return nil
}

// writeInt refuses integers a double cannot hold exactly: written as
// ECMAScript would, they would silently become another number.
func (c *canonicalWriter) writeInt(n int64) error {
	if n >= 1<<53 || n <= -(1<<53) {
		return fmt.Errorf("canonical JSON: integer %d outside the exact range of IEEE doubles", n)
	}
	c.b.WriteString(strconv.FormatInt(n, 10))
	return nil
}

// FormatNumberES writes x as ECMAScript's Number::toString does, which is
// the number form of RFC 8785 (section 3.2.2.3): the shortest digits that
// read back as x, in plain notation for magnitudes from 1e-6 up to below
// 1e21 and in exponent notation ("1e+21", "5e-324") outside. NaN and the
// infinities have no JSON form and are an error.
func FormatNumberES(x float64) (string, error) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "", fmt.Errorf("number %v has no JSON form", x)
	}
	if x == 0 {
		return "0", nil // also -0
	}
	var out strings.Builder
	if x < 0 {
		out.WriteByte('-')
		x = -x
	}
	// Go's shortest round-trip digits are the ECMAScript ones: the fewest
	// digits k, and of those the closest to x.
	sci := strconv.FormatFloat(x, 'e', -1, 64) // d[.ddd]e±XX
	mant, exp, _ := strings.Cut(sci, "e")
	digits := strings.Replace(mant, ".", "", 1)
	e, err := strconv.Atoi(exp)
	if err != nil {
		return "", fmt.Errorf("number %v: exponent %q: %w", x, exp, err)
	}
	k, n := len(digits), e+1 // x = 0.digits × 10^n
	switch {
	case k <= n && n <= 21:
		out.WriteString(digits)
		out.WriteString(strings.Repeat("0", n-k))
	case 0 < n && n <= 21:
		out.WriteString(digits[:n])
		out.WriteByte('.')
		out.WriteString(digits[n:])
	case -6 < n && n <= 0:
		out.WriteString("0.")
		out.WriteString(strings.Repeat("0", -n))
		out.WriteString(digits)
	default:
		out.WriteByte(digits[0])
		if k > 1 {
			out.WriteByte('.')
			out.WriteString(digits[1:])
		}
		out.WriteByte('e')
		if n-1 >= 0 {
			out.WriteByte('+')
		}
		out.WriteString(strconv.Itoa(n - 1))
	}
	return out.String(), nil
}

func lessUTF16(a, b string) bool {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			return ua[i] < ub[i]
		}
	}
	return len(ua) < len(ub)
}

// writeString escapes as ECMAScript's JSON.stringify does: only the quote,
// the backslash and control characters, the latter with the short forms
// where they exist.
func (c *canonicalWriter) writeString(s string) {
	b := &c.b
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(b, `\u%04x`, r)
		case r == utf8.RuneError && (size == 1 || c.legacyFFFD):
			b.WriteString(`\ufffd`)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}

// ValidUTF8Details returns a copy of details in which every string, keys
// included and at any depth, is valid UTF-8, each run of bad bytes replaced
// by U+FFFD. Details are stored as JSON, and JSON cannot carry bad bytes: a
// store round trip would turn them into U+FFFD and the details would no
// longer match their digest. A sign-in's User-Agent header, for one, is
// whatever bytes the client sent.
func ValidUTF8Details(details map[string]any) map[string]any {
	if details == nil {
		return nil
	}
	out := make(map[string]any, len(details))
	for k, v := range details {
		out[strings.ToValidUTF8(k, "\uFFFD")] = validUTF8Value(v)
	}
	return out
}

func validUTF8Value(v any) any {
	switch x := v.(type) {
	case string:
		return strings.ToValidUTF8(x, "\uFFFD")
	case []string:
		out := make([]string, len(x))
		for i, s := range x {
			out[i] = strings.ToValidUTF8(s, "\uFFFD")
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = validUTF8Value(e)
		}
		return out
	case map[string]any:
		return ValidUTF8Details(x)
	}
	return v
}
