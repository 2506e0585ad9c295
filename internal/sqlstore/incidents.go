package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kspplatform/ksp"
)

const incidentCols = `i.id, i.type, i.title, i.description, i.criteria, i.owner_org_id, i.distribution, i.tlp, i.status, i.created_by, i.created_at, i.updated_at,
	i.requested_by, i.requested_at, i.activated_by, i.activated_at, i.confirmed_by, i.confirmed_at, i.emergency, i.end_criteria, i.debrief, i.closed_by, i.closed_at, i.public_summary`

func scanIncident(sc interface{ Scan(...any) error }) (*ksp.Incident, error) {
	var i ksp.Incident
	var crit string
	var created, updated int64
	var requested, activated, confirmed, closed sql.NullInt64
	if err := sc.Scan(&i.ID, &i.Type, &i.Title, &i.Description, &crit, &i.OwnerOrgID, &i.Distribution, &i.TLP, &i.Status, &i.CreatedBy, &created, &updated,
		&i.ActivationRequestedBy, &requested, &i.ActivatedBy, &activated, &i.ConfirmedBy, &confirmed, &i.Emergency, &i.EndCriteria, &i.Debrief, &i.ClosedBy, &closed, &i.PublicSummary); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(crit), &i.Criteria); err != nil {
		return nil, fmt.Errorf("incident %s criteria: %w", i.ID, err)
	}
	i.Created, i.Updated = fromMicros(created), fromMicros(updated)
	i.ActivationRequested, i.Activated, i.Confirmed, i.Closed = ptrTime(requested), ptrTime(activated), ptrTime(confirmed), ptrTime(closed)
	if i.Emergency && i.Confirmed == nil && i.Activated != nil {
		due := ksp.T(i.Activated.Add(ksp.EmergencyConfirmWindow))
		i.ConfirmBy = &due
	}
	i.Updates = []ksp.IncidentUpdate{}
	return &i, nil
}

// visibleIncident is the SQL form of ksp.CanSeeIncident over incidents
// aliased i.
func visibleIncident(v ksp.Viewer) (string, []any) {
	vis, args := Visible(v, "i", "id")
	if v.Staff {
		return vis, args
	}
	return "(i.status <> 'draft' AND " + vis + ")", args
}

// incidentIdentity names the person acting, so that the two-person rule
// compares people: a user through any of its keys or sessions is one
// person.
func incidentIdentity(a *ksp.Actor) string {
	if a.UserID != "" {
		return "user:" + a.UserID
	}
	return a.AuditName()
}

// FindIncidentByID returns an incident the actor may see, with its
// timeline. A staff read of a restricted incident is audited.
func (db *DB) FindIncidentByID(ctx context.Context, id string) (*ksp.Incident, error) {
	a := ksp.ActorFrom(ctx)
	i, err := db.findIncident(ctx, db.sql, a.Viewer(), id)
	if err != nil {
		return nil, err
	}
	if err := db.loadIncidentUpdates(ctx, db.sql, i); err != nil {
		return nil, err
	}
	if ksp.Restricted(i.Sharing) {
		if err := db.recordIncidentReads(ctx, []string{i.ID}); err != nil {
			return nil, err
		}
	}
	return i, nil
}

func (db *DB) findIncident(ctx context.Context, q querier, v ksp.Viewer, id string) (*ksp.Incident, error) {
	if !ksp.ValidID(id) {
		return nil, ksp.NotFound("incident")
	}
	vis, args := visibleIncident(v)
	i, err := scanIncident(q.QueryRowContext(ctx, db.rebind(`SELECT `+incidentCols+` FROM incidents i WHERE i.id = ? AND `+vis), append([]any{id}, args...)...))
	if isNoRows(err) {
		return nil, ksp.NotFound("incident")
	}
	if err != nil {
		return nil, fmt.Errorf("find incident: %w", err)
	}
	if i.Distribution == ksp.DistAudience {
		if i.Audience, err = db.incidentAudience(ctx, q, i.ID); err != nil {
			return nil, err
		}
	}
	redactIncident(v, i)
	return i, nil
}

// redactIncident blanks, for members, which staff member drafted,
// requested, activated, confirmed and closed an incident: the two-person
// rule is the secretariat's business; members see that it was kept (the
// times and the emergency flag).
func redactIncident(v ksp.Viewer, i *ksp.Incident) {
	if v.Staff {
		return
	}
	i.CreatedBy, i.ActivationRequestedBy, i.ActivatedBy, i.ConfirmedBy, i.ClosedBy = "", "", "", "", ""
}

func (db *DB) incidentAudience(ctx context.Context, q querier, id string) ([]string, error) {
	out, err := columnStrings(q.QueryContext(ctx, db.rebind(`SELECT org_id FROM audiences WHERE item_id = ? ORDER BY org_id`), id))
	if err != nil {
		return nil, fmt.Errorf("incident audience: %w", err)
	}
	return out, nil
}

func (db *DB) loadIncidentUpdates(ctx context.Context, q querier, i *ksp.Incident) error {
	rows, err := q.QueryContext(ctx, db.rebind(`SELECT id, author, body, created_at FROM incident_updates WHERE incident_id = ? ORDER BY id`), i.ID)
	if err != nil {
		return fmt.Errorf("incident updates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u ksp.IncidentUpdate
		var t int64
		if err := rows.Scan(&u.ID, &u.Author, &u.Text, &t); err != nil {
			return fmt.Errorf("incident updates: %w", err)
		}
		u.Time = fromMicros(t)
		i.Updates = append(i.Updates, u)
	}
	return rows.Err()
}

// recordIncidentReads audits one staff request that read restricted
// incidents (members' reads and the server's own are not audited).
func (db *DB) recordIncidentReads(ctx context.Context, ids []string) error {
	return db.auditRestrictedReads(ctx, ksp.ActorFrom(ctx), "incident.read", "incidents", "incidents", ids)
}

// FindIncidents lists the incidents the actor may see, newest first.
func (db *DB) FindIncidents(ctx context.Context, f ksp.IncidentFilter) ([]*ksp.Incident, string, error) {
	a := ksp.ActorFrom(ctx)
	vis, args := visibleIncident(a.Viewer())
	where := []string{vis}
	var fields ksp.Fields
	if f.Status != nil {
		if !contains(ksp.IncidentStatuses, *f.Status) {
			fields.Add("status", "must be draft, active or closed")
		}
		where = append(where, "i.status = ?")
		args = append(args, string(*f.Status))
	}
	if f.Type != nil {
		if len(*f.Type) > 50 {
			fields.Add("type", "at most 50 bytes")
		}
		where = append(where, "i.type = ?")
		args = append(args, *f.Type)
	}
	if err := fields.Err(); err != nil {
		return nil, "", err
	}
	if f.ReviewAsOf != nil {
		where = append(where, "i.status = 'active' AND i.emergency = ? AND i.confirmed_at IS NULL AND i.activated_at <= ?")
		args = append(args, true, f.ReviewAsOf.Add(-ksp.EmergencyConfirmWindow).UnixMicro())
	}
	pw, pargs, limit, err := pageQuery(f.Page, "i.id")
	if err != nil {
		return nil, "", err
	}
	where = append(where, pw)
	args = append(args, pargs...)
	out, err := db.queryIncidents(ctx, `SELECT `+incidentCols+` FROM incidents i WHERE `+strings.Join(where, " AND ")+` ORDER BY i.id DESC LIMIT `+fmt.Sprint(limit), args...)
	if err != nil {
		return nil, "", err
	}
	out, next := cut(out, f.Page, func(i *ksp.Incident) string { return i.ID })
	var restricted []string
	for _, i := range out {
		redactIncident(a.Viewer(), i)
		if i.Distribution == ksp.DistAudience {
			if i.Audience, err = db.incidentAudience(ctx, db.sql, i.ID); err != nil {
				return nil, "", err
			}
		}
		if ksp.Restricted(i.Sharing) {
			restricted = append(restricted, i.ID)
		}
	}
	if err := db.recordIncidentReads(ctx, restricted); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (db *DB) queryIncidents(ctx context.Context, q string, args ...any) ([]*ksp.Incident, error) {
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find incidents: %w", err)
	}
	defer rows.Close()
	var out []*ksp.Incident
	for rows.Next() {
		i, err := scanIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("find incidents: %w", err)
		}
		out = append(out, i)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find incidents: %w", err)
	}
	return out, nil
}

// FindActiveIncidents returns the active incidents the actor may see: one
// query on the status index, run for the banner of every page. Staff
// reads here are not audited one by one: the banner shows titles only, and
// opening the incident is audited.
func (db *DB) FindActiveIncidents(ctx context.Context) ([]*ksp.Incident, error) {
	v := ksp.ActorFrom(ctx).Viewer()
	vis, args := visibleIncident(v)
	out, err := db.queryIncidents(ctx, `SELECT `+incidentCols+` FROM incidents i WHERE i.status = 'active' AND `+vis+` ORDER BY i.id DESC LIMIT 20`, args...)
	for _, i := range out {
		redactIncident(v, i)
	}
	return out, err
}

// CreateIncident drafts an incident (staff).
func (db *DB) CreateIncident(ctx context.Context, i *ksp.Incident) error {
	a, err := requireStaff(ctx)
	if err != nil {
		return err
	}
	var f ksp.Fields
	i.OwnerOrgID = ksp.StaffOrgID
	ksp.ValidateIncident(i, &f)
	if err := f.Err(); err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		if err := tx.checkAudience(i.Audience); err != nil {
			return err
		}
		i.ID = ksp.NewID()
		i.Status = ksp.IncidentDraft
		i.CreatedBy = incidentIdentity(a)
		i.Created, i.Updated = tx.now, tx.now
		i.Updates = []ksp.IncidentUpdate{}
		if _, err := tx.exec(`INSERT INTO incidents (id, type, title, description, criteria, owner_org_id, distribution, tlp, status, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			i.ID, i.Type, i.Title, i.Description, jsonList(i.Criteria), i.OwnerOrgID, string(i.Distribution), string(i.TLP), string(i.Status), i.CreatedBy, micros(i.Created), micros(i.Updated)); err != nil {
			return fmt.Errorf("insert incident: %w", err)
		}
		if i.Distribution == ksp.DistAudience {
			if err := tx.setAudience(i.ID, i.Audience); err != nil {
				return err
			}
		}
		return tx.audit("incident.create", "incident:"+i.ID, ksp.StaffOrgID, map[string]any{"type": i.Type, "title": i.Title, "distribution": string(i.Distribution), "tlp": string(i.TLP)})
	})
}

// incidentWrite runs fn on the incident id inside a write transaction (staff
// only), then returns the incident as stored, with its timeline.
func (db *DB) incidentWrite(ctx context.Context, id string, fn func(tx *Tx, a *ksp.Actor, i *ksp.Incident) error) (*ksp.Incident, error) {
	a, err := requireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out *ksp.Incident
	err = db.write(ctx, func(tx *Tx) error {
		i, err := db.findIncident(ctx, tx, a.Viewer(), id)
		if err != nil {
			return err
		}
		if err := fn(tx, a, i); err != nil {
			return err
		}
		if out, err = db.findIncident(ctx, tx, a.Viewer(), id); err != nil {
			return err
		}
		return db.loadIncidentUpdates(ctx, tx, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// incidentEvent appends an incident event, shared like the incident, so
// that only those who may see the incident are told.
func (tx *Tx) incidentEvent(typ string, i *ksp.Incident, extra map[string]any) error {
	data := map[string]any{"id": i.ID, "type": i.Type, "title": i.Title, "status": string(i.Status), "emergency": i.Emergency, "tlp": string(i.TLP), "distribution": string(i.Distribution)}
	for k, v := range extra {
		data[k] = v
	}
	_, err := tx.appendEvent(typ, i.ID, i.Sharing, data)
	return err
}

// ActivateIncident applies the two-person rule. On a draft, the first
// staff member's call records the request; a different staff member's call
// activates. With Emergency, one staff member activates at once, flagged;
// a different staff member's later call confirms it. The same person
// twice is refused.
func (db *DB) ActivateIncident(ctx context.Context, id string, in ksp.ActivateIncidentInput) (*ksp.Incident, error) {
	return db.incidentWrite(ctx, id, func(tx *Tx, a *ksp.Actor, i *ksp.Incident) error {
		me := incidentIdentity(a)
		switch {
		case i.Status == ksp.IncidentClosed:
			return ksp.Errorf(ksp.ECONFLICT, "the incident is closed")
		case i.Status == ksp.IncidentActive && (!i.Emergency || i.Confirmed != nil):
			return ksp.Errorf(ksp.ECONFLICT, "the incident is already active")
		case i.Status == ksp.IncidentActive:
			// An emergency activation waiting for its second person.
			if i.ActivatedBy == me {
				return ksp.Errorf(ksp.EFORBIDDEN, "a second staff member must confirm your emergency activation")
			}
			if _, err := tx.exec(`UPDATE incidents SET confirmed_by = ?, confirmed_at = ?, updated_at = ? WHERE id = ?`, me, micros(tx.now), micros(tx.now), i.ID); err != nil {
				return fmt.Errorf("confirm incident: %w", err)
			}
			return tx.audit("incident.confirm", "incident:"+i.ID, ksp.StaffOrgID, map[string]any{"emergency": true})
		case in.Emergency:
			if _, err := tx.exec(`UPDATE incidents SET status = 'active', emergency = ?, activated_by = ?, activated_at = ?, updated_at = ? WHERE id = ?`, true, me, micros(tx.now), micros(tx.now), i.ID); err != nil {
				return fmt.Errorf("activate incident: %w", err)
			}
			i.Status, i.Emergency = ksp.IncidentActive, true
			if err := tx.incidentEvent(ksp.EventIncidentActivated, i, map[string]any{"activated_at": tx.now}); err != nil {
				return err
			}
			return tx.audit("incident.activate", "incident:"+i.ID, ksp.StaffOrgID, map[string]any{"emergency": true})
		case i.ActivationRequestedBy == "":
			if _, err := tx.exec(`UPDATE incidents SET requested_by = ?, requested_at = ?, updated_at = ? WHERE id = ?`, me, micros(tx.now), micros(tx.now), i.ID); err != nil {
				return fmt.Errorf("request activation: %w", err)
			}
			return tx.audit("incident.activation_request", "incident:"+i.ID, ksp.StaffOrgID, nil)
		case i.ActivationRequestedBy == me:
			return ksp.Errorf(ksp.EFORBIDDEN, "activation needs a second staff member: you requested it already")
		}
		if _, err := tx.exec(`UPDATE incidents SET status = 'active', activated_by = ?, activated_at = ?, confirmed_by = ?, confirmed_at = ?, updated_at = ? WHERE id = ?`,
			i.ActivationRequestedBy, micros(tx.now), me, micros(tx.now), micros(tx.now), i.ID); err != nil {
			return fmt.Errorf("activate incident: %w", err)
		}
		i.Status = ksp.IncidentActive
		if err := tx.incidentEvent(ksp.EventIncidentActivated, i, map[string]any{"activated_at": tx.now}); err != nil {
			return err
		}
		return tx.audit("incident.activate", "incident:"+i.ID, ksp.StaffOrgID, map[string]any{"emergency": false, "requested_by": i.ActivationRequestedBy})
	})
}

// incidentAuthor is how a timeline entry names its author: the staff user's
// name, or the actor's audit name for the CLI and the server.
func (tx *Tx) incidentAuthor(a *ksp.Actor) (string, error) {
	if a.UserID == "" {
		return a.AuditName(), nil
	}
	var name string
	err := tx.queryRow(`SELECT name FROM users WHERE id = ?`, a.UserID).Scan(&name)
	if isNoRows(err) || (err == nil && name == "") {
		return "staff", nil
	}
	if err != nil {
		return "", fmt.Errorf("author name: %w", err)
	}
	return name, nil
}

// AddIncidentUpdate adds a timeline entry to a draft or active incident.
// Members who may see an active incident are told.
func (db *DB) AddIncidentUpdate(ctx context.Context, id string, in ksp.IncidentUpdateInput) (*ksp.Incident, error) {
	var f ksp.Fields
	in.Validate(&f)
	if err := f.Err(); err != nil {
		return nil, err
	}
	return db.incidentWrite(ctx, id, func(tx *Tx, a *ksp.Actor, i *ksp.Incident) error {
		if i.Status == ksp.IncidentClosed {
			return ksp.Errorf(ksp.ECONFLICT, "the incident is closed")
		}
		author, err := tx.incidentAuthor(a)
		if err != nil {
			return err
		}
		u := ksp.IncidentUpdate{ID: ksp.NewID(), Time: tx.now, Author: author, Text: in.Text}
		if _, err := tx.exec(`INSERT INTO incident_updates (id, incident_id, author, body, created_at) VALUES (?, ?, ?, ?, ?)`, u.ID, i.ID, u.Author, u.Text, micros(u.Time)); err != nil {
			return fmt.Errorf("incident update: %w", err)
		}
		if in.PublicSummary != nil {
			if _, err := tx.exec(`UPDATE incidents SET public_summary = ? WHERE id = ?`, *in.PublicSummary, i.ID); err != nil {
				return fmt.Errorf("incident update: %w", err)
			}
		}
		if _, err := tx.exec(`UPDATE incidents SET updated_at = ? WHERE id = ?`, micros(tx.now), i.ID); err != nil {
			return fmt.Errorf("incident update: %w", err)
		}
		if i.Status == ksp.IncidentActive {
			if err := tx.incidentEvent(ksp.EventIncidentUpdated, i, map[string]any{"update": u}); err != nil {
				return err
			}
		}
		return tx.audit("incident.update", "incident:"+i.ID, ksp.StaffOrgID, map[string]any{"update": u.ID})
	})
}

// CloseIncident closes an active incident and retracts the submissions
// shared under it (basis perpetrator_content) whose signal no other
// organisation confirmed by submitting it too.
func (db *DB) CloseIncident(ctx context.Context, id string, in ksp.CloseIncidentInput) (*ksp.Incident, error) {
	var f ksp.Fields
	in.Validate(&f)
	if err := f.Err(); err != nil {
		return nil, err
	}
	return db.incidentWrite(ctx, id, func(tx *Tx, a *ksp.Actor, i *ksp.Incident) error {
		if i.Status != ksp.IncidentActive {
			return ksp.Errorf(ksp.ECONFLICT, "only an active incident can be closed")
		}
		summary := i.PublicSummary
		if in.PublicSummary != nil {
			summary = *in.PublicSummary
		}
		if _, err := tx.exec(`UPDATE incidents SET status = 'closed', end_criteria = ?, debrief = ?, public_summary = ?, closed_by = ?, closed_at = ?, updated_at = ? WHERE id = ?`,
			in.EndCriteria, in.Debrief, summary, incidentIdentity(a), micros(tx.now), micros(tx.now), i.ID); err != nil {
			return fmt.Errorf("close incident: %w", err)
		}
		retracted, err := tx.retractUnconfirmed(i.ID)
		if err != nil {
			return err
		}
		i.Status = ksp.IncidentClosed
		if err := tx.incidentEvent(ksp.EventIncidentClosed, i, map[string]any{"closed_at": tx.now}); err != nil {
			return err
		}
		return tx.audit("incident.close", "incident:"+i.ID, ksp.StaffOrgID, map[string]any{"end_criteria": in.EndCriteria, "retracted_submissions": retracted})
	})
}

// retractUnconfirmed retracts, as Retract does (tombstone, change
// sequence, status refresh, signal.retracted event), every live submission
// shared under the incident whose signal has no live submission by another
// organisation. It returns the retracted submission ids.
func (tx *Tx) retractUnconfirmed(incidentID string) ([]string, error) {
	rows, err := tx.query(`SELECT s.id, s.signal_id FROM submissions s
		WHERE s.incident_id = ? AND s.incident_id <> '' AND s.basis = ? AND s.retracted_at IS NULL
		AND NOT EXISTS (SELECT 1 FROM submissions o WHERE o.signal_id = s.signal_id AND o.org_id <> s.org_id AND o.retracted_at IS NULL)
		ORDER BY s.id`, incidentID, ksp.BasisPerpetratorContent)
	if err != nil {
		return nil, fmt.Errorf("incident signals: %w", err)
	}
	type pair struct{ sub, signal string }
	var todo []pair
	for rows.Next() {
		var p pair
		if err := rows.Scan(&p.sub, &p.signal); err != nil {
			rows.Close()
			return nil, fmt.Errorf("incident signals: %w", err)
		}
		todo = append(todo, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("incident signals: %w", err)
	}
	var done []string
	for _, p := range todo {
		st, err := tx.db.loadState(tx.ctx, tx, p.signal)
		if err != nil {
			return nil, err
		}
		var own *ksp.Submission
		for _, s := range st.Submissions {
			if s.ID == p.sub {
				own = s
			}
		}
		if own == nil {
			continue
		}
		seq, err := tx.nextSeq("changes")
		if err != nil {
			return nil, err
		}
		if _, err := tx.exec(`UPDATE submissions SET retracted_at = ?, updated_at = ?, change_seq = ? WHERE id = ?`, micros(tx.now), micros(tx.now), seq, own.ID); err != nil {
			return nil, fmt.Errorf("retract for incident: %w", err)
		}
		if err := tx.tombstone(p.signal, own.Sharing(), ksp.TombstoneIncidentClosed); err != nil {
			return nil, err
		}
		if err := tx.refreshByID(p.signal, nil); err != nil {
			return nil, err
		}
		if _, err := tx.appendEvent(ksp.EventSignalRetracted, p.signal, own.Sharing(), map[string]any{"id": p.signal, "type": st.Type, "reason": ksp.TombstoneIncidentClosed}); err != nil {
			return nil, err
		}
		done = append(done, own.ID)
	}
	return done, nil
}

// checkIncident refuses a submission whose incident_id names no incident
// the submitter may see (an unknown and an invisible incident get the same
// answer, so the field reveals nothing).
func (tx *Tx) checkIncident(a *ksp.Actor, in *ksp.SubmissionInput) error {
	if in.IncidentID == "" {
		return nil
	}
	ok, err := tx.visibleIncidents(a, []string{in.IncidentID})
	if err != nil {
		return err
	}
	if !ok[in.IncidentID] {
		return &ksp.Error{Code: ksp.EINVALID, Message: "incident_id names no incident you can see", Fields: []ksp.FieldError{{Field: "incident_id", Reason: "no such incident"}}}
	}
	return nil
}

// visibleIncidents returns which of ids name incidents a may see.
func (tx *Tx) visibleIncidents(a *ksp.Actor, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	var valid []any
	for _, id := range ids {
		if ksp.ValidID(id) && !out[id] {
			out[id] = false
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		return out, nil
	}
	vis, args := visibleIncident(a.Viewer())
	ph := placeholders(len(valid))
	rows, err := tx.query(`SELECT i.id FROM incidents i WHERE i.id IN (`+ph+`) AND `+vis, append(valid, args...)...)
	if err != nil {
		return nil, fmt.Errorf("check incident: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("check incident: %w", err)
		}
		out[id] = true
	}
	return out, rows.Err()
}

// batchIncidents returns which incident_ids stated in a batch name
// incidents the submitter may see, with one query for the batch.
func (tx *Tx) batchIncidents(batch []batchRec) (map[string]bool, error) {
	var ids []string
	for _, r := range batch {
		if r.in.IncidentID != "" {
			ids = append(ids, r.in.IncidentID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return tx.visibleIncidents(ksp.ActorFrom(tx.ctx), ids)
}
