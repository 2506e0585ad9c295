package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/bank"
	"github.com/kspplatform/ksp/signalio"
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
	go b.Run(ctx, time.Second)
	if p, ok := db.(interface {
		PruneChanges(context.Context, time.Time) (int64, error)
	}); ok {
		go pruneChanges(ctx, p.PruneChanges, log)
	}
	return b, nil
}

// changeRetention is how long the changes feed keeps tombstones (API.md: at
// least 90 days); older cursors get 410 resync_required.
const changeRetention = 91 * 24 * time.Hour

// pruneChanges drops feed tombstones past the retention, at start and every
// six hours, until ctx ends. Several replicas pruning is harmless.
func pruneChanges(ctx context.Context, prune func(context.Context, time.Time) (int64, error), log *slog.Logger) {
	sys := ksp.NewContext(ctx, ksp.SystemActor("system:retention"))
	t := time.NewTicker(6 * time.Hour)
	defer t.Stop()
	for {
		n, err := prune(sys, time.Now().Add(-changeRetention))
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("pruning the changes feed failed", "err", err)
		case n > 0:
			log.Info("pruned the changes feed", "tombstones", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// orgActor acts for --org ID (default: the staff org) from the terminal,
// audited as cli:<os user>.
func orgActor(ctx context.Context, db ksp.OrgService, orgID string) (*ksp.Actor, error) {
	a := cliActor()
	if orgID == "" || orgID == ksp.StaffOrgID {
		return a, nil
	}
	o, err := db.FindOrgByID(ksp.NewContext(ctx, a), orgID)
	if err != nil {
		return nil, exitError{code: 2, msg: fmt.Sprintf("--org %s: no such organisation", orgID)}
	}
	return &ksp.Actor{OrgID: o.ID, OrgKind: o.Kind, Role: ksp.RoleAdmin, Suspended: o.Status == ksp.OrgStatusSuspended, Name: a.Name}, nil
}

func (m *Main) importCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "signals" {
		return exitError{code: 2, msg: "usage: ksp import signals [--org ID] [--json] FILE"}
	}
	var c common
	fs := m.flags("import signals", "import signals [--org ID] [--format csv|ndjson] [--json] FILE", &c)
	org := fs.String("org", "", "act as this organisation (default: the staff org)")
	format := fs.String("format", "", "csv or ndjson (default: from the file name, .ndjson/.jsonl → ndjson, else csv)")
	asJSON := fs.Bool("json", false, "print the summary and rejections as JSON lines on stdout")
	if err := m.parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return exitError{code: 2, msg: "name exactly one file"}
	}
	path := fs.Arg(0)
	data, err := os.ReadFile(path)
	if err != nil {
		return exitError{code: 1, msg: err.Error()}
	}
	sum := sha256.Sum256(data)
	if *format == "" {
		*format = "csv"
		if strings.HasSuffix(path, ".ndjson") || strings.HasSuffix(path, ".jsonl") {
			*format = "ndjson"
		}
	}
	var next signalio.Next
	switch *format {
	case "csv":
		if next, err = signalio.CSV(bytes.NewReader(data)); err != nil {
			return exitError{code: 1, msg: fmt.Sprintf("%s: %v", path, err)}
		}
	case "ndjson":
		next = signalio.NDJSON(bytes.NewReader(data))
	default:
		return exitError{code: 2, msg: "--format must be csv or ndjson"}
	}
	db, err := m.open(ctx, &c)
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := orgActor(ctx, db, *org)
	if err != nil {
		return err
	}
	progress := newProgress(m.Stderr)
	counted := func() (int, *ksp.SubmissionInput, error) {
		line, in, err := next()
		progress.line(line)
		return line, in, err
	}
	res, err := db.SubmitBatch(ksp.NewContext(ctx, a), counted, "file:"+path+" sha256:"+hex.EncodeToString(sum[:]))
	progress.done()
	if err != nil {
		return err
	}
	if *asJSON {
		json.NewEncoder(m.Stdout).Encode(res)
	} else {
		fmt.Fprintf(m.Stdout, "created=%d merged=%d unchanged=%d rejected=%d\n", res.Created, res.Merged, res.Unchanged, len(res.Rejected))
	}
	for _, r := range res.Rejected {
		fmt.Fprintf(m.Stderr, "line %d: %s: %s\n", r.Line, r.Field, r.Reason)
	}
	return nil
}

func (m *Main) exportCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "signals" {
		return exitError{code: 2, msg: "usage: ksp export signals --format csv|ndjson [--org ID] [--since T]"}
	}
	var c common
	fs := m.flags("export signals", "export signals --format csv|ndjson [--org ID] [--since T]", &c)
	org := fs.String("org", "", "export what this organisation may see and export (default: the staff org)")
	format := fs.String("format", "csv", "csv or ndjson")
	since := fs.String("since", "", "only signals changed at or after this RFC 3339 time or YYYY-MM-DD date")
	if err := m.parse(fs, args[1:]); err != nil {
		return err
	}
	var sinceT *ksp.Time
	if *since != "" {
		t, err := time.Parse(time.RFC3339, *since)
		if err != nil {
			if t, err = time.Parse("2006-01-02", *since); err != nil {
				return exitError{code: 2, msg: "--since must be an RFC 3339 time or YYYY-MM-DD"}
			}
		}
		st := ksp.T(t)
		sinceT = &st
	}
	w, err := signalio.NewWriter(m.Stdout, *format)
	if err != nil {
		return exitError{code: 2, msg: "--format: " + err.Error()}
	}
	db, err := m.open(ctx, &c)
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := orgActor(ctx, db, *org)
	if err != nil {
		return err
	}
	n := 0
	err = db.ExportSignals(ksp.NewContext(ctx, a), sinceT, func(s *ksp.Signal, d ksp.Distribution) error {
		n++
		return w.Write(signalio.Record(s, d))
	})
	if err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	fmt.Fprintf(m.Stderr, "exported %d signals\n", n)
	return nil
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
