package main

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/demo"
	"github.com/kspplatform/ksp/internal/sqlstore"
	"github.com/kspplatform/ksp/internal/totp"
)

// demoLoginRE reads one "demo login:" line of the seeder's printout.
var demoLoginRE = regexp.MustCompile(`(?m)^demo login: (\S+) (\S+)(?: totp:(\S+))? \((.*), (\w+)\)$`)

// demoLogin is one account the demo seeder printed.
type demoLogin struct{ email, password, totp, org, role string }

// errorHeadings are the headings of the pages a walk must not land on by
// accident (a broken link, a missing right, a sign-in redirect).
var errorHeadings = []string{"Page not found", "Sign in", "Not allowed", "Something went wrong", "Forbidden"}

// pageVisit is one page of the walk: its path and the heading it must show
// ("" for any heading that is not an error page's).
type pageVisit struct{ path, h1 string }

// TestBrowserEveryPage loads every GET page the web interface serves, as
// each role would see it over the demo data (anonymous, viewer, analyst,
// org admin, staff), so that the project's own accessibility check and
// axe-core (checkPage) see every template with content in it, at both
// window sizes. A page added to the web package belongs in this walk.
func TestBrowserEveryPage(t *testing.T) {
	start := time.Now()
	var printout bytes.Buffer
	site := startBrowserSite(t, func(ctx context.Context, db *sqlstore.DB) {
		seeder := &demo.Seeder{Store: db, SharedDir: findShared(), Log: slog.New(slog.DiscardHandler), Extend: []func(context.Context, *demo.World) error{demo.SeedSignals}}
		if _, err := seeder.Run(ctx, &printout); err != nil {
			t.Fatal(err)
		}
	})
	ctx, db, srv := site.ctx, site.db, site.srv
	sys := ksp.NewContext(ctx, ksp.SystemActor("test"))
	if _, err := db.CreateApplication(sys, ksp.NewApplication{OrgName: "Clipshare", Kind: ksp.KindPlatform, Size: ksp.SizeStartup,
		Website: "https://clipshare.example", Domains: []string{"clipshare.example"}, ContactName: "Ada Obi",
		ContactEmail: "ada@clipshare.example", Motivation: "We host short videos and want to match them against the hash bank."}); err != nil {
		t.Fatal(err)
	}
	logins := map[string]demoLogin{}
	for _, m := range demoLoginRE.FindAllStringSubmatch(printout.String(), -1) {
		l := demoLogin{m[1], m[2], m[3], m[4], m[5]}
		if _, ok := logins[l.role]; !ok {
			logins[l.role] = l
		}
	}
	for _, role := range []string{"viewer", "analyst", "admin", "staff"} {
		if _, ok := logins[role]; !ok {
			t.Fatalf("the demo printed no %s login:\n%s", role, printout.String())
		}
	}

	// Each role walks in its own browser (and within its own time limit).
	var loads, axeRuns int
	as := func(role string, walk func(b *browser)) {
		t.Run(role, func(t *testing.T) {
			b := newBrowser(t, srv.URL)
			if l, ok := logins[role]; ok {
				b.signIn(l)
			}
			walk(b)
			if role != "anonymous" {
				b.submit(`header form[action="/logout"]`, "Knowledge-sharing against terrorist use of the internet")
			}
			loads, axeRuns = loads+b.pages, axeRuns+b.axeRuns
		})
	}

	as("anonymous", func(b *browser) {
		b.walk([]pageVisit{{"/", "Knowledge-sharing against terrorist use of the internet"}, {"/search?q=propaganda", "Search"},
			{"/apply", "Apply for membership"}, {"/login", "Sign in"}, {"/password/forgot", "Reset your password"},
			{"/password/reset?token=0123456789abcdef", "This link does not work"},
			{"/invitation?token=0123456789abcdef", "This invitation does not work"},
			{"/no-such-page", "Page not found"}, {"/dashboard", "Sign in"},
			// The security-code and second-factor set-up pages need a
			// sign-in under way: signIn and TestBrowserApplyToAPIKey show them.
			{"/login/code", "Sign in"}})
	})
	as("viewer", func(b *browser) {
		b.walk([]pageVisit{{"/dashboard", "Dashboard"}, {"/search?q=propaganda", "Search"}, {"/signals/negative", "Analysts only"},
			{"/check", "Check an image"}, {"/account", "Your account"}, {"/account/keys", "API keys"}, {"/signals", "Signals"}})
		for _, href := range b.links(`^/signals/[0-9a-f-]{36}$`)[:1] {
			b.visit(href, "")
		}
	})
	as("analyst", func(b *browser) {
		b.walk([]pageVisit{{"/dashboard", "Dashboard"}, {"/signals/new", "Share a signal"}, {"/signals/negative", "Negative bank"},
			{"/check", "Check an image"}, {"/account", "Your account"}, {"/account/keys", "API keys"},
			{"/account/two-factor", "Set up your second factor"}, {"/admin", "Organisation admins only"}, {"/signals", "Signals"}})
		// Every signal the demo shows: their pages differ by type,
		// feedback, disputes and who may see what.
		sigs := b.links(`^/signals/[0-9a-f-]{36}$`)
		if len(sigs) < 3 {
			t.Fatalf("the analyst sees %d signals: %v", len(sigs), sigs)
		}
		for _, href := range sigs {
			b.visit(href, "")
		}
	})
	as("admin", func(b *browser) {
		b.walk([]pageVisit{{"/dashboard", "Dashboard"}, {"/admin", logins["admin"].org}, {"/admin/keys", "Your organisation's API keys"},
			{"/account", "Your account"}, {"/account/keys", "API keys"}, {"/admin/users", "Users"}})
	})
	as("staff", func(b *browser) {
		b.walk([]pageVisit{{"/dashboard", "Dashboard"}, {"/staff/disputes", "Disputed signals"}, {"/signals", "Signals"},
			{"/admin", ""}, {"/staff", "Membership applications"}})
		apps := b.links(`^/staff/applications/[^/]+$`)
		if len(apps) == 0 {
			t.Fatal("no application on /staff")
		}
		b.visit(apps[0], "Clipshare")
		b.visit("/staff/orgs", "Organisations")
		orgs := b.links(`^/staff/orgs/[^/]+/users$`)
		if len(orgs) < len(demo.Orgs) {
			t.Fatalf("%d organisations on /staff/orgs", len(orgs))
		}
		var resets []string
		for _, href := range orgs {
			b.visit(href, "")
			resets = append(resets, b.links(`^/admin/users/[^/]+/second-factor$`)...)
		}
		if len(resets) == 0 {
			t.Fatal("no second-factor reset link for any member")
		}
		b.visit(resets[0], "")
	})
	t.Logf("every page: %d page loads checked, %d axe-core runs, %v", loads, axeRuns, time.Since(start).Round(time.Millisecond))
}

// signIn signs in with a demo login (and its second factor) from the
// sign-in page.
func (b *browser) signIn(l demoLogin) {
	b.t.Helper()
	b.open("/login", "Sign in")
	b.fill(map[string]string{"f-email": l.email, "f-password": l.password}, []string{"f-email", "f-password"})
	if l.totp == "" {
		b.submit(`form[action="/login"]`, "Dashboard")
		return
	}
	b.submit(`form[action="/login"]`, "Enter your security code")
	code, err := totp.CodeAt(l.totp, totp.Step(time.Now()))
	if err != nil {
		b.t.Fatal(err)
	}
	b.fill(map[string]string{"f-code": code}, []string{"f-code"})
	b.submit(`form[action="/login/code"]`, "Dashboard")
}

// walk visits each page in turn.
func (b *browser) walk(pages []pageVisit) {
	b.t.Helper()
	for _, p := range pages {
		b.visit(p.path, p.h1)
	}
}

// links returns the distinct hrefs in the page's main landmark that match re.
func (b *browser) links(re string) []string {
	b.t.Helper()
	match := regexp.MustCompile(re)
	var out []string
	for _, h := range eval[[]string](b, `[...document.querySelectorAll("main a[href]")].map(a => a.getAttribute("href"))`) {
		if match.MatchString(h) && !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

// visit opens path and waits for the page's heading: h1, or when h1 is ""
// any heading but an error page's; checkPage then checks the page.
func (b *browser) visit(path, h1 string) {
	b.t.Helper()
	if h1 != "" {
		b.open(path, h1)
		return
	}
	b.do("open "+path, chromedp.Navigate(b.base+path))
	deadline := time.Now().Add(15 * time.Second)
	for {
		got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.readyState === "complete" && document.querySelector("h1") ? document.querySelector("h1").textContent.trim() : ""`))
		if err == nil && got != "" {
			if slices.Contains(errorHeadings, got) {
				b.t.Errorf("%s shows %q", path, got)
			}
			b.checkPage()
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: no heading after 15 s", path)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
