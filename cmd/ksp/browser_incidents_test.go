package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kspplatform/ksp"
)

// TestBrowserIncident is the incident protocol's browser flow: while an
// incident is active an analyst sees the banner, follows it to the
// incident's timeline, and shares a signal under it by choosing the
// incident in the share form.
func TestBrowserIncident(t *testing.T) {
	s := startBrowserSite(t, nil)
	ctx, db, srv := s.ctx, s.db, s.srv

	sys := ksp.NewContext(ctx, ksp.SystemActor("test"))
	o := &ksp.Org{Name: "Clipshare", Kind: ksp.KindPlatform, Size: ksp.SizeSmall}
	if err := db.CreateOrg(sys, o); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateUser(sys, o.ID, ksp.NewUser{Email: "ada@clipshare.example", Name: "Ada", Role: ksp.RoleAnalyst, Password: "analyst passphrase 1"}); err != nil {
		t.Fatal(err)
	}
	inc := &ksp.Incident{Type: ksp.IncidentTypeContentIncident, Title: "Attack streamed in Exampletown"}
	if err := db.CreateIncident(sys, inc); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ActivateIncident(sys, inc.ID, ksp.ActivateIncidentInput{Emergency: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddIncidentUpdate(sys, inc.ID, ksp.IncidentUpdateInput{Text: "Copies found on two services."}); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, srv.URL)
	b.open("/login", "Sign in")
	b.fill(map[string]string{"f-email": "ada@clipshare.example", "f-password": "analyst passphrase 1"}, []string{"f-email", "f-password"})
	b.submit(`form[action="/login"]`, "Dashboard")
	if txt := eval[string](b, `document.querySelector(".notice-incident").textContent`); !strings.Contains(txt, "Active incident: Attack streamed in Exampletown") {
		t.Fatalf("banner %q", txt)
	}
	b.shot("incident-banner")
	eval[bool](b, `window.kspOld = true`)
	b.do("follow the banner", chromedp.Click(chromedp.CSS(`.notice-incident a`)))
	b.waitH1("Attack streamed in Exampletown")
	if txt := eval[string](b, `document.querySelector("main").innerText`); !strings.Contains(txt, "Copies found on two services.") || strings.Contains(txt, "Post an update") {
		t.Fatalf("incident page %q", txt)
	}
	b.shot("incident")

	b.open("/signals/new", "Share a signal")
	b.fill(map[string]string{"f-value": "0123456789abcdef0123456789abcdef"}, []string{"f-value"})
	b.do("choose type, content, label, basis and incident", chromedp.Click(chromedp.ID("f-type-md5")), chromedp.Click(chromedp.ID("f-content_type")),
		chromedp.Click(chromedp.ID("f-labels-attack_content")), chromedp.Click(chromedp.ID("f-basis-perpetrator_content")),
		chromedp.SetValue(chromedp.ID("f-incident_id"), inc.ID))
	b.submit(`form[action="/signals"]`, "MD5 signal")
	if txt := eval[string](b, `document.querySelector("main").innerText`); !strings.Contains(txt, "Perpetrator content") {
		t.Fatalf("signal page %q", txt)
	}
}
