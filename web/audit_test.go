package web

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
)

// TestApplicationReview walks staff's review of an application in the
// browser: notes, the checklist, a decision without a reason refused, the
// approval with a reason, and the approval's event on the audit page with
// its reason and a link back to the application.
func TestApplicationReview(t *testing.T) {
	h := newHarness(t, Config{})
	staff := h.user(h.staffOrg(), "amina@ksp.example", ksp.RoleAdmin, true)
	app, err := h.db.CreateApplication(context.Background(), ksp.NewApplication{OrgName: "Clipshare", Kind: ksp.KindPlatform, Size: ksp.SizeStartup,
		Website: "https://clipshare.example", Domains: []string{"clipshare.example"}, ContactName: "Cleo", ContactEmail: "cleo@clipshare.example", Motivation: "We host short videos"})
	if err != nil {
		t.Fatal(err)
	}
	awayFromStepEdge()
	c := h.client()
	c.signIn(staff, 0)
	page := "/staff/applications/" + app.ID
	c.want(c.get("/staff"), 200, "Platform (start-up)")
	c.want(c.get(page), 200, "Platform (start-up)", "No notes yet", "The organisation exists")
	c.want(c.post(page+"/notes", url.Values{"body": {""}}), 400, "Enter note")
	c.want(c.post(page+"/notes", url.Values{"body": {"Checked the company register."}}), 200, "Note added", "Checked the company register.", "Staff amina@ksp.example")
	c.want(c.post(page+"/checklist", url.Values{"checklist": {ksp.CheckOrgExists, ksp.CheckDomainMatches}}), 200, "Checklist saved", "Ticked by Staff amina@ksp.example")
	if !regexp.MustCompile(`value="org_exists" checked`).MatchString(c.body) || strings.Contains(c.body, `value="contact_verified" checked`) {
		t.Fatal("checklist not shown as saved")
	}
	c.want(c.post(page+"/checklist", url.Values{"checklist": {"made_up"}}), 400, "unknown items made_up")
	c.want(c.post(page+"/approve", url.Values{"checklist": {ksp.CheckOrgExists, ksp.CheckDomainMatches, ksp.CheckContactVerified}}), 400, "Enter the reason")
	// The ticks posted with the refused decision are kept on the page.
	if !strings.Contains(c.body, `value="contact_verified" checked`) {
		t.Fatal("the refused form lost the ticks")
	}
	c.want(c.post(page+"/approve", url.Values{"reason": {"Registered company, domain verified by call"},
		"checklist": {ksp.CheckOrgExists, ksp.CheckDomainMatches, ksp.CheckContactVerified}}), 200, "Approved: Clipshare is a member",
		"Registered company, domain verified by call", "Done: The contact person is verified")
	c.want(c.get("/staff/audit?action=application.approve"), 200, "application.approve", `href="/staff/applications/`+app.ID+`"`,
		"reason: Registered company, domain verified by call", "contact_verified=true")
	if strings.Contains(c.body, "application.note") {
		t.Fatal("the action filter was ignored")
	}
}

// TestAuditPages checks who reads which events: staff every org's, an
// admin only its own organisation's (whatever it puts in the address), a
// viewer none; filters by actor and day; verification on demand.
func TestAuditPages(t *testing.T) {
	h := newHarness(t, Config{})
	staff := h.user(h.staffOrg(), "amina@ksp.example", ksp.RoleAdmin, true)
	alpha, beta := h.org("Alpha Video", ksp.KindPlatform, ksp.SizeSmall), h.org("Beta Forum", ksp.KindPlatform, ksp.SizeLarge)
	admA := h.user(alpha, "admin@alpha.example", ksp.RoleAdmin, true)
	h.user(alpha, "viewer@alpha.example", ksp.RoleViewer, false)
	admB := h.user(beta, "admin@beta.example", ksp.RoleAdmin, true)
	viewerA := h.user(alpha, "v2@alpha.example", ksp.RoleViewer, false)
	awayFromStepEdge()

	a := h.client()
	a.signIn(admA, 0)
	a.want(a.get("/admin"), 200, `href="/admin/audit"`)
	a.want(a.get("/admin/audit"), 200, "Audit log of your organisation", "user:"+admA.user.ID, `href="/admin/users"`)
	if strings.Contains(a.body, admB.user.ID) || strings.Contains(a.body, beta.ID) || strings.Contains(a.body, "Head: event") {
		t.Fatal("an admin sees another organisation's events or the instance's head")
	}
	// Trying to widen the scope through the address changes nothing.
	a.want(a.get("/admin/audit?org="+beta.ID+"&actor=user:"+admB.user.ID), 200, "No event matches")
	a.want(a.get("/staff/audit"), 404)
	a.get("/admin/audit")
	a.want(a.post("/admin/audit/verify", nil), 200, "The audit chain is intact")
	if strings.Contains(a.body, "events verified") {
		t.Fatal("an admin is told the instance's event count")
	}
	a.want(a.get("/admin/audit?from=yesterday"), 400, "From: a day as YYYY-MM-DD")

	v := h.client()
	v.signIn(viewerA, 0)
	v.want(v.get("/admin/audit"), 403)
	v.want(v.get("/staff/audit"), 404)

	s := h.client()
	s.signIn(staff, 1)
	s.want(s.get("/staff/audit"), 200, `href="/staff/audit" aria-current="page"`, "Head: event", admA.user.ID, admB.user.ID)
	s.want(s.get("/staff/audit?actor=user:"+admB.user.ID), 200, "user:"+admB.user.ID)
	if strings.Contains(s.body, ">user:"+admA.user.ID+"<") {
		t.Fatal("the actor filter was ignored")
	}
	s.want(s.get("/staff/audit?from=2999-01-01"), 200, "No event matches")
	s.want(s.get("/staff/audit?to=2000-01-01"), 200, "No event matches")
	s.get("/staff/audit")
	s.want(s.post("/staff/audit/verify", nil), 200, "The audit chain is intact", "events verified, head ")

	// Someone edits an event under the store: staff are told which, the
	// admin only that the chain fails.
	if _, err := h.db.SQL().Exec(`UPDATE audit_events SET action = 'user.nothing' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	s.get("/staff/audit")
	s.want(s.post("/staff/audit/verify", nil), 200, "does not verify: event seq 2")
	a.get("/admin/audit")
	a.want(a.post("/admin/audit/verify", nil), 200, "does not verify. The programme")
	if strings.Contains(a.body, "seq 2") {
		t.Fatal("an admin is told which event broke")
	}
}
