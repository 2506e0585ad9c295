package postgres_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kspplatform/ksp/internal/jobs"
	"github.com/kspplatform/ksp/postgres/pgtest"
)

// TestTryJobOnceAcrossReplicas claims a job's run on one replica and
// checks that the other cannot claim it while it is held, nor within the
// period after it started, can once the period allows, and takes it over
// when the holder's session dies without releasing it.
func TestTryJobOnceAcrossReplicas(t *testing.T) {
	url := pgtest.Schema(t)
	a, b := openAt(t, url), openAt(t, url)
	ctx := context.Background()
	claim := func(db interface {
		TryJob(context.Context, string, time.Duration) (func(), bool, error)
	}, name string, every time.Duration) (func(), bool) {
		t.Helper()
		release, ok, err := db.TryJob(ctx, name, every)
		if err != nil {
			t.Fatal(err)
		}
		return release, ok
	}

	release, ok := claim(a, "test.held", time.Hour)
	if !ok {
		t.Fatal("first claim refused")
	}
	if _, ok := claim(b, "test.held", 0); ok {
		t.Fatal("second replica claimed a run that is held")
	}
	if r, ok := claim(b, "test.other", time.Hour); !ok {
		t.Fatal("another job's lock blocked an unrelated job")
	} else {
		r()
	}
	release()
	if _, ok := claim(b, "test.held", time.Hour); ok {
		t.Fatal("second replica ran the job again within its period")
	}
	if r, ok := claim(b, "test.held", 0); !ok {
		t.Fatal("second replica could not claim a run that is due")
	} else {
		r()
	}

	// The holder's session dies (its replica crashed) without releasing.
	if _, ok := claim(a, "test.crash", time.Millisecond); !ok {
		t.Fatal("claim refused")
	}
	if _, ok := claim(b, "test.crash", time.Millisecond); ok {
		t.Fatal("claimed while held")
	}
	if _, err := b.SQL().ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'ksp job test.crash' AND datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	eventually(t, "taken over after the holder died", func() bool {
		r, ok := claim(b, "test.crash", time.Millisecond)
		if ok {
			r()
		}
		return ok
	})

}

// TestJobsRunnerNeverOverlaps runs one job from two replicas' runners at
// once, each run slower than the period, and checks that no two runs ever
// overlap while both replicas keep ticking.
func TestJobsRunnerNeverOverlaps(t *testing.T) {
	url := pgtest.Schema(t)
	a, b := openAt(t, url), openAt(t, url)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var inFlight, overlaps, runs atomic.Int32
	job := func(context.Context) error {
		if inFlight.Add(1) > 1 {
			overlaps.Add(1)
		}
		time.Sleep(30 * time.Millisecond)
		inFlight.Add(-1)
		runs.Add(1)
		return nil
	}
	quiet := slog.New(slog.DiscardHandler)
	done := make(chan struct{}, 2)
	for _, db := range []any{a, b} {
		go func() {
			jobs.New(db, quiet).Run(ctx, "test.overlap", 10*time.Millisecond, job)
			done <- struct{}{}
		}()
	}
	eventually(t, "run 10 times", func() bool { return runs.Load() >= 10 })
	cancel()
	<-done
	<-done
	if n := overlaps.Load(); n > 0 {
		t.Fatalf("%d runs overlapped another", n)
	}
}
