package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/totp"
)

func TestPublicPages(t *testing.T) {
	h := newHarness(t, Config{})
	c := h.client()
	tests := []struct {
		path   string
		status int
		text   string
	}{
		{"/", 200, "How to join"},
		{"/apply", 200, "Apply for membership"},
		{"/login", 200, "Sign in"},
		{"/password/forgot", 200, "Reset your password"},
		{"/password/reset?token=nope", 404, "does not work"},
		{"/invitation?token=nope", 404, "does not work"},
		{"/search?q=propaganda", 200, "Nothing found for"},
		{"/no/such/page", 404, "Page not found"},
		{"/dashboard", 200, "Sign in"}, // redirected
		{"/staff", 200, "Sign in"},
		{"/account/two-factor", 200, "Sign in"},
	}
	for _, tt := range tests {
		res := c.get(tt.path)
		c.want(res, tt.status, tt.text)
	}
	if c.get("/dashboard"); c.url.Path != "/login" || c.url.Query().Get("next") != "/dashboard" {
		t.Fatalf("dashboard redirected to %s", c.url)
	}
	res := c.get("/")
	for k, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q", csp)
	}
	// Assets are embedded and cacheable by version.
	m := regexp.MustCompile(`href="(/static/style\.css\?v=[^"]+)"`).FindStringSubmatch(c.body)
	if m == nil {
		t.Fatal("no stylesheet link")
	}
	res = c.get(strings.ReplaceAll(m[1], "&amp;", "&"))
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") || !strings.Contains(c.body, "--tlp-red") {
		t.Fatalf("stylesheet: %d %s", res.StatusCode, res.Header.Get("Cache-Control"))
	}
}

func TestApplyForm(t *testing.T) {
	h := newHarness(t, Config{})
	c := h.client()
	c.get("/apply")
	res := c.post("/apply", url.Values{"org_name": {"Clipshare"}, "kind": {"platform"}, "contact_email": {"not an email"}})
	// Error summary linking to each field, messages beside fields, input kept.
	c.want(res, 400, "There is a problem", `href="#f-size"`, `href="#f-website"`, `href="#f-contact_email"`, `id="f-contact_email-error"`,
		`value="Clipshare"`, `value="not an email"`, "<title>Error: Apply")
	if !regexp.MustCompile(`<option value="platform" selected>`).MatchString(c.body) {
		t.Fatal("kind not kept")
	}
	res = c.post("/apply", url.Values{"org_name": {"Clipshare"}, "kind": {"platform"}, "size": {"startup"}, "website": {"clipshare.example"},
		"domains": {"clipshare.example\ncdn.clipshare.example"}, "contact_name": {"Ada"}, "contact_email": {"ada@clipshare.example"}, "motivation": {"We host short videos."}})
	c.want(res, 200, "Application received", "Clipshare")
	if _, err := h.smtp.Wait("ada@clipshare.example", "Your application", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	apps, _, err := h.db.FindApplications(h.sys, ksp.ApplicationFilter{})
	if err != nil || len(apps) != 1 || apps[0].Website != "https://clipshare.example" || len(apps[0].Domains) != 2 {
		t.Fatalf("applications %+v %v", apps, err)
	}
}

func TestCSRF(t *testing.T) {
	h := newHarness(t, Config{})
	a := h.user(h.org("Plat", ksp.KindPlatform, ksp.SizeSmall), "viewer@plat.example", ksp.RoleViewer, false)
	c := h.client()
	c.get("/login")
	good := c.csrf()
	form := func(tok string) url.Values {
		return url.Values{"email": {a.email}, "password": {a.password}, "csrf": {tok}}
	}
	tests := []struct {
		name   string
		token  string
		header map[string]string
	}{
		{"no token", "", nil},
		{"wrong token", "AAAA" + good[4:], nil},
		{"token of another browser", func() string { o := h.client(); o.get("/login"); return o.csrf() }(), nil},
		{"cross-site", good, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"foreign origin", good, map[string]string{"Origin": "https://evil.example"}},
	}
	for _, tt := range tests {
		for k, v := range tt.header {
			c.header.Set(k, v)
		}
		res := c.post("/login", form(tt.token))
		c.header = http.Header{}
		if res.StatusCode != http.StatusForbidden || !strings.Contains(c.body, "This form has expired") {
			t.Errorf("%s: status %d", tt.name, res.StatusCode)
		}
	}
	c.get("/login")
	c.want(c.post("/login", form(c.csrf())), 200, "Dashboard")
	// Signing in changes the token: a form from before no longer works.
	c.want(c.post("/logout", url.Values{"csrf": {good}}), 403)
	c.get("/dashboard")
	c.want(c.post("/logout", nil), 200, "You have signed out")
}

func TestSignInThrottle(t *testing.T) {
	h := newHarness(t, Config{
		AccountThrottle: ksp.ThrottleRule{Max: 3, Window: time.Minute, Lock: time.Minute},
		AddressThrottle: ksp.ThrottleRule{Max: 5, Window: time.Minute, Lock: time.Minute},
	})
	o := h.org("Plat", ksp.KindPlatform, ksp.SizeSmall)
	a := h.user(o, "a@plat.example", ksp.RoleViewer, false)
	b := h.user(o, "b@plat.example", ksp.RoleViewer, false)
	c := h.client()
	try := func(acc *account, pw string) *http.Response {
		c.get("/login")
		return c.post("/login", url.Values{"email": {acc.email}, "password": {pw}})
	}
	for i := 0; i < 3; i++ {
		c.want(try(a, "wrong password!"), 401, "wrong")
	}
	// Locked: even the right password is refused, without being checked.
	c.want(try(a, a.password), 429, "Too many failed attempts")
	// Another account from the same address still works until the
	// address's own limit.
	c.want(try(b, b.password), 200, "Dashboard")
	c.post("/logout", nil)
	c.want(try(b, "wrong password!"), 401)
	c.want(try(b, "wrong password!"), 401)
	c.want(try(b, b.password), 429, "Too many failed attempts")
	// A different address is not affected by the address lock, but the
	// account lock follows the account.
	h.web.cfg.ClientIP = func(*http.Request) netipAddr { return otherIP }
	c.want(try(b, b.password), 200, "Dashboard")
	c.post("/logout", nil)
	c.want(try(a, a.password), 429)
}

func TestSecondFactorSignIn(t *testing.T) {
	h := newHarness(t, Config{})
	staff := h.user(h.staffOrg(), "amina@ksp.example", ksp.RoleAdmin, true)
	awayFromStepEdge()
	c := h.client()
	c.get("/login?next=/staff")
	res := c.post("/login", url.Values{"email": {staff.email}, "password": {staff.password}, "next": {"/staff"}})
	c.want(res, 200, "Enter your security code")
	// A pending session opens nothing else.
	c.get("/dashboard")
	if c.url.Path != "/login/code" {
		t.Fatalf("pending session reached %s", c.url.Path)
	}
	c.want(c.post("/login/code", url.Values{"code": {"000000"}, "next": {"/staff"}}), 401, "The code is wrong")
	// One step ahead is accepted (clock skew), and next= is honoured.
	code, _ := totp.CodeAt(staff.secret, totp.Step(time.Now())+1)
	c.want(c.post("/login/code", url.Values{"code": {code}, "next": {"/staff"}}), 200, "Membership applications")
	c.post("/logout", nil)

	// The same code cannot be used again, nor an older one.
	c.get("/login")
	c.post("/login", url.Values{"email": {staff.email}, "password": {staff.password}})
	c.want(c.post("/login/code", url.Values{"code": {code}}), 401, "already used")
	now, _ := totp.CodeAt(staff.secret, totp.Step(time.Now()))
	c.want(c.post("/login/code", url.Values{"code": {now}}), 401)

	// Recovery codes: made fresh, each works once.
	codes, err := h.db.NewRecoveryCodes(asUser(staff), staff.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	c.want(c.post("/login/code", url.Values{"code": {codes[3]}}), 200, "Dashboard", "recovery code", "You have 9 left")
	c.post("/logout", nil)
	c.get("/login")
	c.post("/login", url.Values{"email": {staff.email}, "password": {staff.password}})
	c.want(c.post("/login/code", url.Values{"code": {codes[3]}}), 401)
	c.want(c.post("/login/code", url.Values{"code": {codes[4]}}), 200, "Dashboard")
}

func asUser(a *account) context.Context {
	return ksp.NewContext(context.Background(), &ksp.Actor{UserID: a.user.ID, OrgID: a.org.ID, OrgKind: a.org.Kind, Role: a.user.Role, Staff: a.org.ID == ksp.StaffOrgID})
}

var secretRE = regexp.MustCompile(`name="secret" value="([A-Z2-7]+)"`)

func TestForcedEnrolment(t *testing.T) {
	h := newHarness(t, Config{})
	admin := h.user(h.org("Plat", ksp.KindPlatform, ksp.SizeSmall), "admin@plat.example", ksp.RoleAdmin, false)
	c := h.client()
	c.get("/login")
	c.want(c.post("/login", url.Values{"email": {admin.email}, "password": {admin.password}}), 200, "Set up your second factor")
	for _, p := range []string{"/dashboard", "/admin", "/account/keys"} {
		if c.get(p); c.url.Path != "/account/two-factor" {
			t.Fatalf("%s reached before enrolment: %s", p, c.url.Path)
		}
	}
	m := secretRE.FindStringSubmatch(c.body)
	if m == nil {
		t.Fatal("no secret on the setup page")
	}
	c.want(c.post("/account/two-factor", url.Values{"secret": {m[1]}, "code": {"123456"}}), 400, "does not match")
	// The same secret is kept across a wrong try, so the app's entry works.
	if secretRE.FindStringSubmatch(c.body)[1] != m[1] {
		t.Fatal("secret changed after a wrong code")
	}
	awayFromStepEdge()
	code, _ := totp.Code(m[1], time.Now())
	c.want(c.post("/account/two-factor", url.Values{"secret": {m[1]}, "code": {code}}), 200, "Save your recovery codes")
	if n := len(regexp.MustCompile(`<li>[a-z2-7]{5}-[a-z2-7]{5}</li>`).FindAllString(c.body, -1)); n != ksp.RecoveryCodeCount {
		t.Fatalf("%d recovery codes shown", n)
	}
	c.want(c.get("/dashboard"), 200, "Dashboard")
	c.want(c.get("/account"), 200, "Second factor", "On", "must keep a second factor")
}

func TestPasswordReset(t *testing.T) {
	h := newHarness(t, Config{})
	a := h.user(h.org("Plat", ksp.KindPlatform, ksp.SizeSmall), "analyst@plat.example", ksp.RoleAnalyst, false)
	other := h.client()
	other.signIn(a, 0)
	c := h.client()
	c.get("/password/forgot")
	c.want(c.post("/password/forgot", url.Values{"email": {"nobody@plat.example"}}), 200, "If an account uses")
	c.get("/password/forgot")
	c.want(c.post("/password/forgot", url.Values{"email": {"Analyst@Plat.example"}}), 200, "If an account uses")
	link := h.mailLink(a.email, "Reset your KSP password")
	if n := len(h.smtp.Messages()); n != 1 {
		t.Fatalf("%d mails: unknown addresses must get none", n)
	}
	c.want(c.get(link), 200, "Choose a new password", a.email)
	c.want(c.post("/password/reset", url.Values{"token": {tokenOf(link)}, "password": {"a whole new passphrase"}, "confirm": {"something else"}}), 400, "not the same")
	c.want(c.post("/password/reset", url.Values{"token": {tokenOf(link)}, "password": {"short"}, "confirm": {"short"}}), 400, "at least 12 characters")
	c.want(c.post("/password/reset", url.Values{"token": {tokenOf(link)}, "password": {"a whole new passphrase"}, "confirm": {"a whole new passphrase"}}), 200, "Your password was changed")
	// Single use; the other browser was signed out.
	c.want(c.get(link), 404, "does not work")
	if other.get("/dashboard"); other.url.Path != "/login" {
		t.Fatalf("session survived the reset: %s", other.url.Path)
	}
	c.get("/login")
	c.want(c.post("/login", url.Values{"email": {a.email}, "password": {a.password}}), 401)
	a.password = "a whole new passphrase"
	c.signIn(a, 0)
}

func tokenOf(link string) string {
	u, _ := url.Parse(link)
	return u.Query().Get("token")
}

var sessionFormRE = regexp.MustCompile(`action="/account/sessions/([0-9a-f-]{36})/revoke"`)

func TestSessionRevocation(t *testing.T) {
	h := newHarness(t, Config{})
	a := h.user(h.org("Plat", ksp.KindPlatform, ksp.SizeSmall), "viewer@plat.example", ksp.RoleViewer, false)
	phone, laptop, tablet := h.client(), h.client(), h.client()
	phone.signIn(a, 0)
	laptop.signIn(a, 0)
	tablet.signIn(a, 0)
	laptop.want(laptop.get("/account"), 200, "This session")
	ids := sessionFormRE.FindAllStringSubmatch(laptop.body, -1)
	if len(ids) != 3 {
		t.Fatalf("%d sessions listed", len(ids))
	}
	// Revoke the oldest session (the phone's): listed last.
	laptop.want(laptop.post("/account/sessions/"+ids[2][1]+"/revoke", nil), 200, "That session was signed out")
	// The revoked browser's next page is the sign-in form, which works
	// although the page itself was served with the dead cookie.
	// (an active session would be sent on to the dashboard).
	phone.want(phone.get("/login"), 200, "Sign in")
	if phone.url.Path != "/login" || strings.Contains(phone.body, "Sign out") {
		t.Fatalf("revoked session still works: %s", phone.url.Path)
	}
	phone.want(phone.post("/login", url.Values{"email": {a.email}, "password": {a.password}}), 200, "Dashboard")
	laptop.want(laptop.post("/account/sessions/revoke-others", nil), 200, "Every other session")
	if tablet.get("/account"); tablet.url.Path != "/login" {
		t.Fatal("sign out everywhere else left a session")
	}
	laptop.want(laptop.get("/dashboard"), 200, "Dashboard")
	// Another user cannot revoke this session.
	b := h.user(a.org, "b@plat.example", ksp.RoleViewer, false)
	intruder := h.client()
	intruder.signIn(b, 0)
	laptop.get("/account")
	own := sessionFormRE.FindStringSubmatch(laptop.body)[1]
	intruder.get("/account")
	intruder.want(intruder.post("/account/sessions/"+own+"/revoke", nil), 404)
	laptop.want(laptop.get("/dashboard"), 200, "Dashboard")
}

var keyRE = regexp.MustCompile(`ksp_[A-Za-z0-9]{40}`)

func TestAdminInvitesAndKeys(t *testing.T) {
	h := newHarness(t, Config{})
	o := h.org("Vidstream", ksp.KindPlatform, ksp.SizeLarge)
	admin := h.user(o, "admin@vidstream.example", ksp.RoleAdmin, true)
	awayFromStepEdge()
	c := h.client()
	c.signIn(admin, 0)
	c.want(c.get("/admin"), 200, "Vidstream", "Domains")
	c.want(c.post("/admin/domains", url.Values{"domain": {"not a domain"}}), 400, "There is a problem")
	c.want(c.post("/admin/domains", url.Values{"domain": {"Vidstream.example"}}), 200, "vidstream.example", "Not verified")
	c.get("/admin/users")
	c.want(c.post("/admin/users", url.Values{"email": {"bad"}, "role": {"analyst"}}), 400, `href="#f-email"`)
	c.want(c.post("/admin/users", url.Values{"email": {"new@vidstream.example"}, "name": {"New Analyst"}, "role": {"analyst"}}), 200, "Invitation sent to new@vidstream.example", "Invited")
	link := h.mailLink("new@vidstream.example", "Your invitation to KSP")

	// The invited analyst sets a password and lands signed in (no second
	// factor needed for analysts).
	n := h.client()
	n.want(n.get(link), 200, "Set up your account", "new@vidstream.example")
	n.want(n.post("/invitation", url.Values{"token": {tokenOf(link)}, "password": {"analyst passphrase 1"}, "confirm": {"analyst passphrase 1"}}), 200, "Dashboard", "Welcome to KSP")
	n.want(n.get(link), 404)
	n.get("/account/keys")
	n.want(n.post("/account/keys", url.Values{"name": {"scanner"}}), 400, "Choose at least one permission")
	n.want(n.post("/account/keys", url.Values{"name": {"scanner"}, "scopes": {"read", "match", "admin"}, "expires": {"30"}}), 200, "Your new key", "read, match")
	secret := keyRE.FindString(n.body)
	act, err := h.db.ActorForKey(context.Background(), secret)
	if err != nil || act.OrgID != o.ID || len(act.Scopes) != 2 {
		t.Fatalf("key actor %+v, %v", act, err)
	}
	// Analysts do not reach admin pages.
	n.want(n.get("/admin/users"), 403)

	// The admin sees the key org-wide, changes the role, removes the user.
	c.want(c.get("/admin/keys"), 200, "new@vidstream.example", secret[:8])
	c.get("/admin/users")
	uid := regexp.MustCompile(`action="/admin/users/([0-9a-f-]{36})/role"`).FindStringSubmatch(c.body)[1]
	c.want(c.post("/admin/users/"+uid+"/role", url.Values{"role": {"viewer"}}), 200, "new@vidstream.example is now viewer")
	c.want(c.post("/admin/users/"+uid+"/remove", nil), 200, "was removed")
	if n.get("/dashboard"); n.url.Path != "/login" {
		t.Fatal("removed user's session still works")
	}
	if _, err := h.db.ActorForKey(context.Background(), secret); ksp.ErrorCode(err) != ksp.EUNAUTHORIZED {
		t.Fatalf("removed user's key: %v", err)
	}
}

func TestStaffVetting(t *testing.T) {
	h := newHarness(t, Config{})
	staff := h.user(h.staffOrg(), "amina@ksp.example", ksp.RoleAdmin, true)
	for i, name := range []string{"Alpha", "Beta", "Gamma"} {
		_, err := h.db.CreateApplication(context.Background(), ksp.NewApplication{OrgName: name, Kind: ksp.KindAcademia, Website: "https://" + strings.ToLower(name) + ".example",
			ContactName: "C" + name, ContactEmail: "c" + string(rune('a'+i)) + "@" + strings.ToLower(name) + ".example", Motivation: "Research"})
		if err != nil {
			t.Fatal(err)
		}
	}
	awayFromStepEdge()
	c := h.client()
	c.signIn(staff, 0)
	c.want(c.get("/dashboard"), 200, "3</strong> waiting")
	c.want(c.get("/staff"), 200, "Alpha", "Beta", "Gamma")
	id := regexp.MustCompile(`href="/staff/applications/([0-9a-f-]{36})">Gamma`).FindStringSubmatch(c.body)[1]
	c.want(c.get("/staff/applications/"+id), 200, "Approve", "Reject")
	c.want(c.post("/staff/applications/"+id+"/reject", url.Values{"reason": {""}}), 400, "Enter the reason")
	c.want(c.post("/staff/applications/"+id+"/approve", nil), 400, "Enter the reason")
	c.want(c.post("/staff/applications/"+id+"/approve", url.Values{"reason": {"Known research group"}}), 200, "Approved: Gamma is a member", "invitation was sent to cc@gamma.example")
	h.mailLink("cc@gamma.example", "Your invitation to KSP")
	c.want(c.post("/staff/applications/"+id+"/approve", url.Values{"reason": {"again"}}), 200, "already approved")
	c.want(c.get("/staff?status=approved"), 200, "Gamma")
	if strings.Contains(c.body, "Alpha") {
		t.Fatal("filter ignored")
	}
	c.want(c.get("/staff?status=all"), 200, "Alpha", "Gamma")
	// Members do not see the staff pages at all.
	m := h.user(h.org("Plat", ksp.KindPlatform, ksp.SizeSmall), "v@plat.example", ksp.RoleViewer, false)
	mc := h.client()
	mc.signIn(m, 0)
	mc.want(mc.get("/staff"), 404)
	if strings.Contains(mc.body, `href="/staff"`) {
		t.Fatal("staff link shown to a member")
	}
}
