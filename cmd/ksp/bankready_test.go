package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp/bank"
	"github.com/kspplatform/ksp/sqlite"
)

// TestBankReadyWhenFollowerFails breaks the table the hash bank's
// follower reads first (the database itself still answers /readyz's
// ping): readiness holds while the failure is recent, fails once it has
// lasted bankStaleAfter, and comes back with the first sync that works.
func TestBankReadyWhenFollowerFails(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ksp.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	b := bank.New(db, slog.New(slog.DiscardHandler))
	if err := bankReady(b, time.Now()); err == nil || !strings.Contains(err.Error(), "not loaded") {
		t.Fatalf("before loading: %v", err)
	}
	if err := b.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := bankReady(b, time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("loaded: %v", err)
	}
	exec := func(q string) {
		if _, err := db.SQL().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	exec(`ALTER TABLE counters RENAME TO counters_away`)
	if err := b.Sync(ctx); err == nil {
		t.Fatal("sync without its table succeeded")
	}
	first, _ := b.SyncFailing()
	b.Sync(ctx)
	since, serr := b.SyncFailing()
	if since.IsZero() || serr == nil || !since.Equal(first) {
		t.Fatalf("failures recorded since %v (first %v), last %v", since, first, serr)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("the database's own check fails too, the test proves nothing: %v", err)
	}
	if err := bankReady(b, since.Add(bankStaleAfter-time.Second)); err != nil {
		t.Fatalf("a recent failure made the replica unready: %v", err)
	}
	if err := bankReady(b, since.Add(bankStaleAfter)); err == nil || !strings.Contains(err.Error(), "has not followed") {
		t.Fatalf("a lasting failure: %v", err)
	}
	exec(`ALTER TABLE counters_away RENAME TO counters`)
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := bankReady(b, time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	ctxDone, cancel := context.WithCancel(ctx)
	cancel()
	b.Sync(ctxDone) // cut short: neither success nor failure
	if since, _ := b.SyncFailing(); !since.IsZero() {
		t.Fatal("a cancelled sync counted as a failure")
	}
}
