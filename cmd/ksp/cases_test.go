package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/mail"
	"github.com/kspplatform/ksp/mail/mailtest"
	"github.com/kspplatform/ksp/storetest"
)

// TestCaseRetentionPass runs the serve loop's retention pass on a real
// store and a real SMTP server: two weeks before a removed case's
// preservation lapses its reviewer is mailed once; after it lapses the
// content reference is erased, the decision kept.
func TestCaseRetentionPass(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	db, err := openStore(context.Background(), filepath.Join(t.TempDir(), "ksp.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fx := storetest.NewFixture(t, db.(storetest.Store))
	in := storetest.Submission(1, ksp.DistMembers, ksp.TLPGreen)
	in.Severity = "high"
	sub, err := db.Submit(storetest.As(fx.Platform, fx.PlatAdmin), in)
	if err != nil {
		t.Fatal(err)
	}
	start := storetest.As(fx.Startup, fx.StartAdm)
	c, _, err := db.OpenCase(start, ksp.CaseInput{ContentRef: "media/1.jpg", Matches: []ksp.CaseMatchInput{{SignalID: sub.Signal.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	c, err = db.DecideCase(start, c.ID, ksp.DecisionInput{Decision: "remove", PolicyClause: "ToS 2"})
	if err != nil {
		t.Fatal(err)
	}
	srv := mailtest.Start(t)
	mailer, err := mail.NewSMTP(srv.URL(), "ksp@ksp.example")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	soon := c.PreserveUntil.Add(-7 * 24 * time.Hour)
	for range 2 {
		if err := caseRetentionPass(ctx, db, mailer, soon, log); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.Wait(fx.StartAdm.Email, "evidence preservation of case "+c.ID, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d reminder mails, want 1", n)
	}
	got, err := db.FindCaseByID(start, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ContentRef != "media/1.jpg" {
		t.Fatal("the reference was erased before preservation lapsed")
	}
	if err := caseRetentionPass(ctx, db, mailer, c.PreserveUntil.Add(time.Hour), log); err != nil {
		t.Fatal(err)
	}
	got, err = db.FindCaseByID(start, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ContentRef != "" || got.RefErased == nil || got.Decision == nil || got.Decision.Decision != "remove" {
		t.Errorf("after preservation: ref %q erased %v decision %+v", got.ContentRef, got.RefErased, got.Decision)
	}
}
