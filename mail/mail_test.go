package mail

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/mail/mailtest"
)

func TestSMTPDelivers(t *testing.T) {
	srv := mailtest.Start(t)
	m, err := NewSMTP(srv.URL(), "KSP <noreply@ksp.example>")
	if err != nil {
		t.Fatal(err)
	}
	text := "Hello Zoë,\n\nfollow https://ksp.example/invitation?token=" + strings.Repeat("ab", 32) + "\n.\nA line starting with a dot above.\n"
	if err := m.Send(context.Background(), ksp.Mail{To: "zoe@platform.example", Subject: "Invitation to KSP — welcome", Text: text}); err != nil {
		t.Fatal(err)
	}
	got, err := srv.Wait("zoe@platform.example", "Invitation", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got.From != "noreply@ksp.example" || got.Subject != "Invitation to KSP — welcome" {
		t.Fatalf("from %q subject %q", got.From, got.Subject)
	}
	if got.Body != text {
		t.Fatalf("body %q, want %q", got.Body, text)
	}
}

func TestSubjectHeaderInjection(t *testing.T) {
	srv := mailtest.Start(t)
	m, _ := NewSMTP(srv.URL(), "noreply@ksp.example")
	if err := m.Send(context.Background(), ksp.Mail{To: "a@b.example", Subject: "Hi\r\nBcc: victim@evil.example", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	got, err := srv.Wait("a@b.example", "Hi", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got.Raw, "\r\nBcc:") {
		t.Fatalf("header injected:\n%s", got.Raw)
	}
}

func TestNewSMTP(t *testing.T) {
	tests := []struct {
		url, from string
		ok        bool
		addr      string
	}{
		{"smtp://user:pass@mail.example:2525", "a@b.example", true, "mail.example:2525"},
		{"smtp://mail.example", "a@b.example", true, "mail.example:587"},
		{"smtps://mail.example", "a@b.example", true, "mail.example:465"},
		{"http://mail.example", "a@b.example", false, ""},
		{"smtp://", "a@b.example", false, ""},
		{"smtp://mail.example", "", false, ""},
		{"smtp://mail.example", "not an address", false, ""},
	}
	for _, tt := range tests {
		s, err := NewSMTP(tt.url, tt.from)
		if (err == nil) != tt.ok {
			t.Errorf("%s %s: err %v", tt.url, tt.from, err)
			continue
		}
		if tt.ok && s.addr != tt.addr {
			t.Errorf("%s: addr %s, want %s", tt.url, s.addr, tt.addr)
		}
	}
}

func TestLogMailer(t *testing.T) {
	var buf bytes.Buffer
	l := Log{Log: slog.New(slog.NewTextHandler(&buf, nil))}
	if err := l.Send(context.Background(), ksp.Mail{To: "a@b.example", Subject: "Reset", Text: "https://x.example/reset"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "https://x.example/reset") {
		t.Fatalf("log %s", buf.String())
	}
}
