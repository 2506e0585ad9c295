package web

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

// mailLinks returns the links, relative to the server, of every mail to to
// whose subject contains subject, in arrival order.
func (h *harness) mailLinks(to, subject string) []string {
	h.t.Helper()
	var out []string
	for _, m := range h.smtp.Messages() {
		for _, rcpt := range m.To {
			if strings.EqualFold(rcpt, to) && strings.Contains(m.Subject, subject) {
				out = append(out, strings.TrimPrefix(linkRE.FindString(m.Body), h.srv.URL))
			}
		}
	}
	return out
}

func (h *harness) auditEvents(action string) []*ksp.AuditEvent {
	h.t.Helper()
	evs, _, err := h.db.FindAuditEvents(h.sys, ksp.AuditFilter{Action: &action, Page: ksp.Page{Limit: 100}})
	if err != nil {
		h.t.Fatal(err)
	}
	return evs
}

func (h *harness) totpOn(id string) bool {
	h.t.Helper()
	u, err := h.db.FindUserByID(h.sys, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return u.TOTP
}

func TestResetSecondFactor(t *testing.T) {
	h := newHarness(t, Config{})
	plat := h.org("Vidstream", ksp.KindPlatform, ksp.SizeLarge)
	other := h.org("Clipshare", ksp.KindPlatform, ksp.SizeStartup)
	admin := h.user(plat, "admin@vidstream.example", ksp.RoleAdmin, true)
	second := h.user(plat, "second@vidstream.example", ksp.RoleAdmin, true)
	viewer := h.user(plat, "viewer@vidstream.example", ksp.RoleViewer, true)
	analyst := h.user(plat, "analyst@vidstream.example", ksp.RoleAnalyst, false)
	otherAdmin := h.user(other, "admin@clipshare.example", ksp.RoleAdmin, true)
	staff := h.user(h.staffOrg(), "amina@ksp.example", ksp.RoleAdmin, true)
	staff2 := h.user(h.staffOrg(), "bo@ksp.example", ksp.RoleAdmin, true)
	awayFromStepEdge()

	// The viewer is signed in somewhere: the reset must end that session.
	vc := h.client()
	vc.signIn(viewer, 0)
	form := "/admin/users/" + viewer.user.ID + "/second-factor"
	const why = "Lost their phone; identity checked by video call"
	// reason is a fresh form each time: post adds the page's CSRF token.
	reason := func() url.Values { return url.Values{"reason": {why}} }

	// Analysts do not reach it; another org's admin finds nothing there.
	ac := h.client()
	ac.signIn(analyst, 0)
	ac.want(ac.get(form), 403, "Organisation admins only")
	ac.get("/dashboard")
	ac.want(ac.post(form, reason()), 403, "Organisation admins only")
	oc := h.client()
	oc.signIn(otherAdmin, 0)
	oc.want(oc.get(form), 404)
	oc.get("/admin/users")
	oc.want(oc.post(form, reason()), 404)

	c := h.client()
	c.signIn(admin, 0)
	c.want(c.get("/admin/users"), 200, `href="`+form+`"`, "Reset<span class=\"visually-hidden\"> the second factor of viewer@vidstream.example")
	if strings.Contains(c.body, "/admin/users/"+admin.user.ID+"/second-factor") {
		t.Fatal("the admin is offered to reset their own second factor")
	}
	c.want(c.get(form), 200, "Reset the second factor of viewer@vidstream.example", "signs out every session", `name="reason"`)
	// No reason: the field is named, the input kept, nothing written.
	c.want(c.post(form, url.Values{"reason": {"   "}}), 400, "There is a problem", `href="#f-reason"`, `id="f-reason-error"`, "Enter why you are resetting")
	c.want(c.post(form, url.Values{"reason": {strings.Repeat("x", 1001)}}), 400, `href="#f-reason"`, "at most 1000 characters", strings.Repeat("x", 1001))
	if !h.totpOn(viewer.user.ID) || len(h.auditEvents("user.second_factor_reset")) != 0 {
		t.Fatal("a refused reset was written")
	}
	vc.want(vc.get("/dashboard"), 200, "Dashboard")

	// Done: confirmed, mailed, audited with the reason, sessions ended.
	c.want(c.post(form, reason()), 200, "The second factor of viewer@vidstream.example was reset", "They were told by mail")
	if c.url.Path != "/admin/users" {
		t.Fatalf("after the reset: %s", c.url.Path)
	}
	if h.totpOn(viewer.user.ID) {
		t.Fatal("second factor still on")
	}
	m, err := h.smtp.Wait(viewer.email, "Your KSP second factor was reset", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Body, "recovery codes no longer work") || strings.Contains(m.Body, "video call") {
		t.Fatalf("mail:\n%s", m.Body)
	}
	evs := h.auditEvents("user.second_factor_reset")
	if len(evs) != 1 || evs[0].Details["reason"] != why || evs[0].Actor != "user:"+admin.user.ID {
		t.Fatalf("audit %+v", evs)
	}
	if vc.get("/dashboard"); vc.url.Path != "/login" {
		t.Fatalf("the viewer's session survived the reset: %s", vc.url.Path)
	}
	// Viewers need no second factor: the password alone signs in now.
	viewer.secret = ""
	vc.signIn(viewer, 0)
	// Twice is nothing to do; the page says so.
	c.want(c.get(form), 200, "no second factor to reset")
	c.want(c.post(form, reason()), 200, "has no second factor to reset")

	// Nobody resets their own; admins never reach staff.
	self := "/admin/users/" + admin.user.ID + "/second-factor"
	c.want(c.get(self), 403, "cannot reset your own")
	c.get("/admin/users")
	c.want(c.post(self, reason()), 403, "cannot reset your own")
	c.get("/admin/users")
	c.want(c.post("/admin/users/"+staff.user.ID+"/second-factor", reason()), 404)

	// Staff find the org from the staff pages and reset its admin, who must
	// then set up a new second factor to sign in.
	sc := h.client()
	sc.signIn(staff, 1)
	sc.want(sc.get("/staff/orgs"), 200, "Organisations", "Vidstream", "Clipshare")
	sc.want(sc.get("/staff/orgs/"+plat.ID+"/users"), 200, "Users of Vidstream", "second@vidstream.example")
	if strings.Contains(sc.body, "Invite a user") {
		t.Fatal("the invitation form is shown on another org's users")
	}
	sc.want(sc.get("/admin/users/"+second.user.ID+"/second-factor"), 200, "set up a new second factor the next time they sign in")
	sc.want(sc.post("/admin/users/"+second.user.ID+"/second-factor", url.Values{"reason": {"Lost phone; called the org's other admin"}}), 200,
		"The second factor of second@vidstream.example was reset", "must set up a new one")
	if sc.url.Path != "/staff/orgs/"+plat.ID+"/users" {
		t.Fatalf("staff sent back to %s", sc.url.Path)
	}
	m, err = h.smtp.Wait(second.email, "Your KSP second factor was reset", 5*time.Second)
	if err != nil || !strings.Contains(m.Body, "The KSP secretariat") || !strings.Contains(m.Body, "must set up a new one") {
		t.Fatalf("mail %v:\n%s", err, m.Body)
	}
	s2 := h.client()
	s2.get("/login")
	s2.want(s2.post("/login", url.Values{"email": {second.email}, "password": {second.password}}), 200, "Set up your second factor")
	// Staff may reset another staff member, never themselves.
	sc.get("/admin/users")
	sc.want(sc.post("/admin/users/"+staff2.user.ID+"/second-factor", reason()), 200, "was reset")
	sc.get("/admin/users")
	sc.want(sc.post("/admin/users/"+staff.user.ID+"/second-factor", reason()), 403, "cannot reset your own")
	if n := len(h.auditEvents("user.second_factor_reset")); n != 3 {
		t.Fatalf("%d reset events", n)
	}
	// Members do not see the staff pages.
	c.want(c.get("/staff/orgs"), 404)
	c.want(c.get("/staff/orgs/"+plat.ID+"/users"), 404)
}

var resendRE = regexp.MustCompile(`action="/admin/users/([0-9a-f-]{36})/invitation"`)

func TestResendInvitation(t *testing.T) {
	h := newHarness(t, Config{})
	plat := h.org("Vidstream", ksp.KindPlatform, ksp.SizeLarge)
	other := h.org("Clipshare", ksp.KindPlatform, ksp.SizeStartup)
	admin := h.user(plat, "admin@vidstream.example", ksp.RoleAdmin, true)
	analyst := h.user(plat, "analyst@vidstream.example", ksp.RoleAnalyst, false)
	otherAdmin := h.user(other, "admin@clipshare.example", ksp.RoleAdmin, true)
	staff := h.user(h.staffOrg(), "amina@ksp.example", ksp.RoleAdmin, true)
	awayFromStepEdge()

	c := h.client()
	c.signIn(admin, 0)
	c.get("/admin/users")
	c.want(c.post("/admin/users", url.Values{"email": {"new@vidstream.example"}, "name": {"New Analyst"}, "role": {"analyst"}}), 200, "Invitation sent")
	ids := resendRE.FindAllStringSubmatch(c.body, -1)
	if len(ids) != 1 {
		t.Fatalf("%d re-send buttons, want one (for the invited user only)", len(ids))
	}
	resend := "/admin/users/" + ids[0][1] + "/invitation"
	first := h.mailLink("new@vidstream.example", "Your invitation to KSP")

	ac := h.client()
	ac.signIn(analyst, 0)
	ac.want(ac.post(resend, nil), 403, "Organisation admins only")
	oc := h.client()
	oc.signIn(otherAdmin, 0)
	oc.want(oc.post(resend, nil), 404)
	if n := len(h.auditEvents("user.invitation_resend")); n != 0 {
		t.Fatalf("%d resend events after refusals", n)
	}

	c.want(c.post(resend, nil), 200, "A new invitation was sent to new@vidstream.example", "no longer works")
	links := h.mailLinks("new@vidstream.example", "Your invitation to KSP")
	if len(links) != 2 || links[1] == first {
		t.Fatalf("invitation links %q", links)
	}
	n := h.client()
	n.want(n.get(first), 404, "does not work")
	n.want(n.get(links[1]), 200, "Set up your account")

	// Staff re-send from the org's page and are sent back to it.
	sc := h.client()
	sc.signIn(staff, 1)
	sc.get("/staff/orgs/" + plat.ID + "/users")
	sc.want(sc.post(resend, nil), 200, "A new invitation was sent")
	if sc.url.Path != "/staff/orgs/"+plat.ID+"/users" {
		t.Fatalf("staff sent back to %s", sc.url.Path)
	}
	links = h.mailLinks("new@vidstream.example", "Your invitation to KSP")
	if len(links) != 3 {
		t.Fatalf("%d invitation mails", len(links))
	}
	n.want(n.get(links[1]), 404)
	evs := h.auditEvents("user.invitation_resend")
	if len(evs) != 2 || evs[0].Actor != "user:"+staff.user.ID || evs[1].Actor != "user:"+admin.user.ID {
		t.Fatalf("audit %+v", evs)
	}
	n.want(n.get(links[2]), 200, "Set up your account")
	n.want(n.post("/invitation", url.Values{"token": {tokenOf(links[2])}, "password": {"analyst passphrase 1"}, "confirm": {"analyst passphrase 1"}}), 200, "Welcome to KSP")
	// Accepted: no button, and a stale form says why nothing happened.
	c.want(c.get("/admin/users"), 200, "new@vidstream.example")
	if resendRE.MatchString(c.body) {
		t.Fatal("re-send offered for an active user")
	}
	c.want(c.post(resend, nil), 200, "already accepted the invitation")
}
