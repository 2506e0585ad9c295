package main

import (
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

// TestBrowserIncidentLiveTimeline: an analyst with the incident page open
// sees an update staff post a moment later appear in the timeline without
// reloading (the live feed over the session cookie).
func TestBrowserIncidentLiveTimeline(t *testing.T) {
	s := startBrowserSite(t, nil)
	ctx, db, srv := s.ctx, s.db, s.srv
	sys := ksp.NewContext(ctx, ksp.SystemActor("test"))
	o := &ksp.Org{Name: "Clipshare", Kind: ksp.KindPlatform, Size: ksp.SizeSmall}
	if err := db.CreateOrg(sys, o); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateUser(sys, o.ID, ksp.NewUser{Email: "ada@clipshare.example", Name: "Ada", Role: ksp.RoleAnalyst, Password: "analyst passphrase 1"}); err != nil {
		t.Fatal(err)
	}
	inc := &ksp.Incident{Type: ksp.IncidentTypeContentIncident, Title: "Attack streamed in Exampletown"}
	if err := db.CreateIncident(sys, inc); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ActivateIncident(sys, inc.ID, ksp.ActivateIncidentInput{Emergency: true}); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, srv.URL)
	b.open("/login", "Sign in")
	b.fill(map[string]string{"f-email": "ada@clipshare.example", "f-password": "analyst passphrase 1"}, []string{"f-email", "f-password"})
	b.submit(`form[action="/login"]`, "Dashboard")
	b.open("/incidents/"+inc.ID, "Attack streamed in Exampletown")
	liveTimelineWait(t, b, `document.querySelector("[data-live-status]").textContent`, "Live:")
	if _, err := db.AddIncidentUpdate(sys, inc.ID, ksp.IncidentUpdateInput{Text: "Hash shared with all members."}); err != nil {
		t.Fatal(err)
	}
	liveTimelineWait(t, b, `document.querySelector("ol.timeline").innerText`, "Hash shared with all members.")
	b.shot("incident-live-timeline")
}

// liveTimelineWait polls a page expression until its text contains want.
func liveTimelineWait(t *testing.T, b *browser, expr, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := eval[string](b, `(function(){ try { return `+expr+` || "" } catch (e) { return "" } })()`)
		if strings.Contains(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited for %q, have %q", want, got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
