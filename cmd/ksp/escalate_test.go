package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/storetest"
)

// TestEscalateAlertsJob runs the serve loop's escalation job on a real
// store: an overdue removal order is escalated once, and the job stops with
// its context.
func TestEscalateAlertsJob(t *testing.T) {
	db, err := openStore(context.Background(), filepath.Join(t.TempDir(), "ksp.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fx := storetest.NewFixture(t, db.(storetest.Store))
	r := ksp.T(time.Now().Add(-2 * time.Hour))
	a, _, err := db.CreateAlert(storetest.As(fx.Gov, fx.GovAdmin), ksp.AlertInput{URL: "https://big-platform.example/x", Kind: ksp.AlertTCORemovalOrder,
		Order: &ksp.RemovalOrder{IssuingAuthority: "Authority", MemberState: "DE", LegalBasis: "Art. 3", ReceivedAt: &r}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { escalateAlerts(ctx, db, 20*time.Millisecond, slog.New(slog.DiscardHandler)); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := db.FindAlertByID(storetest.Staff(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Escalated {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the job did not escalate the overdue order")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // several more ticks
	cancel()
	<-done
	got, err := db.FindAlertByID(storetest.Staff(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range got.Timeline {
		if e.Type == ksp.TimelineEscalated {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("escalated %d times, want once", n)
	}
}
