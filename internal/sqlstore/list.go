package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kspplatform/ksp"
)

// listBatch is how many candidate rows one round of FindSignals reads at
// least: candidates the exact per-viewer check drops (a status filter)
// cost another round, not a short page.
const listBatch = 200

// FindSignals lists signals the actor may see, each placed by the newest
// submission of it the actor may see (submission ids are UUIDv7), newest
// first. SQL applies the sharing rule and every filter that one visible
// submission decides exactly (label, entity, recency, type), and a coarse
// status filter; the status each viewer sees is then checked on the view
// itself, reading further candidates until the page is full. Nothing the
// viewer cannot see decides what is listed or where.
func (db *DB) FindSignals(ctx context.Context, f ksp.SignalFilter) ([]*ksp.Signal, string, error) {
	a := ksp.ActorFrom(ctx)
	v := a.Viewer()
	if err := checkSignalFilter(f); err != nil {
		return nil, "", err
	}
	page := f.Page.Normalize()
	if f.Sort != "" {
		return db.findSorted(ctx, a, v, f, page)
	}
	cursor := ""
	if page.Cursor != "" {
		c, err := decodeCursor(page.Cursor)
		if err != nil {
			return nil, "", err
		}
		cursor = c
	}
	var out []*ksp.Signal
	var keys []string
	var restricted []*ksp.SignalState
	for {
		n := max(page.Limit+1, listBatch)
		pos, err := db.positions(ctx, v, f, cursor, n)
		if err != nil {
			return nil, "", err
		}
		ids := make([]string, len(pos))
		for i, p := range pos {
			ids[i] = p.signal
		}
		states, err := db.loadStates(ctx, db.sql, ids)
		if err != nil {
			return nil, "", err
		}
		for _, p := range pos {
			cursor = p.sub
			st := states[p.signal]
			if st == nil {
				continue
			}
			sig := st.View(v, false)
			if sig == nil || !listed(sig, f) {
				continue
			}
			if len(out) == page.Limit {
				if err := db.auditStaffReads(ctx, a, "signal.staff_list", restricted); err != nil {
					return nil, "", err
				}
				return out, encodeCursor(keys[len(keys)-1]), nil
			}
			out = append(out, sig)
			keys = append(keys, p.sub)
			restricted = append(restricted, st)
		}
		if len(pos) < n {
			break
		}
	}
	if err := db.auditStaffReads(ctx, a, "signal.staff_list", restricted); err != nil {
		return nil, "", err
	}
	return out, "", nil
}

// checkSignalFilter refuses filter values no signal can have.
func checkSignalFilter(f ksp.SignalFilter) error {
	var fe ksp.Fields
	if f.Label != nil && !slices.Contains(ksp.Labels, *f.Label) {
		fe.Add("label", "must be one of "+strings.Join(ksp.Labels, ", "))
	}
	if f.Status != nil && !slices.Contains(ksp.SignalStatuses, *f.Status) {
		fe.Add("status", "must be one of active, disputed, retracted")
	}
	if f.Type != nil && !slices.Contains(ksp.SignalTypes, *f.Type) {
		fe.Add("type", "must be one of "+strings.Join(ksp.SignalTypes, ", "))
	}
	return fe.Err()
}

// listed reports whether a viewer's view of a signal passes the filter.
func listed(sig *ksp.Signal, f ksp.SignalFilter) bool {
	switch {
	case f.Status != nil && sig.Status != *f.Status:
		return false
	case f.Type != nil && sig.Type != *f.Type:
		return false
	case f.Label != nil && !slices.Contains(sig.Labels, *f.Label):
		return false
	case f.EntityID != nil && !slices.Contains(sig.EntityIDs, *f.EntityID):
		return false
	case f.Since != nil && sig.LastSeen.Before(f.Since.Time):
		return false
	}
	return true
}

// position is a signal's place in a viewer's list: its newest submission
// that the viewer sees and that meets the filter.
type position struct{ sub, signal string }

// positions reads up to n list positions older than cursor, newest first.
func (db *DB) positions(ctx context.Context, v ksp.Viewer, f ksp.SignalFilter, cursor string, n int) ([]position, error) {
	// The conditions one submission must meet, written for an alias: the
	// same for the candidate and for the newer one that would displace it.
	conds := func(alias string) (string, []any) {
		vis, args := Visible(v, alias, "id")
		c := []string{vis}
		if f.Label != nil {
			// A literal: it must read as the condition of the label's
			// partial index (migration 007) for the planner to use it.
			bit := ksp.LabelMask([]string{*f.Label})
			c = append(c, fmt.Sprintf("(%s.label_bits & %d) = %[2]d", alias, bit), alias+".retracted_at IS NULL")
		}
		if f.EntityID != nil {
			c = append(c, alias+".entity_id = ?", alias+".entity_id <> ''", alias+".retracted_at IS NULL")
			args = append(args, *f.EntityID)
		}
		if f.Since != nil {
			c = append(c, alias+".updated_at >= ?")
			args = append(args, micros(*f.Since))
		}
		if f.Own {
			c = append(c, alias+".org_id = ?", alias+".retracted_at IS NULL")
			args = append(args, v.OrgID)
		}
		return strings.Join(c, " AND "), args
	}
	c1, args := conds("s")
	c2, args2 := conds("s2")
	where := []string{c1}
	if cursor != "" {
		where = append(where, "s.id < ?")
		args = append(args, cursor)
	}
	// The signal's newest such submission, as a scalar subquery: a
	// database cannot turn it into a join, so each candidate costs one
	// probe of the signal's few submissions and the scan stops at the page.
	// (As NOT EXISTS, PostgreSQL without fresh statistics chose a hash
	// anti-join over every submission with the label: 2 s at 1M.)
	where = append(where, "s.id = (SELECT MAX(s2.id) FROM submissions s2 WHERE s2.signal_id = s.signal_id AND "+c2+")")
	args = append(args, args2...)
	if f.Type != nil {
		// A rare type starts from its few signals (by the type's index),
		// then sorts their submissions; a common one reads submissions in
		// order and checks each signal's type, which most pass. Reading
		// a common type the first way sorts most of the bank; a rare one
		// the second way scans it (24 s for 2 URLs among 1M PDQ signals).
		rare, err := db.fewOfType(ctx, *f.Type)
		if err != nil {
			return nil, err
		}
		if rare {
			where = append(where, "s.signal_id IN (SELECT sig.id FROM signals sig WHERE sig.type = ?)")
		} else {
			where = append(where, "EXISTS (SELECT 1 FROM signals sig WHERE sig.id = s.signal_id AND sig.type = ?)")
		}
		args = append(args, *f.Type)
	}
	sc, sargs, err := db.searchCond(f.Query)
	if err != nil {
		return nil, err
	}
	if sc != "" {
		// The search's few signals by the (type, value) index, then their
		// submissions sorted, as for a rare type.
		where = append(where, "s.signal_id IN (SELECT sig.id FROM signals sig WHERE "+sc+")")
		args = append(args, sargs...)
	}
	if f.Status != nil && *f.Status != ksp.StatusActive {
		// Only signals whose status some viewer sees other than active
		// (migration 007's partial index holds just those).
		where = append(where, "s.signal_id IN (SELECT sig.id FROM signals sig WHERE sig.status <> 'active')")
	}
	rows, err := db.query(ctx, `SELECT s.id, s.signal_id FROM submissions s WHERE `+strings.Join(where, " AND ")+` ORDER BY s.id DESC LIMIT `+fmt.Sprint(n), args...)
	if err != nil {
		return nil, fmt.Errorf("find signals: %w", err)
	}
	defer rows.Close()
	var out []position
	for rows.Next() {
		var p position
		if err := rows.Scan(&p.sub, &p.signal); err != nil {
			return nil, fmt.Errorf("find signals: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// rareTypeLimit is how many signals of a type make it common for the list.
const rareTypeLimit = 5000

// fewOfType reports whether fewer than rareTypeLimit signals have the type
// (counting stops there: a few milliseconds on the type's index).
func (db *DB) fewOfType(ctx context.Context, typ string) (bool, error) {
	var n int
	if err := db.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM signals WHERE type = ? LIMIT `+fmt.Sprint(rareTypeLimit)+`) few`, typ).Scan(&n); err != nil {
		return false, fmt.Errorf("find signals: %w", err)
	}
	return n < rareTypeLimit, nil
}

// auditStaffReads records one audit event for a staff request that read
// restricted signals (list, changes feed), naming them.
func (db *DB) auditStaffReads(ctx context.Context, a *ksp.Actor, action string, states []*ksp.SignalState) error {
	if a == nil || !a.Staff {
		return nil
	}
	var ids []string
	for _, st := range states {
		if st.RestrictedFor(a.OrgID) != nil {
			ids = append(ids, st.ID)
		}
	}
	return db.RecordStaffReads(ctx, action, ids)
}

// RecordStaffReads audits one staff request that read the restricted
// signals ids; members' reads and the server's own (system actors) are not
// audited.
func (db *DB) RecordStaffReads(ctx context.Context, action string, ids []string) error {
	return db.auditRestrictedReads(ctx, ksp.ActorFrom(ctx), action, "signals", "signals", ids)
}

// auditRestrictedReads records one audit event, on the staff org, for a
// staff request that read the restricted items ids of table (listed under key in
// the event's details). Members' reads, the server's own (system actors)
// and requests that read nothing restricted are not audited. Every kind of
// restricted item (signals, resources, incidents, questions, events,
// mentorships) goes through it.
func (db *DB) auditRestrictedReads(ctx context.Context, a *ksp.Actor, action, table, key string, ids []string) error {
	if len(ids) == 0 || a == nil || !a.Staff || strings.HasPrefix(a.Name, "system") {
		return nil
	}
	return db.write(ctx, func(tx *Tx) error {
		return tx.audit(action, table, ksp.StaffOrgID, map[string]any{key: ids})
	})
}
