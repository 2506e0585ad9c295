package sqlstore

import (
	"context"
	"fmt"

	"github.com/kspplatform/ksp"
)

// FindEventsAfter returns up to limit events after seq that the actor may
// see, in sequence order. The sharing rule runs inside the query, so a
// viewer's page is never cut short or padded by events it may not see.
func (db *DB) FindEventsAfter(ctx context.Context, seq int64, limit int) ([]*ksp.Event, error) {
	if limit <= 0 || limit > ksp.MaxLimit {
		limit = ksp.DefaultLimit
	}
	vis, args := Visible(ksp.ActorFrom(ctx).Viewer(), "ev", "id")
	rows, err := db.query(ctx, `SELECT ev.seq, ev.id, ev.type, ev.time, ev.object_id, ev.owner_org_id, ev.distribution, ev.tlp, ev.data
		FROM events ev WHERE ev.seq > ? AND `+vis+` ORDER BY ev.seq LIMIT `+fmt.Sprint(limit), append([]any{seq}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("find events: %w", err)
	}
	defer rows.Close()
	var out []*ksp.Event
	for rows.Next() {
		var e ksp.Event
		var t int64
		var data string
		if err := rows.Scan(&e.Seq, &e.ID, &e.Type, &t, &e.ObjectID, &e.Sharing.OwnerOrgID, &e.Sharing.Distribution, &e.Sharing.TLP, &data); err != nil {
			return nil, fmt.Errorf("find events: %w", err)
		}
		e.Time = fromMicros(t)
		e.Data = []byte(data)
		out = append(out, &e)
	}
	return out, rows.Err()
}

// AppendEvent records an event outside any other write (used by features
// whose writes live elsewhere and by tests); the object's sharing decides
// who sees it.
func (db *DB) AppendEvent(ctx context.Context, typ, objectID string, s ksp.Sharing, data any) (*ksp.Event, error) {
	var e *ksp.Event
	err := db.write(ctx, func(tx *Tx) (err error) {
		e, err = tx.appendEvent(typ, objectID, s, data)
		return err
	})
	return e, err
}
