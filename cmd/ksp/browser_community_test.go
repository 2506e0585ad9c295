package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kspplatform/ksp"
)

// communitySetValues sets form fields by id with script (ids with
// brackets, such as the agenda rows', are not CSS selectors, and
// datetime-local inputs do not take typed keys the same way everywhere).
func communitySetValues(b *browser, values map[string]string) {
	b.t.Helper()
	for id, v := range values {
		if !eval[bool](b, fmt.Sprintf(`(() => { const e = document.getElementById(%q); if (!e) return false; e.value = %q; return true })()`, id, v)) {
			b.t.Fatalf("no field %s", id)
		}
	}
}

// TestBrowserCommunity is the community flow of events and the
// self-assessment: an analyst announces a workshop with an agenda row,
// registers for it, takes the self-assessment and reads its results.
func TestBrowserCommunity(t *testing.T) {
	s := startBrowserSite(t, nil)
	ctx, db, srv := s.ctx, s.db, s.srv
	sys := ksp.NewContext(ctx, ksp.SystemActor("test"))
	o := &ksp.Org{Name: "Pixelboard", Kind: ksp.KindPlatform, Size: ksp.SizeStartup}
	if err := db.CreateOrg(sys, o); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateUser(sys, o.ID, ksp.NewUser{Email: "lea@pixelboard.example", Name: "Lea", Role: ksp.RoleAnalyst, Password: "analyst passphrase 1"}); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, srv.URL)
	b.open("/login", "Sign in")
	b.fill(map[string]string{"f-email": "lea@pixelboard.example", "f-password": "analyst passphrase 1"}, []string{"f-email", "f-password"})
	b.submit(`form[action="/login"]`, "Dashboard")

	b.open("/community/events/new", "Announce an event")
	start := time.Now().Add(72 * time.Hour)
	b.fill(map[string]string{"f-title": "Start-up clinic: reporting flows"}, []string{"f-title"})
	communitySetValues(b, map[string]string{
		"f-start": start.Format("2006-01-02") + "T10:00", "f-end": start.Format("2006-01-02") + "T12:00", "f-time_zone": "Europe/Brussels",
		"f-place": "Online and in Brussels", "f-agenda[0].time": "10:00", "f-agenda[0].title": "Reporting flows that work",
		"f-agenda[0].speaker": "Lea", "f-agenda[0].affiliation": "Pixelboard",
	})
	b.submit(`form[action="/community/events"]`, "Start-up clinic: reporting flows")
	if txt := eval[string](b, `document.querySelector("main").innerText`); !strings.Contains(txt, "Reporting flows that work") || !strings.Contains(txt, "visible to all members") {
		t.Fatalf("event page %q", txt)
	}
	b.shot("community-event")
	b.submit(`form[action$="/registration"]`, "Start-up clinic: reporting flows")
	if txt := eval[string](b, `document.querySelector("main").innerText`); !strings.Contains(txt, "You are registered") {
		t.Fatalf("after registering %q", txt)
	}

	b.open("/community/assessment/take", "Take the self-assessment")
	eval[bool](b, `(() => { document.querySelectorAll('input[type=radio][value="mostly"]').forEach(r => r.checked = true); return true })()`)
	b.submit(`form[action="/community/assessment"]`, "Your results: 66 %")
	b.shot("community-assessment")
	b.open("/community/assessment", "Self-assessment")
	b.do("open the latest result", chromedp.Click(chromedp.CSS(`main table a`)))
	b.waitH1("Your results: 66 %")
}
