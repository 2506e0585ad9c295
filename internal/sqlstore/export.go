package sqlstore

import (
	"context"

	"github.com/kspplatform/ksp"
)

// ExportSignals streams what may leave towards the actor's org. The org's
// own submission goes with a signal when it is active and may itself
// leave, so that the export can carry it exactly.
func (db *DB) ExportSignals(ctx context.Context, since *ksp.Time, fn func(*ksp.Signal, ksp.Distribution, *ksp.Submission) error) error {
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
		own := st.SubmissionOf(v.OrgID)
		if own != nil && (own.Retracted != nil || !ksp.MayLeave(own.Sharing(), v.OrgID)) {
			own = nil
		}
		return fn(sig, dist, own)
	})
}
