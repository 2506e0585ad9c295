package sqlstore

import (
	"context"

	"github.com/kspplatform/ksp"
)

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
