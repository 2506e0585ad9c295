package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
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
		ph := strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ",")
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
	rows, err := q.QueryContext(ctx, db.rebind(`SELECT sig.id, sig.type, sig.value, sig.created_at, sig.resolution, sig.resolution_reason, sig.resolved_at, sig.resolved_labels,
		EXISTS (SELECT 1 FROM negative_bank n WHERE n.type = sig.type AND n.value = sig.value)
		FROM signals sig WHERE `+sigWhere), args...)
	if err != nil {
		return fmt.Errorf("load signals: %w", err)
	}
	for rows.Next() {
		var st ksp.SignalState
		var created int64
		var resolved sql.NullInt64
		var labels string
		if err := rows.Scan(&st.ID, &st.Type, &st.Value, &created, &st.Resolution, &st.ResolutionReason, &resolved, &labels, &st.Negative); err != nil {
			rows.Close()
			return fmt.Errorf("load signals: %w", err)
		}
		st.Created = fromMicros(created)
		st.ResolvedAt = ptrTime(resolved)
		if labels != "[]" {
			json.Unmarshal([]byte(labels), &st.ResolvedLabels)
		}
		out[st.ID] = &st
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load signals: %w", err)
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
		ph := strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ",")
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
	rows, err = q.QueryContext(ctx, db.rebind(`SELECT f.signal_id, f.org_id, o.kind, f.verdict, f.comment, f.updated_at FROM feedback f JOIN orgs o ON o.id = f.org_id WHERE `+fbWhere), args...)
	if err != nil {
		return fmt.Errorf("load feedback: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sid string
		var fb ksp.FeedbackEntry
		var updated int64
		if err := rows.Scan(&sid, &fb.OrgID, &fb.OrgKind, &fb.Verdict, &fb.Comment, &updated); err != nil {
			return fmt.Errorf("load feedback: %w", err)
		}
		fb.Updated = fromMicros(updated)
		if st := out[sid]; st != nil {
			st.Feedback = append(st.Feedback, &fb)
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

// refresh recomputes a signal's stored status after a change. When its
// status or actionability moved, every submission gets a new change
// sequence so that the feed tells each viewer.
func (tx *Tx) refresh(st *ksp.SignalState, before string) error {
	status := st.GlobalStatus()
	ok, _ := st.Actionability()
	after := status + fmt.Sprint(ok)
	if _, err := tx.exec(`UPDATE signals SET status = ? WHERE id = ?`, status, st.ID); err != nil {
		return fmt.Errorf("refresh signal status: %w", err)
	}
	if after == before {
		return nil
	}
	seq, err := tx.nextSeq("changes")
	if err != nil {
		return err
	}
	if _, err := tx.exec(`UPDATE submissions SET change_seq = ? WHERE signal_id = ?`, seq, st.ID); err != nil {
		return fmt.Errorf("refresh signal: %w", err)
	}
	return nil
}

func stateKey(st *ksp.SignalState) string {
	ok, _ := st.Actionability()
	return st.GlobalStatus() + fmt.Sprint(ok)
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

// submitOne stores one normalised submission inside tx. seq is the change
// sequence to use (0: take one). It reports created (a new signal for this
// viewer), unchanged, and the signal id.
func (tx *Tx) submitOne(a *ksp.Actor, in *ksp.SubmissionInput, seq int64) (created, unchanged bool, signalID string, newSignal bool, err error) {
	digest := digestOf(in)
	err = tx.queryRow(`SELECT id FROM signals WHERE type = ? AND value = ?`, in.Type, in.Value).Scan(&signalID)
	switch {
	case isNoRows(err):
		signalID = ksp.NewID()
		if _, err = tx.exec(`INSERT INTO signals (id, type, value, created_at) VALUES (?, ?, ?, ?)`, signalID, in.Type, in.Value, micros(tx.now)); err != nil {
			return false, false, "", false, fmt.Errorf("insert signal: %w", err)
		}
		created, newSignal = true, true
	case err != nil:
		return false, false, "", false, fmt.Errorf("find signal: %w", err)
	}
	var before *ksp.SignalState
	if !newSignal {
		before, err = tx.db.loadState(tx.ctx, tx, signalID)
		if err != nil {
			return false, false, "", false, err
		}
		created = before.View(a.Viewer(), false) == nil
	}
	var old *ksp.Submission
	if before != nil {
		for _, s := range before.Submissions {
			if s.OrgID == a.OrgID {
				old = s
			}
		}
	}
	if old != nil {
		var oldDigest string
		if err := tx.queryRow(`SELECT digest FROM submissions WHERE id = ?`, old.ID).Scan(&oldDigest); err != nil {
			return false, false, "", false, fmt.Errorf("find submission: %w", err)
		}
		if oldDigest == digest && old.Retracted == nil {
			return false, true, signalID, false, nil
		}
	}
	if seq == 0 {
		if seq, err = tx.nextSeq("changes"); err != nil {
			return false, false, "", false, err
		}
	}
	var quality any
	if in.Quality != nil {
		quality = *in.Quality
	}
	subID := ksp.NewID()
	if old == nil {
		_, err = tx.exec(`INSERT INTO submissions (id, signal_id, org_id, owner_org_id, distribution, tlp, quality, content_type, labels, label_bits, basis, entity_id, incident_id, basis_reason, severity, flags, policy_version, digest, created_at, updated_at, change_seq)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			subID, signalID, a.OrgID, a.OrgID, string(in.Distribution), string(in.TLP), quality, in.ContentType, mustJSON(in.Labels), int(ksp.LabelMask(in.Labels)), in.Basis, in.EntityID, in.IncidentID, in.BasisReason, in.Severity, mustJSON(in.Flags), in.PolicyVersion, digest, micros(tx.now), micros(tx.now), seq)
	} else {
		subID = old.ID
		// The old sharing loses the signal if the new one is narrower: a
		// tombstone tells exactly the old audience; those who still see
		// it receive the upsert after it.
		if old.Distribution != in.Distribution || old.TLP != in.TLP || !slices.Equal(old.Audience, in.Audience) {
			if err := tx.tombstone(signalID, old.Sharing(), "narrowed"); err != nil {
				return false, false, "", false, err
			}
		}
		_, err = tx.exec(`UPDATE submissions SET distribution = ?, tlp = ?, quality = ?, content_type = ?, labels = ?, label_bits = ?, basis = ?, entity_id = ?, incident_id = ?, basis_reason = ?, severity = ?, flags = ?, policy_version = ?, digest = ?, updated_at = ?, retracted_at = NULL, change_seq = ? WHERE id = ?`,
			string(in.Distribution), string(in.TLP), quality, in.ContentType, mustJSON(in.Labels), int(ksp.LabelMask(in.Labels)), in.Basis, in.EntityID, in.IncidentID, in.BasisReason, in.Severity, mustJSON(in.Flags), in.PolicyVersion, digest, micros(tx.now), seq, subID)
	}
	if err != nil {
		return false, false, "", false, fmt.Errorf("store submission: %w", err)
	}
	if in.Distribution == ksp.DistAudience || (old != nil && old.Distribution == ksp.DistAudience) {
		if err := tx.setAudience(subID, in.Audience); err != nil {
			return false, false, "", false, err
		}
	}
	if before != nil {
		after, err := tx.db.loadState(tx.ctx, tx, signalID)
		if err != nil {
			return false, false, "", false, err
		}
		if err := tx.refresh(after, stateKey(before)); err != nil {
			return false, false, "", false, err
		}
	}
	return created, false, signalID, newSignal, nil
}

// recipientView is the viewer whose view of an object goes into an event:
// a recipient that is not the owner (so owner-only details stay out), or the
// owner when only the owner may see it.
func recipientView(s ksp.Sharing) ksp.Viewer {
	switch s.Distribution {
	case ksp.DistOwner:
		return ksp.Viewer{OrgID: s.OwnerOrgID}
	case ksp.DistAudience:
		return ksp.Viewer{OrgID: s.Audience[0]}
	}
	return ksp.Viewer{OrgID: "00000000-0000-7000-8000-000000000000"}
}

// Submit records the actor's org's submission.
func (db *DB) Submit(ctx context.Context, in ksp.SubmissionInput) (*ksp.SubmitResult, error) {
	a, err := submitter(ctx)
	if err != nil {
		return nil, err
	}
	var f ksp.Fields
	in.Normalize(&f)
	if err := f.Err(); err != nil {
		return nil, err
	}
	res := &ksp.SubmitResult{}
	var signalID string
	err = db.write(ctx, func(tx *Tx) error {
		if err := tx.checkAudience(in.Audience); err != nil {
			return err
		}
		created, unchanged, id, newSignal, err := tx.submitOne(a, &in, 0)
		if err != nil {
			return err
		}
		signalID, res.Created, res.Unchanged = id, created, unchanged
		if unchanged {
			return nil
		}
		if err := tx.audit("signal.submit", "signal:"+id, a.OrgID, nil); err != nil {
			return err
		}
		if newSignal {
			st, err := db.loadState(ctx, tx, id)
			if err != nil {
				return err
			}
			sh := st.Submissions[0].Sharing()
			if _, err := tx.appendEvent(ksp.EventSignalCreated, id, sh, st.View(recipientView(sh), false)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Signal, err = db.FindSignalByID(ctx, signalID)
	return res, err
}

// BulkRow is a record of SubmitBatch's fast path: a value no signal has
// yet, appearing once in its batch, so that storing it is two plain inserts
// (the signal, the org's first submission) and its audience rows. IDs,
// digest and change sequence are already assigned.
type BulkRow struct {
	SignalID, SubmissionID string
	// Digest is the submission's digest column (unchanged detection).
	Digest string
	// ChangeSeq is the submission's position in the "changes" sequence,
	// reserved by the batch.
	ChangeSeq int64
	In        *ksp.SubmissionInput
}

// BulkWriter stores the fast-path rows of one batch inside its write
// transaction tx, for org orgID at time now (Unix microseconds). conn is
// the connection tx runs on, so that a writer can reach the driver (COPY).
type BulkWriter func(ctx context.Context, conn *sql.Conn, tx *sql.Tx, orgID string, now int64, rows []BulkRow) error

// SubmitBatch stores bulk records in transactions of DefaultBatchSize records:
// each good record is kept, each bad one reported by line and field. One
// audit event per batch carries source (e.g. the file's SHA-256).
func (db *DB) SubmitBatch(ctx context.Context, next func() (int, *ksp.SubmissionInput, error), source string) (*ksp.BatchResult, error) {
	return db.SubmitBatchWith(ctx, next, source, nil)
}

// SubmitBatchWith is SubmitBatch with the adapter's writer for the fast
// path (nil: multi-row INSERTs, which every dialect accepts).
//
// Each batch is one write transaction. It reserves one change sequence per
// record, then classifies the batch with one query per value type: a value
// that is new and appears once in the batch goes to w (created); a value
// whose existing submission by the org has the same digest and is not
// retracted is unchanged; everything else (values repeated within the
// batch, existing signals the org adds to or changes) goes through the
// same per-record path as Submit, in line order, so merges, narrowing
// tombstones, status refreshes and created-vs-merged visibility are decided
// in one place. The two groups never share a value, so doing the fast
// group first changes no outcome.
func (db *DB) SubmitBatchWith(ctx context.Context, next func() (int, *ksp.SubmissionInput, error), source string, w BulkWriter) (*ksp.BatchResult, error) {
	a, err := submitter(ctx)
	if err != nil {
		return nil, err
	}
	if w == nil {
		w = db.insertNew
	}
	res := &ksp.BatchResult{Rejected: []ksp.FieldError{}}
	batchSize := db.batchSize
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}
	batch := make([]batchRec, 0, batchSize)
	batchNo := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		batchNo++
		var created, merged, unchanged int
		var rejected []ksp.FieldError
		err := db.writeOn(ctx, true, func(conn *sql.Conn, tx *Tx) error {
			created, merged, unchanged, rejected = 0, 0, 0, nil
			var first int64
			if err := tx.queryRow(`UPDATE counters SET value = value + ? WHERE name = 'changes' RETURNING value`, len(batch)).Scan(&first); err != nil {
				return fmt.Errorf("reserve change sequence: %w", err)
			}
			first -= int64(len(batch))
			fast, slow, unch, rej, err := tx.classify(a.OrgID, batch, first)
			if err != nil {
				return err
			}
			unchanged, rejected = unch, rej
			if len(fast) > 0 {
				if err := w(ctx, conn, tx.Tx, a.OrgID, micros(tx.now), fast); err != nil {
					return fmt.Errorf("store new signals: %w", err)
				}
				created += len(fast)
			}
			for _, i := range slow {
				r := batch[i]
				if err := tx.checkAudience(r.in.Audience); err != nil {
					var ke *ksp.Error
					if !errors.As(err, &ke) {
						return err
					}
					rejected = append(rejected, ksp.FieldError{Line: r.line, Field: "audience", Reason: ke.Fields[0].Reason})
					continue
				}
				c, u, _, _, err := tx.submitOne(a, r.in, first+int64(i)+1)
				switch {
				case err != nil:
					return fmt.Errorf("line %d: %w", r.line, err)
				case u:
					unchanged++
				case c:
					created++
				default:
					merged++
				}
			}
			if created+merged == 0 {
				return nil
			}
			return tx.audit("signal.batch", fmt.Sprintf("batch:%d", batchNo), a.OrgID, map[string]any{"source": source, "created": created, "merged": merged, "unchanged": unchanged, "first_line": batch[0].line, "last_line": batch[len(batch)-1].line})
		})
		if err != nil {
			return err
		}
		res.Created += created
		res.Merged += merged
		res.Unchanged += unchanged
		res.Rejected = append(res.Rejected, rejected...)
		batch = batch[:0]
		return nil
	}
	for {
		line, in, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var ke *ksp.Error
			if errors.As(err, &ke) && ke.Code == ksp.EINVALID {
				for _, fe := range ke.Fields {
					fe.Line = line
					res.Rejected = append(res.Rejected, fe)
				}
				continue
			}
			return res, err
		}
		var f ksp.Fields
		in.Normalize(&f)
		if len(f) > 0 {
			for _, fe := range f {
				fe.Line = line
				res.Rejected = append(res.Rejected, fe)
			}
			continue
		}
		batch = append(batch, batchRec{line, in})
		if len(batch) == batchSize {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	err = flush()
	// Records rejected while reading and while storing, in line order.
	slices.SortStableFunc(res.Rejected, func(x, y ksp.FieldError) int { return x.Line - y.Line })
	return res, err
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
		for _, s := range st.Submissions {
			if ksp.Restricted(s.Sharing()) && s.OrgID != a.OrgID {
				err := db.write(ctx, func(tx *Tx) error { return tx.audit("signal.staff_read", "signal:"+id, s.OrgID, nil) })
				if err != nil {
					return nil, err
				}
				break
			}
		}
	}
	return sig, nil
}

// FindSignals lists signals the actor may see, newest first. The sharing
// rule and the filters run in SQL before the page is cut.
func (db *DB) FindSignals(ctx context.Context, f ksp.SignalFilter) ([]*ksp.Signal, string, error) {
	v := ksp.ActorFrom(ctx).Viewer()
	// Conditions on one submission (the viewer may see it, and it has the
	// label, entity, recency asked for), then on the signal.
	vis, args := Visible(v, "s", "id")
	subConds := []string{vis}
	if f.Label != nil {
		if !slices.Contains(ksp.Labels, *f.Label) {
			var fe ksp.Fields
			fe.Add("label", "must be one of "+strings.Join(ksp.Labels, ", "))
			return nil, "", fe.Err()
		}
		// A literal: it must read as the condition of the label's partial
		// index (migration 006) for the planner to use it.
		bit := ksp.LabelMask([]string{*f.Label})
		subConds = append(subConds, fmt.Sprintf("(s.label_bits & %d) = %[1]d", bit), "s.retracted_at IS NULL")
	}
	if f.EntityID != nil {
		subConds = append(subConds, "s.entity_id = ?")
		args = append(args, *f.EntityID)
	}
	if f.Since != nil {
		subConds = append(subConds, "s.updated_at >= ?")
		args = append(args, micros(*f.Since))
	}
	var sigConds []string
	var sigArgs []any
	if f.Type != nil {
		sigConds = append(sigConds, "sig.type = ?")
		sigArgs = append(sigArgs, *f.Type)
	}
	if f.Status != nil {
		sigConds = append(sigConds, "sig.status = ?")
		sigArgs = append(sigArgs, *f.Status)
		if *f.Status != ksp.StatusActive { // the partial index's condition (migration 005)
			sigConds = append(sigConds, "sig.status <> 'active'")
		}
	}
	// The selective filters start from their partial indexes instead of
	// scanning every signal newest first: a label from its index of
	// active submissions in signal order, an entity from its index.
	var q string
	if f.Label != nil {
		pw, pargs, limit, err := pageQuery(f.Page, "s.signal_id")
		if err != nil {
			return nil, "", err
		}
		// Submissions alone in FROM, so that the label's index, in
		// signal order, is the one way to read them in the order asked.
		conds := append(subConds, pw)
		if len(sigConds) > 0 {
			conds = append(conds, "EXISTS (SELECT 1 FROM signals sig WHERE sig.id = s.signal_id AND "+strings.Join(sigConds, " AND ")+")")
		}
		args = append(append(args, pargs...), sigArgs...)
		q = `SELECT DISTINCT s.signal_id FROM submissions s WHERE ` + strings.Join(conds, " AND ") + ` ORDER BY s.signal_id DESC LIMIT ` + fmt.Sprint(limit)
	} else {
		where := []string{"EXISTS (SELECT 1 FROM submissions s WHERE s.signal_id = sig.id AND " + strings.Join(subConds, " AND ") + ")"}
		if f.EntityID != nil && *f.EntityID != "" {
			where = append(where, "sig.id IN (SELECT signal_id FROM submissions WHERE entity_id = ? AND entity_id <> '')")
			args = append(args, *f.EntityID)
		}
		pw, pargs, limit, err := pageQuery(f.Page, "sig.id")
		if err != nil {
			return nil, "", err
		}
		args = append(append(args, sigArgs...), pargs...)
		q = `SELECT sig.id FROM signals sig WHERE ` + strings.Join(append(append(where, sigConds...), pw), " AND ") + ` ORDER BY sig.id DESC LIMIT ` + fmt.Sprint(limit)
	}
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("find signals: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, "", fmt.Errorf("find signals: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find signals: %w", err)
	}
	ids, next := cut(ids, f.Page, func(id string) string { return id })
	states, err := db.loadStates(ctx, db.sql, ids)
	if err != nil {
		return nil, "", err
	}
	out := make([]*ksp.Signal, 0, len(ids))
	for _, id := range ids {
		if sig := states[id].View(v, false); sig != nil {
			out = append(out, sig)
		}
	}
	return out, next, nil
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

// GiveFeedback records the actor's org's current verdict on a signal.
func (db *DB) GiveFeedback(ctx context.Context, signalID string, in ksp.FeedbackInput) (*ksp.Signal, error) {
	a, err := submitter(ctx)
	if err != nil {
		return nil, err
	}
	var f ksp.Fields
	if !slices.Contains(ksp.Verdicts, in.Verdict) {
		f.Add("verdict", "must be one of "+strings.Join(ksp.Verdicts, ", "))
	}
	if len(in.Comment) > 5000 {
		f.Add("comment", "longer than 5000 characters")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	err = db.write(ctx, func(tx *Tx) error {
		if _, err := db.visibleState(ctx, tx, a, signalID); err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO feedback (signal_id, org_id, verdict, comment, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (signal_id, org_id) DO UPDATE SET verdict = excluded.verdict, comment = excluded.comment, updated_at = excluded.updated_at`,
			signalID, a.OrgID, in.Verdict, in.Comment, micros(tx.now), micros(tx.now)); err != nil {
			return fmt.Errorf("feedback: %w", err)
		}
		if _, err := tx.exec(`INSERT INTO feedback_log (id, signal_id, org_id, kind, value, comment, created_at) VALUES (?, ?, ?, 'verdict', ?, ?, ?)`,
			ksp.NewID(), signalID, a.OrgID, in.Verdict, in.Comment, micros(tx.now)); err != nil {
			return fmt.Errorf("feedback log: %w", err)
		}
		after, err := db.loadState(ctx, tx, signalID)
		if err != nil {
			return err
		}
		// Feedback moves counts and confidence even when the status stays:
		// followers and matchers must see it, so always take a new change.
		if err := tx.refresh(after, ""); err != nil {
			return err
		}
		return tx.audit("signal.feedback", "signal:"+signalID, a.OrgID, map[string]any{"verdict": in.Verdict, "comment": in.Comment})
	})
	if err != nil {
		return nil, err
	}
	return db.FindSignalByID(ctx, signalID)
}

// Retract withdraws the actor's org's own submission.
func (db *DB) Retract(ctx context.Context, signalID string) (*ksp.Signal, error) {
	a, err := submitter(ctx)
	if err != nil {
		return nil, err
	}
	err = db.write(ctx, func(tx *Tx) error {
		st, err := db.visibleState(ctx, tx, a, signalID)
		if err != nil {
			return err
		}
		var own *ksp.Submission
		for _, s := range st.Submissions {
			if s.OrgID == a.OrgID {
				own = s
			}
		}
		if own == nil {
			return &ksp.Error{Code: ksp.EINVALID, Message: "your organisation has no submission of this signal to retract", Fields: []ksp.FieldError{{Field: "id", Reason: "no submission of yours"}}}
		}
		if own.Retracted != nil {
			return ksp.Errorf(ksp.ECONFLICT, "already retracted")
		}
		before := stateKey(st)
		seq, err := tx.nextSeq("changes")
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE submissions SET retracted_at = ?, updated_at = ?, change_seq = ? WHERE id = ?`, micros(tx.now), micros(tx.now), seq, own.ID); err != nil {
			return fmt.Errorf("retract: %w", err)
		}
		if err := tx.tombstone(signalID, own.Sharing(), "retracted"); err != nil {
			return err
		}
		after, err := db.loadState(ctx, tx, signalID)
		if err != nil {
			return err
		}
		if err := tx.refresh(after, before); err != nil {
			return err
		}
		if _, err := tx.appendEvent(ksp.EventSignalRetracted, signalID, own.Sharing(), map[string]any{"id": signalID, "type": st.Type}); err != nil {
			return err
		}
		return tx.audit("signal.retract", "signal:"+signalID, a.OrgID, nil)
	})
	if err != nil {
		return nil, err
	}
	return db.FindSignalByID(ctx, signalID)
}

// Resolve settles a dispute (staff): upheld, relabelled (with labels) or
// removed (the signal is retracted for everyone).
func (db *DB) Resolve(ctx context.Context, signalID string, in ksp.ResolveInput) (*ksp.Signal, error) {
	a, err := requireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var f ksp.Fields
	if !slices.Contains(ksp.Resolutions, in.Resolution) {
		f.Add("resolution", "must be upheld, relabelled or removed")
	}
	if strings.TrimSpace(in.Reason) == "" {
		f.Add("reason", "give the reasons for the resolution")
	}
	if in.Resolution == "relabelled" {
		if len(in.Labels) == 0 {
			f.Add("labels", "relabelling needs the new labels")
		}
		for _, l := range in.Labels {
			if !slices.Contains(ksp.Labels, l) {
				f.Add("labels", "unknown label "+l)
				break
			}
		}
	} else if len(in.Labels) > 0 {
		f.Add("labels", "only with resolution relabelled")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	err = db.write(ctx, func(tx *Tx) error {
		st, err := db.loadState(ctx, tx, signalID)
		if err != nil {
			return err
		}
		before := stateKey(st)
		labels := slices.Clone(in.Labels)
		slices.Sort(labels)
		if _, err := tx.exec(`UPDATE signals SET resolution = ?, resolution_reason = ?, resolved_at = ?, resolved_labels = ? WHERE id = ?`,
			in.Resolution, in.Reason, micros(tx.now), jsonList(labels), signalID); err != nil {
			return fmt.Errorf("resolve: %w", err)
		}
		if _, err := tx.exec(`INSERT INTO feedback_log (id, signal_id, org_id, kind, value, comment, created_at) VALUES (?, ?, ?, 'resolution', ?, ?, ?)`,
			ksp.NewID(), signalID, a.OrgID, in.Resolution, in.Reason, micros(tx.now)); err != nil {
			return fmt.Errorf("resolve log: %w", err)
		}
		if in.Resolution == "removed" {
			for _, s := range st.Submissions {
				if err := tx.tombstone(signalID, s.Sharing(), "removed"); err != nil {
					return err
				}
			}
		}
		after, err := db.loadState(ctx, tx, signalID)
		if err != nil {
			return err
		}
		// Relabelling changes what viewers see even when status stays.
		if in.Resolution == "relabelled" {
			before = ""
		}
		if err := tx.refresh(after, before); err != nil {
			return err
		}
		return tx.audit("signal.resolve", "signal:"+signalID, ksp.StaffOrgID, map[string]any{"resolution": in.Resolution, "reason": in.Reason})
	})
	if err != nil {
		return nil, err
	}
	return db.FindSignalByID(ctx, signalID)
}

// Changes returns feed entries after seq as the actor sees them now: an
// upsert when the signal is visible, active and actionable for it, else a
// tombstone with the reason. Only entries whose sharing reaches the actor
// are returned, so the feed never reveals a hidden signal.
func (db *DB) Changes(ctx context.Context, after int64, limit int) ([]*ksp.Change, int64, error) {
	v := ksp.ActorFrom(ctx).Viewer()
	if limit <= 0 || limit > ksp.MaxLimit {
		limit = ksp.DefaultLimit
	}
	var pruned int64
	if err := db.queryRow(ctx, `SELECT value FROM counters WHERE name = 'changes_pruned'`).Scan(&pruned); err != nil {
		return nil, 0, fmt.Errorf("changes: %w", err)
	}
	if after < pruned {
		return nil, 0, ksp.Errorf(ksp.ERESYNCREQUIRED, "cursor %d is older than the feed's retention (oldest %d): list the signals again, then follow from the sequence you started at", after, pruned)
	}
	visS, argsS := Visible(v, "s", "id")
	visT, argsT := Visible(v, "t", "id")
	args := append([]any{after}, argsS...)
	args = append(args, after)
	args = append(args, argsT...)
	// Each side is cut to the page before the two are merged: a union
	// sorted as a whole would read every change after the cursor (all of
	// the bank for a new follower) to return one page.
	lim := fmt.Sprint(limit)
	rows, err := db.query(ctx, `SELECT seq, signal_id, reason FROM (
		SELECT seq, signal_id, reason FROM (SELECT s.change_seq AS seq, s.signal_id AS signal_id, '' AS reason FROM submissions s
			WHERE s.change_seq > ? AND `+visS+` ORDER BY s.change_seq LIMIT `+lim+`) ups
		UNION ALL
		SELECT seq, signal_id, reason FROM (SELECT t.seq AS seq, t.signal_id AS signal_id, t.reason AS reason FROM signal_tombstones t
			WHERE t.seq > ? AND `+visT+` ORDER BY t.seq LIMIT `+lim+`) tombs
	) ch ORDER BY seq LIMIT `+lim, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("changes: %w", err)
	}
	type row struct {
		seq    int64
		id     string
		reason string
	}
	var rs []row
	var ids []string
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.seq, &r.id, &r.reason); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("changes: %w", err)
		}
		rs = append(rs, r)
		ids = append(ids, r.id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("changes: %w", err)
	}
	states, err := db.loadStates(ctx, db.sql, ids)
	if err != nil {
		return nil, 0, err
	}
	last := after
	out := make([]*ksp.Change, 0, len(rs))
	for _, r := range rs {
		last = r.seq
		st := states[r.id]
		if st == nil {
			continue
		}
		c := &ksp.Change{Seq: r.seq, SignalID: r.id, Type: st.Type}
		sig := st.View(v, false)
		switch {
		case sig == nil:
			c.Op, c.Reason = "tombstone", "not_visible"
			if r.reason != "" {
				c.Reason = r.reason
			}
		case sig.Status != ksp.StatusActive || !sig.Actionable:
			c.Op, c.Reason = "tombstone", sig.NotActionable
			if c.Reason == "" {
				c.Reason = sig.Status
			}
			c.Value = sig.Value
		default:
			c.Op, c.Value, c.Signal = "upsert", sig.Value, sig
		}
		out = append(out, c)
	}
	return out, last, nil
}

// PruneChanges drops tombstones older than the retention and records the
// oldest sequence still answerable (staff).
func (db *DB) PruneChanges(ctx context.Context, olderThan time.Time) (int64, error) {
	if _, err := requireStaff(ctx); err != nil {
		return 0, err
	}
	var n int64
	err := db.write(ctx, func(tx *Tx) error {
		var maxSeq sql.NullInt64
		if err := tx.queryRow(`SELECT MAX(seq) FROM signal_tombstones WHERE created_at < ?`, micros(olderThan)).Scan(&maxSeq); err != nil {
			return fmt.Errorf("prune changes: %w", err)
		}
		if !maxSeq.Valid {
			return nil
		}
		res, err := tx.exec(`DELETE FROM signal_tombstones WHERE seq <= ?`, maxSeq.Int64)
		if err != nil {
			return fmt.Errorf("prune changes: %w", err)
		}
		n, _ = res.RowsAffected()
		if _, err := tx.exec(`UPDATE counters SET value = ? WHERE name = 'changes_pruned' AND value < ?`, maxSeq.Int64, maxSeq.Int64); err != nil {
			return fmt.Errorf("prune changes: %w", err)
		}
		return tx.audit("signal.prune_changes", fmt.Sprintf("changes:%d", maxSeq.Int64), ksp.StaffOrgID, nil)
	})
	return n, err
}

// AddNegative adds a value to the negative bank.
func (db *DB) AddNegative(ctx context.Context, in ksp.NegativeInput) (*ksp.NegativeEntry, error) {
	a, err := submitter(ctx)
	if err != nil {
		return nil, err
	}
	var f ksp.Fields
	in.Type = strings.ToLower(strings.TrimSpace(in.Type))
	if !slices.Contains(ksp.SignalTypes, in.Type) {
		f.Add("type", "must be one of pdq, md5, sha256, url")
	} else if v, reason := ksp.NormalizeValue(in.Type, in.Value); reason != "" {
		f.Add("value", reason)
	} else {
		in.Value = v
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Reason == "" || len(in.Reason) > 2000 {
		f.Add("reason", "say why this never counts as a match (at most 2000 characters)")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	e := &ksp.NegativeEntry{ID: ksp.NewID(), Type: in.Type, Value: in.Value, Reason: in.Reason, OrgID: a.OrgID}
	err = db.write(ctx, func(tx *Tx) error {
		e.Created = tx.now
		var sigID string
		err := tx.queryRow(`SELECT id FROM signals WHERE type = ? AND value = ?`, in.Type, in.Value).Scan(&sigID)
		var before string
		if err == nil {
			st, err := db.loadState(ctx, tx, sigID)
			if err != nil {
				return err
			}
			before = stateKey(st)
		} else if !isNoRows(err) {
			return fmt.Errorf("add negative: %w", err)
		}
		if _, err := tx.exec(`INSERT INTO negative_bank (id, type, value, org_id, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)`, e.ID, e.Type, e.Value, e.OrgID, e.Reason, micros(tx.now)); err != nil {
			return db.conflictOr(fmt.Errorf("add negative: %w", err), "value", "already in the negative bank")
		}
		if sigID != "" {
			st, err := db.loadState(ctx, tx, sigID)
			if err != nil {
				return err
			}
			if err := tx.refresh(st, before); err != nil {
				return err
			}
		}
		return tx.audit("negative.add", "negative:"+e.ID, a.OrgID, map[string]any{"reason": e.Reason})
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// FindNegatives lists the negative bank, newest first.
func (db *DB) FindNegatives(ctx context.Context, p ksp.Page) ([]*ksp.NegativeEntry, string, error) {
	if _, err := requireActor(ctx); err != nil {
		return nil, "", err
	}
	pw, pargs, limit, err := pageQuery(p, "n.id")
	if err != nil {
		return nil, "", err
	}
	rows, err := db.query(ctx, `SELECT n.id, n.type, n.value, n.reason, n.org_id, n.created_at FROM negative_bank n WHERE `+pw+` ORDER BY n.id DESC LIMIT `+fmt.Sprint(limit), pargs...)
	if err != nil {
		return nil, "", fmt.Errorf("find negatives: %w", err)
	}
	defer rows.Close()
	var out []*ksp.NegativeEntry
	for rows.Next() {
		var e ksp.NegativeEntry
		var created int64
		if err := rows.Scan(&e.ID, &e.Type, &e.Value, &e.Reason, &e.OrgID, &created); err != nil {
			return nil, "", fmt.Errorf("find negatives: %w", err)
		}
		e.Created = fromMicros(created)
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	out, next := cut(out, p, func(e *ksp.NegativeEntry) string { return e.ID })
	return out, next, nil
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

// SignalChangesSince returns the signals changed after seq and the newest
// sequence covered. The counter is read first: every row up to it has
// committed, because writers take it and write their rows in one
// transaction.
func (db *DB) SignalChangesSince(ctx context.Context, seq int64) ([]string, int64, error) {
	var top int64
	if err := db.queryRow(ctx, `SELECT value FROM counters WHERE name = 'changes'`).Scan(&top); err != nil {
		return nil, 0, fmt.Errorf("signal changes: %w", err)
	}
	if top <= seq {
		return nil, seq, nil
	}
	rows, err := db.query(ctx, `SELECT signal_id FROM submissions WHERE change_seq > ? AND change_seq <= ?
		UNION SELECT signal_id FROM signal_tombstones WHERE seq > ? AND seq <= ?`, seq, top, seq, top)
	if err != nil {
		return nil, 0, fmt.Errorf("signal changes: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, 0, fmt.Errorf("signal changes: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, top, rows.Err()
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

// ChangeSeq returns the newest committed change sequence.
func (db *DB) ChangeSeq(ctx context.Context) (int64, error) {
	var top int64
	if err := db.queryRow(ctx, `SELECT value FROM counters WHERE name = 'changes'`).Scan(&top); err != nil {
		return 0, fmt.Errorf("change sequence: %w", err)
	}
	return top, nil
}

// ExportSignals streams what may leave towards the actor's org.
func (db *DB) ExportSignals(ctx context.Context, since *ksp.Time, fn func(*ksp.Signal, ksp.Distribution) error) error {
	a, err := requireActor(ctx)
	if err != nil {
		return err
	}
	v := a.Viewer()
	// Staff export as their org, like any member: staff powers do not
	// widen what may leave.
	v.Staff = false
	return db.SignalStates(ctx, nil, func(st *ksp.SignalState) error {
		sig, dist := st.ExportView(v)
		if sig == nil || (since != nil && sig.LastSeen.Before(since.Time)) {
			return nil
		}
		return fn(sig, dist)
	})
}

// batchRec is one normalised bulk record and its line.
type batchRec struct {
	line int
	in   *ksp.SubmissionInput
}

// classify sorts a batch (see SubmitBatchWith): fast rows with their change
// sequences (first+index+1), indexes of records for the per-record path,
// the unchanged count and audience rejections of fast-path candidates.
func (tx *Tx) classify(orgID string, batch []batchRec, first int64) (fast []BulkRow, slow []int, unchanged int, rejected []ksp.FieldError, err error) {
	type key struct{ typ, value string }
	count := make(map[key]int, len(batch))
	byType := map[string][]any{}
	var audience []any
	for _, r := range batch {
		k := key{r.in.Type, r.in.Value}
		if count[k]++; count[k] == 1 {
			byType[k.typ] = append(byType[k.typ], k.value)
		}
		for _, o := range r.in.Audience {
			audience = append(audience, o)
		}
	}
	type known struct {
		digest    sql.NullString
		retracted bool
	}
	existing := map[key]known{}
	for typ, values := range byType {
		ph := strings.TrimSuffix(strings.Repeat("?,", len(values)), ",")
		// Correlated subqueries rather than a join: each is one probe of
		// the (signal_id, org_id) index, whatever the planner believes of
		// the table sizes (a join planned on stale statistics during a
		// large load scanned every submission of the org, per batch).
		rows, err := tx.query(`SELECT sig.value,
			(SELECT s.digest FROM submissions s WHERE s.signal_id = sig.id AND s.org_id = ?),
			(SELECT s.retracted_at IS NOT NULL FROM submissions s WHERE s.signal_id = sig.id AND s.org_id = ?)
			FROM signals sig WHERE sig.type = ? AND sig.value IN (`+ph+`)`, append([]any{orgID, orgID, typ}, values...)...)
		if err != nil {
			return nil, nil, 0, nil, fmt.Errorf("find signals: %w", err)
		}
		for rows.Next() {
			var v string
			var kn known
			var retracted sql.NullBool
			if err := rows.Scan(&v, &kn.digest, &retracted); err != nil {
				rows.Close()
				return nil, nil, 0, nil, fmt.Errorf("find signals: %w", err)
			}
			kn.retracted = retracted.Bool
			existing[key{typ, v}] = kn
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, 0, nil, fmt.Errorf("find signals: %w", err)
		}
	}
	orgs := map[string]bool{}
	if len(audience) > 0 {
		ph := strings.TrimSuffix(strings.Repeat("?,", len(audience)), ",")
		rows, err := tx.query(`SELECT id FROM orgs WHERE id IN (`+ph+`)`, audience...)
		if err != nil {
			return nil, nil, 0, nil, fmt.Errorf("check audience: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, nil, 0, nil, fmt.Errorf("check audience: %w", err)
			}
			orgs[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, 0, nil, fmt.Errorf("check audience: %w", err)
		}
	}
	fast = make([]BulkRow, 0, len(batch))
next:
	for i, r := range batch {
		k := key{r.in.Type, r.in.Value}
		if count[k] > 1 {
			slow = append(slow, i)
			continue
		}
		for _, o := range r.in.Audience {
			if !orgs[o] {
				rejected = append(rejected, ksp.FieldError{Line: r.line, Field: "audience", Reason: "unknown organisation " + o})
				continue next
			}
		}
		digest := digestOf(r.in)
		if kn, ok := existing[k]; ok {
			if kn.digest.Valid && kn.digest.String == digest && !kn.retracted {
				unchanged++
			} else {
				slow = append(slow, i)
			}
			continue
		}
		fast = append(fast, BulkRow{SignalID: ksp.NewID(), SubmissionID: ksp.NewID(), Digest: digest, ChangeSeq: first + int64(i) + 1, In: r.in})
	}
	return fast, slow, unchanged, rejected, nil
}

// SubmissionColumns are the columns of a new submission, in the order of
// SubmissionValues.
var SubmissionColumns = []string{"id", "signal_id", "org_id", "owner_org_id", "distribution", "tlp", "quality", "content_type", "labels", "label_bits", "basis", "entity_id", "incident_id", "basis_reason", "severity", "flags", "policy_version", "digest", "created_at", "updated_at", "change_seq"}

// SubmissionValues returns the values of r's submission by orgID at now,
// in the order of SubmissionColumns, as Submit stores them.
func SubmissionValues(r *BulkRow, orgID string, now int64) []any {
	in := r.In
	var quality any
	if in.Quality != nil {
		quality = *in.Quality
	}
	return []any{r.SubmissionID, r.SignalID, orgID, orgID, string(in.Distribution), string(in.TLP), quality, in.ContentType, mustJSON(in.Labels), int(ksp.LabelMask(in.Labels)), in.Basis, in.EntityID, in.IncidentID, in.BasisReason, in.Severity, mustJSON(in.Flags), in.PolicyVersion, r.Digest, now, now, r.ChangeSeq}
}

// insertNew is the portable BulkWriter: multi-row INSERTs of at most
// insertChunk rows, each statement prepared once per batch.
func (db *DB) insertNew(ctx context.Context, _ *sql.Conn, tx *sql.Tx, orgID string, now int64, rows []BulkRow) error {
	type table struct {
		head string
		cols int
		vals func(r *BulkRow) []any
	}
	tables := []table{
		{`INSERT INTO signals (id, type, value, created_at) VALUES `, 4, func(r *BulkRow) []any { return []any{r.SignalID, r.In.Type, r.In.Value, now} }},
		{`INSERT INTO submissions (` + strings.Join(SubmissionColumns, ", ") + `) VALUES `, len(SubmissionColumns), func(r *BulkRow) []any { return SubmissionValues(r, orgID, now) }},
	}
	for _, t := range tables {
		per := max(1, insertParams/t.cols)
		tuple := "(" + strings.TrimSuffix(strings.Repeat("?,", t.cols), ",") + ")"
		stmts := map[int]*sql.Stmt{}
		for start := 0; start < len(rows); start += per {
			chunk := rows[start:min(start+per, len(rows))]
			st := stmts[len(chunk)]
			if st == nil {
				var err error
				q := db.rebind(t.head + strings.TrimSuffix(strings.Repeat(tuple+",", len(chunk)), ","))
				if st, err = tx.PrepareContext(ctx, q); err != nil {
					return err
				}
				defer st.Close()
				stmts[len(chunk)] = st
			}
			args := make([]any, 0, len(chunk)*t.cols)
			for i := range chunk {
				args = append(args, t.vals(&chunk[i])...)
			}
			if _, err := st.ExecContext(ctx, args...); err != nil {
				return err
			}
		}
	}
	for i := range rows {
		r := &rows[i]
		if r.In.Distribution != ksp.DistAudience {
			continue
		}
		for _, o := range r.In.Audience {
			if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO audiences (item_id, org_id) VALUES (?, ?) ON CONFLICT DO NOTHING`), r.SubmissionID, o); err != nil {
				return err
			}
		}
	}
	return nil
}

// insertParams bounds the placeholders of one multi-row INSERT.
const insertParams = 800
