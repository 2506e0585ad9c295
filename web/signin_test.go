package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/totp"
)

// hostileNext are next= values that must not take a browser off the site:
// browsers drop tabs and line breaks, read \ as /, and take //host for
// another site; some decode once more on the way.
var hostileNext = []struct{ name, next string }{
	{"tab", "/\t/evil.example"},
	{"newline", "/\n/evil.example"},
	{"carriage return", "/\r/evil.example"},
	{"NUL", "/\x00/evil.example"},
	{"DEL", "/\x7f/evil.example"},
	{"protocol-relative", "//evil.example"},
	{"three slashes", "///evil.example"},
	{"backslash", "/\\evil.example"},
	{"two backslashes", "\\\\evil.example"},
	{"slash backslash slash", "/\\/evil.example"},
	{"backslash later", "/signals\\..\\..\\evil"},
	{"scheme", "https://evil.example/"},
	{"javascript", "javascript:alert(1)"},
	{"scheme without slashes", "http:evil.example"},
	{"relative", "evil.example"},
	{"leading space", " /evil.example"},
	{"empty", ""},
	{"encoded slash", "/%2F/evil.example"},
	{"encoded slashes", "/%2f%2fevil.example"},
	{"encoded backslash", "/%5C/evil.example"},
	{"encoded tab", "/%09/evil.example"},
	{"encoded newline", "/%0a/evil.example"},
	{"double-encoded slash", "/%252F/evil.example"},
	{"triple-encoded slash", "/%25252F/evil.example"},
	{"line separator", "/\u2028/evil.example"},
	{"zero-width space", "/\u200b/evil.example"},
	{"right-to-left override", "/\u202e/evil.example"},
	{"no-break space", "/\u00a0/evil.example"},
	{"ideographic space", "/\u3000/evil.example"},
	{"encoded no-break space", "/%C2%A0/evil.example"},
	{"invalid UTF-8", "/\xff/evil.example"},
	{"too long", "/" + strings.Repeat("a", 3000)},
}

func TestSafeNext(t *testing.T) {
	for _, tt := range hostileNext {
		t.Run(tt.name, func(t *testing.T) {
			if got := safeNext(tt.next); got != defaultNext {
				t.Fatalf("safeNext(%.80q) = %.80q, want %q", tt.next, got, defaultNext)
			}
		})
	}
	for _, next := range []string{"/staff", "/account/two-factor", "/signals?type=pdq&label=propaganda", "/search?q=a%20b",
		"/search?q=100%25", "/search?q=%2F%2Fx", "/search?q=a b", "/signals/0193a0b2-7c1d-4e5f-8a9b-0c1d2e3f4a5b"} {
		if got := safeNext(next); got != next {
			t.Errorf("safeNext(%q) = %q, want it kept", next, got)
		}
	}
}

// TestSignInNextStaysOnSite: signed in, /login?next= redirects to next only
// when it is a page of this site; signing in with a hostile next lands on the
// dashboard.
func TestSignInNextStaysOnSite(t *testing.T) {
	h := newHarness(t, Config{})
	a := h.user(h.org("Plat", ksp.KindPlatform, ksp.SizeSmall), "viewer@plat.example", ksp.RoleViewer, false)
	c := h.client()
	c.signIn(a, 0)
	noFollow := *c.c
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	location := func(req *http.Request) string {
		t.Helper()
		res, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s %s: status %d, want 303", req.Method, req.URL, res.StatusCode)
		}
		return res.Header.Get("Location")
	}
	for _, tt := range hostileNext {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", h.srv.URL+"/login?next="+url.QueryEscape(tt.next), nil)
			if got := location(req); got != defaultNext {
				t.Fatalf("next=%q redirected to %q", tt.next, got)
			}
		})
	}
	req, _ := http.NewRequest("GET", h.srv.URL+"/login?next="+url.QueryEscape("/signals?type=pdq"), nil)
	if got := location(req); got != "/signals?type=pdq" {
		t.Fatalf("a page of this site: redirected to %q", got)
	}
	// Signing in: the finding's own value, by form.
	c.post("/logout", nil)
	c.get("/login?next=" + url.QueryEscape("/\t/evil.example"))
	form := url.Values{"email": {a.email}, "password": {a.password}, "next": {"/\t/evil.example"}, "csrf": {c.csrf()}}
	req, _ = http.NewRequest("POST", h.srv.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if got := location(req); got != defaultNext {
		t.Fatalf("sign-in with a hostile next redirected to %q", got)
	}
}

// TestLockoutUnderWrongCodes: the right password does not forget the
// account's failures while the second factor is pending, so wrong codes
// lock the account as wrong passwords do; a full sign-in forgets them.
func TestLockoutUnderWrongCodes(t *testing.T) {
	h := newHarness(t, Config{})
	staff := h.user(h.staffOrg(), "amina@ksp.example", ksp.RoleAdmin, true)
	other := h.user(h.staffOrg(), "bo@ksp.example", ksp.RoleAdmin, true)
	limit := h.web.cfg.AccountThrottle.Max
	awayFromStepEdge()
	wrong := func(a *account) string {
		c, _ := totp.CodeAt(a.secret, totp.Step(time.Now())-100)
		return c
	}
	c := h.client()
	for range limit {
		c.get("/login")
		c.want(c.post("/login", url.Values{"email": {staff.email}, "password": {staff.password}}), 200, "Enter your security code")
		c.want(c.post("/login/code", url.Values{"code": {wrong(staff)}}), 401, "The code is wrong")
	}
	right, _ := totp.CodeAt(staff.secret, totp.Step(time.Now()))
	c.want(c.post("/login/code", url.Values{"code": {right}}), 429, "Too many failed attempts")
	c.get("/login")
	c.want(c.post("/login", url.Values{"email": {staff.email}, "password": {staff.password}}), 429, "Too many failed attempts")
	if len(h.auditEvents("signin.lock")) == 0 {
		t.Fatal("the lock was not audited")
	}

	// A full sign-in (password and code) does forget earlier failures.
	o := h.client()
	for range limit - 1 {
		o.get("/login")
		o.want(o.post("/login", url.Values{"email": {other.email}, "password": {"wrong password!"}}), 401)
	}
	o.signIn(other, 0)
	o.post("/logout", nil)
	for range limit - 1 {
		o.get("/login")
		o.want(o.post("/login", url.Values{"email": {other.email}, "password": {"wrong password!"}}), 401)
	}
	o.signIn(other, 1)
}
