package ksp

import (
	"strings"
	"testing"
)

func TestNormalizeURL(t *testing.T) {
	const (
		badPort = "has a port that is not a number from 1 to 65535"
		badHost = "has an invalid host name"
	)
	long := strings.Repeat("a", 64)
	tests := []struct{ name, in, want, err string }{
		{"case", "HTTP://Example.COM", "http://example.com/", ""},
		{"dot segments, default port, fragment", "https://example.com:443/a/./b/../c?b=2&a=1#frag", "https://example.com/a/c?b=2&a=1", ""},
		{"other port kept", "http://example.com:8080/x/", "http://example.com:8080/x/", ""},
		{"utm removed", "https://example.com/p?utm_source=x&id=7&UTM_medium=y", "https://example.com/p?id=7", ""},
		{"user info dropped", "https://user:pw@example.com/", "https://example.com/", ""},
		{"trailing dot", "https://example.com./", "https://example.com/", ""},

		{"IDN", "https://bücher.example/ä", "https://xn--bcher-kva.example/%C3%A4", ""},
		{"IDN upper case", "https://MÜNCHEN.de/", "https://xn--mnchen-3ya.de/", ""},
		{"IDN percent-encoded", "https://b%C3%BCcher.example/", "https://xn--bcher-kva.example/", ""},
		{"punycode kept", "https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/", ""},
		{"full-width letters", "https://ｅｘａｍｐｌｅ.com/", "https://example.com/", ""},
		{"ideographic full stop", "https://example。com/", "https://example.com/", ""},
		{"full-width full stop", "https://example．com/", "https://example.com/", ""},
		{"non-transitional sharp s", "https://faß.de/", "https://xn--fa-hia.de/", ""},
		{"right-to-left name", "https://مثال.إختبار/", "https://xn--mgbh0fb.xn--kgbechtv/", ""},
		{"underscore", "https://my_site.example/", "https://my_site.example/", ""},
		{"hyphens anywhere", "https://r3---sn-abc.example/", "https://r3---sn-abc.example/", ""},

		{"IPv4", "http://192.168.0.1:8080/x", "http://192.168.0.1:8080/x", ""},
		{"IPv4 full-width", "http://１９２.１６８.０.１/", "http://192.168.0.1/", ""},
		{"IPv6", "http://[2001:DB8:0:0:0:0:0:1]:443/", "http://[2001:db8::1]:443/", ""},
		{"IPv6 default port", "https://[::1]:443/a", "https://[::1]/a", ""},
		{"IPv4 out of range", "http://1.2.3.999/", "", "has an invalid IPv4 address"},
		{"numeric last label", "http://example.123/", "", "has an invalid IPv4 address"},
		{"IPv6 zone", "http://[fe80::1%25en0]/", "", "has an invalid IPv6 address"},

		{"highest port", "http://example.com:65535/", "http://example.com:65535/", ""},
		{"leading zeros in port", "http://example.com:0080/", "http://example.com/", ""},
		{"empty port", "http://example.com:/x", "http://example.com/x", ""},
		{"port above 65535", "http://example.com:65536/", "", badPort},
		{"huge port", "http://example.com:99999999999999999999999/", "", badPort},
		{"port zero", "http://example.com:0/", "", badPort},
		{"port not a number", "http://example.com:http/", "", badPort},
		{"IPv6 port not a number", "http://[::1]:x/", "", badPort},

		{"LRM in host", "https://exa\u200emple.com/", "", "contains the bidirectional control character U+200E, which can make a URL read as something it is not"},
		{"RLM in path", "https://example.com/a\u200fb", "", "contains the bidirectional control character U+200F, which can make a URL read as something it is not"},
		{"RLO in path", "https://example.com/\u202egpj.exe", "", "contains the bidirectional control character U+202E, which can make a URL read as something it is not"},
		{"LRE in query", "https://example.com/?q=\u202a", "", "contains the bidirectional control character U+202A, which can make a URL read as something it is not"},
		{"isolate in fragment", "https://example.com/#\u2066", "", "contains the bidirectional control character U+2066, which can make a URL read as something it is not"},
		{"PDI", "https://example.com/\u2069", "", "contains the bidirectional control character U+2069, which can make a URL read as something it is not"},
		{"encoded RLO", "https://example.com/%E2%80%AEgpj.exe", "", "contains the bidirectional control character U+202E, which can make a URL read as something it is not (percent-encoded)"},
		{"encoded in host", "https://exa%E2%80%8Fmple.com/", "", "contains the bidirectional control character U+200F, which can make a URL read as something it is not (percent-encoded)"},
		{"other format characters pass", "https://example.com/a%E2%80%8Bb", "https://example.com/a%E2%80%8Bb", ""},

		{"not http", "ftp://example.com/", "", "must be an http or https URL"},
		{"no host", "https:///nohost", "", "has no host"},
		{"no scheme", "example.com/page", "", "must be an http or https URL"},
		{"space in host", "http://exa mple.com/", "", "not a URL"},
		{"angle bracket in host", "http://exa<mple.com/", "", badHost},
		{"empty label", "http://a..example/", "", badHost},
		{"label too long", "http://" + long + ".example/", "", badHost},
		{"name too long", "http://" + strings.Repeat("abcdefgh.", 29) + "example/", "", "has a host name longer than 253 characters"},
		{"bad punycode", "http://xn--a.example/", "", badHost},
		{"bidi rule", "http://a\u05d0.example/", "", badHost},
		{"too long", "https://example.com/" + strings.Repeat("a", 4096), "", "longer than 4096 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := NormalizeURL(tt.in)
			if got != tt.want || reason != tt.err {
				t.Errorf("NormalizeURL(%q) = %q, %q; want %q, %q", tt.in, got, reason, tt.want, tt.err)
			}
			if got == "" {
				return
			}
			// Canonical form is a fixed point.
			if again, reason := NormalizeURL(got); again != got || reason != "" {
				t.Errorf("NormalizeURL(%q) = %q, %q; not stable", got, again, reason)
			}
		})
	}
}
