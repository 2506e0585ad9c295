package ksp

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"net/url"
	"path"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// NormalizeValue brings a signal value to canonical form, or says why it
// cannot be one.
func NormalizeValue(typ, v string) (string, string) {
	v = strings.TrimSpace(v)
	hexLen := map[string]int{TypePDQ: 64, TypeMD5: 32, TypeSHA256: 64}
	if n, ok := hexLen[typ]; ok {
		v = strings.ToLower(v)
		if len(v) != n {
			return "", fmt.Sprintf("a %s value is %d hex digits, not %d", typ, n, len(v))
		}
		if _, err := hex.DecodeString(v); err != nil {
			return "", "not hexadecimal"
		}
		return v, ""
	}
	if typ == TypeURL {
		return NormalizeURL(v)
	}
	return v, ""
}

// NormalizeURL implements API.md's URL normalisation: scheme and host
// lower-case, host mapped with UTS #46 and in punycode, default port and
// fragment dropped, empty path "/", dot segments resolved, query order kept,
// utm_* parameters removed. It refuses ports outside 1–65535 and
// bidirectional control characters anywhere in the URL, raw or
// percent-encoded, since they make a URL read differently from what it is.
func NormalizeURL(raw string) (string, string) {
	if len(raw) > 4096 {
		return "", "longer than 4096 characters"
	}
	if r, ok := bidiControl(raw); ok {
		return "", bidiReason(r)
	}
	if r, ok := bidiControl(percentDecode(raw)); ok {
		return "", bidiReason(r) + " (percent-encoded)"
	}
	u, err := url.Parse(raw)
	if err != nil {
		if strings.Contains(err.Error(), "invalid port") {
			return "", "has a port that is not a number from 1 to 65535"
		}
		return "", "not a URL"
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", "must be an http or https URL"
	}
	host, reason := normalizeHost(u.Hostname())
	if reason != "" {
		return "", reason
	}
	port := u.Port()
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return "", "has a port that is not a number from 1 to 65535"
		}
		port = strconv.Itoa(n) // 080 is 80
	}
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	out := u.Scheme + "://" + host + clean
	if q := dropUTM(u.RawQuery); q != "" {
		out += "?" + q
	}
	return out, ""
}

// hostProfile maps host names as browsers do (UTS #46 non-transitional
// processing, as in the WHATWG URL standard): full-width letters,
// ideographic full stops and upper case fold to their plain form, and labels
// must satisfy the Bidi rule. It allows "_", which real host names carry and
// browsers accept, and labels with hyphens in any place; normalizeHost
// checks what is left of the ASCII form and its lengths itself.
var hostProfile = idna.New(idna.MapForLookup(), idna.Transitional(false), idna.BidiRule(),
	idna.ValidateLabels(true), idna.CheckHyphens(false), idna.StrictDomainName(false))

// normalizeHost returns the canonical host of a URL (without port): IPv6
// literals compressed in brackets, IPv4 addresses in dotted decimal, names
// lower-case in punycode.
func normalizeHost(host string) (string, string) {
	if host == "" {
		return "", "has no host"
	}
	if strings.Contains(host, ":") { // IPv6 literal; url.Parse saw the brackets
		a, err := netip.ParseAddr(host)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", "has an invalid IPv6 address"
		}
		return "[" + a.String() + "]", ""
	}
	a, err := hostProfile.ToASCII(host)
	if err != nil {
		return "", "has an invalid host name"
	}
	a = strings.TrimSuffix(a, ".")
	labels := strings.Split(a, ".")
	if len(a) > 253 {
		return "", "has a host name longer than 253 characters"
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return "", "has an invalid host name"
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "", "has an invalid host name"
			}
		}
	}
	// As in the WHATWG URL standard, a name whose last label is a number
	// is an IPv4 address or nothing.
	if _, err := strconv.ParseUint(labels[len(labels)-1], 10, 64); err == nil {
		ip, err := netip.ParseAddr(a)
		if err != nil || !ip.Is4() {
			return "", "has an invalid IPv4 address"
		}
		return ip.String(), ""
	}
	return a, ""
}

// dropUTM removes utm_* parameters and empty pairs, keeping the order of the
// rest.
func dropUTM(q string) string {
	if q == "" {
		return ""
	}
	var kept []string
	for _, kv := range strings.Split(q, "&") {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(strings.ToLower(k), "utm_") || kv == "" {
			continue
		}
		kept = append(kept, kv)
	}
	return strings.Join(kept, "&")
}

// bidiControl returns the first bidirectional control character in s:
// LRM, RLM, the embeddings and overrides U+202A–U+202E and the isolates
// U+2066–U+2069.
func bidiControl(s string) (rune, bool) {
	for _, r := range s {
		if r == 0x200E || r == 0x200F || r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 {
			return r, true
		}
	}
	return 0, false
}

func bidiReason(r rune) string {
	return fmt.Sprintf("contains the bidirectional control character U+%04X, which can make a URL read as something it is not", r)
}

// percentDecode decodes every valid %XX escape of s and leaves the rest as
// it is.
func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := hex.DecodeString(s[i+1 : i+3]); err == nil {
				b.WriteByte(v[0])
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
