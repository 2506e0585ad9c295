package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kspplatform/ksp"
)

// SetAlertDeadline sets the deadline of alerts whose kind and tier fix none
// (0: ksp.DefaultAlertDeadline). Removal orders and threat-to-life alerts
// keep their one hour.
func (db *DB) SetAlertDeadline(d time.Duration) { db.alertDeadline = d }

func (db *DB) otherDeadline() time.Duration {
	if db.alertDeadline > 0 {
		return db.alertDeadline
	}
	return ksp.DefaultAlertDeadline
}

// Alert party roles (alert_parties.role).
const (
	partyRequester = "requester"
	partyReceiver  = "receiver"
	partyLE        = "law_enforcement"
)

const alertCols = `a.id, a.url, a.host, a.kind, a.tier, a.threat_level, a.issuing_authority, a.member_state, a.legal_basis, a.received_at,
	a.entity_id, a.labels, a.tlp, a.jurisdiction, a.sender_org_id, a.receiver_org_id, a.linked_alert_id, a.status, a.created_at,
	a.clock_start, a.deadline_at, a.escalated_at, a.response_action, a.response_note, a.response_reason, a.responded_at, a.preserve_until,
	COALESCE(ro.name, ''), a.incident_id`

const alertFrom = ` FROM alerts a LEFT JOIN orgs ro ON ro.id = a.receiver_org_id`

func scanAlert(sc interface{ Scan(...any) error }) (*ksp.Alert, error) {
	var a ksp.Alert
	var kind, tlp, labels, authority, state, basis, action, note, reason string
	var received, escalated, responded, preserve sql.NullInt64
	var created, clock, deadline int64
	if err := sc.Scan(&a.ID, &a.URL, &a.Host, &kind, &a.Tier, &a.ThreatLevel, &authority, &state, &basis, &received,
		&a.EntityID, &labels, &tlp, &a.Jurisdiction, &a.SenderOrgID, &a.ReceiverOrgID, &a.LinkedAlertID, &a.Status, &created,
		&clock, &deadline, &escalated, &action, &note, &reason, &responded, &preserve, &a.ReceiverOrgName, &a.IncidentID); err != nil {
		return nil, err
	}
	a.Kind, a.TLP = ksp.AlertKind(kind), ksp.TLP(tlp)
	if err := json.Unmarshal([]byte(labels), &a.Labels); err != nil {
		return nil, fmt.Errorf("alert labels: %w", err)
	}
	if a.Labels == nil {
		a.Labels = []string{}
	}
	if authority != "" || state != "" || basis != "" || received.Valid {
		a.Order = &ksp.RemovalOrder{IssuingAuthority: authority, MemberState: state, LegalBasis: basis, ReceivedAt: ptrTime(received)}
	}
	a.Created, a.ClockStart, a.Deadline = fromMicros(created), fromMicros(clock), fromMicros(deadline)
	a.Escalated = escalated.Valid
	if responded.Valid {
		t := fromMicros(responded.Int64)
		a.Response = &ksp.AlertResponse{Action: action, Note: note, Reason: reason, OrgID: a.ReceiverOrgID, Time: t,
			PreserveUntil: ptrTime(preserve), ResponseSeconds: int64(t.Sub(a.ClockStart.Time) / time.Second)}
	}
	return &a, nil
}

// alertVisible is the SQL form of the alert rule: staff see every alert;
// members see those they are a party to (requester, receiver, routed
// law-enforcement contact); suspended orgs see none (alerts are never
// public).
func alertVisible(v ksp.Viewer) (string, []any) {
	switch {
	case v.Staff:
		return "1 = 1", nil
	case v.Anonymous() || v.Suspended:
		return "1 = 0", nil
	}
	return "EXISTS (SELECT 1 FROM alert_parties vp WHERE vp.alert_id = a.id AND vp.org_id = ?)", []any{v.OrgID}
}

// loadAlert returns the alert if the viewer may see it, else ENOTFOUND.
func (db *DB) loadAlert(ctx context.Context, q querier, v ksp.Viewer, id string) (*ksp.Alert, error) {
	if !ksp.ValidID(id) {
		return nil, ksp.NotFound("alert")
	}
	vis, args := alertVisible(v)
	a, err := scanAlert(q.QueryRowContext(ctx, db.rebind(`SELECT `+alertCols+alertFrom+` WHERE a.id = ? AND `+vis), append([]any{id}, args...)...))
	if isNoRows(err) {
		return nil, ksp.NotFound("alert")
	}
	if err != nil {
		return nil, fmt.Errorf("find alert: %w", err)
	}
	return a, nil
}

// viewerRole says how the viewer relates to a visible alert.
func (db *DB) viewerRole(ctx context.Context, q querier, v ksp.Viewer, id string) (string, error) {
	rows, err := q.QueryContext(ctx, db.rebind(`SELECT role FROM alert_parties WHERE alert_id = ? AND org_id = ?`), id, v.OrgID)
	if err != nil {
		return "", fmt.Errorf("alert role: %w", err)
	}
	defer rows.Close()
	roles := map[string]bool{}
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return "", fmt.Errorf("alert role: %w", err)
		}
		roles[r] = true
	}
	switch {
	case roles[partyReceiver]:
		return ksp.AlertRoleReceiver, rows.Err()
	case roles[partyRequester]:
		return ksp.AlertRoleSender, rows.Err()
	case v.Staff:
		return ksp.AlertRoleStaff, rows.Err()
	case roles[partyLE]:
		return ksp.AlertRoleLE, rows.Err()
	}
	return "", rows.Err()
}

// fillAlert adds what the viewer may see of an alert's requests (and its
// timeline when timeline is set): the receiver and staff see every
// requester; a requester sees its own request and how many others there
// are; a law-enforcement contact sees only the count.
func (db *DB) fillAlert(ctx context.Context, q querier, v ksp.Viewer, a *ksp.Alert, timeline bool) error {
	role, err := db.viewerRole(ctx, q, v, a.ID)
	if err != nil {
		return err
	}
	a.ViewerRole = role
	full := role == ksp.AlertRoleReceiver || role == ksp.AlertRoleStaff
	rows, err := q.QueryContext(ctx, db.rebind(`SELECT r.id, r.org_id, COALESCE(o.name, ''), r.kind, r.tier, r.threat_level, r.entity_id, r.labels, r.note, r.tlp, r.jurisdiction, r.do_not_notify_until, r.created_at
		FROM alert_requests r LEFT JOIN orgs o ON o.id = r.org_id WHERE r.alert_id = ? ORDER BY r.created_at, r.id`), a.ID)
	if err != nil {
		return fmt.Errorf("alert requests: %w", err)
	}
	a.Requests = []*ksp.AlertRequest{}
	for rows.Next() {
		var r ksp.AlertRequest
		var kind, labels, tlp string
		var notify sql.NullInt64
		var created int64
		if err := rows.Scan(&r.ID, &r.OrgID, &r.OrgName, &kind, &r.Tier, &r.ThreatLevel, &r.EntityID, &labels, &r.Note, &tlp, &r.Jurisdiction, &notify, &created); err != nil {
			rows.Close()
			return fmt.Errorf("alert requests: %w", err)
		}
		r.Kind, r.TLP, r.DoNotNotifyUntil, r.Created = ksp.AlertKind(kind), ksp.TLP(tlp), ptrTime(notify), fromMicros(created)
		if err := json.Unmarshal([]byte(labels), &r.Labels); err != nil {
			rows.Close()
			return fmt.Errorf("alert request labels: %w", err)
		}
		if full || r.OrgID == v.OrgID {
			a.Requests = append(a.Requests, &r)
		} else {
			a.OtherRequests++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("alert requests: %w", err)
	}
	if !full {
		// The first sender is one of the requesters: name it only to itself.
		if a.SenderOrgID != v.OrgID {
			a.SenderOrgID = ""
		}
	}
	if !timeline {
		return nil
	}
	rows, err = q.QueryContext(ctx, db.rebind(`SELECT time, type, org_id, note FROM alert_timeline WHERE alert_id = ? ORDER BY seq`), a.ID)
	if err != nil {
		return fmt.Errorf("alert timeline: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e ksp.TimelineEntry
		var t int64
		if err := rows.Scan(&t, &e.Type, &e.OrgID, &e.Note); err != nil {
			return fmt.Errorf("alert timeline: %w", err)
		}
		e.Time = fromMicros(t)
		if !full && (e.Type == ksp.TimelineCreated || e.Type == ksp.TimelineRequested) && e.OrgID != v.OrgID {
			e.OrgID = "" // another requester: "a member"
		}
		if !full && e.Type == ksp.TimelineLENotified {
			e.OrgID = ""
		}
		a.Timeline = append(a.Timeline, &e)
	}
	return rows.Err()
}

// FindAlertByID returns an alert as the actor sees it. The receiver's first
// read is recorded as "viewed"; a staff read is audited.
func (db *DB) FindAlertByID(ctx context.Context, id string) (*ksp.Alert, error) {
	act, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	v := act.Viewer()
	a, err := db.loadAlert(ctx, db.sql, v, id)
	if err != nil {
		return nil, err
	}
	role, err := db.viewerRole(ctx, db.sql, v, id)
	if err != nil {
		return nil, err
	}
	switch {
	case role == ksp.AlertRoleReceiver && !act.Staff:
		err = db.write(ctx, func(tx *Tx) error {
			res, err := tx.exec(`UPDATE alerts SET viewed_at = ? WHERE id = ? AND viewed_at IS NULL`, micros(tx.now), id)
			if err != nil {
				return fmt.Errorf("alert viewed: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			if err := tx.addTimeline(id, tx.now, ksp.TimelineViewed, act.OrgID, ""); err != nil {
				return err
			}
			return tx.audit("alert.view", "alert:"+id, act.OrgID, nil)
		})
	case role == ksp.AlertRoleStaff:
		err = db.write(ctx, func(tx *Tx) error { return tx.audit("alert.read", "alert:"+id, act.OrgID, nil) })
	}
	if err != nil {
		return nil, err
	}
	if err := db.fillAlert(ctx, db.sql, v, a, true); err != nil {
		return nil, err
	}
	return a, nil
}

// FindAlerts lists the actor's alerts in a box, newest first: received
// (as receiver or law-enforcement contact), sent (as a requester), or
// unrouted (staff: waiting to be forwarded).
func (db *DB) FindAlerts(ctx context.Context, f ksp.AlertFilter) ([]*ksp.Alert, string, error) {
	act, err := requireActor(ctx)
	if err != nil {
		return nil, "", err
	}
	v := act.Viewer()
	var where string
	var args []any
	switch f.Box {
	case ksp.BoxReceived, "":
		where, args = `EXISTS (SELECT 1 FROM alert_parties bp WHERE bp.alert_id = a.id AND bp.org_id = ? AND bp.role IN ('receiver', 'law_enforcement'))`, []any{act.OrgID}
	case ksp.BoxSent:
		where, args = `EXISTS (SELECT 1 FROM alert_parties bp WHERE bp.alert_id = a.id AND bp.org_id = ? AND bp.role = 'requester')`, []any{act.OrgID}
	case ksp.BoxUnrouted:
		if !act.Staff {
			return nil, "", ksp.Errorf(ksp.EFORBIDDEN, "only staff see unrouted alerts")
		}
		where = `a.receiver_org_id = ''`
	default:
		return nil, "", &ksp.Error{Code: ksp.EINVALID, Message: "invalid box", Fields: []ksp.FieldError{{Field: "box", Reason: "must be received, sent or unrouted"}}}
	}
	if act.Suspended {
		return []*ksp.Alert{}, "", nil
	}
	vis, vargs := alertVisible(v)
	pw, pargs, limit, err := pageQuery(f.Page, "a.id")
	if err != nil {
		return nil, "", err
	}
	args = append(append(append(args, vargs...), pargs...), limit)
	rows, err := db.query(ctx, `SELECT `+alertCols+alertFrom+` WHERE `+where+` AND `+vis+` AND `+pw+` ORDER BY a.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, "", fmt.Errorf("find alerts: %w", err)
	}
	var out []*ksp.Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			rows.Close()
			return nil, "", fmt.Errorf("find alerts: %w", err)
		}
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find alerts: %w", err)
	}
	out, next := cut(out, f.Page, func(a *ksp.Alert) string { return a.ID })
	for _, a := range out {
		if err := db.fillAlert(ctx, db.sql, v, a, false); err != nil {
			return nil, "", err
		}
	}
	if out == nil {
		out = []*ksp.Alert{}
	}
	return out, next, nil
}

// RespondToAlert records the receiver's answer. Only the receiving org
// answers; anyone who may not see the alert gets ENOTFOUND.
func (db *DB) RespondToAlert(ctx context.Context, id string, in ksp.ResponseInput) (*ksp.Alert, error) {
	act, err := submitter(ctx)
	if err != nil {
		return nil, err
	}
	var f ksp.Fields
	in.Normalize(&f)
	err = db.write(ctx, func(tx *Tx) error {
		a, err := db.loadAlert(ctx, tx, act.Viewer(), id)
		if err != nil {
			return err
		}
		if a.ReceiverOrgID == "" || a.ReceiverOrgID != act.OrgID {
			return ksp.Errorf(ksp.EFORBIDDEN, "only the organisation the alert was delivered to responds to it")
		}
		if err := f.Err(); err != nil {
			return err
		}
		if a.Status == ksp.AlertResponded {
			return &ksp.Error{Code: ksp.ECONFLICT, Message: "the alert was already answered", Fields: []ksp.FieldError{{Field: "action", Reason: "already answered"}}}
		}
		var preserve any
		if in.Action == ksp.ResponseRemoved {
			preserve = micros(tx.now.AddDate(0, ksp.PreservationMonths, 0))
		}
		if _, err := tx.exec(`UPDATE alerts SET status = ?, response_action = ?, response_note = ?, response_reason = ?, responded_at = ?, preserve_until = ? WHERE id = ?`,
			ksp.AlertResponded, in.Action, in.Note, in.Reason, micros(tx.now), preserve, id); err != nil {
			return fmt.Errorf("respond to alert: %w", err)
		}
		if err := tx.addTimeline(id, tx.now, ksp.TimelineResponded, act.OrgID, in.Action); err != nil {
			return err
		}
		if err := tx.audit("alert.respond", "alert:"+id, act.OrgID, map[string]any{"action": in.Action, "note": in.Note, "reason": in.Reason}); err != nil {
			return err
		}
		return tx.alertEvent(ksp.EventAlertResponded, id)
	})
	if err != nil {
		return nil, err
	}
	return db.FindAlertByID(ctx, id)
}

// addTimeline appends an entry to an alert's timeline.
func (tx *Tx) addTimeline(alertID string, t ksp.Time, typ, orgID, note string) error {
	var seq int64
	if err := tx.queryRow(`SELECT COALESCE(MAX(seq), 0) + 1 FROM alert_timeline WHERE alert_id = ?`, alertID).Scan(&seq); err != nil {
		return fmt.Errorf("alert timeline: %w", err)
	}
	if _, err := tx.exec(`INSERT INTO alert_timeline (seq, alert_id, time, type, org_id, note) VALUES (?, ?, ?, ?, ?, ?)`,
		seq, alertID, micros(t), typ, orgID, note); err != nil {
		return fmt.Errorf("alert timeline: %w", err)
	}
	return nil
}

// alertEventData is what an alert event carries: the alert's facts, without
// its requesters (who are not all visible to every recipient).
type alertEventData struct {
	ID            string        `json:"id"`
	URL           string        `json:"url"`
	Kind          ksp.AlertKind `json:"kind"`
	Tier          string        `json:"tier,omitempty"`
	ThreatLevel   string        `json:"threat_level,omitempty"`
	Status        string        `json:"status"`
	Escalated     bool          `json:"escalated"`
	ReceiverOrgID string        `json:"receiver_org_id,omitempty"`
	Deadline      ksp.Time      `json:"deadline"`
	Response      string        `json:"response,omitempty"`
	Created       ksp.Time      `json:"created_at"`
}

// alertEvent appends an event about an alert, shared with its parties: the
// first sender owns it, the other parties are its audience.
func (tx *Tx) alertEvent(typ, id string) error {
	a, err := tx.db.loadAlert(tx.ctx, tx, ksp.Viewer{Staff: true}, id)
	if err != nil {
		return err
	}
	rows, err := tx.query(`SELECT DISTINCT org_id FROM alert_parties WHERE alert_id = ? AND org_id <> ? ORDER BY org_id`, id, a.SenderOrgID)
	if err != nil {
		return fmt.Errorf("alert event: %w", err)
	}
	var audience []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			rows.Close()
			return fmt.Errorf("alert event: %w", err)
		}
		audience = append(audience, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("alert event: %w", err)
	}
	sh := ksp.Sharing{OwnerOrgID: a.SenderOrgID, Distribution: ksp.DistOwner, TLP: a.TLP}
	if len(audience) > 0 {
		sh.Distribution, sh.Audience = ksp.DistAudience, audience
	}
	d := alertEventData{ID: a.ID, URL: a.URL, Kind: a.Kind, Tier: a.Tier, ThreatLevel: a.ThreatLevel, Status: a.Status, Escalated: a.Escalated,
		ReceiverOrgID: a.ReceiverOrgID, Deadline: a.Deadline, Created: a.Created}
	if a.Response != nil {
		d.Response = a.Response.Action
	}
	_, err = tx.appendEvent(typ, id, sh, d)
	return err
}
