package web

import (
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/storetest"
)

// TestDashboardTodos: each person sees their own to-dos — disputes on
// their org's signals, their org's pending invitations (admins), and keys
// about to expire (their own; admins also the org's) — and nobody else's.
func TestDashboardTodos(t *testing.T) {
	h := newHarness(t, Config{})
	m := seedMembers(h)
	admin := h.user(m.a.org, "admin@clipshare.example", ksp.RoleAdmin, true)
	ctxA, ctxB := storetest.As(m.a.org, m.a.user), storetest.As(m.b.org, m.b.user)
	res, err := h.db.Submit(ctxA, storetest.Submission(1, ksp.DistMembers, ksp.TLPGreen))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.Submit(ctxA, storetest.Submission(2, ksp.DistMembers, ksp.TLPGreen)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.GiveFeedback(ctxB, res.Signal.ID, ksp.FeedbackInput{Verdict: ksp.VerdictDisputed}); err != nil {
		t.Fatal(err)
	}
	// b's own owner-only signal, disputed by nobody, and a's invitation.
	if _, _, err := h.db.CreateUser(storetest.As(admin.org, admin.user), m.a.org.ID, ksp.NewUser{Email: "new@clipshare.example", Role: ksp.RoleViewer}); err != nil {
		t.Fatal(err)
	}
	soon, later := ksp.T(time.Now().Add(5*24*time.Hour)), ksp.T(time.Now().Add(40*24*time.Hour))
	for _, k := range []struct {
		owner *account
		name  string
		exp   ksp.Time
	}{{m.a, "nightly scan", soon}, {m.a, "far away", later}, {admin, "admin sync", soon}} {
		if _, err := h.db.CreateAPIKey(storetest.As(k.owner.org, k.owner.user), ksp.NewAPIKey{Name: k.name, Scopes: []ksp.Scope{ksp.ScopeRead}, Expires: &k.exp}); err != nil {
			t.Fatal(err)
		}
	}

	a := h.client()
	a.signIn(m.a, 0)
	a.want(a.get("/dashboard"), 200, "To do", "Dispute on your PDQ signal", `href="/signals/`+res.Signal.ID+`"`, "Your API key “nightly scan” expires in 5 days", `href="/account/keys"`)
	for _, not := range []string{"far away", "admin sync", "new@clipshare.example"} {
		if strings.Contains(a.body, not) {
			t.Errorf("the analyst's dashboard shows %q", not)
		}
	}
	ad := h.client()
	awayFromStepEdge()
	ad.signIn(admin, 0)
	ad.want(ad.get("/dashboard"), 200, "Invitation to new@clipshare.example not yet accepted", `href="/admin/users"`,
		"Your API key “admin sync”", "Your organisation's API key “nightly scan”", `href="/admin/keys"`, "Dispute on your PDQ signal")
	// b disputed it but does not share it; the government sees nothing.
	for _, acc := range []*account{m.b, m.gov} {
		c := h.client()
		c.signIn(acc, 0)
		c.want(c.get("/dashboard"), 200, "Nothing waits for you")
	}
	st := h.client()
	st.signIn(m.staff, 0)
	st.want(st.get("/dashboard"), 200, `href="/staff/disputes"`)
}
