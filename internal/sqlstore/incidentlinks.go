package sqlstore

import (
	"context"
	"fmt"

	"github.com/kspplatform/ksp"
)

// FindIncidentLinks lists the alerts and signals linked to an incident the
// actor may see, each through its own visibility rule inside the query.
func (db *DB) FindIncidentLinks(ctx context.Context, incidentID string) (*ksp.IncidentLinks, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	v := a.Viewer()
	if _, err := db.findIncident(ctx, db.sql, v, incidentID); err != nil {
		return nil, err
	}
	out := &ksp.IncidentLinks{Alerts: []*ksp.Alert{}, Signals: []*ksp.Signal{}}
	avis, aargs := alertVisible(v)
	rows, err := db.query(ctx, `SELECT `+alertCols+alertFrom+` WHERE a.incident_id = ? AND `+avis+` ORDER BY a.created_at DESC, a.id DESC LIMIT `+fmt.Sprint(ksp.MaxIncidentLinks),
		append([]any{incidentID}, aargs...)...)
	if err != nil {
		return nil, fmt.Errorf("incident links: alerts: %w", err)
	}
	for rows.Next() {
		al, err := scanAlert(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("incident links: alerts: %w", err)
		}
		out.Alerts = append(out.Alerts, al)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("incident links: alerts: %w", err)
	}
	svis, sargs := Visible(v, "s", "id")
	rows, err = db.query(ctx, `SELECT s.signal_id, MAX(s.created_at) FROM submissions s WHERE s.incident_id = ? AND s.retracted_at IS NULL AND `+svis+`
		GROUP BY s.signal_id ORDER BY MAX(s.created_at) DESC, s.signal_id LIMIT `+fmt.Sprint(ksp.MaxIncidentLinks), append([]any{incidentID}, sargs...)...)
	if err != nil {
		return nil, fmt.Errorf("incident links: signals: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		var t int64
		if err := rows.Scan(&id, &t); err != nil {
			rows.Close()
			return nil, fmt.Errorf("incident links: signals: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("incident links: signals: %w", err)
	}
	for _, id := range ids {
		// The signal as the viewer sees it: figures over its visible
		// submissions only.
		s, err := db.FindSignalByID(ctx, id)
		if ksp.ErrorCode(err) == ksp.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		out.Signals = append(out.Signals, s)
	}
	return out, nil
}
