package storetest

import (
	"context"
	"testing"

	"github.com/kspplatform/ksp"
)

// testIncidentAlertLinks: an alert's incident_id must name an incident
// its sender may see; an incident lists the alerts and signals linked to
// it that the viewer may see, and nothing else.
func testIncidentAlertLinks(t *testing.T, open Opener) {
	db := open(t)
	w := newIncidentWorld(t, db)
	plat, start, gov := As(w.Platform, w.PlatAdmin), As(w.Startup, w.StartAdm), As(w.Gov, w.GovAdmin)
	members := w.draft(t, ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen})
	w.activate(t, members)
	hidden := w.draft(t, ksp.Sharing{Distribution: ksp.DistAudience, Audience: []string{w.Startup.ID}, TLP: ksp.TLPAmber})
	w.activate(t, hidden)
	draft := w.draft(t, ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen})

	count := func() int {
		var n int
		must(t, db.SQL().QueryRow(`SELECT COUNT(*) FROM alerts`).Scan(&n))
		return n
	}
	before := count()
	for name, id := range map[string]string{"unknown": ksp.NewID(), "invisible to the sender": hidden.ID, "draft": draft.ID, "not an id": "x"} {
		in := referral("https://tiny-startup.example/"+name, ksp.TierCrisis)
		in.IncidentID = id
		_, _, err := db.CreateAlert(plat, in)
		wantCode(t, err, ksp.EINVALID)
		if fe := err.(*ksp.Error).Fields; len(fe) != 1 || fe[0].Field != "incident_id" {
			t.Fatalf("%s: fields %+v", name, fe)
		}
	}
	if n := count(); n != before {
		t.Fatalf("bad incident ids wrote %d alerts", n-before)
	}

	in := referral("https://big-platform.example/stream", ksp.TierCrisis)
	in.IncidentID = members.ID
	sent, _, err := db.CreateAlert(gov, in)
	must(t, err)
	if sent.IncidentID != members.ID {
		t.Fatalf("alert incident %q", sent.IncidentID)
	}
	// A later request on the same URL links an alert sent without one.
	bare, _, err := db.CreateAlert(gov, referral("https://big-platform.example/mirror", ksp.TierCrisis))
	must(t, err)
	in2 := referral("https://big-platform.example/mirror", ksp.TierCrisis)
	in2.IncidentID = hidden.ID
	merged, ok, err := db.CreateAlert(start, in2)
	must(t, err)
	if !ok || merged.ID != bare.ID || merged.IncidentID != hidden.ID {
		t.Fatalf("merged alert: merged %v, incident %q", ok, merged.IncidentID)
	}

	// Signals under the incident: the platform's own private one and the
	// start-up's shared with members.
	priv := Submission(8101, ksp.DistOwner, ksp.TLPAmber)
	priv.Basis, priv.IncidentID = ksp.BasisPerpetratorContent, members.ID
	_, err = db.Submit(plat, priv)
	must(t, err)
	pub := Submission(8102, ksp.DistMembers, ksp.TLPGreen)
	pub.Basis, pub.IncidentID = ksp.BasisPerpetratorContent, members.ID
	_, err = db.Submit(start, pub)
	must(t, err)

	for _, c := range []struct {
		name            string
		ctx             context.Context
		alerts, signals int
	}{
		{"staff", Staff(), 1, 2},
		{"sender", gov, 1, 1},
		{"receiver", plat, 1, 2},
		{"bystander", start, 0, 1},
	} {
		l, err := db.FindIncidentLinks(c.ctx, members.ID)
		must(t, err)
		if len(l.Alerts) != c.alerts || len(l.Signals) != c.signals {
			t.Errorf("%s sees %d alerts and %d signals, want %d and %d", c.name, len(l.Alerts), len(l.Signals), c.alerts, c.signals)
		}
		for _, s := range l.Signals {
			if c.name != "staff" && c.name != "receiver" && s.Value == PDQValue(8101) {
				t.Errorf("%s sees the platform's private signal", c.name)
			}
		}
	}
	_, err = db.FindIncidentLinks(gov, hidden.ID)
	wantCode(t, err, ksp.ENOTFOUND)
	_, err = db.FindIncidentLinks(gov, draft.ID)
	wantCode(t, err, ksp.ENOTFOUND)
	l, err := db.FindIncidentLinks(start, hidden.ID)
	must(t, err)
	if len(l.Alerts) != 1 || l.Alerts[0].ID != bare.ID {
		t.Fatalf("start-up's links on its incident: %+v", l.Alerts)
	}
}
