package storetest

import (
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
)

// testApplicationReview checks staff's review of an application: notes
// (staff only, with author and time), the checklist (each tick recorded
// with who made it, unknown items refused, closed once decided), and the
// decision's reason and checklist in the audit event.
func testApplicationReview(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	staff := As(f.StaffOrg(t), f.StaffUser)
	member := As(f.Platform, f.PlatAdmin)
	app, err := db.CreateApplication(Staff(), ksp.NewApplication{OrgName: "Review Me", Kind: ksp.KindPlatform, Size: ksp.SizeStartup, Website: "https://review.example",
		Domains: []string{"review.example"}, ContactName: "Rae", ContactEmail: "rae@review.example", Motivation: "We host videos"})
	must(t, err)

	// Notes: staff only, never empty or huge, on an existing application.
	_, err = db.AddApplicationNote(member, app.ID, "sneaky")
	wantCode(t, err, ksp.EFORBIDDEN)
	_, err = db.FindApplicationNotes(member, app.ID)
	wantCode(t, err, ksp.EFORBIDDEN)
	_, err = db.AddApplicationNote(staff, app.ID, "   ")
	wantField(t, err, "body")
	_, err = db.AddApplicationNote(staff, app.ID, strings.Repeat("x", ksp.MaxNoteLen+1))
	wantField(t, err, "body")
	_, err = db.AddApplicationNote(staff, ksp.NewID(), "no such application")
	wantCode(t, err, ksp.ENOTFOUND)
	n1, err := db.AddApplicationNote(staff, app.ID, "Called the company: it exists.")
	must(t, err)
	_, err = db.AddApplicationNote(Staff(), app.ID, "From the command line.")
	must(t, err)
	notes, err := db.FindApplicationNotes(staff, app.ID)
	must(t, err)
	if len(notes) != 2 || notes[0].ID != n1.ID || notes[0].AuthorName != f.StaffUser.Name || notes[0].Author != "user:"+f.StaffUser.ID ||
		notes[0].Body != "Called the company: it exists." || notes[0].Created.IsZero() || notes[1].AuthorName != "" || notes[1].Author == "" {
		t.Fatalf("notes %+v %+v", notes[0], notes[len(notes)-1])
	}

	// The checklist: ticks recorded with who made them; bad items refused.
	_, err = db.UpdateApplicationChecklist(member, app.ID, map[string]bool{ksp.CheckOrgExists: true})
	wantCode(t, err, ksp.EFORBIDDEN)
	_, err = db.UpdateApplicationChecklist(staff, app.ID, map[string]bool{"vibes_ok": true})
	wantField(t, err, "checklist")
	a, err := db.UpdateApplicationChecklist(staff, app.ID, map[string]bool{ksp.CheckOrgExists: true, ksp.CheckDomainMatches: true})
	must(t, err)
	if tk := a.Checklist[ksp.CheckOrgExists]; tk == nil || tk.Name != f.StaffUser.Name || tk.By != "user:"+f.StaffUser.ID || tk.At.IsZero() {
		t.Fatalf("tick %+v", tk)
	}
	a, err = db.UpdateApplicationChecklist(staff, app.ID, map[string]bool{ksp.CheckDomainMatches: false})
	must(t, err)
	got, err := db.FindApplicationByID(staff, app.ID)
	must(t, err)
	if len(got.Checklist) != 1 || got.Checklist[ksp.CheckOrgExists] == nil || len(a.Checklist) != 1 {
		t.Fatalf("checklist after untick: %+v", got.Checklist)
	}
	checklistEvents := auditOf(t, db, "application.checklist")
	if len(checklistEvents) != 2 || checklistEvents[0].Object != "application:"+app.ID || checklistEvents[0].Actor != "user:"+f.StaffUser.ID {
		t.Fatalf("checklist events %+v", checklistEvents)
	}

	// The decision records its reason and the checklist as ticked then;
	// the API may approve without a reason, a rejection needs one.
	_, err = db.RejectApplication(staff, app.ID, ksp.Decision{Reason: " "})
	wantField(t, err, "reason")
	_, err = db.ApproveApplication(staff, app.ID, ksp.Decision{Reason: "Known start-up", Checklist: map[string]bool{"x": true}})
	wantField(t, err, "checklist")
	ap, err := db.ApproveApplication(staff, app.ID, ksp.Decision{Reason: "  Known start-up ", Checklist: map[string]bool{ksp.CheckContactVerified: true}})
	must(t, err)
	if ap.Application.DecisionReason != "Known start-up" || len(ap.Application.Checklist) != 2 {
		t.Fatalf("approval %+v", ap.Application)
	}
	evs := auditOf(t, db, "application.approve")
	if len(evs) != 1 {
		t.Fatalf("%d approve events", len(evs))
	}
	checks, _ := evs[0].Details["checklist"].(map[string]any)
	if evs[0].Details["reason"] != "Known start-up" || checks[ksp.CheckOrgExists] != true || checks[ksp.CheckDomainMatches] != false || checks[ksp.CheckContactVerified] != true {
		t.Fatalf("approve details %+v", evs[0].Details)
	}
	_, err = db.UpdateApplicationChecklist(staff, app.ID, map[string]bool{ksp.CheckDomainMatches: true})
	wantCode(t, err, ksp.ECONFLICT)
	// Notes stay possible after the decision (follow-up).
	_, err = db.AddApplicationNote(staff, app.ID, "Invitation sent.")
	must(t, err)

	// An old client's approval without a body still works, and records an
	// empty reason.
	app2, err := db.CreateApplication(Staff(), ksp.NewApplication{OrgName: "Old Client", Kind: ksp.KindGovernment, Website: "https://old.example",
		ContactName: "Oli", ContactEmail: "oli@old.example", Motivation: "Policy"})
	must(t, err)
	_, err = db.ApproveApplication(staff, app2.ID, ksp.Decision{})
	must(t, err)
	if _, _, err := ksp.VerifyChain(Staff(), db, ""); err != nil {
		t.Fatalf("verify: %v", err)
	}
}

// auditOf returns the events of one action, newest first.
func auditOf(t *testing.T, db Store, action string) []*ksp.AuditEvent {
	t.Helper()
	evs, _, err := db.FindAuditEvents(Staff(), ksp.AuditFilter{Action: &action})
	must(t, err)
	return evs
}

// wantField fails unless err is invalid and names field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	wantCode(t, err, ksp.EINVALID)
	var ke *ksp.Error
	if e, ok := err.(*ksp.Error); ok {
		ke = e
	}
	for _, f := range ke.Fields {
		if f.Field == field {
			return
		}
	}
	t.Fatalf("error %v does not name field %s", err, field)
}
