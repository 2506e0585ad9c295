package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/kspplatform/ksp"
)

const negativeCols = `n.id, n.type, n.value, n.reason, n.org_id, n.scope, n.approved_at, n.approved_by, n.created_at`

func scanNegative(rows interface{ Scan(...any) error }) (*ksp.NegativeEntry, error) {
	var e ksp.NegativeEntry
	var created int64
	var approved sql.NullInt64
	if err := rows.Scan(&e.ID, &e.Type, &e.Value, &e.Reason, &e.OrgID, &e.Scope, &approved, &e.ApprovedBy, &created); err != nil {
		return nil, err
	}
	e.Created, e.Approved = fromMicros(created), ptrTime(approved)
	return &e, nil
}

// AddNegative adds a value to the actor's org's negative bank. With scope
// "programme" a member proposes it for everyone (it applies to its own
// matches until staff approve); staff's programme-wide entries apply at
// once.
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
	if in.Scope == "" {
		in.Scope = ksp.NegativeOrg
	}
	if in.Scope != ksp.NegativeOrg && in.Scope != ksp.NegativeProgramme {
		f.Add("scope", "must be org or programme")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	e := &ksp.NegativeEntry{ID: ksp.NewID(), Type: in.Type, Value: in.Value, Reason: in.Reason, OrgID: a.OrgID, Scope: in.Scope}
	err = db.write(ctx, func(tx *Tx) error {
		e.Created = tx.now
		if e.Scope == ksp.NegativeProgramme && a.Staff {
			e.Approved, e.ApprovedBy = &tx.now, a.OrgID
		}
		if _, err := tx.exec(`INSERT INTO negative_entries (id, type, value, org_id, reason, scope, approved_at, approved_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, e.Type, e.Value, e.OrgID, e.Reason, e.Scope, nullMicros(e.Approved), e.ApprovedBy, micros(tx.now)); err != nil {
			return db.conflictOr(fmt.Errorf("add negative: %w", err), "value", "already in your organisation's negative bank")
		}
		if err := tx.negativeChanged(e); err != nil {
			return err
		}
		return tx.audit("negative.add", "negative:"+e.ID, a.OrgID, map[string]any{"type": e.Type, "scope": e.Scope, "reason": e.Reason})
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// negativeChanged tells the feed and the matchers that entry e changed (as
// it now stands: added, approved, or about to be removed): the matchers by
// a new change sequence (they reload the negative bank when it moves), the
// feed by a new change of the signal with e's value for those whose view
// moved — everyone who sees it when the entry applies programme-wide, else
// only e's own org (and only if that org may see the signal: the feed must
// not reveal that a value it named is in the bank). Entries do not move a
// signal's coarse status (ksp.SignalState.Plain).
func (tx *Tx) negativeChanged(e *ksp.NegativeEntry) error {
	if _, err := tx.nextSeq("changes"); err != nil {
		return err
	}
	var sigID string
	err := tx.queryRow(`SELECT id FROM signals WHERE type = ? AND value = ?`, e.Type, e.Value).Scan(&sigID)
	if isNoRows(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("negative bank: %w", err)
	}
	st, err := tx.db.loadState(tx.ctx, tx, sigID)
	if err != nil {
		return err
	}
	if e.Ref().Programme {
		return tx.refresh(st, allOrgs(st))
	}
	if st.View(ksp.Viewer{OrgID: e.OrgID, Staff: e.OrgID == ksp.StaffOrgID}, false) == nil {
		return nil
	}
	// A notice that reaches the owner org alone: the feed renders the
	// signal as that org sees it now.
	return tx.tombstone(sigID, ksp.Sharing{OwnerOrgID: e.OrgID, Distribution: ksp.DistOwner, TLP: ksp.TLPRed}, "")
}

// negativeByID loads an entry the actor may act on: its own org's, or any
// for staff.
func (db *DB) negativeByID(ctx context.Context, q querier, a *ksp.Actor, id string) (*ksp.NegativeEntry, error) {
	if !ksp.ValidID(id) {
		return nil, ksp.NotFound("negative-bank entry")
	}
	e, err := scanNegative(q.QueryRowContext(ctx, db.rebind(`SELECT `+negativeCols+` FROM negative_entries n WHERE n.id = ?`), id))
	if isNoRows(err) {
		return nil, ksp.NotFound("negative-bank entry")
	}
	if err != nil {
		return nil, fmt.Errorf("negative-bank entry: %w", err)
	}
	if !a.Staff && e.OrgID != a.OrgID && !e.Ref().Programme {
		return nil, ksp.NotFound("negative-bank entry")
	}
	return e, nil
}

// ApproveNegative makes a programme-wide proposal apply to everyone (staff).
func (db *DB) ApproveNegative(ctx context.Context, id string) (*ksp.NegativeEntry, error) {
	a, err := requireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var e *ksp.NegativeEntry
	err = db.write(ctx, func(tx *Tx) error {
		if e, err = db.negativeByID(ctx, tx, a, id); err != nil {
			return err
		}
		if e.Scope != ksp.NegativeProgramme {
			return &ksp.Error{Code: ksp.EINVALID, Message: "only programme-wide proposals are approved: an organisation's own entry applies to its own matches", Fields: []ksp.FieldError{{Field: "scope", Reason: "not a programme-wide proposal"}}}
		}
		if e.Approved != nil {
			return ksp.Errorf(ksp.ECONFLICT, "already approved")
		}
		e.Approved, e.ApprovedBy = &tx.now, a.OrgID
		if _, err := tx.exec(`UPDATE negative_entries SET approved_at = ?, approved_by = ? WHERE id = ?`, micros(tx.now), a.OrgID, id); err != nil {
			return fmt.Errorf("approve negative: %w", err)
		}
		if err := tx.negativeChanged(e); err != nil {
			return err
		}
		return tx.audit("negative.approve", "negative:"+id, e.OrgID, map[string]any{"type": e.Type})
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// RemoveNegative deletes an entry: its org's analysts remove their own,
// staff any (a programme-wide entry stops applying to everyone).
func (db *DB) RemoveNegative(ctx context.Context, id string) error {
	a, err := submitter(ctx)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		e, err := db.negativeByID(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if !a.Staff && e.OrgID != a.OrgID {
			return ksp.Errorf(ksp.EFORBIDDEN, "only the organisation that added an entry, or staff, may remove it")
		}
		if _, err := tx.exec(`DELETE FROM negative_entries WHERE id = ?`, id); err != nil {
			return fmt.Errorf("remove negative: %w", err)
		}
		if err := tx.negativeChanged(e); err != nil {
			return err
		}
		return tx.audit("negative.remove", "negative:"+id, e.OrgID, map[string]any{"type": e.Type, "scope": e.Scope, "reason": e.Reason})
	})
}

// FindNegatives lists the entries the actor may see, newest first: its
// org's own and the approved programme-wide ones; staff see all, and with
// f.Pending only the proposals awaiting approval.
func (db *DB) FindNegatives(ctx context.Context, f ksp.NegativeFilter) ([]*ksp.NegativeEntry, string, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, "", err
	}
	pw, pargs, limit, err := pageQuery(f.Page, "n.id")
	if err != nil {
		return nil, "", err
	}
	conds := []string{pw}
	var args []any
	if !a.Staff {
		conds = append(conds, "(n.org_id = ? OR (n.scope = 'programme' AND n.approved_at IS NOT NULL))")
		args = append(args, a.OrgID)
	}
	if f.Pending {
		conds = append(conds, "n.scope = 'programme' AND n.approved_at IS NULL")
	}
	rows, err := db.query(ctx, `SELECT `+negativeCols+` FROM negative_entries n WHERE `+strings.Join(conds, " AND ")+` ORDER BY n.id DESC LIMIT `+fmt.Sprint(limit), append(args, pargs...)...)
	if err != nil {
		return nil, "", fmt.Errorf("find negatives: %w", err)
	}
	defer rows.Close()
	var out []*ksp.NegativeEntry
	for rows.Next() {
		e, err := scanNegative(rows)
		if err != nil {
			return nil, "", fmt.Errorf("find negatives: %w", err)
		}
		// Who proposed a programme-wide entry is for staff and the
		// proposer to know.
		if !a.Staff && e.OrgID != a.OrgID {
			e.OrgID, e.ApprovedBy = "", ""
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	out, next := cut(out, f.Page, func(e *ksp.NegativeEntry) string { return e.ID })
	return out, next, nil
}

// NegativeEntries returns every entry, for the matcher (system use; no
// actor needed).
func (db *DB) NegativeEntries(ctx context.Context) ([]*ksp.NegativeEntry, error) {
	var out []*ksp.NegativeEntry
	err := db.each(ctx, `SELECT `+negativeCols+` FROM negative_entries n ORDER BY n.id`, nil, func(rows *sql.Rows) error {
		e, err := scanNegative(rows)
		if err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("negative entries: %w", err)
	}
	return out, nil
}
