package pdq

import (
	"errors"
	"strings"
	"testing"
)

const sampleHex = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22"

func TestParseHash(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		err      error
		errText  string
	}{
		{"valid", sampleHex, nil, ""},
		{"upper case", strings.ToUpper(sampleHex), nil, ""},
		{"empty", "", ErrHashLength, "got 0 characters"},
		{"short", sampleHex[:63], ErrHashLength, "got 63 characters"},
		{"long", sampleHex + "0", ErrHashLength, "got 65 characters"},
		{"bad first", "x" + sampleHex[1:], ErrHashDigit, "'x' at position 0"},
		{"bad odd", sampleHex[:5] + "g" + sampleHex[6:], ErrHashDigit, "'g' at position 5"},
		{"bad last", sampleHex[:63] + " ", ErrHashDigit, "' ' at position 63"},
		{"prefix", "0x" + sampleHex[2:], ErrHashDigit, "'x' at position 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := ParseHash(tc.in)
			if tc.err == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if h.String() != strings.ToLower(tc.in) {
					t.Errorf("round trip: %s", h)
				}
				return
			}
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if !strings.Contains(err.Error(), tc.errText) {
				t.Errorf("error %q does not say %q", err, tc.errText)
			}
		})
	}
}

func TestBitOrder(t *testing.T) {
	// Bit k has weight 2^k: bit 0 is the last hex digit's low bit, bit 255 the
	// first digit's high bit; word i (row i) prints as the (16-i)th group of 4.
	var h Hash
	h.setBit(0)
	if got := h.String(); got != strings.Repeat("0", 63)+"1" {
		t.Errorf("bit 0: %s", got)
	}
	h = Hash{}
	h.setBit(255)
	if got := h.String(); got != "8"+strings.Repeat("0", 63) {
		t.Errorf("bit 255: %s", got)
	}
	h = Hash{}
	h.setBit(1*16 + 4) // row 1, column 4
	if got := h.String(); got != strings.Repeat("0", 56)+"00100000" {
		t.Errorf("bit 20: %s", got)
	}
	if !h.Bit(20) || h.Bit(21) {
		t.Errorf("Bit disagrees with setBit")
	}
}

func TestWordsDistance(t *testing.T) {
	a, _ := ParseHash(sampleHex)
	w := a.Words()
	if w[0] != 0xd8f8f0cee0f4a84f || w[3] != 0x33e6339c4e9c9b22 {
		t.Errorf("words %x", w)
	}
	if HashFromWords(w) != a {
		t.Errorf("HashFromWords(Words()) != hash")
	}
	b := a
	b[0] ^= 0xff
	b[31] ^= 0x01
	if d := Distance(a, b); d != 9 {
		t.Errorf("distance %d, want 9", d)
	}
	if d := Distance(a, a); d != 0 {
		t.Errorf("self distance %d", d)
	}
	var inv Hash
	for i := range inv {
		inv[i] = ^a[i]
	}
	if d := Distance(a, inv); d != 256 {
		t.Errorf("complement distance %d", d)
	}
}

func TestTextMarshal(t *testing.T) {
	a, _ := ParseHash(sampleHex)
	b, err := a.MarshalText()
	if err != nil || string(b) != sampleHex {
		t.Fatalf("MarshalText: %s %v", b, err)
	}
	var c Hash
	if err := c.UnmarshalText(b); err != nil || c != a {
		t.Fatalf("UnmarshalText: %v", err)
	}
	if err := c.UnmarshalText([]byte("zz")); err == nil {
		t.Fatal("UnmarshalText accepted bad input")
	}
}

func TestDihedralString(t *testing.T) {
	if Rotate270.String() != "ROTATE270" || Dihedral(9).String() != "Dihedral(9)" {
		t.Errorf("names: %s %s", Rotate270, Dihedral(9))
	}
}

func FuzzParseHash(f *testing.F) {
	for _, s := range []string{sampleHex, strings.ToUpper(sampleHex), "", "0", sampleHex[:63] + "g", strings.Repeat("f", 64), "é" + sampleHex[2:]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHash(s)
		if err != nil {
			if h != (Hash{}) {
				t.Errorf("non-zero hash with error")
			}
			if !errors.Is(err, ErrHashLength) && !errors.Is(err, ErrHashDigit) {
				t.Errorf("unexpected error type: %v", err)
			}
			return
		}
		if h.String() != strings.ToLower(s) {
			t.Errorf("round trip %q -> %s", s, h)
		}
		if HashFromWords(h.Words()) != h {
			t.Errorf("words round trip")
		}
	})
}
