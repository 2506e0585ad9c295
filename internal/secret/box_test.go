package secret

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestBox(t *testing.T) {
	key := bytes.Repeat([]byte{7}, BoxKeySize)
	b, err := NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	const plain = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	s := b.Seal(plain, "webhook-1")
	if !Sealed(s) || strings.Contains(s, plain) || strings.Contains(s, "MfKQ9r8") {
		t.Fatalf("sealed form %q shows the secret", s)
	}
	if s == b.Seal(plain, "webhook-1") {
		t.Fatal("two seals of one value are equal: nonce not random")
	}
	if got, err := b.Open(s, "webhook-1"); err != nil || got != plain {
		t.Fatalf("open: %q %v", got, err)
	}
	other, _ := NewBox(bytes.Repeat([]byte{8}, BoxKeySize))
	flipped := []byte(s)
	flipped[len(flipped)-3] ^= 1
	for _, c := range []struct {
		name    string
		box     *Box
		stored  string
		context string
	}{
		{"another row", b, s, "webhook-2"},
		{"another key", other, s, "webhook-1"},
		{"altered", b, string(flipped), "webhook-1"},
		{"truncated", b, s[:12], "webhook-1"},
		{"not base64", b, "enc1:!!!", "webhook-1"},
	} {
		if got, err := c.box.Open(c.stored, c.context); err == nil || got != "" {
			t.Errorf("%s: opened to %q", c.name, got)
		}
	}
	if _, err := (*Box)(nil).Open(s, "webhook-1"); !errors.Is(err, ErrNoKey) {
		t.Errorf("no key: %v", err)
	}
	// Plain values (a database not sealed yet, or no key) pass through.
	if got, err := b.Open(plain, "webhook-1"); err != nil || got != plain {
		t.Errorf("plain through a box: %q %v", got, err)
	}
	if got := (*Box)(nil).Seal(plain, "webhook-1"); got != plain {
		t.Errorf("nil box sealed: %q", got)
	}
	if _, err := NewBox(key[:16]); err == nil {
		t.Error("a 16-byte key was taken")
	}
}
