package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kspplatform/ksp"
)

// TestBrowserAnswerAlert: a government analyst reports a URL through the
// form; the platform that verified the domain finds it in its inbox with
// its countdown and answers it.
func TestBrowserAnswerAlert(t *testing.T) {
	s := startBrowserSite(t, nil)
	ctx, db, srv := s.ctx, s.db, s.srv
	sys := ksp.NewContext(ctx, ksp.SystemActor("test"))
	for _, m := range []struct {
		org, email string
		kind       ksp.OrgKind
		size       string
		domain     []ksp.Domain
	}{
		{"Clipshare", "ada@clipshare.example", ksp.KindPlatform, ksp.SizeSmall, []ksp.Domain{{Domain: "clipshare.example", Verified: true}}},
		{"Ministry", "max@ministry.example", ksp.KindGovernment, "", nil},
	} {
		o := &ksp.Org{Name: m.org, Kind: m.kind, Size: m.size, Domains: m.domain}
		if err := db.CreateOrg(sys, o); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.CreateUser(sys, o.ID, ksp.NewUser{Email: m.email, Name: m.org + " analyst", Role: ksp.RoleAnalyst, Password: "analyst passphrase 1"}); err != nil {
			t.Fatal(err)
		}
	}
	signIn := func(b *browser, email string) {
		b.open("/login", "Sign in")
		b.fill(map[string]string{"f-email": email, "f-password": "analyst passphrase 1"}, []string{"f-email", "f-password"})
		b.submit(`form[action="/login"]`, "Dashboard")
	}

	g := newBrowser(t, srv.URL)
	signIn(g, "max@ministry.example")
	g.open("/alerts/new", "Report a URL")
	g.fill(map[string]string{"f-url": "https://WWW.clipshare.example/v/42"}, []string{"f-url"})
	g.do("choose the tier", chromedp.Click(chromedp.ID("f-tier-crisis")))
	g.submit(`form[action="/alerts"]`, "Referral, crisis")
	if body := eval[string](g, `document.querySelector("main").innerText`); !strings.Contains(body, "Clipshare") || !strings.Contains(body, "due in 23 h") {
		t.Fatalf("alert page after sending:\n%s", body)
	}
	g.shot("alert-sent")
	g.cancel()

	p := newBrowser(t, srv.URL)
	signIn(p, "ada@clipshare.example")
	p.open("/alerts", "Alerts")
	p.shot("alerts-inbox")
	p.follow(`document.querySelector('table.alerts a')`, "Referral, crisis")
	p.do("choose removed", chromedp.Click(chromedp.ID("f-action")))
	p.fill(map[string]string{"f-note": "Video removed."}, []string{"f-note"})
	p.submit(`form[action$="/response"]`, "Referral, crisis")
	if body := eval[string](p, `document.querySelector("main").innerText`); !strings.Contains(body, "Evidence preserved until") || !strings.Contains(body, "answered: Removed") {
		t.Fatalf("alert page after answering:\n%s", body)
	}
	p.shot("alert-answered")
}
