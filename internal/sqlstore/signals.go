package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kspplatform/ksp"
)

// ChangeRetention is how long the changes feed keeps tombstones; a cursor
// older than what was pruned must resync.
const ChangeRetention = 90 * 24 * time.Hour

// DefaultBatchSize is how many bulk records go in one transaction. Larger
// transactions write each hot index page to the log once per batch instead
// of many times: 1M rows into SQLite took 66 s in batches of 1,000 and 51 s
// in batches of 10,000 here, while a batch still holds the write lock for
// well under a second.
const DefaultBatchSize = 10000

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// digestOf fingerprints a normalised submission, so that the same org
// sending the same record again is recognised as unchanged.
func digestOf(in *ksp.SubmissionInput) string {
	b, _ := json.Marshal(in)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// loadStates loads the full states of the given signals.
func (db *DB) loadStates(ctx context.Context, q querier, ids []string) (map[string]*ksp.SignalState, error) {
	out := make(map[string]*ksp.SignalState, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		ph := placeholders(len(chunk))
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		if err := db.loadStatesWhere(ctx, q, "sig.id IN ("+ph+")", "s.signal_id IN ("+ph+")", "f.signal_id IN ("+ph+")", args, out, true); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// loadStatesWhere fills out with the signals matching sigWhere, their
// submissions (subWhere) and feedback (fbWhere), all taking args.
func (db *DB) loadStatesWhere(ctx context.Context, q querier, sigWhere, subWhere, fbWhere string, args []any, out map[string]*ksp.SignalState, full bool) error {
	rows, err := q.QueryContext(ctx, db.rebind(`SELECT sig.id, sig.type, sig.value, sig.created_at, sig.resolution, sig.resolution_reason, sig.resolved_at, sig.resolution_subjects
		FROM signals sig WHERE `+sigWhere), args...)
	if err != nil {
		return fmt.Errorf("load signals: %w", err)
	}
	for rows.Next() {
		var st ksp.SignalState
		var created int64
		var resolved sql.NullInt64
		var subjects []byte
		if err := rows.Scan(&st.ID, &st.Type, &st.Value, &created, &st.Resolution, &st.ResolutionReason, &resolved, &subjects); err != nil {
			rows.Close()
			return fmt.Errorf("load signals: %w", err)
		}
		st.Created = fromMicros(created)
		st.ResolvedAt = ptrTime(resolved)
		if st.ResolutionSubjects, err = parseList(subjects); err != nil {
			rows.Close()
			return fmt.Errorf("signal %s resolution subjects: %w", st.ID, err)
		}
		out[st.ID] = &st
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load signals: %w", err)
	}
	if err := db.loadNegatives(ctx, q, sigWhere, args, out); err != nil {
		return err
	}
	cols := `s.id, s.signal_id, s.org_id, o.name, o.kind, o.named, s.distribution, s.tlp, s.quality, s.content_type, s.labels, s.basis, s.entity_id, s.incident_id, s.severity, s.flags, s.created_at, s.updated_at, s.retracted_at`
	if full {
		cols += `, s.basis_reason, s.policy_version`
	}
	rows, err = q.QueryContext(ctx, db.rebind(`SELECT `+cols+` FROM submissions s JOIN orgs o ON o.id = s.org_id WHERE `+subWhere+` ORDER BY s.signal_id, s.created_at`), args...)
	if err != nil {
		return fmt.Errorf("load submissions: %w", err)
	}
	var audIDs []string
	byID := map[string]*ksp.Submission{}
	for rows.Next() {
		var s ksp.Submission
		var quality sql.NullInt64
		var labels, flags string
		var created, updated int64
		var retracted sql.NullInt64
		dest := []any{&s.ID, &s.SignalID, &s.OrgID, &s.OrgName, &s.OrgKind, &s.OrgNamed, &s.Distribution, &s.TLP, &quality, &s.ContentType, &labels, &s.Basis, &s.EntityID, &s.IncidentID, &s.Severity, &flags, &created, &updated, &retracted}
		if full {
			dest = append(dest, &s.BasisReason, &s.PolicyVersion)
		}
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return fmt.Errorf("load submissions: %w", err)
		}
		if quality.Valid {
			q := int(quality.Int64)
			s.Quality = &q
		}
		if err := json.Unmarshal([]byte(labels), &s.Labels); err != nil {
			rows.Close()
			return fmt.Errorf("submission %s labels: %w", s.ID, err)
		}
		if err := json.Unmarshal([]byte(flags), &s.Flags); err != nil {
			rows.Close()
			return fmt.Errorf("submission %s flags: %w", s.ID, err)
		}
		s.Created, s.Updated, s.Retracted = fromMicros(created), fromMicros(updated), ptrTime(retracted)
		if st := out[s.SignalID]; st != nil {
			st.Submissions = append(st.Submissions, &s)
		}
		if s.Distribution == ksp.DistAudience {
			audIDs = append(audIDs, s.ID)
			byID[s.ID] = &s
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load submissions: %w", err)
	}
	for start := 0; start < len(audIDs); start += 500 {
		chunk := audIDs[start:min(start+500, len(audIDs))]
		ph := placeholders(len(chunk))
		a := make([]any, len(chunk))
		for i, id := range chunk {
			a[i] = id
		}
		ar, err := q.QueryContext(ctx, db.rebind(`SELECT item_id, org_id FROM audiences WHERE item_id IN (`+ph+`) ORDER BY org_id`), a...)
		if err != nil {
			return fmt.Errorf("load audiences: %w", err)
		}
		for ar.Next() {
			var item, org string
			if err := ar.Scan(&item, &org); err != nil {
				ar.Close()
				return fmt.Errorf("load audiences: %w", err)
			}
			byID[item].Audience = append(byID[item].Audience, org)
		}
		ar.Close()
	}
	rows, err = q.QueryContext(ctx, db.rebind(`SELECT f.signal_id, f.org_id, o.kind, f.verdict, f.comment, f.updated_at, f.subjects FROM feedback f JOIN orgs o ON o.id = f.org_id WHERE `+fbWhere), args...)
	if err != nil {
		return fmt.Errorf("load feedback: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sid string
		var fb ksp.FeedbackEntry
		var updated int64
		var subjects []byte
		if err := rows.Scan(&sid, &fb.OrgID, &fb.OrgKind, &fb.Verdict, &fb.Comment, &updated, &subjects); err != nil {
			return fmt.Errorf("load feedback: %w", err)
		}
		fb.Updated = fromMicros(updated)
		if fb.Subjects, err = parseList(subjects); err != nil {
			return fmt.Errorf("feedback on %s subjects: %w", sid, err)
		}
		if st := out[sid]; st != nil {
			st.Feedback = append(st.Feedback, &fb)
		}
	}
	return rows.Err()
}

// loadNegatives adds the negative-bank entries for the values of the
// signals matching sigWhere.
func (db *DB) loadNegatives(ctx context.Context, q querier, sigWhere string, args []any, out map[string]*ksp.SignalState) error {
	rows, err := q.QueryContext(ctx, db.rebind(`SELECT sig.id, n.org_id, n.scope, n.approved_at FROM negative_entries n
		JOIN signals sig ON sig.type = n.type AND sig.value = n.value WHERE `+sigWhere), args...)
	if err != nil {
		return fmt.Errorf("load negative entries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sid, org, scope string
		var approved sql.NullInt64
		if err := rows.Scan(&sid, &org, &scope, &approved); err != nil {
			return fmt.Errorf("load negative entries: %w", err)
		}
		if st := out[sid]; st != nil {
			st.Negatives = append(st.Negatives, ksp.NegativeRefOf(org, scope, approved.Valid))
		}
	}
	return rows.Err()
}

func (db *DB) loadState(ctx context.Context, q querier, id string) (*ksp.SignalState, error) {
	if !ksp.ValidID(id) {
		return nil, ksp.NotFound("signal")
	}
	m, err := db.loadStates(ctx, q, []string{id})
	if err != nil {
		return nil, err
	}
	if m[id] == nil {
		return nil, ksp.NotFound("signal")
	}
	return m[id], nil
}

// refresh records a change to a signal: its coarse status column, and a
// new change sequence on the submissions of the given orgs, so that the
// feed tells exactly the viewers who see one of them (the subjects of a
// verdict or a resolution), and nobody else.
func (tx *Tx) refresh(st *ksp.SignalState, orgs []string) error {
	status := "mixed"
	if st.Plain() {
		status = ksp.StatusActive
	}
	if _, err := tx.exec(`UPDATE signals SET status = ? WHERE id = ? AND status <> ?`, status, st.ID, status); err != nil {
		return fmt.Errorf("refresh signal status: %w", err)
	}
	if len(orgs) == 0 {
		return nil
	}
	seq, err := tx.nextSeq("changes")
	if err != nil {
		return err
	}
	for _, o := range orgs {
		if _, err := tx.exec(`UPDATE submissions SET change_seq = ? WHERE signal_id = ? AND org_id = ?`, seq, st.ID, o); err != nil {
			return fmt.Errorf("refresh signal: %w", err)
		}
	}
	return nil
}

// allOrgs returns the orgs of every submission of a signal.
func allOrgs(st *ksp.SignalState) []string {
	out := make([]string, 0, len(st.Submissions))
	for _, s := range st.Submissions {
		out = append(out, s.OrgID)
	}
	return out
}

// tombstone records that the sharing s no longer reaches a signal.
func (tx *Tx) tombstone(signalID string, s ksp.Sharing, reason string) error {
	seq, err := tx.nextSeq("changes")
	if err != nil {
		return err
	}
	id := ksp.NewID()
	if _, err := tx.exec(`INSERT INTO signal_tombstones (seq, id, signal_id, owner_org_id, distribution, tlp, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		seq, id, signalID, s.OwnerOrgID, string(s.Distribution), string(s.TLP), reason, micros(tx.now)); err != nil {
		return fmt.Errorf("tombstone: %w", err)
	}
	if s.Distribution == ksp.DistAudience {
		return tx.setAudience(id, s.Audience)
	}
	return nil
}

// submitter checks the actor may submit and returns it.
func submitter(ctx context.Context) (*ksp.Actor, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	if !a.HasRole(ksp.RoleAnalyst) {
		return nil, ksp.Errorf(ksp.EFORBIDDEN, "submitting needs the analyst role")
	}
	if a.Suspended {
		return nil, ksp.Errorf(ksp.EFORBIDDEN, "your organisation is suspended")
	}
	return a, nil
}

// checkAudience verifies that audience orgs exist.
func (tx *Tx) checkAudience(orgs []string) error {
	for _, o := range orgs {
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM orgs WHERE id = ?`, o).Scan(&n); err != nil {
			return fmt.Errorf("check audience: %w", err)
		}
		if n == 0 {
			return &ksp.Error{Code: ksp.EINVALID, Message: "audience names an unknown organisation", Fields: []ksp.FieldError{{Field: "audience", Reason: "unknown organisation " + o}}}
		}
	}
	return nil
}

// FindSignalByID returns a signal as the actor sees it, with its visible
// submissions. A staff read of a restricted signal is audited.
func (db *DB) FindSignalByID(ctx context.Context, id string) (*ksp.Signal, error) {
	a := ksp.ActorFrom(ctx)
	st, err := db.loadState(ctx, db.sql, id)
	if err != nil {
		return nil, err
	}
	sig := st.View(a.Viewer(), true)
	if sig == nil {
		return nil, ksp.NotFound("signal")
	}
	if a != nil && a.Staff {
		if s := st.RestrictedFor(a.OrgID); s != nil {
			if err := db.write(ctx, func(tx *Tx) error { return tx.audit("signal.staff_read", "signal:"+id, s.OrgID, nil) }); err != nil {
				return nil, err
			}
		}
	}
	return sig, nil
}

// visibleState loads a signal and checks the actor may see it.
func (db *DB) visibleState(ctx context.Context, q querier, a *ksp.Actor, id string) (*ksp.SignalState, error) {
	st, err := db.loadState(ctx, q, id)
	if err != nil {
		return nil, err
	}
	if st.View(a.Viewer(), false) == nil {
		return nil, ksp.NotFound("signal")
	}
	return st, nil
}

// SignalStates loads full states for the matcher and exports: the given
// ids, or with ids nil every signal, streamed in id order in one pass.
func (db *DB) SignalStates(ctx context.Context, ids []string, fn func(*ksp.SignalState) error) error {
	if ids != nil {
		m, err := db.loadStates(ctx, db.sql, ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if st := m[id]; st != nil {
				if err := fn(st); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return db.streamStates(ctx, fn)
}

// CountSignals returns how many signals are stored (to size the matcher).
func (db *DB) CountSignals(ctx context.Context) (int, error) {
	var n int
	if err := db.queryRow(ctx, `SELECT COUNT(*) FROM signals`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count signals: %w", err)
	}
	return n, nil
}

// RecordMatches adds to an org's daily match counts (aggregates only) and
// drops counts older than 13 months.
func (db *DB) RecordMatches(ctx context.Context, orgID, day string, queries, matches int) error {
	if _, err := db.exec(ctx, `INSERT INTO match_counts (org_id, day, queries, matches) VALUES (?, ?, ?, ?)
		ON CONFLICT (org_id, day) DO UPDATE SET queries = match_counts.queries + excluded.queries, matches = match_counts.matches + excluded.matches`,
		orgID, day, queries, matches); err != nil {
		return fmt.Errorf("record matches: %w", err)
	}
	cutoff := time.Now().UTC().AddDate(0, -13, 0).Format("2006-01-02")
	if _, err := db.exec(ctx, `DELETE FROM match_counts WHERE day < ?`, cutoff); err != nil {
		return fmt.Errorf("record matches: %w", err)
	}
	return nil
}
