package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

func noticeFor(ns []*ksp.Notice, typ, id string) *ksp.Notice {
	for _, n := range ns {
		if n.Type == typ && n.ObjectID == id {
			return n
		}
	}
	return nil
}

// testNotices: incident events reach by mail every active user of every
// org that may see the incident, once; alerts near their deadline remind
// the receiver's answerers once.
func testNotices(t *testing.T, open Opener) {
	db := open(t)
	w := newIncidentWorld(t, db)
	now := time.Now()
	_, err := db.TakeNotices(As(w.Platform, w.PlatAdmin), now)
	wantCode(t, err, ksp.EFORBIDDEN)
	// History before the first run is not mailed.
	old := w.draft(t, ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen})
	w.activate(t, old)
	ns, err := db.TakeNotices(Staff(), now)
	must(t, err)
	if len(ns) != 0 {
		t.Fatalf("first run mailed history: %+v", ns)
	}

	members := w.draft(t, ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen})
	audience := w.draft(t, ksp.Sharing{Distribution: ksp.DistAudience, Audience: []string{w.Startup.ID}, TLP: ksp.TLPAmber})
	red := w.draft(t, ksp.Sharing{Distribution: ksp.DistOwner, TLP: ksp.TLPRed})
	for _, i := range []*ksp.Incident{members, audience, red} {
		w.activate(t, i)
	}
	_, err = db.AddIncidentUpdate(w.staffA, members.ID, ksp.IncidentUpdateInput{Text: "Hashes shared"})
	must(t, err)
	_, err = db.CloseIncident(w.staffA, members.ID, ksp.CloseIncidentInput{EndCriteria: "stream down", Debrief: "ok"})
	must(t, err)
	// A suspended org hears of nothing but public incidents.
	st := ksp.OrgStatusSuspended
	_, err = db.UpdateOrg(Staff(), w.Gov.ID, ksp.OrgUpdate{Status: &st})
	must(t, err)

	ns, err = db.TakeNotices(Staff(), now)
	must(t, err)
	staff := []string{"second@ksp.example", "staff@ksp.example"}
	all := []string{"admin@big.example", "admin@tiny.example", "second@ksp.example", "staff@ksp.example", "viewer@big.example"}
	for _, c := range []struct {
		typ   string
		i     *ksp.Incident
		to    []string
		title string
	}{
		{ksp.EventIncidentActivated, members, all, "Attack streamed"},
		{ksp.EventIncidentUpdated, members, all, "Attack streamed"},
		{ksp.EventIncidentClosed, members, all, "Attack streamed"},
		{ksp.EventIncidentActivated, audience, []string{"admin@tiny.example", "second@ksp.example", "staff@ksp.example"}, "Attack streamed"},
		{ksp.EventIncidentActivated, red, staff, ""},
	} {
		n := noticeFor(ns, c.typ, c.i.ID)
		if n == nil {
			t.Errorf("no %s notice for incident %s", c.typ, c.i.ID)
			continue
		}
		if !slices.Equal(n.To, c.to) || n.Title != c.title {
			t.Errorf("%s of %s: to %v title %q, want to %v title %q", c.typ, c.i.ID, n.To, n.Title, c.to, c.title)
		}
	}
	if len(ns) != 5 {
		t.Errorf("%d notices, want 5: %+v", len(ns), ns)
	}
	ns, err = db.TakeNotices(Staff(), now)
	must(t, err)
	if len(ns) != 0 {
		t.Fatalf("notices told twice: %+v", ns)
	}

	// Alerts: a referral is due in 24 hours; 15 minutes before, its
	// receiver's admins and analysts (not viewers) are reminded, once.
	gov := As(w.Startup, w.StartAdm)
	a, _, err := db.CreateAlert(gov, referral("https://big-platform.example/due", ksp.TierDesignation))
	must(t, err)
	answered, _, err := db.CreateAlert(gov, referral("https://big-platform.example/answered", ksp.TierDesignation))
	must(t, err)
	_, err = db.RespondToAlert(As(w.Platform, w.PlatAdmin), answered.ID, ksp.ResponseInput{Action: ksp.ResponseNoViolation})
	must(t, err)
	unrouted, _, err := db.CreateAlert(gov, referral("https://nobody.example/due", ksp.TierDesignation))
	must(t, err)
	early := a.Deadline.Add(-ksp.AlertReminderLead - time.Minute)
	ns, err = db.TakeNotices(Staff(), early)
	must(t, err)
	if len(ns) != 0 {
		t.Fatalf("reminded too early: %+v", ns)
	}
	ns, err = db.TakeNotices(Staff(), a.Deadline.Add(-ksp.AlertReminderLead+time.Second))
	must(t, err)
	if n := noticeFor(ns, ksp.NoticeAlertDue, a.ID); n == nil || !slices.Equal(n.To, []string{"admin@big.example"}) || n.Due == nil || !n.Due.Equal(a.Deadline.Time) {
		t.Fatalf("reminder %+v in %+v", n, ns)
	}
	if n := noticeFor(ns, ksp.NoticeAlertDue, unrouted.ID); n == nil || !slices.Equal(n.To, staff) {
		t.Fatalf("unrouted reminder %+v", n)
	}
	if noticeFor(ns, ksp.NoticeAlertDue, answered.ID) != nil {
		t.Fatal("an answered alert was reminded")
	}
	ns, err = db.TakeNotices(Staff(), a.Deadline.Add(-time.Minute))
	must(t, err)
	if len(ns) != 0 {
		t.Fatalf("reminded twice: %+v", ns)
	}
	// Mail carries no URL.
	for _, m := range (&ksp.Notice{Type: ksp.NoticeAlertDue, ObjectID: a.ID, Kind: "referral", To: []string{"x@y.example"}}).Mails("https://ksp.example") {
		if want := "https://ksp.example/alerts/" + a.ID; !strings.Contains(m.Text, want) || strings.Contains(m.Text, "big-platform.example/due") {
			t.Fatalf("mail text %q", m.Text)
		}
	}
}
