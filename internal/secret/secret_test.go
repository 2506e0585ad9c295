package secret

import (
	"strings"
	"testing"
)

func TestHashPassword(t *testing.T) {
	h := HashPassword("correct horse battery staple")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("unexpected PHC string %q", h)
	}
	if h == HashPassword("correct horse battery staple") {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	tests := []struct {
		name string
		hash string
		pw   string
		ok   bool
		err  bool
	}{
		{"right", h, "correct horse battery staple", true, false},
		{"wrong", h, "correct horse battery stapl", false, false},
		{"empty", h, "", false, false},
		{"malformed", "$bcrypt$xyz", "x", false, true},
		{"bad salt", "$argon2id$v=19$m=19456,t=2,p=1$!!$AAAA", "x", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := CheckPassword(tt.hash, tt.pw)
			if ok != tt.ok || (err != nil) != tt.err {
				t.Fatalf("CheckPassword = %v, %v; want %v, err %v", ok, err, tt.ok, tt.err)
			}
		})
	}
}
