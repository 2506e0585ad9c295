package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

// testAlertErasure: closed alerts lose their URL (in the alert, its events
// and its audit details) once their preservation period ends, keeping the
// host, times, counts and timeline; open alerts keep theirs.
func testAlertErasure(t *testing.T, open Opener) {
	db := open(t)
	w := newAlertWorld(t, db)
	mk := func(path string) *ksp.Alert {
		a, _, err := db.CreateAlert(w.gov(), referral("https://big-platform.example/"+path, ksp.TierCrisis))
		must(t, err)
		return a
	}
	removed, kept, open1 := mk("user/alice/removed"), mk("user/bob/kept"), mk("user/carol/open")
	_, err := db.RespondToAlert(w.platform(), removed.ID, ksp.ResponseInput{Action: ksp.ResponseRemoved})
	must(t, err)
	_, err = db.RespondToAlert(w.platform(), kept.ID, ksp.ResponseInput{Action: ksp.ResponseNoViolation})
	must(t, err)
	got, err := db.FindAlertByID(Staff(), removed.ID)
	must(t, err)
	if got.Response == nil || got.Response.PreserveUntil == nil {
		t.Fatal("removed alert has no preservation date")
	}
	if ev, au := erasureCopies(t, db, "/user/alice/", "/user/bob/"); ev == 0 || au == 0 {
		t.Fatalf("before erasure the URLs are in %d events and %d audit details, want some of each", ev, au)
	}
	before, _, err := db.FindAlerts(w.gov(), ksp.AlertFilter{Box: ksp.BoxSent})
	must(t, err)

	_, err = db.EraseAlertURLs(w.platform(), time.Now())
	wantCode(t, err, ksp.EFORBIDDEN)
	now := time.Now()
	for _, c := range []struct {
		at   time.Time
		want int
	}{
		{now.AddDate(0, 5, 27), 0},
		{got.Response.PreserveUntil.Add(-time.Second), 0},
		{got.Response.PreserveUntil.Add(time.Minute), 2}, // both: no_violation six months after its response too
		{now.AddDate(2, 0, 0), 0},                        // once
	} {
		n, err := db.EraseAlertURLs(Staff(), c.at)
		must(t, err)
		if n != c.want {
			t.Fatalf("erase at %v: %d alerts, want %d", c.at, n, c.want)
		}
	}
	for _, id := range []string{removed.ID, kept.ID} {
		a, err := db.FindAlertByID(Staff(), id)
		must(t, err)
		if a.URL != "" || a.Host != "big-platform.example" || a.Response == nil || a.Timeline[len(a.Timeline)-1].Type != ksp.TimelineURLErased {
			t.Fatalf("erased alert %+v", a)
		}
	}
	o, err := db.FindAlertByID(Staff(), open1.ID)
	must(t, err)
	if o.URL != "https://big-platform.example/user/carol/open" {
		t.Fatalf("open alert lost its URL: %q", o.URL)
	}
	after, _, err := db.FindAlerts(w.gov(), ksp.AlertFilter{Box: ksp.BoxSent})
	must(t, err)
	if len(after) != len(before) {
		t.Fatalf("%d alerts listed after erasure, %d before", len(after), len(before))
	}
	// No copy of the erased URLs is left in events or audit details.
	if ev, au := erasureCopies(t, db, "/user/alice/", "/user/bob/"); ev+au != 0 {
		t.Fatalf("erased URLs still in %d events and %d audit details", ev, au)
	}
	if ev, au := erasureCopies(t, db, "/user/carol/"); ev == 0 || au == 0 {
		t.Fatalf("the open alert's URL is in %d events and %d audit details, want some of each", ev, au)
	}
	if _, _, err := ksp.VerifyChain(Staff(), db, ""); err != nil {
		t.Fatalf("audit chain after erasure: %v", err)
	}
}

// erasureCopies counts the events and audit details that hold any of subs.
func erasureCopies(t *testing.T, db Store, subs ...string) (events, audit int) {
	t.Helper()
	has := func(s string) bool {
		for _, sub := range subs {
			if strings.Contains(s, sub) {
				return true
			}
		}
		return false
	}
	evs, err := db.FindEventsAfter(Staff(), 0, 1000)
	must(t, err)
	for _, e := range evs {
		if has(string(e.Data)) {
			events++
		}
	}
	must(t, db.WalkAudit(Staff(), func(e *ksp.AuditEvent) error {
		for _, v := range e.Details {
			if s, ok := v.(string); ok && has(s) {
				audit++
			}
		}
		return nil
	}))
	return events, audit
}
