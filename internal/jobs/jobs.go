// Package jobs runs KSP's periodic jobs (alert escalation, and any job
// added later: checkpoint signing, erasure, notices) so that each runs
// once across all the replicas serving one database.
//
// Escalation (cmd/ksp/escalate.go) and the pruning of the changes feed
// (cmd/ksp/bank.go) run on it. A job is wired in cmd/ksp like this:
//
//	r := jobs.New(db, log)
//	go r.Run(ctx, "alerts.escalate", time.Minute, func(ctx context.Context) error {
//		_, err := db.EscalateOverdue(ctx, time.Now())
//		return err
//	})
//
// On PostgreSQL the store is a Locker: before each run the replica takes
// a session-level advisory lock keyed by the job's name on a connection of
// its own, held for that one run, and records the run's start in the
// job_runs table. Only one replica runs a job at a time; a replica that
// finds the lock taken, or the job already started by another within the
// last period, skips its turn; when the holder dies its session ends, the
// lock goes with it and another replica takes the job over at its next
// tick. On SQLite (one process) the store is not a Locker and jobs simply
// run every period.
//
// Jobs must still be idempotent: a run whose lock connection is lost (the
// database restarted under it) is not stopped, so another replica may
// start the same job while it finishes.
package jobs

import (
	"context"
	"log/slog"
	"time"
)

// Locker is implemented by stores shared by several replicas.
type Locker interface {
	// TryJob claims the run of job name due now, when no replica holds
	// it and none started it less than most of every ago. ok false means
	// another replica has it (not an error); release ends the claim and
	// must be called once the run is over.
	TryJob(ctx context.Context, name string, every time.Duration) (release func(), ok bool, err error)
}

// Runner runs periodic jobs, through its Locker when there is one.
type Runner struct {
	locker Locker
	log    *slog.Logger
}

// New returns a Runner for store: one that claims each run when store
// is a Locker (PostgreSQL), one that always runs otherwise (SQLite).
func New(store any, log *slog.Logger) *Runner {
	if log == nil {
		log = slog.Default()
	}
	l, _ := store.(Locker)
	return &Runner{locker: l, log: log}
}

// Run runs fn now and then every period until ctx ends, each time only if
// this replica claims the run (see the package comment). Errors of fn and
// of the claim are logged, and the job runs again at its next tick.
func (r *Runner) Run(ctx context.Context, name string, every time.Duration, fn func(context.Context) error) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		r.Once(ctx, name, every, fn)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once runs fn if this replica claims the run of job name now, and
// reports whether it ran.
func (r *Runner) Once(ctx context.Context, name string, every time.Duration, fn func(context.Context) error) bool {
	if ctx.Err() != nil {
		return false
	}
	if r.locker != nil {
		release, ok, err := r.locker.TryJob(ctx, name, every)
		if err != nil {
			if ctx.Err() == nil {
				r.log.Warn("periodic job: could not claim its run", "job", name, "err", err)
			}
			return false
		}
		if !ok {
			r.log.Debug("periodic job run by another replica", "job", name)
			return false
		}
		defer release()
	}
	start := time.Now()
	if err := fn(ctx); err != nil && ctx.Err() == nil {
		r.log.Error("periodic job failed", "job", name, "err", err, "seconds", time.Since(start).Seconds())
	}
	return true
}
