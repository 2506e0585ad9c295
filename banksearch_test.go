package ksp

import (
	"reflect"
	"strings"
	"testing"
)

func TestSearchRanges(t *testing.T) {
	url := func(lo, hi string) ValueRange { return ValueRange{TypeURL, lo, hi} }
	tests := []struct {
		q    string
		want []ValueRange
		bad  bool
	}{
		{"", nil, false},
		{"  ", nil, false},
		{"AB0f", []ValueRange{{TypePDQ, "ab0f", "ab0g"}, {TypeMD5, "ab0f", "ab0g"}, {TypeSHA256, "ab0f", "ab0g"},
			url("https://ab0f", "https://ab0g"), url("http://ab0f", "http://ab0g")}, false},
		{strings.Repeat("a", 40), []ValueRange{{TypePDQ, strings.Repeat("a", 40), strings.Repeat("a", 39) + "b"}, {TypeSHA256, strings.Repeat("a", 40), strings.Repeat("a", 39) + "b"},
			url("https://"+strings.Repeat("a", 40), "https://"+strings.Repeat("a", 39)+"b"), url("http://"+strings.Repeat("a", 40), "http://"+strings.Repeat("a", 39)+"b")}, false},
		{"Example.TEST/Path", []ValueRange{url("https://example.test/Path", "https://example.test/Pati"), url("http://example.test/Path", "http://example.test/Pati")}, false},
		{"HTTPS://Example.test/a?B", []ValueRange{url("https://example.test/a?B", "https://example.test/a?C")}, false},
		{"http://", []ValueRange{url("http://", "http:/0")}, false},
		{"ftp://example.test/", nil, true},
		{"two words", nil, true},
		{strings.Repeat("a", MaxValueQuery+1), nil, true},
	}
	for _, tt := range tests {
		got, err := SearchRanges(tt.q)
		if tt.bad {
			if ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), "q") {
				t.Errorf("%.20q: error %v, want invalid q", tt.q, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%.20q: %v, %v; want %v", tt.q, got, err, tt.want)
		}
	}
}
