package ksp

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// hostToASCII lower-cases a host name and encodes its non-ASCII labels with
// Punycode (RFC 3492) behind "xn--", as IDNA does for lookups. Labels must be
// 1–63 octets once encoded and hold no spaces or control characters.
func hostToASCII(host string) (string, bool) {
	if host == "" || len(host) > 253*4 || !utf8.ValidString(host) {
		return "", false
	}
	labels := strings.Split(strings.ToLower(host), ".")
	for i, l := range labels {
		if l == "" {
			return "", false
		}
		for _, r := range l {
			if r <= ' ' || r == 0x7f || unicode.IsSpace(r) || strings.ContainsRune("/\\?#@%", r) {
				return "", false
			}
		}
		if !isASCII(l) {
			enc, ok := punycode(l)
			if !ok {
				return "", false
			}
			l = "xn--" + enc
		}
		if len(l) > 63 {
			return "", false
		}
		labels[i] = l
	}
	out := strings.Join(labels, ".")
	return out, len(out) <= 253
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Punycode parameters (RFC 3492 section 5).
const (
	pcBase        = 36
	pcTMin        = 1
	pcTMax        = 26
	pcSkew        = 38
	pcDamp        = 700
	pcInitialBias = 72
	pcInitialN    = 128
)

func pcAdapt(delta, numPoints int, first bool) int {
	if first {
		delta /= pcDamp
	} else {
		delta /= 2
	}
	delta += delta / numPoints
	k := 0
	for delta > ((pcBase-pcTMin)*pcTMax)/2 {
		delta /= pcBase - pcTMin
		k += pcBase
	}
	return k + (pcBase-pcTMin+1)*delta/(delta+pcSkew)
}

func pcDigit(d int) byte {
	if d < 26 {
		return byte('a' + d)
	}
	return byte('0' + d - 26)
}

// punycode encodes one label per RFC 3492.
func punycode(s string) (string, bool) {
	runes := []rune(s)
	var out []byte
	for _, r := range runes {
		if r < 0x80 {
			out = append(out, byte(r))
		}
	}
	b := len(out)
	h := b
	if b > 0 {
		out = append(out, '-')
	}
	n, delta, bias := pcInitialN, 0, pcInitialBias
	for h < len(runes) {
		m := int(^uint(0) >> 1)
		for _, r := range runes {
			if int(r) >= n && int(r) < m {
				m = int(r)
			}
		}
		if (m-n)*(h+1) < 0 || delta+(m-n)*(h+1) < delta {
			return "", false
		}
		delta += (m - n) * (h + 1)
		n = m
		for _, r := range runes {
			if int(r) < n {
				delta++
			}
			if int(r) == n {
				q := delta
				for k := pcBase; ; k += pcBase {
					t := k - bias
					if t < pcTMin {
						t = pcTMin
					} else if t > pcTMax {
						t = pcTMax
					}
					if q < t {
						break
					}
					out = append(out, pcDigit(t+(q-t)%(pcBase-t)))
					q = (q - t) / (pcBase - t)
				}
				out = append(out, pcDigit(q))
				bias = pcAdapt(delta, h+1, h == b)
				delta = 0
				h++
			}
		}
		delta++
		n++
	}
	return string(out), true
}
