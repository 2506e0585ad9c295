package totp

import (
	"encoding/base32"
	"strings"
	"testing"
	"time"
)

// RFC 6238 appendix B, SHA-1 rows (8 digits there; the last six are ours).
func TestRFC6238Vectors(t *testing.T) {
	secret := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	tests := []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	}
	for _, tt := range tests {
		got, err := Code(secret, time.Unix(tt.unix, 0))
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want[2:] {
			t.Errorf("T=%d: got %s, want %s", tt.unix, got, tt.want[2:])
		}
	}
}

func TestValidateSkewAndReplay(t *testing.T) {
	secret := NewSecret()
	now := time.Unix(1_700_000_000, 0)
	step := Step(now)
	code := func(s int64) string {
		c, err := CodeAt(secret, s)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name     string
		code     string
		last     int64
		wantOK   bool
		wantStep int64
	}{
		{"current", code(step), 0, true, step},
		{"one step behind", code(step - 1), 0, true, step - 1},
		{"one step ahead", code(step + 1), 0, true, step + 1},
		{"two steps behind", code(step - 2), 0, false, 0},
		{"two steps ahead", code(step + 2), 0, false, 0},
		{"replay of the last step", code(step), step, false, 0},
		{"older than last step", code(step - 1), step, false, 0},
		{"next after last step", code(step + 1), step, true, step + 1},
		{"with spaces", code(step)[:3] + " " + code(step)[3:], 0, true, step},
		{"wrong length", "12345", 0, false, 0},
		{"letters", "abcdef", 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Validate(secret, tt.code, now, tt.last)
			if ok != tt.wantOK || (ok && got != tt.wantStep) {
				t.Fatalf("Validate = %d, %v; want %d, %v", got, ok, tt.wantStep, tt.wantOK)
			}
		})
	}
}

func TestSecretAndURI(t *testing.T) {
	s := NewSecret()
	if len(s) != 32 || strings.ContainsAny(s, "=01") {
		t.Fatalf("secret %q", s)
	}
	// People type secrets in lower case with spaces.
	a, _ := Code(s, time.Unix(1e9, 0))
	b, err := Code(strings.ToLower(Group(s)), time.Unix(1e9, 0))
	if err != nil || a != b {
		t.Fatalf("grouped lower-case secret: %v %s %s", err, a, b)
	}
	if _, err := Code("not base32!", time.Now()); err == nil {
		t.Fatal("bad secret accepted")
	}
	u := URI("KSP", "a@b.example", s)
	if want := "otpauth://totp/KSP:a@b.example?secret=" + s + "&issuer=KSP&algorithm=SHA1&digits=6&period=30"; u != want {
		t.Fatalf("URI %s\nwant %s", u, want)
	}
	// The label is escaped: its one literal colon separates issuer and
	// account, and "+" is not taken for a space.
	u = URI("KSP: test", "ops+a@b.example", "ABC")
	if want := "otpauth://totp/KSP%3A%20test:ops%2Ba@b.example?secret=ABC&issuer=KSP%3A%20test&algorithm=SHA1&digits=6&period=30"; u != want {
		t.Fatalf("URI %s\nwant %s", u, want)
	}
}
