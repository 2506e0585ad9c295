package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/kspplatform/ksp"
)

// vocab interns the strings of KSP's fixed vocabularies, so that a million
// loaded submissions share one copy of "members" or "propaganda".
var vocab = func() map[string]string {
	m := map[string]string{}
	for _, list := range [][]string{ksp.Labels, ksp.SignalFlags, ksp.ContentTypes, ksp.Severities, ksp.Bases, ksp.SignalTypes, ksp.Verdicts} {
		for _, s := range list {
			m[s] = s
		}
	}
	for _, d := range ksp.Distributions {
		m[string(d)] = string(d)
	}
	for _, t := range ksp.TLPs {
		m[string(t)] = string(t)
	}
	return m
}()

func intern(b []byte) string {
	if s, ok := vocab[string(b)]; ok { // no allocation for the lookup
		return s
	}
	return string(b)
}

// parseList reads a JSON array of vocabulary strings as stored in the
// labels and flags columns, without the reflection of encoding/json.
func parseList(b []byte) ([]string, error) {
	if len(b) == 2 && b[0] == '[' && b[1] == ']' {
		return nil, nil
	}
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' || strings.ContainsRune(string(b), '\\') {
		var out []string
		err := json.Unmarshal(b, &out)
		return out, err
	}
	var out []string
	in := b[1 : len(b)-1]
	for len(in) > 0 {
		if in[0] != '"' {
			return nil, fmt.Errorf("malformed list %q", b)
		}
		end := 1
		for end < len(in) && in[end] != '"' {
			end++
		}
		if end == len(in) {
			return nil, fmt.Errorf("malformed list %q", b)
		}
		out = append(out, intern(in[1:end]))
		in = in[end+1:]
		if len(in) > 0 {
			if in[0] != ',' {
				return nil, fmt.Errorf("malformed list %q", b)
			}
			in = in[1:]
		}
	}
	return out, nil
}

type orgInfo struct {
	id    string
	name  string
	kind  ksp.OrgKind
	named bool
}

// streamFacts are the small tables read into memory before a pass over
// the bank (they are small beside it).
type streamFacts struct {
	orgs     map[string]orgInfo
	negative map[string][]ksp.NegativeRef
	feedback map[string][]*ksp.FeedbackEntry
	// audiences by submission id, and by "signal id/submitting org" for
	// the index scan, which does not read submission ids.
	audiences map[string][]string
	// resolved holds the resolution of each resolved signal (when asked).
	resolved map[string]*ksp.SignalState
}

// readFacts reads organisations, the negative bank, current feedback and
// audiences, and with resolutions the settlements of resolved signals.
// Staff resolutions are rare: every one is logged in feedback_log, so they
// come from a small query instead of three more columns of every signal.
func (db *DB) readFacts(ctx context.Context, resolutions bool) (*streamFacts, error) {
	f := &streamFacts{orgs: map[string]orgInfo{}, negative: map[string][]ksp.NegativeRef{}, feedback: map[string][]*ksp.FeedbackEntry{},
		audiences: map[string][]string{}, resolved: map[string]*ksp.SignalState{}}
	if err := db.each(ctx, `SELECT id, name, kind, named FROM orgs`, nil, func(rows *sql.Rows) error {
		var o orgInfo
		if err := rows.Scan(&o.id, &o.name, &o.kind, &o.named); err != nil {
			return err
		}
		f.orgs[o.id] = o
		return nil
	}); err != nil {
		return nil, fmt.Errorf("signal states: orgs: %w", err)
	}
	if err := db.each(ctx, `SELECT type, value, org_id, scope, approved_at FROM negative_entries`, nil, func(rows *sql.Rows) error {
		var t, v, org, scope string
		var approved sql.NullInt64
		if err := rows.Scan(&t, &v, &org, &scope, &approved); err != nil {
			return err
		}
		f.negative[t+":"+v] = append(f.negative[t+":"+v], ksp.NegativeRefOf(org, scope, approved.Valid))
		return nil
	}); err != nil {
		return nil, fmt.Errorf("signal states: negative bank: %w", err)
	}
	if err := db.each(ctx, `SELECT signal_id, org_id, verdict, updated_at, subjects FROM feedback`, nil, func(rows *sql.Rows) error {
		var sid string
		var fb ksp.FeedbackEntry
		var updated int64
		var subjects sql.RawBytes
		if err := rows.Scan(&sid, &fb.OrgID, &fb.Verdict, &updated, &subjects); err != nil {
			return err
		}
		var err error
		if fb.Subjects, err = parseList(subjects); err != nil {
			return fmt.Errorf("feedback on %s subjects: %w", sid, err)
		}
		fb.Verdict = intern([]byte(fb.Verdict))
		fb.OrgKind = f.orgs[fb.OrgID].kind
		fb.Updated = fromMicros(updated)
		f.feedback[sid] = append(f.feedback[sid], &fb)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("signal states: feedback: %w", err)
	}
	if err := db.each(ctx, `SELECT a.item_id, s.signal_id, s.org_id, a.org_id FROM audiences a JOIN submissions s ON s.id = a.item_id ORDER BY a.org_id`, nil, func(rows *sql.Rows) error {
		var item, sig, owner, org string
		if err := rows.Scan(&item, &sig, &owner, &org); err != nil {
			return err
		}
		f.audiences[item] = append(f.audiences[item], org)
		f.audiences[sig+"/"+owner] = append(f.audiences[sig+"/"+owner], org)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("signal states: audiences: %w", err)
	}
	if !resolutions {
		return f, nil
	}
	if err := db.each(ctx, `SELECT id, resolution, resolved_at, resolution_subjects FROM signals
		WHERE id IN (SELECT signal_id FROM feedback_log WHERE kind = 'resolution')`, nil, func(rows *sql.Rows) error {
		var st ksp.SignalState
		var at sql.NullInt64
		var subjects sql.RawBytes
		if err := rows.Scan(&st.ID, &st.Resolution, &at, &subjects); err != nil {
			return err
		}
		var err error
		if st.ResolutionSubjects, err = parseList(subjects); err != nil {
			return fmt.Errorf("signal %s resolution subjects: %w", st.ID, err)
		}
		st.ResolvedAt = ptrTime(at)
		f.resolved[st.ID] = &st
		return nil
	}); err != nil {
		return nil, fmt.Errorf("signal states: resolutions: %w", err)
	}
	return f, nil
}

// ScanIndex reads what the matcher needs as two plain table scans, of
// signals and of submissions, on two connections at once: scanning both
// tables in storage order and joining in the matcher's memory costs a
// third of the ordered join (measured on SQLite with 1M signals: 1.3 s
// for both scans at once, 2.9 s for the join), and decoding columns is
// most of the cost, so each pass reads only the columns matching uses.
func (db *DB) ScanIndex(ctx context.Context, scan ksp.IndexScan) (*ksp.IndexFacts, error) {
	f, err := db.readFacts(ctx, true)
	if err != nil {
		return nil, err
	}
	facts := &ksp.IndexFacts{OrgKinds: map[string]ksp.OrgKind{}, Feedback: f.feedback, Resolutions: f.resolved, Negatives: f.negative}
	for id, o := range f.orgs {
		facts.OrgKinds[id] = o.kind
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// Each pass on a connection of its own, given back with its page cache
	// emptied: a pass reads every page once, and keeping them would hold
	// the size of the bank in memory for nothing.
	pass := func(q string, fn func(*sql.Rows) error) error {
		conn, err := db.sql.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		rows, err := conn.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		if err := eachRow(rows, fn); err != nil {
			return err
		}
		if db.d.ShrinkMemory != "" {
			_, err = conn.ExecContext(ctx, db.d.ShrinkMemory)
		}
		return err
	}
	if db.readAhead != nil {
		ahead, stop := context.WithCancel(ctx)
		defer stop()
		go db.readAhead(ahead)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		var row ksp.IndexSignal
		var typ sql.RawBytes
		err := pass(`SELECT id, type, value FROM signals`, func(rows *sql.Rows) error {
			if err := rows.Scan((*sql.RawBytes)(&row.ID), &typ, (*sql.RawBytes)(&row.Value)); err != nil {
				return err
			}
			row.Type = intern(typ)
			return scan.Signal(&row)
		})
		if err != nil {
			cancel(fmt.Errorf("signals: %w", err))
		}
	})
	wg.Go(func() {
		var row ksp.IndexSubmission
		var dist, tlp, labels sql.RawBytes
		var retracted sql.NullInt64
		// Few distinct label lists exist: share one parsed copy of each.
		lists := map[string][]string{}
		err := pass(`SELECT signal_id, org_id, distribution, tlp, labels, entity_id, retracted_at FROM submissions`, func(rows *sql.Rows) error {
			if err := rows.Scan((*sql.RawBytes)(&row.SignalID), (*sql.RawBytes)(&row.OrgID), &dist, &tlp, &labels, (*sql.RawBytes)(&row.EntityID), &retracted); err != nil {
				return err
			}
			l, ok := lists[string(labels)]
			if !ok {
				var err error
				if l, err = parseList(labels); err != nil {
					return fmt.Errorf("submission of signal %s labels: %w", row.SignalID, err)
				}
				lists[string(labels)] = l
			}
			row.Labels, row.Retracted = l, retracted.Valid
			row.Distribution, row.TLP = ksp.Distribution(intern(dist)), ksp.TLP(intern(tlp))
			row.Audience = nil
			if row.Distribution == ksp.DistAudience {
				row.Audience = f.audiences[string(row.SignalID)+"/"+string(row.OrgID)]
			}
			return scan.Submission(&row)
		})
		if err != nil {
			cancel(fmt.Errorf("submissions: %w", err))
		}
	})
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, fmt.Errorf("index scan: %w", err)
	}
	return facts, nil
}

// streamStates calls fn for every signal in id order, in one pass over
// signals joined with submissions, with everything an export needs (the
// exporting org's own submissions go out whole, basis reason and policy
// version included).
func (db *DB) streamStates(ctx context.Context, fn func(*ksp.SignalState) error) error {
	f, err := db.readFacts(ctx, true)
	if err != nil {
		return err
	}
	var cur *ksp.SignalState
	send := func() error {
		if cur == nil {
			return nil
		}
		st := cur
		cur = nil
		st.Feedback = f.feedback[st.ID]
		st.Negatives = f.negative[st.Type+":"+st.Value]
		if r := f.resolved[st.ID]; r != nil {
			st.Resolution, st.ResolvedAt, st.ResolutionSubjects = r.Resolution, r.ResolvedAt, r.ResolutionSubjects
		}
		return fn(st)
	}
	err = db.each(ctx, `SELECT sig.id, sig.type, sig.value, sig.created_at,
		s.id, s.org_id, s.distribution, s.tlp, s.quality, s.content_type, s.labels, s.basis, s.entity_id, s.incident_id, s.severity, s.flags, s.created_at, s.updated_at, s.retracted_at,
		s.basis_reason, s.policy_version
		FROM signals sig JOIN submissions s ON s.signal_id = sig.id ORDER BY sig.id`, nil, func(rows *sql.Rows) error {
		var (
			sigID, typ, value                        string
			sigCreated, created, updated             int64
			quality, retracted                       sql.NullInt64
			dist, tlp, ctype, labels, basis, sev, fl sql.RawBytes
			policy                                   sql.RawBytes
			s                                        ksp.Submission
		)
		if err := rows.Scan(&sigID, &typ, &value, &sigCreated,
			&s.ID, &s.OrgID, &dist, &tlp, &quality, &ctype, &labels, &basis, &s.EntityID, &s.IncidentID, &sev, &fl, &created, &updated, &retracted,
			&s.BasisReason, &policy); err != nil {
			return err
		}
		if cur == nil || cur.ID != sigID {
			if err := send(); err != nil {
				return err
			}
			cur = &ksp.SignalState{ID: sigID, Type: intern([]byte(typ)), Value: value, Created: fromMicros(sigCreated)}
		}
		var err error
		if s.Labels, err = parseList(labels); err != nil {
			return fmt.Errorf("submission %s labels: %w", s.ID, err)
		}
		if s.Flags, err = parseList(fl); err != nil {
			return fmt.Errorf("submission %s flags: %w", s.ID, err)
		}
		o := f.orgs[s.OrgID]
		s.SignalID, s.OrgName, s.OrgKind, s.OrgNamed = sigID, o.name, o.kind, o.named
		s.Distribution, s.TLP = ksp.Distribution(intern(dist)), ksp.TLP(intern(tlp))
		s.ContentType, s.Basis, s.Severity, s.PolicyVersion = intern(ctype), intern(basis), intern(sev), intern(policy)
		if quality.Valid {
			q := int(quality.Int64)
			s.Quality = &q
		}
		s.Created, s.Updated, s.Retracted = fromMicros(created), fromMicros(updated), ptrTime(retracted)
		if s.Distribution == ksp.DistAudience {
			s.Audience = f.audiences[s.ID]
		}
		cur.Submissions = append(cur.Submissions, &s)
		return nil
	})
	if err != nil {
		return err
	}
	return send()
}

// each runs a query and calls fn for every row.
func (db *DB) each(ctx context.Context, q string, args []any, fn func(*sql.Rows) error) error {
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return err
	}
	return eachRow(rows, fn)
}

// eachRow calls fn for every row of rows and closes them.
func eachRow(rows *sql.Rows, fn func(*sql.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}
