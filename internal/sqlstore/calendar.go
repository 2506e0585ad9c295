package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kspplatform/ksp"
)

const calendarCols = `c.id, c.kind, c.title, c.description, c.agenda, c.start_at, c.end_at, c.time_zone, c.place, c.online_url, c.recording_url,
	c.owner_org_id, c.distribution, c.tlp, c.created_at, c.updated_at`

func scanCalendarEvent(sc interface{ Scan(...any) error }) (*ksp.CalendarEvent, error) {
	var e ksp.CalendarEvent
	var agenda string
	var start, end, created, updated int64
	if err := sc.Scan(&e.ID, &e.Kind, &e.Title, &e.Description, &agenda, &start, &end, &e.TimeZone, &e.Place, &e.OnlineURL, &e.RecordingURL,
		&e.OwnerOrgID, &e.Distribution, &e.TLP, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(agenda), &e.Agenda); err != nil {
		return nil, fmt.Errorf("event %s agenda: %w", e.ID, err)
	}
	if e.Agenda == nil {
		e.Agenda = []ksp.AgendaItem{}
	}
	e.Start, e.End, e.Created, e.Updated = fromMicros(start), fromMicros(end), fromMicros(created), fromMicros(updated)
	return &e, nil
}

// FindCalendarEventByID returns an event the actor may see. A staff read
// of a restricted event is audited.
func (db *DB) FindCalendarEventByID(ctx context.Context, id string) (*ksp.CalendarEvent, error) {
	a := ksp.ActorFrom(ctx)
	e, err := db.findCalendarEvent(ctx, db.sql, a, id)
	if err != nil {
		return nil, err
	}
	if ksp.Restricted(e.Sharing) {
		if err := db.recordCalendarReads(ctx, []string{e.ID}); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func (db *DB) findCalendarEvent(ctx context.Context, q querier, a *ksp.Actor, id string) (*ksp.CalendarEvent, error) {
	if !ksp.ValidID(id) {
		return nil, ksp.NotFound("event")
	}
	vis, args := Visible(a.Viewer(), "c", "id")
	e, err := scanCalendarEvent(q.QueryRowContext(ctx, db.rebind(`SELECT `+calendarCols+` FROM calendar_events c WHERE c.id = ? AND `+vis), append([]any{id}, args...)...))
	if isNoRows(err) {
		return nil, ksp.NotFound("event")
	}
	if err != nil {
		return nil, fmt.Errorf("find event: %w", err)
	}
	if err := db.fillCalendarEvents(ctx, q, a, []*ksp.CalendarEvent{e}); err != nil {
		return nil, err
	}
	return e, nil
}

// fillCalendarEvents adds audiences, the viewer's own registration and,
// for the owner org and staff, the number registered: three queries for a
// whole page, whatever its length.
func (db *DB) fillCalendarEvents(ctx context.Context, q querier, a *ksp.Actor, list []*ksp.CalendarEvent) error {
	if len(list) == 0 {
		return nil
	}
	v := a.Viewer()
	byID := map[string]*ksp.CalendarEvent{}
	var all, audience, counted []any
	for _, e := range list {
		byID[e.ID] = e
		all = append(all, e.ID)
		if e.Distribution == ksp.DistAudience {
			audience = append(audience, e.ID)
		}
		if !v.Anonymous() && (v.Staff || e.OwnerOrgID == v.OrgID) {
			counted = append(counted, e.ID)
			zero := 0
			e.Registrations = &zero
		}
	}
	each := func(what, query string, args []any, fn func(rows interface{ Scan(...any) error }) error) error {
		rows, err := q.QueryContext(ctx, db.rebind(query), args...)
		if err != nil {
			return fmt.Errorf("event %s: %w", what, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := fn(rows); err != nil {
				return fmt.Errorf("event %s: %w", what, err)
			}
		}
		return rows.Err()
	}
	if len(audience) > 0 {
		if err := each("audience", `SELECT item_id, org_id FROM audiences WHERE item_id IN (`+placeholders(len(audience))+`) ORDER BY item_id, org_id`, audience, func(r interface{ Scan(...any) error }) error {
			var id, org string
			if err := r.Scan(&id, &org); err != nil {
				return err
			}
			byID[id].Audience = append(byID[id].Audience, org)
			return nil
		}); err != nil {
			return err
		}
	}
	if a != nil && a.UserID != "" {
		if err := each("registration", `SELECT event_id FROM calendar_registrations WHERE user_id = ? AND event_id IN (`+placeholders(len(all))+`)`, append([]any{a.UserID}, all...), func(r interface{ Scan(...any) error }) error {
			var id string
			if err := r.Scan(&id); err != nil {
				return err
			}
			byID[id].Registered = true
			return nil
		}); err != nil {
			return err
		}
	}
	if len(counted) > 0 {
		if err := each("registrations", `SELECT event_id, COUNT(*) FROM calendar_registrations WHERE event_id IN (`+placeholders(len(counted))+`) GROUP BY event_id`, counted, func(r interface{ Scan(...any) error }) error {
			var id string
			var n int
			if err := r.Scan(&id, &n); err != nil {
				return err
			}
			byID[id].Registrations = &n
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// recordCalendarReads audits one staff request that read restricted events.
func (db *DB) recordCalendarReads(ctx context.Context, ids []string) error {
	return db.auditRestrictedReads(ctx, ksp.ActorFrom(ctx), "calendar_event.read", "calendar_events", "events", ids)
}

// FindCalendarEvents lists the events the actor may see, newest first.
func (db *DB) FindCalendarEvents(ctx context.Context, f ksp.CalendarEventFilter) ([]*ksp.CalendarEvent, string, error) {
	a := ksp.ActorFrom(ctx)
	v := a.Viewer()
	if f.PublicOnly {
		v = ksp.Viewer{}
	}
	vis, args := Visible(v, "c", "id")
	where := []string{vis}
	if f.Kind != nil {
		if !contains(ksp.CalendarEventKinds, *f.Kind) {
			return nil, "", &ksp.Error{Code: ksp.EINVALID, Message: "invalid kind", Fields: []ksp.FieldError{{Field: "kind", Reason: "must be workshop, webinar or conference"}}}
		}
		where = append(where, "c.kind = ?")
		args = append(args, string(*f.Kind))
	}
	if f.Upcoming && f.Past {
		return nil, "", &ksp.Error{Code: ksp.EINVALID, Message: "invalid when", Fields: []ksp.FieldError{{Field: "when", Reason: "upcoming or past, not both"}}}
	}
	if f.Upcoming {
		where = append(where, "c.end_at > ?")
		args = append(args, f.Now.UnixMicro())
	}
	if f.Past {
		where = append(where, "c.end_at <= ?")
		args = append(args, f.Now.UnixMicro())
	}
	pw, pargs, limit, err := pageQuery(f.Page, "c.id")
	if err != nil {
		return nil, "", err
	}
	where = append(where, pw)
	args = append(args, pargs...)
	rows, err := db.query(ctx, `SELECT `+calendarCols+` FROM calendar_events c WHERE `+strings.Join(where, " AND ")+` ORDER BY c.id DESC LIMIT `+fmt.Sprint(limit), args...)
	if err != nil {
		return nil, "", fmt.Errorf("find events: %w", err)
	}
	var out []*ksp.CalendarEvent
	for rows.Next() {
		e, err := scanCalendarEvent(rows)
		if err != nil {
			rows.Close()
			return nil, "", fmt.Errorf("find events: %w", err)
		}
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find events: %w", err)
	}
	out, next := cut(out, f.Page, func(e *ksp.CalendarEvent) string { return e.ID })
	if f.PublicOnly {
		return out, next, nil
	}
	if err := db.fillCalendarEvents(ctx, db.sql, a, out); err != nil {
		return nil, "", err
	}
	var restricted []string
	for _, e := range out {
		if ksp.Restricted(e.Sharing) {
			restricted = append(restricted, e.ID)
		}
	}
	if err := db.recordCalendarReads(ctx, restricted); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// CreateCalendarEvent adds an event owned by the actor's org (analysts
// and staff).
func (db *DB) CreateCalendarEvent(ctx context.Context, e *ksp.CalendarEvent) error {
	a, err := submitter(ctx)
	if err != nil {
		return err
	}
	e.OwnerOrgID = a.OrgID
	return db.write(ctx, func(tx *Tx) error {
		var f ksp.Fields
		ksp.ValidateCalendarEvent(e, tx.now.Time, &f)
		if err := f.Err(); err != nil {
			return err
		}
		if err := tx.checkAudience(e.Audience); err != nil {
			return err
		}
		e.ID = ksp.NewID()
		e.Created, e.Updated = tx.now, tx.now
		if _, err := tx.exec(`INSERT INTO calendar_events (id, kind, title, description, agenda, start_at, end_at, time_zone, place, online_url, recording_url, owner_org_id, distribution, tlp, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, string(e.Kind), e.Title, e.Description, jsonList(e.Agenda), micros(e.Start), micros(e.End), e.TimeZone, e.Place, e.OnlineURL, e.RecordingURL,
			e.OwnerOrgID, string(e.Distribution), string(e.TLP), a.AuditName(), micros(e.Created), micros(e.Updated)); err != nil {
			return fmt.Errorf("insert event: %w", err)
		}
		if e.Distribution == ksp.DistAudience {
			if err := tx.setAudience(e.ID, e.Audience); err != nil {
				return err
			}
		}
		zero := 0
		e.Registrations = &zero
		return tx.audit("calendar_event.create", "calendar_event:"+e.ID, a.OrgID, map[string]any{"title": e.Title, "kind": string(e.Kind), "distribution": string(e.Distribution), "tlp": string(e.TLP)})
	})
}

// UpdateCalendarEvent changes an event: its org's analysts or staff. Others
// who may see it are refused; those who may not get 404.
func (db *DB) UpdateCalendarEvent(ctx context.Context, id string, u ksp.CalendarEventUpdate) (*ksp.CalendarEvent, error) {
	a, err := submitter(ctx)
	if err != nil {
		return nil, err
	}
	var out *ksp.CalendarEvent
	err = db.write(ctx, func(tx *Tx) error {
		e, err := db.findCalendarEvent(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if !a.Staff && e.OwnerOrgID != a.OrgID {
			return ksp.Errorf(ksp.EFORBIDDEN, "only the organisation that created the event, or staff, can change it")
		}
		u.Apply(e)
		var f ksp.Fields
		ksp.ValidateCalendarEvent(e, tx.now.Time, &f)
		if err := f.Err(); err != nil {
			return err
		}
		if err := tx.checkAudience(e.Audience); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE calendar_events SET kind = ?, title = ?, description = ?, agenda = ?, start_at = ?, end_at = ?, time_zone = ?, place = ?, online_url = ?, recording_url = ?,
			distribution = ?, tlp = ?, updated_at = ? WHERE id = ?`,
			string(e.Kind), e.Title, e.Description, jsonList(e.Agenda), micros(e.Start), micros(e.End), e.TimeZone, e.Place, e.OnlineURL, e.RecordingURL,
			string(e.Distribution), string(e.TLP), micros(tx.now), e.ID); err != nil {
			return fmt.Errorf("update event: %w", err)
		}
		if err := tx.setAudience(e.ID, e.Audience); err != nil {
			return err
		}
		if err := tx.audit("calendar_event.update", "calendar_event:"+e.ID, e.OwnerOrgID, map[string]any{"title": e.Title, "distribution": string(e.Distribution), "tlp": string(e.TLP)}); err != nil {
			return err
		}
		out, err = db.findCalendarEvent(ctx, tx, a, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// registrant checks the actor is a person of a member org in good standing.
func registrant(ctx context.Context) (*ksp.Actor, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	if a.UserID == "" {
		return nil, ksp.Errorf(ksp.EFORBIDDEN, "registration is for people: use a user's session or key")
	}
	if a.Suspended {
		return nil, errSuspended("register for events")
	}
	return a, nil
}

// RegisterForCalendarEvent registers the acting person for an event it may
// see. Registering for an event that has ended is refused.
func (db *DB) RegisterForCalendarEvent(ctx context.Context, id string) (*ksp.CalendarEvent, error) {
	return db.registration(ctx, id, true)
}

// UnregisterFromCalendarEvent withdraws the acting person's registration.
func (db *DB) UnregisterFromCalendarEvent(ctx context.Context, id string) (*ksp.CalendarEvent, error) {
	return db.registration(ctx, id, false)
}

func (db *DB) registration(ctx context.Context, id string, register bool) (*ksp.CalendarEvent, error) {
	a, err := registrant(ctx)
	if err != nil {
		return nil, err
	}
	var out *ksp.CalendarEvent
	err = db.write(ctx, func(tx *Tx) error {
		e, err := db.findCalendarEvent(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if register == e.Registered {
			out = e
			return nil
		}
		if register {
			if e.Ended(tx.now.Time) {
				return ksp.Errorf(ksp.ECONFLICT, "the event has ended")
			}
			if _, err := tx.exec(`INSERT INTO calendar_registrations (event_id, user_id, org_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, e.ID, a.UserID, a.OrgID, micros(tx.now)); err != nil {
				return fmt.Errorf("register: %w", err)
			}
		} else if _, err := tx.exec(`DELETE FROM calendar_registrations WHERE event_id = ? AND user_id = ?`, e.ID, a.UserID); err != nil {
			return fmt.Errorf("unregister: %w", err)
		}
		action := "calendar_event.register"
		if !register {
			action = "calendar_event.unregister"
		}
		if err := tx.audit(action, "calendar_event:"+e.ID, a.OrgID, nil); err != nil {
			return err
		}
		out, err = db.findCalendarEvent(ctx, tx, a, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
