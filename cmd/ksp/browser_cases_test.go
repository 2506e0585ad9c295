package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/storetest"
)

// TestBrowserDecideCase: a platform's analyst opens its review queue,
// follows the case a scan opened, and records a removal; the case page
// then shows the filed feedback, the statement of reasons and the
// preservation date.
func TestBrowserDecideCase(t *testing.T) {
	s := startBrowserSite(t, nil)
	ctx, db, srv := s.ctx, s.db, s.srv
	sys := ksp.NewContext(ctx, ksp.SystemActor("test"))
	orgs := map[string]*ksp.Org{}
	users := map[string]*ksp.User{}
	for _, m := range []struct{ org, email string }{{"Clipshare", "ada@clipshare.example"}, {"Vidstream", "vic@vidstream.example"}} {
		o := &ksp.Org{Name: m.org, Kind: ksp.KindPlatform, Size: ksp.SizeStartup}
		if err := db.CreateOrg(sys, o); err != nil {
			t.Fatal(err)
		}
		u, _, err := db.CreateUser(sys, o.ID, ksp.NewUser{Email: m.email, Name: m.org + " analyst", Role: ksp.RoleAnalyst, Password: "analyst passphrase 1"})
		if err != nil {
			t.Fatal(err)
		}
		orgs[m.org], users[m.org] = o, u
	}
	in := storetest.Submission(3, ksp.DistMembers, ksp.TLPGreen)
	in.Severity = "high"
	sub, err := db.Submit(storetest.As(orgs["Vidstream"], users["Vidstream"]), in)
	if err != nil {
		t.Fatal(err)
	}
	as := ksp.NewContext(ctx, &ksp.Actor{UserID: users["Clipshare"].ID, OrgID: orgs["Clipshare"].ID, OrgKind: ksp.KindPlatform, Role: ksp.RoleAnalyst})
	c, _, err := db.OpenCase(as, ksp.CaseInput{ContentRef: "clip:4711", Matches: []ksp.CaseMatchInput{{SignalID: sub.Signal.ID, Distance: 4}}})
	if err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, srv.URL)
	b.open("/login", "Sign in")
	b.fill(map[string]string{"f-email": "ada@clipshare.example", "f-password": "analyst passphrase 1"}, []string{"f-email", "f-password"})
	b.submit(`form[action="/login"]`, "Dashboard")
	b.open("/cases", "Cases")
	b.shot("cases-queue")
	b.follow(`document.querySelector('table.cases a')`, "Case "+c.ID)
	b.do("choose remove", chromedp.Click(chromedp.ID("f-decision")))
	b.fill(map[string]string{"f-policy_clause": "Community rules §3"}, []string{"f-policy_clause"})
	b.submit(`form[action$="/decision"]`, "Case "+c.ID)
	body := eval[string](b, `document.querySelector("main").innerText`)
	for _, want := range []string{"Decision recorded", "True positive", "Statement of reasons written", "Evidence preserved until", "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"} {
		if !strings.Contains(body, want) {
			t.Fatalf("case page after deciding lacks %q:\n%s", want, body)
		}
	}
	b.shot("case-decided")
}
