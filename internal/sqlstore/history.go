package sqlstore

import (
	"context"
	"fmt"

	"github.com/kspplatform/ksp"
)

// SignalHistory returns the verdicts and resolutions of a signal the actor
// may see, oldest first: those about a submission the actor may see. Organisations are named to staff, to themselves,
// and to everyone when they chose to be named; resolutions are the
// secretariat's.
func (db *DB) SignalHistory(ctx context.Context, signalID string) ([]*ksp.HistoryEntry, error) {
	a := ksp.ActorFrom(ctx)
	st, err := db.visibleState(ctx, db.sql, a, signalID)
	if err != nil {
		return nil, err
	}
	v := a.Viewer()
	counts := st.CountsFor(v)
	rows, err := db.query(ctx, `SELECT l.kind, l.value, l.comment, l.org_id, o.name, o.named, l.created_at, l.subjects
		FROM feedback_log l JOIN orgs o ON o.id = l.org_id WHERE l.signal_id = ? ORDER BY l.created_at, l.id`, signalID)
	if err != nil {
		return nil, fmt.Errorf("signal history: %w", err)
	}
	defer rows.Close()
	var out []*ksp.HistoryEntry
	for rows.Next() {
		var e ksp.HistoryEntry
		var orgID, name string
		var named bool
		var t int64
		var subjects []byte
		if err := rows.Scan(&e.Kind, &e.Value, &e.Comment, &orgID, &name, &named, &t, &subjects); err != nil {
			return nil, fmt.Errorf("signal history: %w", err)
		}
		// An entry is shown to those who may see one of the submissions it
		// was about, like the verdict it records.
		about, err := parseList(subjects)
		if err != nil {
			return nil, fmt.Errorf("signal history: %w", err)
		}
		if !counts(about) {
			continue
		}
		e.Time = fromMicros(t)
		switch {
		case v.Staff || orgID == v.OrgID || named || orgID == ksp.StaffOrgID:
			e.Org = name
		default:
			e.Org = "a member"
		}
		out = append(out, &e)
	}
	return out, rows.Err()
}
