package main

import "testing"

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64 // 0: an error
	}{
		{"1GiB", 1 << 30},
		{"512MiB", 512 << 20},
		{" 64 KiB ", 64 << 10},
		{"2TiB", 2 << 40},
		{"1048576", 1 << 20},
		{"100B", 100},
		{"", 0},
		{"0", 0},
		{"-5MiB", 0},
		{"1.5GiB", 0},
		{"1GB", 0},
		{"lots", 0},
		{"9999999999TiB", 0},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if tt.want == 0 {
			if err == nil {
				t.Errorf("parseSize(%q) = %d, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}
