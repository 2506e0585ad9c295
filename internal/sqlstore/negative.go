package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kspplatform/ksp"
)

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
