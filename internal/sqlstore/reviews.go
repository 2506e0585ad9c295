package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kspplatform/ksp"
)

// maxReviewNote bounds staff's note on a cleared flag.
const maxReviewNote = 2000

// delisting is one listing that ended: entity, list, reference number
// and the date it ended.
type delisting struct {
	entityID, list, ref, on string
}

// flagDelisted flags for review every signal with a submission attributed
// to the entity of each delisting. It runs in the transaction of the
// delistings, and finds the signals of all of them with one query per
// insertParams entities (an import delists hundreds). Retracted
// submissions count too: a retraction can be undone by submitting again.
// A signal already flagged for a delisting is not flagged twice. It
// returns how many flags it added.
func (tx *Tx) flagDelisted(ds []delisting) (int, error) {
	byEntity := map[string][]delisting{}
	var ids []any
	for _, d := range ds {
		if len(byEntity[d.entityID]) == 0 {
			ids = append(ids, d.entityID)
		}
		byEntity[d.entityID] = append(byEntity[d.entityID], d)
	}
	type hit struct{ entity, signal string }
	var hits []hit
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), insertParams)]
		ids = ids[len(chunk):]
		rows, err := tx.query(`SELECT DISTINCT entity_id, signal_id FROM submissions WHERE entity_id IN (`+placeholders(len(chunk))+`) ORDER BY entity_id, signal_id`, chunk...)
		if err != nil {
			return 0, fmt.Errorf("flag signals of delisted entities: %w", err)
		}
		for rows.Next() {
			var h hit
			if err := rows.Scan(&h.entity, &h.signal); err != nil {
				rows.Close()
				return 0, fmt.Errorf("flag signals of delisted entities: %w", err)
			}
			hits = append(hits, h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("flag signals of delisted entities: %w", err)
		}
	}
	n := 0
	for _, h := range hits {
		for _, d := range byEntity[h.entity] {
			res, err := tx.exec(`INSERT INTO signal_reviews (id, signal_id, entity_id, reason, list, reference_number, delisted_on, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				ksp.NewID(), h.signal, d.entityID, ksp.ReviewEntityDelisted, d.list, d.ref, d.on, micros(tx.now))
			if err != nil {
				return 0, fmt.Errorf("flag signal %s: %w", h.signal, err)
			}
			if k, err := res.RowsAffected(); err == nil {
				n += int(k)
			}
		}
	}
	return n, nil
}

// flagEditedListings flags the signals of entity e for each listing that a
// staff edit ends: a listing that was current and now has a delisting date,
// or that is gone (removed by hand, dated today).
func (tx *Tx) flagEditedListings(e *ksp.Entity, before []ksp.EntityListing) (int, error) {
	after := map[string]ksp.EntityListing{}
	for _, l := range e.Lists {
		after[l.List] = l
	}
	var ds []delisting
	for _, old := range before {
		if old.DelistedOn != "" {
			continue
		}
		now, kept := after[old.List]
		on := now.DelistedOn
		if !kept {
			on = tx.now.UTC().Format("2006-01-02")
		}
		if on != "" {
			ds = append(ds, delisting{e.ID, old.List, old.ReferenceNumber, on})
		}
	}
	if len(ds) == 0 {
		return 0, nil
	}
	return tx.flagDelisted(ds)
}

const reviewCols = `r.id, r.signal_id, r.entity_id, COALESCE(e.name, ''), r.reason, r.list, r.reference_number, r.delisted_on, r.created_at, r.resolved_at, r.resolved_by, r.note`

func scanReview(sc interface{ Scan(...any) error }) (*ksp.SignalReview, error) {
	var r ksp.SignalReview
	var created int64
	var resolved sql.NullInt64
	if err := sc.Scan(&r.ID, &r.SignalID, &r.EntityID, &r.EntityName, &r.Reason, &r.List, &r.ReferenceNumber, &r.DelistedOn, &created, &resolved, &r.ResolvedBy, &r.Note); err != nil {
		return nil, err
	}
	r.Created = fromMicros(created)
	if resolved.Valid {
		t := fromMicros(resolved.Int64)
		r.Resolved = &t
	}
	return &r, nil
}

// FindSignalReviews lists review flags, newest first (staff only).
func (db *DB) FindSignalReviews(ctx context.Context, f ksp.SignalReviewFilter) ([]*ksp.SignalReview, string, error) {
	if _, err := requireStaff(ctx); err != nil {
		return nil, "", err
	}
	where := []string{"1 = 1"}
	var args []any
	switch f.State {
	case "", ksp.ReviewOpen:
		where = append(where, "r.resolved_at IS NULL")
	case ksp.ReviewResolved:
		where = append(where, "r.resolved_at IS NOT NULL")
	case ksp.ReviewAll:
	default:
		return nil, "", &ksp.Error{Code: ksp.EINVALID, Message: "invalid state", Fields: []ksp.FieldError{{Field: "state", Reason: "must be open, resolved or all"}}}
	}
	if f.EntityID != nil {
		where = append(where, "r.entity_id = ?")
		args = append(args, *f.EntityID)
	}
	pw, pargs, limit, err := pageQuery(f.Page, "r.id")
	if err != nil {
		return nil, "", err
	}
	where = append(where, pw)
	args = append(args, pargs...)
	rows, err := db.query(ctx, `SELECT `+reviewCols+` FROM signal_reviews r LEFT JOIN entities e ON e.id = r.entity_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY r.id DESC LIMIT `+fmt.Sprint(limit), args...)
	if err != nil {
		return nil, "", fmt.Errorf("find signal reviews: %w", err)
	}
	defer rows.Close()
	out := []*ksp.SignalReview{}
	for rows.Next() {
		r, err := scanReview(rows)
		if err != nil {
			return nil, "", fmt.Errorf("find signal reviews: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find signal reviews: %w", err)
	}
	out, next := cut(out, f.Page, func(r *ksp.SignalReview) string { return r.ID })
	return out, next, nil
}

// ResolveSignalReview clears an open flag (staff only, audited).
func (db *DB) ResolveSignalReview(ctx context.Context, id, note string) (*ksp.SignalReview, error) {
	a, err := requireStaff(ctx)
	if err != nil {
		return nil, err
	}
	note = strings.TrimSpace(note)
	if len(note) > maxReviewNote || !utf8.ValidString(note) {
		return nil, &ksp.Error{Code: ksp.EINVALID, Message: "invalid note", Fields: []ksp.FieldError{{Field: "note", Reason: fmt.Sprintf("at most %d bytes of UTF-8", maxReviewNote)}}}
	}
	if !ksp.ValidID(id) {
		return nil, ksp.NotFound("review flag")
	}
	var out *ksp.SignalReview
	err = db.write(ctx, func(tx *Tx) error {
		r, err := scanReview(tx.queryRow(`SELECT `+reviewCols+` FROM signal_reviews r LEFT JOIN entities e ON e.id = r.entity_id WHERE r.id = ?`, id))
		if isNoRows(err) {
			return ksp.NotFound("review flag")
		}
		if err != nil {
			return fmt.Errorf("resolve review: %w", err)
		}
		if r.Resolved != nil {
			return ksp.Errorf(ksp.ECONFLICT, "this flag was already cleared by %s", r.ResolvedBy)
		}
		t := tx.now
		r.Resolved, r.ResolvedBy, r.Note = &t, a.AuditName(), note
		if _, err := tx.exec(`UPDATE signal_reviews SET resolved_at = ?, resolved_by = ?, note = ? WHERE id = ?`, micros(t), r.ResolvedBy, note, id); err != nil {
			return fmt.Errorf("resolve review: %w", err)
		}
		out = r
		return tx.audit("signal.review_resolve", "signal:"+r.SignalID, "", map[string]any{"review": r.ID, "entity": r.EntityID, "list": r.List, "note": note})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
