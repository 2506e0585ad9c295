package demo

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"time"

	"github.com/kspplatform/ksp"
)

// backfiller is what the transparency demo needs of a SQL store beyond
// the service interfaces: one write transaction (serialised and audited
// like the store's own) in which to write back-dated rows, which no
// service method may do.
type backfiller interface {
	WriteTx(ctx context.Context, fn func(tx *sql.Tx, audit func(action, object, orgID string, details map[string]any) error) error) error
	Rebind(q string) string
}

// demoMonths is how far back the demo's activity goes.
const demoMonths = 18

// SeedTransparency writes eighteen months of back-dated activity (hash
// bank submissions, verdicts and a settled dispute, alerts and their
// answers, daily match and search counts, rejected applications), once,
// and publishes last year's report and the last complete quarter's, so
// that /transparency shows real-looking charts and published hashes on a
// first look. On later starts it only publishes periods that have ended
// since.
func SeedTransparency(ctx context.Context, w *World) error {
	published, err := w.Store.FindPublishedReports(ctx)
	if err != nil {
		return fmt.Errorf("demo transparency: %w", err)
	}
	if len(published) == 0 {
		bf, ok := w.Store.(backfiller)
		if !ok {
			return nil
		}
		if err := backfillActivity(ctx, w, bf, time.Now().UTC()); err != nil {
			return fmt.Errorf("demo transparency: %w", err)
		}
	}
	done := map[string]bool{}
	for _, p := range published {
		done[p.Period] = true
	}
	now := time.Now().UTC()
	q := (int(now.Month())-1)/3 + 1
	lastQ := fmt.Sprintf("%d-Q%d", now.Year(), q-1)
	if q == 1 {
		lastQ = fmt.Sprintf("%d-Q4", now.Year()-1)
	}
	for _, p := range []string{strconv.Itoa(now.Year() - 1), lastQ} {
		if done[p] {
			continue
		}
		if _, err := w.Store.PublishTransparencyReport(ctx, p); err != nil && ksp.ErrorCode(err) != ksp.ECONFLICT {
			return fmt.Errorf("demo transparency: publish %s: %w", p, err)
		}
	}
	return nil
}

// idAt is a UUIDv7 of time t: back-dated rows sort among the others by
// when they happened, as "newest first" lists expect.
func idAt(t time.Time) string {
	var b [16]byte
	rand.Read(b[:])
	ms := t.UnixMilli()
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	b[6] = 0x70 | b[6]&0x0f
	b[8] = b[8]&0x3f | 0x80
	return ksp.FormatUUID(b)
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// backfillActivity writes the back-dated rows in one transaction.
func backfillActivity(ctx context.Context, w *World, bf backfiller, now time.Time) error {
	slug := func(i int) string { return ksp.Slugify(Orgs[i].Name) }
	platforms := []string{slug(0), slug(1), slug(2)}
	gov, academia, civil := slug(3), slug(4), slug(5)
	for _, s := range append(platforms, gov, academia, civil) {
		if w.Orgs[s] == nil {
			return fmt.Errorf("demo org %s missing", s)
		}
	}
	id := func(s string) string { return w.Orgs[s].ID }
	rng := mrand.New(mrand.NewPCG(16, 2026))
	start := now.AddDate(0, -demoMonths, 0)
	span := now.Add(-24 * time.Hour).Sub(start)
	at := func() time.Time { return start.Add(time.Duration(rng.Int64N(int64(span)))).Truncate(time.Microsecond) }
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	counts := map[string]int{}
	return bf.WriteTx(ctx, func(tx *sql.Tx, audit func(string, string, string, map[string]any) error) error {
		exec := func(q string, args ...any) error {
			if _, err := tx.ExecContext(ctx, bf.Rebind(q), args...); err != nil {
				return fmt.Errorf("backfill: %w", err)
			}
			return nil
		}
		nextChange := func() (int64, error) {
			var v int64
			err := tx.QueryRowContext(ctx, bf.Rebind(`UPDATE counters SET value = value + 1 WHERE name = 'changes' RETURNING value`)).Scan(&v)
			return v, err
		}
		// Hash bank: signals, a third of them shared again by a second org.
		type sig struct {
			id   string
			subs []string
			at   time.Time
		}
		var sigs []sig
		sharers := append(append([]string{}, platforms...), gov)
		types := []string{"pdq", "pdq", "pdq", "md5", "sha256", "url"}
		for i := 0; i < 25*demoMonths; i++ {
			typ := pick(types)
			value := map[string]string{"pdq": randHex(32), "md5": randHex(16), "sha256": randHex(32),
				"url": "https://" + pick(platforms) + ".example/demo/" + randHex(6)}[typ]
			t := at()
			s := sig{id: ksp.NewRandomID(), at: t}
			if err := exec(`INSERT INTO signals (id, type, value, created_at) VALUES (?, ?, ?, ?)`, s.id, typ, value, t.UnixMicro()); err != nil {
				return err
			}
			orgs := []string{pick(sharers)}
			if rng.IntN(3) == 0 {
				if o := pick(sharers); o != orgs[0] {
					orgs = append(orgs, o)
				}
			}
			for j, o := range orgs {
				st := t.Add(time.Duration(j) * time.Duration(1+rng.IntN(72)) * time.Hour)
				labels := []string{pick(ksp.Labels)}
				if rng.IntN(3) == 0 {
					labels = append(labels, "propaganda")
				}
				if labels[0] == "propaganda" && len(labels) == 2 {
					labels = labels[:1]
				}
				dist, tlp := "members", pick([]string{"GREEN", "GREEN", "AMBER", "CLEAR"})
				if tlp == "CLEAR" {
					tlp = "GREEN"
				}
				seq, err := nextChange()
				if err != nil {
					return fmt.Errorf("backfill: %w", err)
				}
				lj, _ := json.Marshal(labels)
				sub := idAt(st)
				var retracted any
				if rng.IntN(40) == 0 {
					retracted = st.Add(30 * 24 * time.Hour).UnixMicro()
				}
				ct := map[string]string{"pdq": "photo", "md5": "video", "sha256": "pdf", "url": "url"}[typ]
				if err := exec(`INSERT INTO submissions (id, signal_id, org_id, owner_org_id, distribution, tlp, content_type, labels, label_bits, basis, severity, flags, policy_version, digest, created_at, updated_at, retracted_at, change_seq)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'branded_publication', 'medium', '[]', ?, ?, ?, ?, ?, ?)`,
					sub, s.id, id(o), id(o), dist, tlp, ct, string(lj), int(ksp.LabelMask(labels)), ksp.CurrentPolicyVersion, randHex(16),
					st.UnixMicro(), st.UnixMicro(), retracted, seq); err != nil {
					return err
				}
				s.subs = append(s.subs, sub)
				counts["submissions"]++
			}
			sigs = append(sigs, s)
		}
		// Verdicts by members on others' signals, and one settled dispute.
		verdicts := []string{ksp.VerdictTruePositive, ksp.VerdictTruePositive, ksp.VerdictTruePositive, ksp.VerdictSeen, ksp.VerdictFalsePositive, ksp.VerdictWrongLabel}
		givers := append(append([]string{}, platforms...), academia, civil)
		used := map[string]bool{}
		for i := 0; i < 8*demoMonths; i++ {
			s := sigs[rng.IntN(len(sigs))]
			o := pick(givers)
			if used[s.id+o] {
				continue
			}
			used[s.id+o] = true
			v := pick(verdicts)
			t := s.at.Add(time.Duration(1+rng.IntN(20*24)) * time.Hour)
			if t.After(now) {
				t = now.Add(-time.Hour)
			}
			subj, _ := json.Marshal(s.subs)
			if err := exec(`INSERT INTO feedback (signal_id, org_id, verdict, comment, created_at, updated_at, subjects) VALUES (?, ?, ?, '', ?, ?, ?)`,
				s.id, id(o), v, t.UnixMicro(), t.UnixMicro(), string(subj)); err != nil {
				return err
			}
			if err := exec(`INSERT INTO feedback_log (id, signal_id, org_id, kind, value, comment, created_at, subjects) VALUES (?, ?, ?, 'verdict', ?, '', ?, ?)`,
				idAt(t), s.id, id(o), v, t.UnixMicro(), string(subj)); err != nil {
				return err
			}
			counts["verdicts"]++
		}
		// A disputed signal, settled by staff after some days.
		for i, s := range sigs[:6] {
			o := givers[i%len(givers)]
			if used[s.id+o] {
				continue
			}
			t := s.at.Add(48 * time.Hour)
			res := t.Add(time.Duration(2+i) * 24 * time.Hour)
			if res.After(now) {
				continue
			}
			subj, _ := json.Marshal(s.subs)
			if err := exec(`INSERT INTO feedback_log (id, signal_id, org_id, kind, value, comment, created_at, subjects) VALUES (?, ?, ?, 'verdict', 'disputed', '', ?, ?)`,
				idAt(t), s.id, id(o), t.UnixMicro(), string(subj)); err != nil {
				return err
			}
			if err := exec(`INSERT INTO feedback_log (id, signal_id, org_id, kind, value, comment, created_at, subjects) VALUES (?, ?, ?, 'resolution', 'upheld', 'Checked against the inclusion policy.', ?, ?)`,
				idAt(res), s.id, ksp.StaffOrgID, res.UnixMicro(), string(subj)); err != nil {
				return err
			}
			counts["disputes"]++
		}
		// Alerts from governments, platforms and civil society to the
		// platforms, nearly all answered.
		senders := append(append([]string{}, platforms...), gov, gov, civil)
		for i := 0; i < 12*demoMonths; i++ {
			from, to := pick(senders), pick(platforms)
			if from == to {
				continue
			}
			kind, tier := "referral", pick([]string{"designation", "designation", "crisis", "threat_to_life"})
			if from == gov && rng.IntN(3) == 0 {
				kind, tier = "tco_removal_order", ""
			}
			t := at()
			deadline := t.Add(ksp.AlertDeadline(ksp.AlertKind(kind), tier, 0))
			action, status := pick([]string{"removed", "removed", "removed", "restricted", "no_violation", "not_found"}), "responded"
			took := time.Duration(10+rng.IntN(600)) * time.Minute
			if kind == "tco_removal_order" {
				took = time.Duration(5+rng.IntN(90)) * time.Minute
			}
			var responded, escalated any = t.Add(took).UnixMicro(), nil
			if rng.IntN(15) == 0 {
				action, status, responded = "", "open", nil
				escalated = deadline.UnixMicro()
			}
			aid := idAt(t)
			u := "https://" + to + ".example/post/" + randHex(5)
			var authority, state, basis, received any = "", "", "", nil
			if kind == "tco_removal_order" {
				authority, state, basis, received = "Office central de lutte contre la criminalité (demo)", "FR", "Regulation (EU) 2021/784 Art. 3", t.UnixMicro()
			}
			if err := exec(`INSERT INTO alerts (id, url, host, kind, tier, threat_level, issuing_authority, member_state, legal_basis, received_at, labels, tlp, sender_org_id, receiver_org_id, status, created_at, clock_start, deadline_at, escalated_at, response_action, responded_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '["propaganda"]', 'AMBER', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				aid, u, to+".example", kind, tier, map[bool]string{true: "high_specific"}[tier == "threat_to_life"], authority, state, basis, received,
				id(from), id(to), status, t.UnixMicro(), t.UnixMicro(), deadline.UnixMicro(), escalated, action, responded); err != nil {
				return err
			}
			for _, p := range [][2]string{{id(from), ksp.AlertRoleSender}, {id(to), ksp.AlertRoleReceiver}} {
				if err := exec(`INSERT INTO alert_parties (alert_id, org_id, role) VALUES (?, ?, ?)`, aid, p[0], p[1]); err != nil {
					return err
				}
			}
			if err := exec(`INSERT INTO alert_requests (id, alert_id, org_id, kind, tier, labels, tlp, created_at) VALUES (?, ?, ?, ?, ?, '["propaganda"]', 'AMBER', ?)`,
				idAt(t), aid, id(from), kind, tier, t.UnixMicro()); err != nil {
				return err
			}
			timeline := [][3]any{{ksp.TimelineCreated, t, id(from)}, {ksp.TimelineDelivered, t, id(to)}}
			if responded != nil {
				timeline = append(timeline, [3]any{ksp.TimelineResponded, t.Add(took), id(to)})
			} else {
				timeline = append(timeline, [3]any{ksp.TimelineEscalated, deadline, ""})
			}
			for n, e := range timeline {
				if err := exec(`INSERT INTO alert_timeline (seq, alert_id, time, type, org_id) VALUES (?, ?, ?, ?, ?)`, n+1, aid, e[1].(time.Time).UnixMicro(), e[0], e[2]); err != nil {
					return err
				}
			}
			counts["alerts"]++
		}
		// Daily match and search counts (aggregates only; matches are kept
		// for 13 months).
		for d := now.AddDate(0, -13, 1); d.Before(now); d = d.AddDate(0, 0, 1) {
			day := d.Format(time.DateOnly)
			for _, p := range platforms {
				q := 200 + rng.IntN(800)
				if err := exec(`INSERT INTO match_counts (org_id, day, queries, matches) VALUES (?, ?, ?, ?) ON CONFLICT (org_id, day) DO NOTHING`, id(p), day, q, rng.IntN(1+q/100)); err != nil {
					return err
				}
			}
		}
		for d := start; d.Before(now); d = d.AddDate(0, 0, 1) {
			if err := exec(`INSERT INTO search_counts (day, searches) VALUES (?, ?) ON CONFLICT (day) DO NOTHING`, d.Format(time.DateOnly), 5+rng.IntN(40)); err != nil {
				return err
			}
		}
		for i := 0; i < 6; i++ {
			t := at()
			if err := exec(`INSERT INTO applications (id, org_name, kind, contact_name, contact_email, motivation, status, reason, created_at, decided_at) VALUES (?, ?, 'platform', 'Demo Applicant', ?, 'We host user uploads.', 'rejected', 'Not a hosting service in scope.', ?, ?)`,
				idAt(t), "Demo applicant "+strconv.Itoa(i+1), "applicant"+strconv.Itoa(i+1)+"@applicant.example", t.UnixMicro(), t.Add(72*time.Hour).UnixMicro()); err != nil {
				return err
			}
		}
		details := map[string]any{}
		for k, v := range counts {
			details[k] = v
		}
		return audit("demo.backfill", "demo:transparency", ksp.StaffOrgID, details)
	})
}
