package storetest

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kspplatform/ksp"
)

// testAuditInvalidUTF8 signs in with User-Agent headers that are not valid
// UTF-8 (bad bytes, and a long one whose cut at the length limit would split
// a character): the sign-in succeeds, and the chain still verifies after its
// details went through the store.
func testAuditInvalidUTF8(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	ctx := context.Background()
	agents := []struct{ name, ua, want string }{
		{"bad bytes", "Mozilla/5.0 \xff\xfe (X11; caf\xc3)", "Mozilla/5.0 \uFFFD (X11; caf\uFFFD)"},
		{"cut inside a character", "x" + strings.Repeat("é", 160), "x" + strings.Repeat("é", 149)},
	}
	for _, a := range agents {
		_, s, err := db.CreateSession(ctx, ksp.NewSession{UserID: f.PlatView.ID, IP: "192.0.2.1", UserAgent: a.ua})
		if err != nil {
			t.Fatalf("%s: sign in: %v", a.name, err)
		}
		if s.UserAgent != a.want {
			t.Errorf("%s: session user agent %q, want %q", a.name, s.UserAgent, a.want)
		}
	}
	if _, _, err := ksp.VerifyChain(ctx, db, ""); err != nil {
		t.Fatalf("verify: %v", err)
	}
	action := "session.create"
	evs, _, err := db.FindAuditEvents(Staff(), ksp.AuditFilter{Action: &action})
	must(t, err)
	if len(evs) != len(agents) {
		t.Fatalf("%d session.create events, want %d", len(evs), len(agents))
	}
	for i, e := range evs {
		want := agents[len(agents)-1-i].want // newest first
		if ua, _ := e.Details["user_agent"].(string); ua != want || !utf8.ValidString(ua) {
			t.Errorf("event %d: stored user_agent %q, want %q", e.Seq, ua, want)
		}
	}
}
