package bank

import (
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestWords(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		var raw [32]byte
		for i := range raw {
			raw[i] = byte(rng.Uint32())
		}
		h := hex.EncodeToString(raw[:])
		w, ok := words(h)
		if !ok {
			t.Fatalf("words(%q) refused", h)
		}
		for i := range 4 {
			for j := range 8 {
				if byte(w[i]>>(56-8*j)) != raw[i*8+j] {
					t.Fatalf("words(%q) = %x", h, w)
				}
			}
		}
		if u, ok := words(strings.ToUpper(h)); !ok || u != w {
			t.Fatalf("upper case %q: %x %v", h, u, ok)
		}
		if b, ok := words([]byte(h)); !ok || b != w {
			t.Fatalf("bytes %q: %x %v", h, b, ok)
		}
	}
	good := strings.Repeat("0f", 32)
	for _, bad := range []string{"", good[:63], good + "0", good[:10] + "g" + good[11:], good[:63] + " ", good[:20] + "-" + good[21:]} {
		if _, ok := words(bad); ok {
			t.Errorf("words(%q) accepted", bad)
		}
	}
}
