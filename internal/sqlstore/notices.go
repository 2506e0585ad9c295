package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/kspplatform/ksp"
)

// noticeBatch bounds the events and alerts one TakeNotices call handles;
// the rest wait for the next call.
const noticeBatch = 200

const incidentMailCursor = "incident_mail"

// noticeOrg is an org as the sharing rule sees it, with its users' mail
// addresses.
type noticeOrg struct {
	viewer ksp.Viewer
	emails []string
	// answerers are the users who may answer an alert (admins, analysts).
	answerers []string
}

// TakeNotices returns the mail notices due at now, once each (see
// ksp.NoticeService). Recipients are chosen with ksp.CanSee over the
// event's sharing, org by org: the one rule, applied to each org as a
// viewer.
func (db *DB) TakeNotices(ctx context.Context, now time.Time) ([]*ksp.Notice, error) {
	if _, err := requireStaff(ctx); err != nil {
		return nil, err
	}
	var out []*ksp.Notice
	err := db.write(ctx, func(tx *Tx) error {
		out = nil
		orgs, err := tx.noticeOrgs()
		if err != nil {
			return err
		}
		inc, err := tx.incidentNotices(orgs)
		if err != nil {
			return err
		}
		due, err := tx.alertDueNotices(orgs, ksp.T(now))
		if err != nil {
			return err
		}
		out = append(inc, due...)
		return nil
	})
	return out, err
}

func (tx *Tx) noticeOrgs() (map[string]*noticeOrg, error) {
	rows, err := tx.query(`SELECT id, kind, status FROM orgs`)
	if err != nil {
		return nil, fmt.Errorf("notices: orgs: %w", err)
	}
	orgs := map[string]*noticeOrg{}
	for rows.Next() {
		var id, kind, status string
		if err := rows.Scan(&id, &kind, &status); err != nil {
			rows.Close()
			return nil, fmt.Errorf("notices: orgs: %w", err)
		}
		orgs[id] = &noticeOrg{viewer: ksp.Viewer{OrgID: id, Staff: kind == string(ksp.KindStaff), Suspended: status == ksp.OrgStatusSuspended}}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notices: orgs: %w", err)
	}
	rows, err = tx.query(`SELECT org_id, email, role FROM users WHERE status = ? ORDER BY email`, ksp.UserActive)
	if err != nil {
		return nil, fmt.Errorf("notices: users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var org, email, role string
		if err := rows.Scan(&org, &email, &role); err != nil {
			return nil, fmt.Errorf("notices: users: %w", err)
		}
		o := orgs[org]
		if o == nil {
			continue
		}
		o.emails = append(o.emails, email)
		if role == string(ksp.RoleAdmin) || role == string(ksp.RoleAnalyst) || o.viewer.Staff {
			o.answerers = append(o.answerers, email)
		}
	}
	return orgs, rows.Err()
}

// incidentNotices reads the incident events after the cursor. On first use
// the cursor starts at the newest event: history is not mailed.
func (tx *Tx) incidentNotices(orgs map[string]*noticeOrg) ([]*ksp.Notice, error) {
	var top int64
	if err := tx.queryRow(`SELECT COALESCE(MAX(seq), 0) FROM events`).Scan(&top); err != nil {
		return nil, fmt.Errorf("notices: events: %w", err)
	}
	var cursor int64
	err := tx.queryRow(`SELECT seq FROM notice_cursors WHERE name = ?`, incidentMailCursor).Scan(&cursor)
	if isNoRows(err) {
		_, err = tx.exec(`INSERT INTO notice_cursors (name, seq) VALUES (?, ?) ON CONFLICT DO NOTHING`, incidentMailCursor, top)
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("notices: cursor: %w", err)
	}
	rows, err := tx.query(`SELECT ev.seq, ev.id, ev.type, ev.object_id, ev.owner_org_id, ev.distribution, ev.tlp, ev.data, COALESCE(i.status, '')
		FROM events ev LEFT JOIN incidents i ON i.id = ev.object_id
		WHERE ev.seq > ? AND ev.seq <= ? AND ev.type IN (?, ?, ?) ORDER BY ev.seq LIMIT `+fmt.Sprint(noticeBatch),
		cursor, top, ksp.EventIncidentActivated, ksp.EventIncidentUpdated, ksp.EventIncidentClosed)
	if err != nil {
		return nil, fmt.Errorf("notices: events: %w", err)
	}
	type ev struct {
		seq          int64
		id, status   string
		n            *ksp.Notice
		s            ksp.Sharing
		distribution string
	}
	var evs []ev
	for rows.Next() {
		var e ev
		var data, dist, tlp string
		e.n = &ksp.Notice{}
		if err := rows.Scan(&e.seq, &e.id, &e.n.Type, &e.n.ObjectID, &e.s.OwnerOrgID, &dist, &tlp, &data, &e.status); err != nil {
			rows.Close()
			return nil, fmt.Errorf("notices: events: %w", err)
		}
		e.s.Distribution, e.s.TLP = ksp.Distribution(dist), ksp.TLP(tlp)
		// Every recipient may see the incident, so its title may reach
		// them by mail, unless its TLP keeps it on the instance.
		var d struct {
			Title string `json:"title"`
		}
		if json.Unmarshal([]byte(data), &d) == nil && e.s.TLP != ksp.TLPRed && e.s.TLP != ksp.TLPAmberStrict {
			e.n.Title = d.Title
		}
		evs = append(evs, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notices: events: %w", err)
	}
	next := top
	if len(evs) == noticeBatch {
		next = evs[len(evs)-1].seq
	}
	res, err := tx.exec(`UPDATE notice_cursors SET seq = ? WHERE name = ? AND seq = ?`, next, incidentMailCursor, cursor)
	if err != nil {
		return nil, fmt.Errorf("notices: cursor: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, nil // another server took these events
	}
	var out []*ksp.Notice
	for _, e := range evs {
		if e.s.Distribution == ksp.DistAudience {
			if e.s.Audience, err = tx.audienceOf(e.id); err != nil {
				return nil, err
			}
		}
		for _, o := range orgs {
			// Drafts are staff's alone, whatever their distribution.
			if (e.status == string(ksp.IncidentDraft) && !o.viewer.Staff) || !ksp.CanSee(o.viewer, e.s) {
				continue
			}
			e.n.To = append(e.n.To, o.emails...)
		}
		if len(e.n.To) > 0 {
			slices.Sort(e.n.To)
			out = append(out, e.n)
		}
	}
	return out, nil
}

func (tx *Tx) audienceOf(itemID string) ([]string, error) {
	out, err := columnStrings(tx.query(`SELECT org_id FROM audiences WHERE item_id = ?`, itemID))
	if err != nil {
		return nil, fmt.Errorf("notices: audience: %w", err)
	}
	return out, nil
}

// alertDueNotices reminds the receivers of unanswered alerts due within
// ksp.AlertReminderLead, once; alerts waiting with staff remind staff.
func (tx *Tx) alertDueNotices(orgs map[string]*noticeOrg, now ksp.Time) ([]*ksp.Notice, error) {
	rows, err := tx.query(`SELECT id, kind, tier, receiver_org_id, deadline_at FROM alerts
		WHERE status = ? AND reminded_at IS NULL AND deadline_at > ? AND deadline_at <= ? ORDER BY deadline_at LIMIT `+fmt.Sprint(noticeBatch),
		ksp.AlertOpen, micros(now), micros(now.Add(ksp.AlertReminderLead)))
	if err != nil {
		return nil, fmt.Errorf("notices: alerts: %w", err)
	}
	var ns []*ksp.Notice
	var receivers []string
	for rows.Next() {
		n := &ksp.Notice{Type: ksp.NoticeAlertDue}
		var receiver string
		var due int64
		if err := rows.Scan(&n.ObjectID, &n.Kind, &n.Tier, &receiver, &due); err != nil {
			rows.Close()
			return nil, fmt.Errorf("notices: alerts: %w", err)
		}
		n.Due = ksp.TP(fromMicros(due).Time)
		ns = append(ns, n)
		receivers = append(receivers, receiver)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notices: alerts: %w", err)
	}
	var out []*ksp.Notice
	for i, n := range ns {
		res, err := tx.exec(`UPDATE alerts SET reminded_at = ? WHERE id = ? AND reminded_at IS NULL`, micros(now), n.ObjectID)
		if err != nil {
			return nil, fmt.Errorf("notices: alerts: %w", err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			continue
		}
		to := ksp.StaffOrgID
		if receivers[i] != "" {
			to = receivers[i]
		}
		if o := orgs[to]; o != nil && (!o.viewer.Suspended || o.viewer.Staff) {
			n.To = append(n.To, o.answerers...)
		}
		if err := tx.audit("alert.remind", "alert:"+n.ObjectID, to, map[string]any{"recipients": len(n.To)}); err != nil {
			return nil, err
		}
		if len(n.To) > 0 {
			out = append(out, n)
		}
	}
	return out, nil
}
