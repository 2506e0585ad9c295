package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/kspplatform/ksp"
)

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
// Each batch is one write transaction. It classifies the batch with one
// query per value type: a value that is new and appears once in the batch
// goes to w (created); a value whose existing submission by the org has
// the same digest and is not retracted is unchanged; everything else
// (values repeated within the batch, existing signals the org adds to or
// changes) goes through the same per-record path as Submit, in line order,
// so merges, narrowing tombstones, status refreshes and created-vs-merged
// visibility are decided in one place. The two groups never share a value,
// so doing the fast group first changes no outcome. Only a batch with
// something to store reserves change sequences (one per record): a batch
// of unchanged records writes nothing at all.
//
// Bulk records differ from Submit in three ways. A record marked foreign
// (an exported row of another org's data) is counted unchanged and never
// stored. A partial record keeps the stored values of the org's existing
// submission for the fields it lacks (ksp.BulkInfo). And a record may not
// widen the sharing of the org's existing submission: it is rejected.
//
// The caller reads its input to the end before calling (signalio.Check):
// an error from next other than EINVALID ends the call, and the batches
// before it stay committed.
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
	// Every batch runs on one connection, with a large page cache where
	// the dialect asks for one (see Dialect.BulkCache).
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("bulk load: %w", err)
	}
	defer conn.Close()
	if db.d.BulkCache != "" {
		if _, err := conn.ExecContext(ctx, db.d.BulkCache); err != nil {
			return nil, fmt.Errorf("bulk load: %w", err)
		}
		defer func() {
			for _, q := range []string{db.d.BulkCacheDone, db.d.ShrinkMemory} {
				if q != "" {
					conn.ExecContext(context.WithoutCancel(ctx), q) //nolint:errcheck // the connection's own cache: nothing to undo
				}
			}
		}()
	}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		batchNo++
		var created, merged, unchanged int
		var rejected []ksp.FieldError
		err := db.writeConn(ctx, conn, func(conn *sql.Conn, tx *Tx) error {
			created, merged, unchanged, rejected = 0, 0, 0, nil
			// Entity references resolve inside the transaction, with one
			// lookup for the batch; a record naming no entity is rejected.
			recs, noEntity, err := tx.resolveBatchEntities(batch)
			if err != nil {
				return err
			}
			fast, slow, unch, rej, err := tx.classify(a.OrgID, recs)
			if err != nil {
				return err
			}
			unchanged, rejected = unch, append(noEntity, rej...)
			if len(fast)+len(slow) == 0 {
				return nil
			}
			var first int64
			if err := tx.queryRow(`UPDATE counters SET value = value + ? WHERE name = 'changes' RETURNING value`, len(recs)).Scan(&first); err != nil {
				return fmt.Errorf("reserve change sequence: %w", err)
			}
			first -= int64(len(recs))
			for i := range fast {
				fast[i].ChangeSeq += first
			}
			if len(fast) > 0 {
				if err := w(ctx, conn, tx.Tx, a.OrgID, micros(tx.now), fast); err != nil {
					return fmt.Errorf("store new signals: %w", err)
				}
				created += len(fast)
			}
			for _, i := range slow {
				r := recs[i]
				c, u, _, _, err := tx.submitOne(a, r.in, submitOpts{seq: first + int64(i) + 1, bulk: true})
				var ke *ksp.Error
				switch {
				case errors.As(err, &ke) && ke.Code == ksp.EINVALID:
					for _, fe := range ke.Fields {
						fe.Line = r.line
						rejected = append(rejected, fe)
					}
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
		if in.Bulk != nil && in.Bulk.Foreign {
			res.Unchanged++
			continue
		}
		if f := prepare(in); len(f) > 0 {
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

// batchRec is one bulk record and its line: normalised, or partial with
// its type and value normalised (see prepare).
type batchRec struct {
	line int
	in   *ksp.SubmissionInput
}

// prepare readies a bulk record for its batch and returns its problems. A
// complete record is normalised. A partial one only has its type and value
// normalised, to find its signal: its other fields may come from the
// stored submission, so they are judged in the batch.
func prepare(in *ksp.SubmissionInput) ksp.Fields {
	var f ksp.Fields
	refuseRedacted(in, &f)
	if !in.Partial() {
		in.Normalize(&f)
		return f
	}
	typ := strings.ToLower(strings.TrimSpace(in.Type))
	v, reason := ksp.NormalizeValue(typ, in.Value)
	if len(f) > 0 || !slices.Contains(ksp.SignalTypes, typ) || reason != "" {
		c := *in
		c.Normalize(&f)
		return f
	}
	in.Type, in.Value = typ, v
	return nil
}

// classify sorts a batch (see SubmitBatchWith): fast rows with their change
// sequences counted from 0 (index+1), indexes of records for the
// per-record path, the unchanged count and the rejections of records
// judged here (audiences of fast-path candidates, partial records).
func (tx *Tx) classify(orgID string, batch []batchRec) (fast []BulkRow, slow []int, unchanged int, rejected []ksp.FieldError, err error) {
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
		ph := placeholders(len(values))
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
		ph := placeholders(len(audience))
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
	incidents, err := tx.batchIncidents(batch)
	if err != nil {
		return nil, nil, 0, nil, err
	}
	fast = make([]BulkRow, 0, len(batch))
next:
	for i := range batch {
		r := &batch[i]
		k := key{r.in.Type, r.in.Value}
		if id := r.in.IncidentID; id != "" && !incidents[id] {
			rejected = append(rejected, ksp.FieldError{Line: r.line, Field: "incident_id", Reason: "no such incident"})
			continue
		}
		if count[k] > 1 {
			slow = append(slow, i)
			continue
		}
		if r.in.Partial() {
			// With the defaults in place of what it lacks, the record
			// is either what is stored (then the stored values of the
			// absent fields are the defaults: unchanged), or goes to
			// the per-record path to take the stored values. Without
			// a submission of the org, the defaults stand.
			norm := *r.in
			var f ksp.Fields
			norm.Normalize(&f)
			if kn, ok := existing[k]; ok && kn.digest.Valid {
				if len(f) == 0 && digestOf(&norm) == kn.digest.String && !kn.retracted {
					unchanged++
				} else {
					slow = append(slow, i)
				}
				continue
			}
			if len(f) > 0 {
				for _, fe := range f {
					fe.Line = r.line
					rejected = append(rejected, fe)
				}
				continue
			}
			norm.Bulk = nil
			r.in = &norm
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
		fast = append(fast, BulkRow{SignalID: ksp.NewRandomID(), SubmissionID: ksp.NewID(), Digest: digest, ChangeSeq: int64(i) + 1, In: r.in})
	}
	// In id order, so that the inserts walk the id indexes once instead of
	// jumping about them (signal ids are random).
	slices.SortFunc(fast, func(x, y BulkRow) int { return strings.Compare(x.SignalID, y.SignalID) })
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
		tuple := "(" + placeholders(t.cols) + ")"
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
