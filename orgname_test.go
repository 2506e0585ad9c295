package ksp

import "testing"

func TestNameKey(t *testing.T) {
	const secretariat = "KSP Secretariat"
	tests := []struct {
		name string
		same bool
	}{
		{"KSP Secretariat", true},
		{"ksp secretariat", true},
		{"  KSP   Secretariat  ", true},
		{"KSP\u00a0Secretariat", true},           // no-break space
		{"KSP\u2003Secretariat", true},           // em space
		{"KSP\tSecretariat", true},               // tab
		{"KSPSecretariat", true},                 // no space
		{"K.S.P. Secretariat", true},             // punctuation
		{"KSP-Secretariat", true},                // the slug's hyphen
		{"KSP Secre\u200btariat", true},          // zero-width space
		{"KSP Secretariat\u200f", true},          // right-to-left mark
		{"ＫＳＰ Ｓｅｃｒｅｔａｒｉａｔ", true},                // full-width
		{"KSP S\u0435cr\u0435tariat", true},      // Cyrillic е
		{"\u039aS\u03a1 Secretariat", true},      // Greek Kappa and Rho
		{"\u041a\u0405\u0420 SECRETARIAT", true}, // Cyrillic К Ѕ Р, upper case
		{"KSP Secrétariat", true},                // accent
		{"KSP Secre\u0301tariat", true},          // combining accent
		{"KSP Secretar1at", true},                // digit one for i
		{"KSP SecretarIat", true},                // capital I
		{"KSP Secretarlat", true},                // l for i
		{"K5P Secretariat", false},               // 5 is not S
		{"KSP Secretariat Watch", false},         // another name
		{"KSP Research", false},
		{"Big Platform", false},
		{"", false},
	}
	want := NameKey(secretariat)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NameKey(tt.name) == want; got != tt.same {
				t.Fatalf("NameKey(%q) = %q, secretariat's %q: same %v, want %v", tt.name, NameKey(tt.name), want, got, tt.same)
			}
		})
	}
	// Folding that is not about the secretariat.
	for in, out := range map[string]string{"Modern": "modem", "VVeb": "web", "0ne": "one", "Łódź": "lodz", "Straße": "straße"} {
		if got := NameKey(in); got != NameKey(out) {
			t.Errorf("NameKey(%q) = %q, want the key of %q (%q)", in, got, out, NameKey(out))
		}
	}
}
