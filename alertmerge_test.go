package ksp

import (
	"slices"
	"testing"
)

func TestAlertMergeURLs(t *testing.T) {
	tests := []struct {
		raw  string
		want []string
	}{
		{"https://example.com/a?b=1", []string{"https://example.com/a?b=1", "https://www.example.com/a?b=1"}},
		{"HTTPS://WWW.Example.COM:8443/a%20b", []string{"https://www.example.com:8443/a%20b", "https://example.com:8443/a%20b"}},
		{"https://m.example.com/a", []string{"https://m.example.com/a", "https://www.m.example.com/a"}},
		{"https://www.example/a", []string{"https://www.example/a"}},
		{"http://192.0.2.1/a", []string{"http://192.0.2.1/a"}},
		{"http://[2001:db8::1]/a", []string{"http://[2001:db8::1]/a"}},
		{"https://www.bücher.example/", []string{"https://www.xn--bcher-kva.example/", "https://xn--bcher-kva.example/"}},
	}
	for _, tt := range tests {
		u, reason := NormalizeURL(tt.raw)
		if reason != "" {
			t.Fatalf("%s: %s", tt.raw, reason)
		}
		if got := AlertMergeURLs(u); !slices.Equal(got, tt.want) {
			t.Errorf("AlertMergeURLs(%s) = %q, want %q", u, got, tt.want)
		}
	}
}
