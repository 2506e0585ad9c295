package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/totp"
)

// press clicks the button matched by sel (a form's second button, say)
// and waits for the next page's heading h1.
func (b *browser) press(sel, h1 string) {
	b.t.Helper()
	eval[bool](b, `window.kspOld = true`)
	b.do("press "+sel, chromedp.Click(chromedp.CSS(sel)))
	b.waitH1(h1)
}

// noSideScroll fails when the page is wider than the window at the phone
// width (a table must scroll inside its own box).
func (b *browser) noSideScroll(what string) {
	b.t.Helper()
	b.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	if wide := eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth + 1`); wide {
		b.t.Errorf("%s: the page scrolls sideways at 390 px", what)
	}
	b.do("desktop viewport", chromedp.EmulateViewport(1280, 800))
}

// TestBrowserStaffReview is the staff flow of issue 19: a staff member
// reviews an application with a note, ticks the checklist, is refused a
// decision without a reason, approves with one, and reads the approval on
// the audit page, which verifies the chain on demand. Every page is
// checked for accessibility and shot at desktop and phone widths.
func TestBrowserStaffReview(t *testing.T) {
	start := time.Now()
	s := startBrowserSite(t, nil)
	ctx, db, srv := s.ctx, s.db, s.srv

	sys := ksp.NewContext(ctx, ksp.SystemActor("test"))
	staff, err := db.CreateStaffUser(sys, "amina@ksp.example", "Amina Diallo", "staff passphrase 123")
	if err != nil {
		t.Fatal(err)
	}
	secret := totp.NewSecret()
	c, _ := totp.CodeAt(secret, totp.Step(time.Now())-1)
	if _, err := db.EnableTOTP(ksp.NewContext(ctx, &ksp.Actor{UserID: staff.ID, OrgID: ksp.StaffOrgID, Staff: true, Role: ksp.RoleAdmin}), staff.ID, secret, c); err != nil {
		t.Fatal(err)
	}
	app, err := db.CreateApplication(ctx, ksp.NewApplication{OrgName: "Reelhouse", Kind: ksp.KindPlatform, Size: ksp.SizeStartup, Website: "https://reelhouse.example",
		Domains: []string{"reelhouse.example"}, ContactName: "Rui Costa", ContactEmail: "rui@reelhouse.example", Motivation: "We host short films and want to match uploads."})
	if err != nil {
		t.Fatal(err)
	}
	page := "/staff/applications/" + app.ID

	b := newBrowser(t, srv.URL)
	b.open("/login", "Sign in")
	b.fill(map[string]string{"f-email": "amina@ksp.example", "f-password": "staff passphrase 123"}, []string{"f-email", "f-password"})
	b.submit(`form[action="/login"]`, "Enter your security code")
	code, _ := totp.CodeAt(secret, totp.Step(time.Now()))
	b.fill(map[string]string{"f-code": code}, []string{"f-code"})
	b.submit(`form[action="/login/code"]`, "Dashboard")

	// The queue names the kind in words; the application has no notes yet.
	b.open("/staff", "Membership applications")
	if txt := eval[string](b, `document.querySelector("main table").innerText`); !strings.Contains(txt, "Platform (start-up)") {
		t.Fatalf("queue row %q", txt)
	}
	b.press(`a[href="`+page+`"]`, "Reelhouse")
	b.shot("staff-review")

	// A note, kept with its author and time.
	b.fill(map[string]string{"f-body": "Called Rui: the company is registered in Lisbon."}, []string{"f-body"})
	b.submit(`form[action$="/notes"]`, "Reelhouse")
	notes := eval[string](b, `document.querySelector("ol.notes").innerText`)
	if !strings.Contains(notes, "Amina Diallo") || !strings.Contains(notes, "registered in Lisbon") {
		t.Fatalf("notes %q", notes)
	}

	// Two boxes ticked and saved; then the third, and a decision without a
	// reason is refused with the ticks kept.
	b.do("tick", chromedp.Click(chromedp.ID("f-checklist")), chromedp.Click(chromedp.ID("f-checklist-domain_matches")))
	b.press(`button[formaction$="/checklist"]`, "Reelhouse")
	if txt := eval[string](b, `document.querySelector("fieldset").innerText`); strings.Count(txt, "Ticked by Amina Diallo") != 2 {
		t.Fatalf("checklist %q", txt)
	}
	b.do("tick the contact", chromedp.Click(chromedp.ID("f-checklist-contact_verified")))
	b.press(`form[action$="/approve"] button:not([formaction])`, "Reelhouse")
	if txt := eval[string](b, `document.querySelector(".error-summary").textContent`); !strings.Contains(txt, "Enter the reason for your decision") {
		t.Fatalf("error summary %q", txt)
	}
	if !eval[bool](b, `document.getElementById("f-checklist-contact_verified").checked`) {
		t.Fatal("the refused form lost a tick")
	}
	b.shot("staff-review-errors")
	b.fill(map[string]string{"f-reason": "Registered start-up; domain and contact confirmed by phone."}, []string{"f-reason"})
	b.press(`form[action$="/approve"] button:not([formaction])`, "Reelhouse")
	if txt := eval[string](b, `document.querySelector(".notice").textContent`); !strings.Contains(txt, "Approved: Reelhouse is a member") {
		t.Fatalf("notice %q", txt)
	}
	if txt := eval[string](b, `document.querySelector("main").innerText`); !strings.Contains(txt, "Done: The contact person is verified") ||
		!strings.Contains(txt, "domain and contact confirmed by phone") {
		t.Fatalf("decided application:\n%s", txt)
	}
	b.shot("staff-review-decided")

	// The audit page, reached through the staff navigation, shows the
	// approval with its reason and a link back; the chain verifies.
	b.open("/staff", "Membership applications")
	b.press(`nav.subnav a[href="/staff/audit"]`, "Audit log")
	row := eval[string](b, `Array.from(document.querySelectorAll("main tbody tr")).map(r => r.innerText).find(t => t.includes("application.approve")) || ""`)
	if !strings.Contains(row, "domain and contact confirmed by phone") || !strings.Contains(row, "contact_verified=true") {
		t.Fatalf("approval row %q", row)
	}
	if n := eval[int](b, `document.querySelectorAll('main tbody a[href="`+page+`"]').length`); n < 1 {
		t.Fatal("no event links to the application")
	}
	b.fill(map[string]string{"f-action": "application.approve"}, []string{"f-action"})
	b.submit(`form.filters`, "Audit log")
	if n := eval[int](b, `document.querySelectorAll("main tbody tr").length`); n != 1 {
		t.Fatalf("%d rows for application.approve", n)
	}
	b.noSideScroll("audit log")
	b.shot("staff-audit")
	b.press(`form[action="/staff/audit/verify"] button`, "Audit log")
	if txt := eval[string](b, `document.querySelector(".notice").textContent`); !strings.Contains(txt, "The audit chain is intact") {
		t.Fatalf("notice %q", txt)
	}
	t.Logf("staff review browser flow: %d pages checked, %v", b.pages, time.Since(start).Round(time.Millisecond))
}
