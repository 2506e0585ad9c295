package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/bank"
	"github.com/kspplatform/ksp/internal/jobs"
)

// startBank loads the hash bank into memory and keeps it in step with the
// store until ctx ends.
func startBank(ctx context.Context, db ksp.SignalService, m *Main, c *common) (*bank.Bank, error) {
	log, err := m.logger(c)
	if err != nil {
		return nil, err
	}
	b := bank.New(db, log)
	if err := b.Load(ctx); err != nil {
		return nil, err
	}
	// Loading read the whole bank through the driver: give the garbage
	// back to the system now rather than over the next minutes.
	debug.FreeOSMemory()
	// On PostgreSQL, commits on any replica wake the follower at once;
	// the one-second poll stays as the fallback.
	if n, ok := db.(interface{ OnSignalChange(func()) }); ok {
		n.OnSignalChange(b.Wake)
	}
	go b.Run(ctx, time.Second)
	if p, ok := db.(interface {
		PruneChanges(context.Context, time.Time) (int64, error)
	}); ok {
		go pruneChanges(ctx, jobs.New(db, log), p.PruneChanges, log)
	}
	return b, nil
}

// bankStaleAfter is how long the hash bank's follower may fail every sync
// before /readyz answers 503: long enough to ride out a database restart,
// short enough that a balancer stops sending matches to a replica whose
// bank no longer follows the others.
const bankStaleAfter = 30 * time.Second

// bankReady is the hash bank's part of /readyz at now: loaded, and its
// follower not failing for bankStaleAfter or more.
func bankReady(b *bank.Bank, now time.Time) error {
	if !b.Loaded() {
		return errors.New("hash bank index not loaded")
	}
	if since, err := b.SyncFailing(); !since.IsZero() && now.Sub(since) >= bankStaleAfter {
		return fmt.Errorf("hash bank has not followed the change sequence for %s: %w", now.Sub(since).Round(time.Second), err)
	}
	return nil
}

// changeRetention is how long the changes feed keeps tombstones (API.md: at
// least 90 days); older cursors get 410 resync_required.
const changeRetention = 91 * 24 * time.Hour

// pruneChanges drops feed tombstones past the retention, at start and every
// six hours, until ctx ends: a periodic job run once across replicas
// (internal/jobs).
func pruneChanges(ctx context.Context, runner *jobs.Runner, prune func(context.Context, time.Time) (int64, error), log *slog.Logger) {
	runner.Run(ctx, "signals.prune_changes", 6*time.Hour, func(ctx context.Context) error {
		n, err := prune(ksp.NewContext(ctx, ksp.SystemActor("system:retention")), time.Now().Add(-changeRetention))
		if n > 0 {
			log.Info("pruned the changes feed", "tombstones", n)
		}
		return err
	})
}

// progress draws a progress bar on stderr when it is a terminal.
type progress struct {
	w     io.Writer
	tty   bool
	lines int
	last  time.Time
	start time.Time
	// doing, did and unit word the bar: "importing: line 12 (40 lines/s)",
	// then "imported 12 lines in 0.3s".
	doing, did, unit string
}

// newProgress is the bar of a line-by-line import.
func newProgress(w io.Writer) *progress {
	return newCounter(w, "importing: line", "imported", "lines")
}

// newCounter is a bar counting units of work, worded by doing, did and
// unit.
func newCounter(w io.Writer, doing, did, unit string) *progress {
	p := &progress{w: w, start: time.Now(), doing: doing, did: did, unit: unit}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) line(n int) {
	p.lines = n
	if !p.tty || time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	rate := float64(n) / time.Since(p.start).Seconds()
	fmt.Fprintf(p.w, "\r%s %d (%.0f %s/s)   ", p.doing, n, rate, p.unit)
}

// clear blanks the bar's line, so that a diagnostic written next starts at
// the left margin; the next update draws the bar again.
func (p *progress) clear() {
	if p.tty && !p.last.IsZero() {
		fmt.Fprintf(p.w, "\r%*s\r", 60, "")
		p.last = time.Time{}
	}
}

func (p *progress) done() {
	if p.tty {
		fmt.Fprintf(p.w, "\r%s %d %s in %.1fs            \n", p.did, p.lines, p.unit, time.Since(p.start).Seconds())
	}
}
