package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/httpapi"
	"github.com/kspplatform/ksp/internal/a11y"
	"github.com/kspplatform/ksp/internal/totp"
	"github.com/kspplatform/ksp/mail/mailtest"
)

const chromiumPath = "/usr/bin/chromium"

// browser drives one headless Chromium tab against the server.
type browser struct {
	t      *testing.T
	ctx    context.Context
	base   string
	shots  string
	pages  int
	cancel func()
	// axeSrc is axe-core's script, injected into each page by axe.
	axeSrc                 string
	axeRuns, axeViolations int
	axeTime                time.Duration
	axeSeen                map[[sha256.Size]byte]bool
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing; .ci/run installs it with apt-get (chromium)", chromiumPath)
		}
		t.Skipf("browser tests skipped: %s not found (apt-get install chromium; CI=true makes this a failure)", chromiumPath)
	}
	axeSrc := axeScript(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 800),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	// axe-core's two runs per page take most of a test's time on a busy
	// machine; the limit only stops a hung browser.
	ctx, tcancel := context.WithTimeout(ctx, 5*time.Minute)
	shots := os.Getenv("KSP_SCREENSHOTS")
	if shots == "" {
		shots = filepath.Join("..", "..", "artifacts", "screenshots")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, ctx: ctx, base: base, shots: shots, axeSrc: axeSrc, cancel: func() { tcancel(); cancel(); acancel() }}
	t.Cleanup(b.cancel)
	t.Cleanup(func() {
		t.Logf("axe-core %s: %d runs on %d page loads, %d violations, %v", axeVersion, b.axeRuns, b.pages, b.axeViolations, b.axeTime.Round(time.Millisecond))
	})
	b.do("start the browser", chromedp.EmulateViewport(1280, 800))
	return b
}

func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](b *browser, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// open loads a page and waits for its heading.
func (b *browser) open(path, h1 string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path))
	b.waitH1(h1)
}

// waitH1 waits until the page (after a navigation) has the heading h1,
// then checks the page's accessibility.
func (b *browser) waitH1(h1 string) {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`!window.kspOld && document.readyState === "complete" && document.querySelector("h1") ? document.querySelector("h1").textContent.trim() : ""`))
		if err == nil {
			last = v
			if v == h1 {
				b.checkPage()
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	main, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector("main") ? document.querySelector("main").innerText : document.body.innerText`))
	b.t.Fatalf("waiting for heading %q at %s: last heading %q\n%s", h1, loc, last, main)
}

func (b *browser) checkPage() {
	b.t.Helper()
	b.pages++
	doc := eval[string](b, `"<!doctype html>" + document.documentElement.outerHTML`)
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	for _, p := range a11y.CheckHTML(doc) {
		b.t.Errorf("accessibility of %s: %s", loc, p)
	}
	b.axe()
}

// fill types into form fields by id, then submits the form of the last
// field and waits for the next heading.
func (b *browser) fill(fields map[string]string, order []string) {
	b.t.Helper()
	for _, id := range order {
		v := fields[id]
		tag := eval[string](b, fmt.Sprintf(`document.getElementById(%q).tagName`, id))
		if tag == "SELECT" {
			b.do("choose "+id, chromedp.SetValue(chromedp.ID(id), v))
			continue
		}
		eval[bool](b, fmt.Sprintf(`(document.getElementById(%q).value = "") === ""`, id))
		b.do("type into "+id, chromedp.SendKeys(chromedp.ID(id), v))
	}
}

func (b *browser) submit(form, h1 string) {
	b.t.Helper()
	eval[bool](b, `window.kspOld = true`) // waitH1 then waits for a new document
	b.do("submit "+form, chromedp.Click(chromedp.CSS(form+` button[type="submit"]`)))
	b.waitH1(h1)
}

// shot saves a full-page screenshot at desktop and phone widths.
func (b *browser) shot(name string) {
	b.t.Helper()
	for _, vp := range []struct {
		suffix string
		w, h   int64
		mobile bool
	}{{"desktop", 1280, 800, false}, {"phone", 390, 844, true}} {
		opts := []chromedp.EmulateViewportOption{}
		if vp.mobile {
			opts = append(opts, chromedp.EmulateMobile)
		}
		b.do("viewport", chromedp.EmulateViewport(vp.w, vp.h, opts...))
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			b.t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(b.shots, name+"-"+vp.suffix+".png"), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.do("viewport", chromedp.EmulateViewport(1280, 800))
}

// checkQRCode checks the second-factor setup page's QR code as a person
// with a phone would: it is drawn, and (where zbarimg is installed) what
// the browser shows reads back as the otpauth URI of secret.
func (b *browser) checkQRCode(secret string) {
	b.t.Helper()
	uri := eval[string](b, `document.querySelector("a[href^='otpauth:']").getAttribute("href")`)
	if !strings.HasPrefix(uri, "otpauth://totp/KSP:") || !strings.Contains(uri, "secret="+secret+"&") {
		b.t.Fatalf("otpauth link %q", uri)
	}
	if w := eval[float64](b, `document.querySelector(".qr svg").getBoundingClientRect().width`); w < 150 {
		b.t.Fatalf("the QR code is %.0f px wide", w)
	}
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		b.t.Log("zbarimg not installed (apt-get install zbar-tools): the QR code shown is not read back")
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.Screenshot(chromedp.CSS(".qr svg")))
	if err != nil {
		b.t.Fatalf("screenshot of the QR code: %v", err)
	}
	f := filepath.Join(b.t.TempDir(), "qr.png")
	if err := os.WriteFile(f, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	out, err := exec.Command(zbar, "--quiet", "--raw", f).Output()
	if err != nil || strings.TrimSpace(string(out)) != uri {
		b.t.Fatalf("zbarimg read %q (%v) from the QR code, want %q", out, err, uri)
	}
}

var inviteLinkRE = regexp.MustCompile(`https?://\S+/invitation\?token=[0-9a-f]+`)

// TestBrowserApplyToAPIKey is the first flow of UX.md's browser tests: an
// organisation applies, staff approve it, the invited admin sets a password
// and a second factor, signs in, and creates an API key that works.
func TestBrowserApplyToAPIKey(t *testing.T) {
	start := time.Now()
	s := startBrowserSite(t, nil)
	ctx, db, srv := s.ctx, s.db, s.srv
	smtp := s.smtp

	// A staff member with a second factor, enrolled a step ago so that the
	// current code is unused.
	sys := ksp.NewContext(ctx, ksp.SystemActor("test"))
	staff, err := db.CreateStaffUser(sys, "amina@ksp.example", "Amina Diallo", "staff passphrase 123")
	if err != nil {
		t.Fatal(err)
	}
	staffSecret := totp.NewSecret()
	c, _ := totp.CodeAt(staffSecret, totp.Step(time.Now())-1)
	if _, err := db.EnableTOTP(ksp.NewContext(ctx, &ksp.Actor{UserID: staff.ID, OrgID: ksp.StaffOrgID, Staff: true, Role: ksp.RoleAdmin}), staff.ID, staffSecret, c); err != nil {
		t.Fatal(err)
	}
	code := func(secret string, offset int64) string {
		c, err := totp.CodeAt(secret, totp.Step(time.Now())+offset)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	b := newBrowser(t, srv.URL)

	// The home page; keyboard focus moves and stays visible.
	b.open("/", "Knowledge-sharing against terrorist use of the internet")
	b.shot("home")
	seen := map[string]bool{}
	for i := 0; i < 8; i++ {
		b.do("tab", chromedp.KeyEvent(kb.Tab))
		focus := eval[string](b, `(function(){var e=document.activeElement, s=getComputedStyle(e);
			return [e.tagName, e.id || e.getAttribute("href") || e.textContent.trim(), s.outlineStyle, s.outlineWidth].join("|")})()`)
		parts := strings.Split(focus, "|")
		if parts[0] == "BODY" {
			t.Fatalf("tab %d: focus on the body", i+1)
		}
		if parts[2] == "none" || parts[3] == "0px" {
			t.Errorf("tab %d: focused %s %q has no visible outline (%s %s)", i+1, parts[0], parts[1], parts[2], parts[3])
		}
		seen[parts[0]+parts[1]] = true
		if i == 0 && parts[1] != "#main" {
			t.Errorf("first tab stop is %q, want the skip link", parts[1])
		}
	}
	if len(seen) < 6 {
		t.Errorf("focus visited only %d elements in 8 tabs: %v", len(seen), seen)
	}

	// Apply: first with mistakes (error summary), then properly.
	b.open("/apply", "Apply for membership")
	b.shot("apply")
	b.fill(map[string]string{"f-org_name": "Clipshare", "f-kind": "platform"}, []string{"f-org_name", "f-kind"})
	b.submit(`form[action="/apply"]`, "Apply for membership")
	if n := eval[int](b, `document.querySelectorAll(".error-summary li").length`); n < 4 {
		t.Fatalf("error summary lists %d problems", n)
	}
	if v := eval[string](b, `document.getElementById("f-org_name").value`); v != "Clipshare" {
		t.Fatalf("input not kept: %q", v)
	}
	b.shot("apply-errors")
	b.fill(map[string]string{"f-size": "startup", "f-website": "https://clipshare.example", "f-domains": "clipshare.example",
		"f-contact_name": "Ada Obi", "f-contact_email": "ada@clipshare.example", "f-motivation": "We host short videos and want to match them against the hash bank."},
		[]string{"f-size", "f-website", "f-domains", "f-contact_name", "f-contact_email", "f-motivation"})
	b.submit(`form[action="/apply"]`, "Application received")

	// Staff sign in with their second factor and approve.
	b.open("/login", "Sign in")
	b.shot("login")
	b.fill(map[string]string{"f-email": "amina@ksp.example", "f-password": "staff passphrase 123"}, []string{"f-email", "f-password"})
	b.submit(`form[action="/login"]`, "Enter your security code")
	b.fill(map[string]string{"f-code": code(staffSecret, 0)}, []string{"f-code"})
	b.submit(`form[action="/login/code"]`, "Dashboard")
	b.shot("dashboard-staff")
	b.open("/staff", "Membership applications")
	b.shot("staff")
	eval[bool](b, `window.kspOld = true`)
	b.do("open the application", chromedp.Click(chromedp.CSS(`a[href^="/staff/applications/"]`)))
	b.waitH1("Clipshare")
	b.shot("staff-application")
	b.fill(map[string]string{"f-reason": "A known video platform"}, []string{"f-reason"})
	b.press(`form[action$="/approve"] button:not([formaction])`, "Clipshare")
	if txt := eval[string](b, `document.querySelector(".notice").textContent`); !strings.Contains(txt, "invitation was sent to ada@clipshare.example") {
		t.Fatalf("notice %q", txt)
	}
	b.submit(`header form[action="/logout"]`, "Knowledge-sharing against terrorist use of the internet")

	// The invitation arrives by mail.
	m, err := smtp.Wait("ada@clipshare.example", "Your invitation to KSP", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	link := inviteLinkRE.FindString(m.Body)
	if !strings.HasPrefix(link, srv.URL+"/invitation?token=") {
		t.Fatalf("invitation link %q in %q", link, m.Body)
	}
	b.do("follow the invitation", chromedp.Navigate(link))
	b.waitH1("Set up your account")
	b.shot("invitation")
	b.fill(map[string]string{"f-password": "clipshare admin passphrase", "f-confirm": "clipshare admin passphrase"}, []string{"f-password", "f-confirm"})
	b.submit(`form[action="/invitation"]`, "Set up your second factor")
	b.shot("two-factor")
	secret := eval[string](b, `document.querySelector("input[name=secret]").value`)
	b.checkQRCode(secret)
	b.fill(map[string]string{"f-code": code(secret, 0)}, []string{"f-code"})
	b.submit(`form[action="/account/two-factor"]`, "Save your recovery codes")
	if n := eval[int](b, `document.querySelectorAll("#recovery-codes li").length`); n != ksp.RecoveryCodeCount {
		t.Fatalf("%d recovery codes", n)
	}
	b.shot("recovery-codes")
	b.submit(`header form[action="/logout"]`, "Knowledge-sharing against terrorist use of the internet")

	// Sign in with password and TOTP (the enrolment used the current step:
	// the next one, within the allowed skew, is fresh).
	b.open("/login", "Sign in")
	b.fill(map[string]string{"f-email": "ada@clipshare.example", "f-password": "clipshare admin passphrase"}, []string{"f-email", "f-password"})
	b.submit(`form[action="/login"]`, "Enter your security code")
	b.shot("login-code")
	b.fill(map[string]string{"f-code": code(secret, 1)}, []string{"f-code"})
	b.submit(`form[action="/login/code"]`, "Dashboard")
	b.shot("dashboard")

	// Create an API key.
	b.open("/account/keys", "API keys")
	b.fill(map[string]string{"f-name": "nightly scan"}, []string{"f-name"})
	b.do("tick read and match", chromedp.Click(chromedp.ID("scope-read")), chromedp.Click(chromedp.ID("scope-match")))
	b.submit(`form[action="/account/keys"]`, "API keys")
	key := strings.TrimSpace(eval[string](b, `document.getElementById("new-key").textContent`))
	if !ksp.WellFormedAPIKey(key) {
		t.Fatalf("key %q", key)
	}
	b.shot("keys")

	// The key works against the API.
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var me httpapi.MeBody
	json.NewDecoder(res.Body).Decode(&me)
	res.Body.Close()
	if res.StatusCode != 200 || me.Org.Name != "Clipshare" || me.Role != ksp.RoleAdmin || len(me.Scopes) != 2 {
		t.Fatalf("/api/v1/me with the key: %d %+v", res.StatusCode, me)
	}
	// The browser's session works against the API too (no scopes limit).
	body := func() string {
		b.do("open /api/v1/me", chromedp.Navigate(srv.URL+"/api/v1/me"))
		return eval[string](b, `document.body.innerText`)
	}
	if s := body(); !strings.Contains(s, `"ada@clipshare.example"`) || !strings.Contains(s, `"admin"`) {
		t.Fatalf("/api/v1/me with the session cookie: %s", s)
	}

	// The other main pages, for the screenshots and the checks.
	b.open("/account", "Your account")
	b.shot("account")
	b.open("/admin", "Clipshare")
	b.shot("admin")
	b.open("/admin/users", "Users")
	b.shot("users")

	// Invite a colleague, then re-send the invitation (the first mail went
	// astray): the new link replaces the old one.
	b.fill(map[string]string{"f-email": "ben@clipshare.example", "f-name": "Ben Okafor"}, []string{"f-email", "f-name"})
	b.submit(`form[action="/admin/users"]`, "Users")
	b.submit(`form[action$="/invitation"]`, "Users")
	if txt := eval[string](b, `document.querySelector(".notice").innerText`); !strings.Contains(txt, "A new invitation was sent to ben@clipshare.example") {
		t.Fatalf("notice %q", txt)
	}
	b.shot("users-invitation-resent")
	if n := len(mailsTo(smtp, "ben@clipshare.example", "Your invitation to KSP")); n != 2 {
		t.Fatalf("%d invitation mails to ben", n)
	}
	b.open("/search?q=manifesto", "Search")
	b.open("/no-such-page", "Page not found")
	b.shot("not-found")

	// Signing out ends the session at once, for the API as well.
	b.open("/dashboard", "Dashboard")
	b.submit(`header form[action="/logout"]`, "Knowledge-sharing against terrorist use of the internet")
	if s := body(); !strings.Contains(s, "unauthorized") {
		t.Fatalf("/api/v1/me after sign-out: %s", s)
	}

	// Ada lost her phone: staff find her organisation and reset her second
	// factor, giving a reason; she must set up a new one to sign in again.
	b.open("/login", "Sign in")
	b.fill(map[string]string{"f-email": "amina@ksp.example", "f-password": "staff passphrase 123"}, []string{"f-email", "f-password"})
	b.submit(`form[action="/login"]`, "Enter your security code")
	b.fill(map[string]string{"f-code": code(staffSecret, 1)}, []string{"f-code"})
	b.submit(`form[action="/login/code"]`, "Dashboard")
	b.open("/staff/orgs", "Organisations")
	b.shot("staff-orgs")
	b.follow(`[...document.querySelectorAll("main td a")].find(a => a.textContent === "Clipshare")`, "Users of Clipshare")
	b.follow(`document.querySelector("a[href$='/second-factor']")`, "Reset the second factor of ada@clipshare.example")
	b.submit(`form[action$="/second-factor"]`, "Reset the second factor of ada@clipshare.example")
	if txt := eval[string](b, `document.querySelector(".error-summary").innerText`); !strings.Contains(txt, "Enter why") {
		t.Fatalf("error summary %q", txt)
	}
	b.shot("reset-second-factor-error")
	b.fill(map[string]string{"f-reason": "Lost her phone; identity checked by video call"}, []string{"f-reason"})
	b.submit(`form[action$="/second-factor"]`, "Users of Clipshare")
	if txt := eval[string](b, `document.querySelector(".notice").innerText`); !strings.Contains(txt, "The second factor of ada@clipshare.example was reset") {
		t.Fatalf("notice %q", txt)
	}
	if _, err := smtp.Wait("ada@clipshare.example", "Your KSP second factor was reset", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	b.submit(`header form[action="/logout"]`, "Knowledge-sharing against terrorist use of the internet")
	b.open("/login", "Sign in")
	b.fill(map[string]string{"f-email": "ada@clipshare.example", "f-password": "clipshare admin passphrase"}, []string{"f-email", "f-password"})
	b.submit(`form[action="/login"]`, "Set up your second factor")
	t.Logf("browser flow: %d pages checked, screenshots in %s, %v", b.pages, b.shots, time.Since(start).Round(time.Millisecond))
}

// follow clicks the link the script finds and waits for the next heading.
func (b *browser) follow(link, h1 string) {
	b.t.Helper()
	eval[bool](b, `window.kspOld = true`)
	if !eval[bool](b, `(function(){var a = `+link+`; if (!a) return false; a.click(); return true})()`) {
		b.t.Fatalf("no link %s", link)
	}
	b.waitH1(h1)
}

// mailsTo returns the mails to rcpt whose subject contains subject.
func mailsTo(s *mailtest.Server, rcpt, subject string) []mailtest.Message {
	var out []mailtest.Message
	for _, m := range s.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, rcpt) && strings.Contains(m.Subject, subject) {
				out = append(out, m)
			}
		}
	}
	return out
}
