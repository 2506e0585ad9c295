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

// TestEraseAlertURLsJob runs the serve loop's erasure job on a real store:
// an alert answered seven months ago loses its URL; one answered today
// keeps it.
func TestEraseAlertURLsJob(t *testing.T) {
	db, err := openStore(context.Background(), filepath.Join(t.TempDir(), "ksp.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fx := storetest.NewFixture(t, db.(storetest.Store))
	gov, plat := storetest.As(fx.Gov, fx.GovAdmin), storetest.As(fx.Platform, fx.PlatAdmin)
	var ids []string
	for _, u := range []string{"https://big-platform.example/old", "https://big-platform.example/new"} {
		a, _, err := db.CreateAlert(gov, ksp.AlertInput{URL: u, Kind: ksp.AlertReferral, Tier: ksp.TierDesignation, Labels: []string{"propaganda"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.RespondToAlert(plat, a.ID, ksp.ResponseInput{Action: ksp.ResponseNotFound}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	// Seven months ago, by hand: the store has no back door for the clock.
	old := time.Now().AddDate(0, -7, 0).UnixMicro()
	if _, err := db.(storetest.Store).SQL().Exec(db.(storetest.Store).Rebind(`UPDATE alerts SET responded_at = ? WHERE id = ?`), old, ids[0]); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { eraseAlertURLs(ctx, db, 20*time.Millisecond, slog.New(slog.DiscardHandler)); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, err := db.FindAlertByID(storetest.Staff(), ids[0])
		if err != nil {
			t.Fatal(err)
		}
		if a.URL == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the job did not erase the old alert's URL")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	a, err := db.FindAlertByID(storetest.Staff(), ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if a.URL != "https://big-platform.example/new" {
		t.Fatalf("recent alert's URL = %q", a.URL)
	}
}
