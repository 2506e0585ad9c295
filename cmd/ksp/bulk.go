package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/signalio"
)

// orgActor acts for --org (the organisation's id, slug or name; default:
// the staff org) from the terminal, audited as cli:<os user>.
func orgActor(ctx context.Context, db ksp.OrgService, ref string) (*ksp.Actor, error) {
	a := cliActor()
	if ref == "" {
		return a, nil
	}
	o, err := findOrg(ksp.NewContext(ctx, a), db, ref)
	if err != nil {
		return nil, err
	}
	if o.ID == ksp.StaffOrgID {
		return a, nil
	}
	return &ksp.Actor{OrgID: o.ID, OrgKind: o.Kind, Role: ksp.RoleAdmin, Suspended: o.Status == ksp.OrgStatusSuspended, Name: a.Name}, nil
}

// findOrg resolves --org: an id, else a slug, else a name (either
// ignoring case). A name two organisations share must be given as an id.
func findOrg(ctx context.Context, db ksp.OrgService, ref string) (*ksp.Org, error) {
	if ksp.ValidID(ref) {
		o, err := db.FindOrgByID(ctx, ref)
		if err == nil {
			return o, nil
		}
		if ksp.ErrorCode(err) != ksp.ENOTFOUND {
			return nil, fmt.Errorf("find organisation %s: %w", ref, err)
		}
	}
	orgs, err := allOrgs(ctx, db)
	if err != nil {
		return nil, err
	}
	var bySlug, byName []*ksp.Org
	for _, o := range orgs {
		if strings.EqualFold(o.Slug, ref) {
			bySlug = append(bySlug, o)
		}
		if strings.EqualFold(o.Name, strings.TrimSpace(ref)) {
			byName = append(byName, o)
		}
	}
	switch {
	case len(bySlug) == 1:
		return bySlug[0], nil
	case len(bySlug) == 0 && len(byName) == 1:
		return byName[0], nil
	case len(bySlug)+len(byName) > 1:
		return nil, exitError{code: 2, msg: fmt.Sprintf("--org %s: more than one organisation is called that; give its id (ksp orgs lists them)", ref)}
	}
	return nil, exitError{code: 2, msg: fmt.Sprintf("--org %s: no such organisation (give an id, slug or name; ksp orgs lists them)", ref)}
}

// allOrgs lists every organisation, newest first.
func allOrgs(ctx context.Context, db ksp.OrgService) ([]*ksp.Org, error) {
	var out []*ksp.Org
	p := ksp.Page{Limit: ksp.MaxLimit}
	for {
		page, next, err := db.FindOrgs(ctx, ksp.OrgFilter{Page: p})
		if err != nil {
			return nil, fmt.Errorf("list organisations: %w", err)
		}
		out = append(out, page...)
		if next == "" {
			return out, nil
		}
		p.Cursor = next
	}
}

func (m *Main) orgsCmd(ctx context.Context, args []string) error {
	var c common
	fs := m.flags("orgs", "orgs [--json]", &c)
	asJSON := fs.Bool("json", false, "one JSON object per organisation")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return exitError{code: 2, msg: "orgs takes no arguments"}
	}
	db, err := m.open(ctx, &c)
	if err != nil {
		return err
	}
	defer db.Close()
	orgs, err := allOrgs(ksp.NewContext(ctx, cliActor()), db)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(m.Stdout)
	for _, o := range orgs {
		if *asJSON {
			if err := enc.Encode(o); err != nil {
				return fmt.Errorf("write: %w", err)
			}
			continue
		}
		kind := string(o.Kind)
		if o.Size != "" {
			kind += "/" + o.Size
		}
		fmt.Fprintf(m.Stdout, "%s\t%s\t%s\t%s\t%s\n", o.ID, o.Slug, kind, o.Status, o.Name)
	}
	return nil
}

func (m *Main) importCmd(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "unsc" {
		return m.importUNSC(ctx, args[1:])
	}
	if len(args) == 0 || args[0] != "signals" {
		return exitError{code: 2, msg: "usage: ksp import signals [--org ORG] [--format csv|ndjson] [--json] FILE\n       ksp import unsc [--force] [--json] FILE"}
	}
	var c common
	fs := m.flags("import signals", "import signals [--org ORG] [--format csv|ndjson] [--json] FILE", &c)
	org := fs.String("org", "", "act as this organisation: its id, slug or name (default: the staff org)")
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
	if *format != "csv" && *format != "ndjson" {
		return exitError{code: 2, msg: "--format must be csv or ndjson"}
	}
	// The whole file is read once before anything is stored: a file that
	// cannot be read to its end is refused as a whole.
	next, err := signalio.Open(bytes.NewReader(data), *format)
	if err == nil {
		err = signalio.Check(next)
	}
	var pe *signalio.ParseError
	if errors.As(err, &pe) {
		return exitError{code: 1, msg: fmt.Sprintf("%s: %v; nothing was imported", path, pe)}
	}
	if err != nil {
		return err
	}
	if next, err = signalio.Open(bytes.NewReader(data), *format); err != nil {
		return err
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
		if err := json.NewEncoder(m.Stdout).Encode(res); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	} else {
		fmt.Fprintf(m.Stdout, "created=%d merged=%d unchanged=%d rejected=%d\n", res.Created, res.Merged, res.Unchanged, res.RejectedRecords())
	}
	for _, r := range res.Rejected {
		fmt.Fprintf(m.Stderr, "line %d: %s: %s\n", r.Line, r.Field, r.Reason)
	}
	if len(res.Rejected) > 0 {
		return exitError{code: 1}
	}
	return nil
}

func (m *Main) exportCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "signals" {
		return exitError{code: 2, msg: "usage: ksp export signals --format csv|ndjson [--org ORG] [--since T]"}
	}
	var c common
	fs := m.flags("export signals", "export signals --format csv|ndjson [--org ORG] [--since T]", &c)
	org := fs.String("org", "", "export what this organisation may see and export: its id, slug or name (default: the staff org)")
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
	n, err := signalio.Export(ksp.NewContext(ctx, a), db, w, sinceT)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stderr, "exported %d signals\n", n)
	return nil
}
