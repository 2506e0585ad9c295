package sqlstore

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
)

// hostSuffixes returns the host and each parent domain of it at a label
// boundary, longest first: a.b.example → a.b.example, b.example, example.
// An IP address has none: no domain can claim it.
func hostSuffixes(host string) []string {
	if host == "" || strings.HasPrefix(host, "[") || strings.Trim(host, "0123456789.") == "" {
		return nil
	}
	var out []string
	for {
		out = append(out, host)
		i := strings.IndexByte(host, '.')
		if i < 0 {
			return out
		}
		host = host[i+1:]
	}
}

// urlHost returns the host of a normalised URL without its port.
func urlHost(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Hostname()
}

// routeHost finds the member whose verified domain is the longest suffix of
// host (at a label boundary, so evil-example.com is not example.com's).
// Unverified domains, suspended orgs and the staff org route nothing.
func (tx *Tx) routeHost(host string) (string, error) {
	sfx := hostSuffixes(host)
	if len(sfx) == 0 {
		return "", nil
	}
	ph := placeholders(len(sfx))
	args := []any{true, ksp.OrgStatusMember, string(ksp.KindStaff)}
	for _, s := range sfx {
		args = append(args, s)
	}
	rows, err := tx.query(`SELECT d.domain, d.org_id FROM domains d JOIN orgs o ON o.id = d.org_id
		WHERE d.verified = ? AND o.status = ? AND o.kind <> ? AND d.domain IN (`+ph+`)`, args...)
	if err != nil {
		return "", fmt.Errorf("route alert: %w", err)
	}
	defer rows.Close()
	best, org := "", ""
	for rows.Next() {
		var d, o string
		if err := rows.Scan(&d, &o); err != nil {
			return "", fmt.Errorf("route alert: %w", err)
		}
		if len(d) > len(best) {
			best, org = d, o
		}
	}
	return org, rows.Err()
}

// tierRank orders tiers by urgency (lower is more urgent; none last).
func tierRank(t string) int {
	for i, x := range ksp.AlertTiers {
		if x == t {
			return i
		}
	}
	return len(ksp.AlertTiers)
}

// CreateAlert records an alert from the actor's org (see ksp.AlertService).
// Referrals on the same URL within ksp.MergeWindow merge into one alert;
// legal orders never merge: they link to that referral and keep their own
// clock.
func (db *DB) CreateAlert(ctx context.Context, in ksp.AlertInput) (*ksp.Alert, bool, error) {
	act, err := submitter(ctx)
	if err != nil {
		return nil, false, err
	}
	var f ksp.Fields
	in.Normalize(ksp.Now(), &f)
	if in.Kind.LegalOrder() && !act.Staff && act.OrgKind != ksp.KindGovernment {
		f.Add("kind", "only government authorities issue legal orders; send a referral")
	}
	if err := f.Err(); err != nil {
		return nil, false, err
	}
	var id string
	merged := false
	err = db.write(ctx, func(tx *Tx) error {
		if in.IncidentID != "" {
			vis, err := tx.visibleIncidents(act, []string{in.IncidentID})
			if err != nil {
				return err
			}
			if !vis[in.IncidentID] {
				return &ksp.Error{Code: ksp.EINVALID, Message: "unknown incident", Fields: []ksp.FieldError{{Field: "incident_id", Reason: "no incident with this id that you may see"}}}
			}
		}
		if in.EntityID != "" {
			e, err := db.findEntity(ctx, tx, in.EntityID)
			if ksp.ErrorCode(err) == ksp.ENOTFOUND {
				return &ksp.Error{Code: ksp.EINVALID, Message: "unknown entity", Fields: []ksp.FieldError{{Field: "entity_id", Reason: "no entity with this id or reference number"}}}
			}
			if err != nil {
				return err
			}
			in.EntityID = e.ID
		}
		var recent string
		// The same URL, with or without a leading www. (ksp.AlertMergeURLs).
		urls := ksp.AlertMergeURLs(in.URL)
		args := []any{string(ksp.AlertReferral), micros(tx.now.Add(-ksp.MergeWindow))}
		for _, u := range urls {
			args = append(args, u)
		}
		err := tx.queryRow(`SELECT id FROM alerts WHERE kind = ? AND created_at >= ? AND url IN (`+placeholders(len(urls))+`)
			ORDER BY created_at DESC, id DESC LIMIT 1`, args...).Scan(&recent)
		if err != nil && !isNoRows(err) {
			return fmt.Errorf("find alert to merge: %w", err)
		}
		if recent != "" && in.Kind == ksp.AlertReferral {
			id, merged = recent, true
			return tx.mergeAlert(act, recent, &in)
		}
		id, err = tx.newAlert(act, &in, recent)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	a, err := db.FindAlertByID(ctx, id)
	return a, merged, err
}

// newAlert inserts a new alert with its first request; linked is a referral
// on the same URL that a legal order links to.
func (tx *Tx) newAlert(act *ksp.Actor, in *ksp.AlertInput, linked string) (string, error) {
	id := ksp.NewID()
	host := urlHost(in.URL)
	receiver, err := tx.routeHost(host)
	if err != nil {
		return "", err
	}
	if in.Kind == ksp.AlertReferral {
		linked = "" // only legal orders link; a referral here is a new one
	}
	clock := tx.now
	var authority, state, basis string
	var received any
	if in.Order != nil {
		authority, state, basis = in.Order.IssuingAuthority, in.Order.MemberState, in.Order.LegalBasis
		if in.Order.ReceivedAt != nil {
			received = micros(*in.Order.ReceivedAt)
			if in.Kind == ksp.AlertTCORemovalOrder {
				clock = *in.Order.ReceivedAt
			}
		}
	}
	deadline := clock.Add(ksp.AlertDeadline(in.Kind, in.Tier, tx.db.otherDeadline()))
	if _, err := tx.exec(`INSERT INTO alerts (id, url, host, kind, tier, threat_level, issuing_authority, member_state, legal_basis, received_at, entity_id, labels, tlp,
		jurisdiction, sender_org_id, receiver_org_id, linked_alert_id, status, created_at, clock_start, deadline_at, incident_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, in.URL, host, string(in.Kind), in.Tier, in.ThreatLevel, authority, state, basis, received, in.EntityID, jsonList(in.Labels), string(in.TLP),
		in.Jurisdiction, act.OrgID, receiver, linked, ksp.AlertOpen, micros(tx.now), micros(clock), micros(deadline), in.IncidentID); err != nil {
		return "", fmt.Errorf("insert alert: %w", err)
	}
	if err := tx.insertRequest(act, id, in); err != nil {
		return "", err
	}
	if err := tx.addTimeline(id, tx.now, ksp.TimelineCreated, act.OrgID, ""); err != nil {
		return "", err
	}
	if linked != "" {
		if err := tx.addTimeline(id, tx.now, ksp.TimelineLinked, "", linked); err != nil {
			return "", err
		}
		if err := tx.addTimeline(linked, tx.now, ksp.TimelineLinked, "", id); err != nil {
			return "", err
		}
	}
	if receiver != "" {
		if err := tx.deliver(id, receiver, ksp.TimelineDelivered); err != nil {
			return "", err
		}
	}
	if err := tx.notifyLE(id, act.OrgID, receiver, in.Tier, in.Jurisdiction); err != nil {
		return "", err
	}
	if err := tx.audit("alert.create", "alert:"+id, act.OrgID, map[string]any{"url": in.URL, "kind": string(in.Kind), "tier": in.Tier}); err != nil {
		return "", err
	}
	return id, tx.alertEvent(ksp.EventAlertCreated, id)
}

func (tx *Tx) insertRequest(act *ksp.Actor, alertID string, in *ksp.AlertInput) error {
	if _, err := tx.exec(`INSERT INTO alert_requests (id, alert_id, org_id, kind, tier, threat_level, entity_id, labels, note, tlp, jurisdiction, do_not_notify_until, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ksp.NewID(), alertID, act.OrgID, string(in.Kind), in.Tier, in.ThreatLevel, in.EntityID, jsonList(in.Labels), in.Note, string(in.TLP), in.Jurisdiction,
		nullMicros(in.DoNotNotifyUntil), micros(tx.now)); err != nil {
		return fmt.Errorf("insert alert request: %w", err)
	}
	return tx.addParty(alertID, act.OrgID, partyRequester)
}

func (tx *Tx) addParty(alertID, orgID, role string) error {
	if _, err := tx.exec(`INSERT INTO alert_parties (alert_id, org_id, role) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, alertID, orgID, role); err != nil {
		return fmt.Errorf("alert party: %w", err)
	}
	return nil
}

// deliver makes org the alert's receiver.
func (tx *Tx) deliver(alertID, org, entry string) error {
	if err := tx.addParty(alertID, org, partyReceiver); err != nil {
		return err
	}
	return tx.addTimeline(alertID, tx.now, entry, org, "")
}

// notifyLE routes a threat-to-life alert to the law-enforcement contacts of
// its jurisdiction (those not already a party to it).
func (tx *Tx) notifyLE(alertID, sender, receiver, tier, jurisdiction string) error {
	if tier != ksp.TierThreatToLife || jurisdiction == "" {
		return nil
	}
	orgs, err := columnStrings(tx.query(`SELECT c.org_id FROM le_contacts c JOIN orgs o ON o.id = c.org_id WHERE c.jurisdiction = ? AND o.status = ? ORDER BY c.org_id`, jurisdiction, ksp.OrgStatusMember))
	if err != nil {
		return fmt.Errorf("law-enforcement contacts: %w", err)
	}
	for _, o := range orgs {
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM alert_parties WHERE alert_id = ? AND org_id = ? AND role = ?`, alertID, o, partyLE).Scan(&n); err != nil {
			return fmt.Errorf("law-enforcement contacts: %w", err)
		}
		if n > 0 {
			continue
		}
		if err := tx.addParty(alertID, o, partyLE); err != nil {
			return err
		}
		if err := tx.addTimeline(alertID, tx.now, ksp.TimelineLENotified, o, jurisdiction); err != nil {
			return err
		}
	}
	return nil
}

// mergeAlert adds the actor's request to an existing referral on the same
// URL. A more urgent tier tightens the alert's tier and deadline; a request
// from an org that already asked adds nothing.
func (tx *Tx) mergeAlert(act *ksp.Actor, id string, in *ksp.AlertInput) error {
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM alert_requests WHERE alert_id = ? AND org_id = ?`, id, act.OrgID).Scan(&n); err != nil {
		return fmt.Errorf("merge alert: %w", err)
	}
	if n > 0 {
		return nil
	}
	a, err := tx.db.loadAlert(tx.ctx, tx, ksp.Viewer{Staff: true}, id)
	if err != nil {
		return err
	}
	if err := tx.insertRequest(act, id, in); err != nil {
		return err
	}
	if err := tx.addTimeline(id, tx.now, ksp.TimelineRequested, act.OrgID, ""); err != nil {
		return err
	}
	if tierRank(in.Tier) < tierRank(a.Tier) {
		deadline := a.Deadline
		if d := tx.now.Add(ksp.AlertDeadline(in.Kind, in.Tier, tx.db.otherDeadline())); d.Before(deadline.Time) {
			deadline = ksp.T(d)
		}
		if _, err := tx.exec(`UPDATE alerts SET tier = ?, threat_level = ?, deadline_at = ? WHERE id = ?`, in.Tier, in.ThreatLevel, micros(deadline), id); err != nil {
			return fmt.Errorf("merge alert: %w", err)
		}
		a.Tier = in.Tier
		if a.ReceiverOrgID == "" && a.Tier == ksp.TierThreatToLife {
			tx.wakeAtCommit() // now urgent and waiting with staff: the staff pager
		}
	}
	if a.IncidentID == "" && in.IncidentID != "" {
		if _, err := tx.exec(`UPDATE alerts SET incident_id = ? WHERE id = ?`, in.IncidentID, id); err != nil {
			return fmt.Errorf("merge alert: %w", err)
		}
	}
	jur := a.Jurisdiction
	if jur == "" && in.Jurisdiction != "" {
		jur = in.Jurisdiction
		if _, err := tx.exec(`UPDATE alerts SET jurisdiction = ? WHERE id = ?`, jur, id); err != nil {
			return fmt.Errorf("merge alert: %w", err)
		}
	}
	if err := tx.notifyLE(id, act.OrgID, a.ReceiverOrgID, a.Tier, jur); err != nil {
		return err
	}
	return tx.audit("alert.merge", "alert:"+id, act.OrgID, map[string]any{"url": in.URL, "tier": in.Tier})
}

// ForwardAlert routes an alert waiting with staff to a member org.
func (db *DB) ForwardAlert(ctx context.Context, id, orgID string) (*ksp.Alert, error) {
	act, err := requireStaff(ctx)
	if err != nil {
		return nil, err
	}
	err = db.write(ctx, func(tx *Tx) error {
		a, err := db.loadAlert(ctx, tx, act.Viewer(), id)
		if err != nil {
			return err
		}
		if a.ReceiverOrgID != "" {
			return ksp.Errorf(ksp.ECONFLICT, "the alert was already delivered")
		}
		var kind, status string
		err = tx.queryRow(`SELECT kind, status FROM orgs WHERE id = ?`, orgID).Scan(&kind, &status)
		if isNoRows(err) || !ksp.ValidID(orgID) || kind == string(ksp.KindStaff) || status != ksp.OrgStatusMember {
			return &ksp.Error{Code: ksp.EINVALID, Message: "invalid organisation", Fields: []ksp.FieldError{{Field: "org_id", Reason: "not a member organisation in good standing"}}}
		}
		if err != nil {
			return fmt.Errorf("forward alert: %w", err)
		}
		if _, err := tx.exec(`UPDATE alerts SET receiver_org_id = ? WHERE id = ?`, orgID, id); err != nil {
			return fmt.Errorf("forward alert: %w", err)
		}
		if err := tx.deliver(id, orgID, ksp.TimelineForwarded); err != nil {
			return err
		}
		if err := tx.audit("alert.forward", "alert:"+id, orgID, nil); err != nil {
			return err
		}
		return tx.alertEvent(ksp.EventAlertCreated, id)
	})
	if err != nil {
		return nil, err
	}
	return db.FindAlertByID(ctx, id)
}

// EscalateOverdue escalates, once each, the unanswered alerts whose deadline
// passed before now. The clock is the caller's so that tests can move it.
func (db *DB) EscalateOverdue(ctx context.Context, now time.Time) (int, error) {
	if _, err := requireStaff(ctx); err != nil {
		return 0, err
	}
	t := ksp.T(now)
	n := 0
	err := db.write(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT id FROM alerts WHERE status = ? AND escalated_at IS NULL AND deadline_at < ? ORDER BY deadline_at LIMIT 1000`, ksp.AlertOpen, micros(t))
		if err != nil {
			return fmt.Errorf("escalate alerts: %w", err)
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("escalate alerts: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("escalate alerts: %w", err)
		}
		for _, id := range ids {
			if _, err := tx.exec(`UPDATE alerts SET escalated_at = ? WHERE id = ?`, micros(t), id); err != nil {
				return fmt.Errorf("escalate alert: %w", err)
			}
			if err := tx.addTimeline(id, t, ksp.TimelineEscalated, "", ""); err != nil {
				return err
			}
			if err := tx.audit("alert.escalate", "alert:"+id, "", nil); err != nil {
				return err
			}
			if err := tx.alertEvent(ksp.EventAlertEscalated, id); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// SetLEContact makes a government org the law-enforcement contact for
// jurisdictions (ISO 3166-1 alpha-2); an empty list removes it.
func (db *DB) SetLEContact(ctx context.Context, orgID string, jurisdictions []string) (*ksp.LEContact, error) {
	if _, err := requireStaff(ctx); err != nil {
		return nil, err
	}
	var f ksp.Fields
	seen := map[string]bool{}
	var js []string
	for _, j := range jurisdictions {
		j = strings.ToUpper(strings.TrimSpace(j))
		if !ksp.ValidCountryCode(j) {
			f.Add("jurisdictions", "not an ISO 3166-1 alpha-2 code: "+j)
			break
		}
		if !seen[j] {
			seen[j] = true
			js = append(js, j)
		}
	}
	if len(js) > 300 {
		f.Add("jurisdictions", "at most 300")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	out := &ksp.LEContact{OrgID: orgID, Jurisdictions: js}
	err := db.write(ctx, func(tx *Tx) error {
		var kind string
		err := tx.queryRow(`SELECT kind, name FROM orgs WHERE id = ?`, orgID).Scan(&kind, &out.OrgName)
		if isNoRows(err) || !ksp.ValidID(orgID) {
			return ksp.NotFound("organisation")
		}
		if err != nil {
			return fmt.Errorf("law-enforcement contact: %w", err)
		}
		if kind != string(ksp.KindGovernment) {
			return &ksp.Error{Code: ksp.EINVALID, Message: "not a government organisation", Fields: []ksp.FieldError{{Field: "org_id", Reason: "only government organisations can be law-enforcement contacts"}}}
		}
		if _, err := tx.exec(`DELETE FROM le_contacts WHERE org_id = ?`, orgID); err != nil {
			return fmt.Errorf("law-enforcement contact: %w", err)
		}
		for _, j := range js {
			if _, err := tx.exec(`INSERT INTO le_contacts (org_id, jurisdiction) VALUES (?, ?)`, orgID, j); err != nil {
				return fmt.Errorf("law-enforcement contact: %w", err)
			}
		}
		return tx.audit("alert.le_contact", "org:"+orgID, orgID, map[string]any{"jurisdictions": js})
	})
	if err != nil {
		return nil, err
	}
	if out.Jurisdictions == nil {
		out.Jurisdictions = []string{}
	}
	return out, nil
}

// FindLEContacts lists the law-enforcement contacts and their
// jurisdictions (staff).
func (db *DB) FindLEContacts(ctx context.Context) ([]*ksp.LEContact, error) {
	if _, err := requireStaff(ctx); err != nil {
		return nil, err
	}
	rows, err := db.query(ctx, `SELECT c.org_id, o.name, c.jurisdiction FROM le_contacts c JOIN orgs o ON o.id = c.org_id ORDER BY o.name, c.org_id, c.jurisdiction`)
	if err != nil {
		return nil, fmt.Errorf("law-enforcement contacts: %w", err)
	}
	defer rows.Close()
	out := []*ksp.LEContact{}
	for rows.Next() {
		var id, name, j string
		if err := rows.Scan(&id, &name, &j); err != nil {
			return nil, fmt.Errorf("law-enforcement contacts: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].OrgID != id {
			out = append(out, &ksp.LEContact{OrgID: id, OrgName: name})
		}
		out[len(out)-1].Jurisdictions = append(out[len(out)-1].Jurisdictions, j)
	}
	return out, rows.Err()
}
