package jobs_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/kspplatform/ksp/internal/jobs"
	"github.com/kspplatform/ksp/sqlite"
)

// TestOnce runs a job once on SQLite, where every run is this process's:
// it runs, and its error is logged rather than returned. The PostgreSQL
// claims are tested in package postgres.
func TestOnce(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ksp.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ran := false
	got := jobs.New(db, slog.New(slog.DiscardHandler)).Once(context.Background(), "test", time.Minute, func(context.Context) error {
		ran = true
		return errors.New("job errors are logged, not fatal")
	})
	if !got || !ran {
		t.Fatalf("Once = %v, fn ran %v; want both true", got, ran)
	}
}

// TestRunStopsWithContext runs a job every few milliseconds on SQLite and
// checks that it runs repeatedly and returns when its context ends.
func TestRunStopsWithContext(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ksp.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithCancel(context.Background())
	runs := make(chan struct{}, 100)
	done := make(chan struct{})
	go func() {
		jobs.New(db, nil).Run(ctx, "test", 5*time.Millisecond, func(context.Context) error { runs <- struct{}{}; return nil })
		close(done)
	}()
	for range 3 {
		select {
		case <-runs:
		case <-time.After(10 * time.Second):
			t.Fatal("job did not run again")
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
