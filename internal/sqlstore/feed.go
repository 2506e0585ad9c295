package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/kspplatform/ksp"
)

// Changes returns feed entries after seq as the actor sees them now: an
// upsert when the signal is visible, active and actionable for it, else a
// tombstone with the reason. Only entries whose sharing reaches the actor
// are returned, so the feed never reveals a hidden signal.
func (db *DB) Changes(ctx context.Context, after int64, limit int) ([]*ksp.Change, int64, error) {
	a := ksp.ActorFrom(ctx)
	v := a.Viewer()
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
	var shown []*ksp.SignalState
	for _, r := range rs {
		// One change may move several submissions of a signal at once
		// (a verdict, a resolution): it is one entry. (Every seq is above
		// after, so the first row of a seq always passes.)
		if r.seq == last {
			continue
		}
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
			// A retraction by an incident's close says so, so that a
			// follower can tell it from the submitter's own retraction.
			if r.reason == ksp.TombstoneIncidentClosed && sig.Status == ksp.StatusRetracted {
				c.Reason = r.reason
			}
			c.Value = sig.Value
			shown = append(shown, st)
		default:
			c.Op, c.Value, c.Signal = "upsert", sig.Value, sig
			shown = append(shown, st)
		}
		out = append(out, c)
	}
	if err := db.auditStaffReads(ctx, a, "signal.staff_changes", shown); err != nil {
		return nil, 0, err
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

// ChangeSeq returns the newest committed change sequence.
func (db *DB) ChangeSeq(ctx context.Context) (int64, error) {
	var top int64
	if err := db.queryRow(ctx, `SELECT value FROM counters WHERE name = 'changes'`).Scan(&top); err != nil {
		return 0, fmt.Errorf("change sequence: %w", err)
	}
	return top, nil
}
