package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/a11y"
	"github.com/kspplatform/ksp/internal/sqlstore"
	"github.com/kspplatform/ksp/internal/totp"
	"github.com/kspplatform/ksp/mail"
	"github.com/kspplatform/ksp/mail/mailtest"
	"github.com/kspplatform/ksp/sqlite"
)

// harness is a web server on a real SQLite store, mailing into an
// in-process SMTP server.
type harness struct {
	t    *testing.T
	db   *sqlstore.DB
	srv  *httptest.Server
	smtp *mailtest.Server
	web  *Server
	sys  context.Context
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ksp.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := &harness{t: t, db: db, smtp: mailtest.Start(t), sys: ksp.NewContext(context.Background(), ksp.SystemActor("test"))}
	m, err := mail.NewSMTP(h.smtp.URL(), "KSP <noreply@ksp.example>")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Mailer = m
	h.web, err = New(db, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = httptest.NewServer(h.web)
	t.Cleanup(h.srv.Close)
	h.web.SetPublicURL(h.srv.URL)
	return h
}

// account is a seeded user and its credentials.
type account struct {
	user     *ksp.User
	org      *ksp.Org
	email    string
	password string
	secret   string // TOTP, when enrolled
}

const testPassword = "correct horse battery staple"

// org creates a member org.
func (h *harness) org(name string, kind ksp.OrgKind, size string) *ksp.Org {
	o := &ksp.Org{Name: name, Kind: kind, Size: size}
	if err := h.db.CreateOrg(h.sys, o); err != nil {
		h.t.Fatal(err)
	}
	return o
}

// user creates an active user; withTOTP enrols a second factor (with the
// previous step, so the current code is still unused).
func (h *harness) user(o *ksp.Org, email string, role ksp.Role, withTOTP bool) *account {
	h.t.Helper()
	var u *ksp.User
	var err error
	if o.ID == ksp.StaffOrgID {
		u, err = h.db.CreateStaffUser(h.sys, email, "Staff "+email, testPassword)
	} else {
		u, _, err = h.db.CreateUser(h.sys, o.ID, ksp.NewUser{Email: email, Name: "User " + email, Role: role, Password: testPassword})
	}
	if err != nil {
		h.t.Fatal(err)
	}
	a := &account{user: u, org: o, email: email, password: testPassword}
	if withTOTP {
		a.secret = totp.NewSecret()
		code, _ := totp.CodeAt(a.secret, totp.Step(time.Now())-1)
		as := ksp.NewContext(context.Background(), &ksp.Actor{UserID: u.ID, OrgID: o.ID, OrgKind: o.Kind, Role: u.Role, Staff: o.ID == ksp.StaffOrgID})
		if _, err := h.db.EnableTOTP(as, u.ID, a.secret, code); err != nil {
			h.t.Fatal(err)
		}
	}
	return a
}

func (h *harness) staffOrg() *ksp.Org {
	o, err := h.db.FindOrgByID(h.sys, ksp.StaffOrgID)
	if err != nil {
		h.t.Fatal(err)
	}
	return o
}

// client is one browser: cookies, redirects followed, and every HTML page
// it receives checked for accessibility.
type client struct {
	h    *harness
	t    *testing.T
	c    *http.Client
	body string
	url  *url.URL
	// header is added to every request.
	header http.Header
}

func (h *harness) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{h: h, t: h.t, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}, header: http.Header{}}
}

func (c *client) do(req *http.Request) *http.Response {
	c.t.Helper()
	for k, v := range c.header {
		req.Header[k] = v
	}
	res, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	c.body, c.url = string(b), res.Request.URL
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		for _, p := range a11y.CheckHTML(c.body) {
			c.t.Errorf("accessibility: %s %s: %s", req.Method, res.Request.URL.Path, p)
		}
	}
	return res
}

func (c *client) get(path string) *http.Response {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.h.srv.URL+path, nil)
	return c.do(req)
}

// post submits a form with the CSRF token of the last page seen.
func (c *client) post(path string, form url.Values) *http.Response {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if !form.Has("csrf") {
		form.Set("csrf", c.csrf())
	}
	req, _ := http.NewRequest("POST", c.h.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *client) csrf() string {
	m := csrfRE.FindStringSubmatch(c.body)
	if m == nil {
		return ""
	}
	return m[1]
}

// want checks the status and that the page contains every text.
func (c *client) want(res *http.Response, status int, texts ...string) {
	c.t.Helper()
	if res.StatusCode != status {
		c.t.Fatalf("%s: status %d, want %d\n%s", res.Request.URL, res.StatusCode, status, excerpt(c.body))
	}
	for _, s := range texts {
		if !strings.Contains(c.body, s) {
			c.t.Fatalf("%s: page lacks %q\n%s", res.Request.URL, s, excerpt(c.body))
		}
	}
}

func excerpt(body string) string {
	if i := strings.Index(body, `<main`); i >= 0 {
		body = body[i:]
	}
	if len(body) > 3000 {
		body = body[:3000]
	}
	return body
}

// signIn signs in with password and, if enrolled, a TOTP code of step
// offset (the same step cannot be used twice).
func (c *client) signIn(a *account, offset int64) {
	c.t.Helper()
	c.get("/login")
	res := c.post("/login", url.Values{"email": {a.email}, "password": {a.password}})
	if a.secret != "" {
		c.want(res, 200, "Enter your security code")
		code, _ := totp.CodeAt(a.secret, totp.Step(time.Now())+offset)
		res = c.post("/login/code", url.Values{"code": {code}})
	}
	c.want(res, 200, "Dashboard")
}

// awayFromStepEdge waits until the current TOTP step has 3 s left at least.
func awayFromStepEdge() {
	if r := totp.Period - time.Now().Unix()%totp.Period; r < 3 {
		time.Sleep(time.Duration(r+1) * time.Second)
	}
}

var linkRE = regexp.MustCompile(`https?://\S+`)

// mailLink waits for a mail and returns the link in it, relative to the
// server.
func (h *harness) mailLink(to, subject string) string {
	h.t.Helper()
	m, err := h.smtp.Wait(to, subject, 10*time.Second)
	if err != nil {
		h.t.Fatal(err)
	}
	l := linkRE.FindString(m.Body)
	if !strings.HasPrefix(l, h.srv.URL) {
		h.t.Fatalf("mail link %q does not use the public URL %s", l, h.srv.URL)
	}
	return strings.TrimPrefix(l, h.srv.URL)
}

type netipAddr = netip.Addr

var otherIP = netip.MustParseAddr("198.51.100.7")
