package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/mail"
	"github.com/kspplatform/ksp/mail/mailtest"
	"github.com/kspplatform/ksp/storetest"
)

// noticeSetup opens a fresh SQLite store with the fixture orgs, and a real
// SMTP server with a mailer sending to it.
func noticeSetup(t *testing.T) (ksp.Store, *storetest.Fixture, *mailtest.Server, ksp.Mailer) {
	t.Helper()
	db, err := openStore(context.Background(), filepath.Join(t.TempDir(), "ksp.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fx := storetest.NewFixture(t, db.(storetest.Store))
	smtp := mailtest.Start(t)
	mailer, err := mail.NewSMTP(smtp.URL(), "KSP <noreply@ksp.example>")
	if err != nil {
		t.Fatal(err)
	}
	return db, fx, smtp, mailer
}

// TestMailNoticesJob runs the serve loop's notice job on a real store and a
// real SMTP server: an incident's activation reaches the members' users, a
// removal order ten minutes from its deadline reminds the receiver, once.
func TestMailNoticesJob(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	db, fx, smtp, mailer := noticeSetup(t)
	if _, err := db.TakeNotices(storetest.Staff(), time.Now()); err != nil { // the job's start point
		t.Fatal(err)
	}
	second, err := db.CreateStaffUser(storetest.Staff(), "second@ksp.example", "Second", "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	so := fx.StaffOrg(t)
	inc := &ksp.Incident{Type: ksp.IncidentTypeContentIncident, Title: "Attack streamed", Sharing: ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen}}
	if err := db.CreateIncident(storetest.As(so, fx.StaffUser), inc); err != nil {
		t.Fatal(err)
	}
	for _, u := range []*ksp.User{fx.StaffUser, second} {
		if _, err := db.ActivateIncident(storetest.As(so, u), inc.ID, ksp.ActivateIncidentInput{}); err != nil {
			t.Fatal(err)
		}
	}
	r := ksp.T(time.Now().Add(-50 * time.Minute))
	order, _, err := db.CreateAlert(storetest.As(fx.Gov, fx.GovAdmin), ksp.AlertInput{URL: "https://big-platform.example/x", Kind: ksp.AlertTCORemovalOrder,
		Order: &ksp.RemovalOrder{IssuingAuthority: "Authority", MemberState: "DE", LegalBasis: "Art. 3", ReceivedAt: &r}})
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { mailNotices(ctx, db, mailer, "https://ksp.example", 20*time.Millisecond, quiet); close(done) }()
	m, err := smtp.Wait("admin@tiny.example", "KSP incident activated", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Body, "Attack streamed") || !strings.Contains(m.Body, "https://ksp.example/incidents/"+inc.ID) {
		t.Fatalf("incident mail:\n%s", m.Body)
	}
	m, err = smtp.Wait("admin@big.example", "KSP alert due soon", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Body, "/alerts/"+order.ID) || strings.Contains(m.Body, "big-platform.example/x") {
		t.Fatalf("reminder:\n%s", m.Body)
	}
	time.Sleep(100 * time.Millisecond) // several more ticks
	cancel()
	<-done
	count := map[string]int{}
	for _, m := range smtp.Messages() {
		for _, to := range m.To {
			count[to+" "+m.Subject]++
		}
	}
	for k, n := range count {
		if n != 1 {
			t.Errorf("%s: %d mails, want 1", k, n)
		}
	}
	if count["viewer@big.example KSP alert due soon"] != 0 {
		t.Error("a viewer was asked to answer an alert")
	}
	if count["viewer@big.example KSP incident activated"] != 1 {
		t.Errorf("a member org's viewer did not hear of the incident: %v", count)
	}
}

// TestPageStaffAtCommit runs the serve loop's staff pager with an hour's
// poll, so only the commit wakes it: a threat-to-life alert that routes to
// no member reaches every staff member by mail at once, exactly once; a
// merge that makes an alert urgent pages too; a burst of urgent alerts
// arrives as one digest.
func TestPageStaffAtCommit(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	db, fx, smtp, mailer := noticeSetup(t)
	if _, err := db.CreateStaffUser(storetest.Staff(), "second@ksp.example", "Second", "a long enough password"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		pageStaff(ctx, db, mailer, "https://ksp.example", time.Hour, 2*time.Second, quiet)
		close(done)
	}()
	time.Sleep(50 * time.Millisecond) // the first, empty, take

	start := time.Now()
	a, _, err := db.CreateAlert(storetest.As(fx.Gov, fx.GovAdmin), ksp.AlertInput{URL: "https://unknown-host.example/live", Kind: ksp.AlertReferral,
		Tier: ksp.TierThreatToLife, ThreatLevel: "high_specific"})
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"staff@ksp.example", "second@ksp.example"} {
		m, err := smtp.Wait(to, "KSP URGENT: referral, threat to life routes to no member", 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Body, "https://ksp.example/alerts/"+a.ID) || strings.Contains(m.Body, "unknown-host") {
			t.Fatalf("page:\n%s", m.Body)
		}
	}
	t.Logf("staff paged %v after the alert's commit", time.Since(start))
	// A designation alert pages nobody; a merged threat-to-life request
	// on its URL (no event of its own) wakes the pager at its commit too.
	calm, _, err := db.CreateAlert(storetest.As(fx.Gov, fx.GovAdmin), ksp.AlertInput{URL: "https://unknown-host.example/other", Kind: ksp.AlertReferral,
		Tier: ksp.TierDesignation})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(smtp.Messages()); n != 2 {
		t.Fatalf("%d mails after a designation alert, want still 2", n)
	}
	if _, merged, err := db.CreateAlert(storetest.As(fx.Startup, fx.StartAdm), ksp.AlertInput{URL: "https://unknown-host.example/other", Kind: ksp.AlertReferral,
		Tier: ksp.TierThreatToLife, ThreatLevel: "medium"}); err != nil || !merged {
		t.Fatalf("merge: %v %v", merged, err)
	}
	waitMails := func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for len(smtp.Messages()) < n && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		if got := len(smtp.Messages()); got != n {
			t.Fatalf("%d mails, want %d", got, n)
		}
	}
	waitMails(4)
	if m := smtp.Messages()[3]; !strings.Contains(m.Body, "/alerts/"+calm.ID) {
		t.Fatalf("page after the merge:\n%s", m.Body)
	}

	// A burst of urgent alerts while the pager waits out its gap after a
	// page: one digest per staff member listing all of them.
	var burst []string
	for i := range 3 {
		a, _, err := db.CreateAlert(storetest.As(fx.Gov, fx.GovAdmin), ksp.AlertInput{URL: fmt.Sprintf("https://unknown-host.example/burst/%d", i),
			Kind: ksp.AlertReferral, Tier: ksp.TierThreatToLife, ThreatLevel: "high_specific"})
		if err != nil {
			t.Fatal(err)
		}
		burst = append(burst, a.ID)
	}
	waitMails(6)
	cancel()
	<-done
	for _, m := range smtp.Messages()[4:] {
		if m.Subject != "KSP URGENT: 3 alerts route to no member" {
			t.Fatalf("digest subject %q", m.Subject)
		}
		for _, id := range burst {
			if !strings.Contains(m.Body, "https://ksp.example/alerts/"+id) || strings.Contains(m.Body, "unknown-host") {
				t.Fatalf("digest lacks %s or shows a URL:\n%s", id, m.Body)
			}
		}
	}
}
