package ksp

import (
	"encoding/hex"
	"fmt"
	"net/url"
	"path"
	"strings"
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
// lower-case, host in punycode, default port and fragment dropped, empty path
// "/", dot segments resolved, query order kept, utm_* parameters removed.
func NormalizeURL(raw string) (string, string) {
	if len(raw) > 4096 {
		return "", "longer than 4096 characters"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", "not a URL"
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", "must be an http or https URL"
	}
	host := u.Hostname()
	if host == "" {
		return "", "has no host"
	}
	port := u.Port()
	if u.User != nil {
		u.User = nil
	}
	if strings.Contains(host, ":") { // IPv6 literal
		host = "[" + strings.ToLower(host) + "]"
	} else {
		a, ok := hostToASCII(strings.TrimSuffix(host, "."))
		if !ok {
			return "", "has an invalid host name"
		}
		host = a
	}
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	u.Host = host
	u.Fragment, u.RawFragment = "", ""
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	if u.RawQuery != "" {
		var kept []string
		for _, kv := range strings.Split(u.RawQuery, "&") {
			k, _, _ := strings.Cut(kv, "=")
			if strings.HasPrefix(strings.ToLower(k), "utm_") || kv == "" {
				continue
			}
			kept = append(kept, kv)
		}
		u.RawQuery = strings.Join(kept, "&")
	}
	out := u.Scheme + "://" + u.Host + clean
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out, ""
}
