package storetest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

// trWorld is the fixture plus the orgs the transparency tests need, and a
// hand-made year of activity (2025) around its edges.
type trWorld struct {
	*Fixture
	Small, Academia, Civil *ksp.Org
	StartView              *ksp.User
}

func trMicros(s string) int64 {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UnixMicro()
}

func trExec(t *testing.T, db Store, q string, args ...any) {
	t.Helper()
	if _, err := db.SQL().Exec(db.Rebind(q), args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// newTrWorld seeds the data set whose figures the tests below compute by
// hand. Rows are written in SQL with fixed times, so that each lands on the
// side of a period edge the test says.
func newTrWorld(t *testing.T, db Store) *trWorld {
	t.Helper()
	w := &trWorld{Fixture: NewFixture(t, db)}
	mk := func(name string, kind ksp.OrgKind, size string) *ksp.Org {
		o := &ksp.Org{Name: name, Kind: kind, Size: size}
		must(t, db.CreateOrg(Staff(), o))
		return o
	}
	w.Small = mk("Small Host", ksp.KindPlatform, ksp.SizeSmall)
	w.Academia = mk("Research Lab", ksp.KindAcademia, "")
	w.Civil = mk("Rights Watch", ksp.KindCivilSociety, "")
	u, _, err := db.CreateUser(Staff(), w.Startup.ID, ksp.NewUser{Email: "viewer@tiny.example", Name: "V", Role: ksp.RoleViewer, Password: "a long enough password"})
	must(t, err)
	w.StartView = u
	trExec(t, db, `UPDATE orgs SET created_at = ? WHERE kind <> 'staff'`, trMicros("2024-06-01T00:00:00Z"))
	trExec(t, db, `UPDATE orgs SET created_at = ? WHERE id = ?`, trMicros("2025-08-01T00:00:00Z"), w.Civil.ID)

	// Applications: two received in 2025, one approved in 2025, one
	// rejected in 2026.
	for _, a := range []struct{ status, created, decided string }{
		{"approved", "2025-01-20T00:00:00Z", "2025-02-01T00:00:00Z"},
		{"rejected", "2025-12-30T00:00:00Z", "2026-01-02T00:00:00Z"},
		{"pending", "2024-12-31T23:59:59.999999Z", ""},
	} {
		var decided any
		if a.decided != "" {
			decided = trMicros(a.decided)
		}
		trExec(t, db, `INSERT INTO applications (id, org_name, kind, contact_name, contact_email, motivation, status, created_at, decided_at) VALUES (?, 'X', 'platform', 'C', 'c@x.example', 'm', ?, ?, ?)`,
			ksp.NewID(), a.status, trMicros(a.created), decided)
	}

	// An entity on the UN list.
	trExec(t, db, `INSERT INTO entities (id, kind, name, ideology, created_at, updated_at) VALUES ('e1', 'group', 'Group One', 'jihadist', 0, 0)`)
	trExec(t, db, `INSERT INTO entity_lists (entity_id, list) VALUES ('e1', 'un')`)

	// Signals and submissions.
	sig := map[string]string{}
	signal := func(name, typ, at string) {
		sig[name] = ksp.NewRandomID()
		trExec(t, db, `INSERT INTO signals (id, type, value, created_at) VALUES (?, ?, ?, ?)`, sig[name], typ, name+strings.Repeat("0", 10), trMicros(at))
	}
	seq := 0
	submit := func(s string, o *ksp.Org, at string, labels []string, basis, entity string, dist ksp.Distribution, tlp string, retracted string) {
		seq++
		var ret any
		if retracted != "" {
			ret = trMicros(retracted)
		}
		trExec(t, db, `INSERT INTO submissions (id, signal_id, org_id, owner_org_id, distribution, tlp, content_type, labels, label_bits, basis, entity_id, severity, flags, policy_version, digest, created_at, updated_at, retracted_at, change_seq)
			VALUES (?, ?, ?, ?, ?, ?, 'photo', ?, ?, ?, ?, 'high', '[]', '1', 'd', ?, ?, ?, ?)`,
			ksp.NewID(), sig[s], o.ID, o.ID, string(dist), tlp, jsonOf(labels), int(ksp.LabelMask(labels)), basis, entity, trMicros(at), trMicros(at), ret, seq)
	}
	signal("s1", "pdq", "2025-01-10T00:00:00Z")
	submit("s1", w.Platform, "2025-01-10T00:00:00Z", []string{"propaganda"}, "other", "", ksp.DistMembers, "GREEN", "")
	submit("s1", w.Startup, "2025-02-01T00:00:00Z", []string{"propaganda", "recruitment"}, "other", "", ksp.DistMembers, "AMBER", "")
	submit("s1", w.Small, "2025-03-31T23:59:59.999999Z", []string{"propaganda"}, "other", "", ksp.DistMembers, "GREEN", "")
	signal("s2", "md5", "2025-04-01T00:00:00Z")
	submit("s2", w.Platform, "2025-04-01T00:00:00Z", []string{"manifesto"}, "other", "", ksp.DistOwner, "RED", "2025-05-01T00:00:00Z")
	signal("s3", "url", "2025-06-30T00:00:00Z")
	submit("s3", w.Gov, "2025-06-30T00:00:00Z", []string{"recruitment"}, "designated_entity", "e1", ksp.DistAudience, "AMBER", "")
	signal("s4", "sha256", "2024-12-31T23:59:59.999999Z")
	submit("s4", w.Platform, "2024-12-31T23:59:59.999999Z", []string{"propaganda"}, "other", "", ksp.DistMembers, "GREEN", "")
	signal("s5", "pdq", "2026-01-01T00:00:00Z")
	submit("s5", w.Startup, "2026-01-01T00:00:00Z", []string{"propaganda"}, "other", "", ksp.DistMembers, "GREEN", "")
	trExec(t, db, `INSERT INTO negative_entries (id, type, value, org_id, reason, scope, created_at) VALUES (?, 'pdq', 'n1', ?, 'blank', 'org', ?)`, ksp.NewID(), w.Small.ID, trMicros("2025-07-01T00:00:00Z"))

	// Verdicts and a resolution.
	verdict := func(s string, o string, kind, value, at string) {
		trExec(t, db, `INSERT INTO feedback_log (id, signal_id, org_id, kind, value, created_at) VALUES (?, ?, ?, ?, ?, ?)`, ksp.NewID(), sig[s], o, kind, value, trMicros(at))
	}
	verdict("s3", w.Platform.ID, "verdict", "true_positive", "2025-02-01T00:00:00Z")
	verdict("s1", w.Startup.ID, "verdict", "false_positive", "2025-03-01T00:00:00Z")
	verdict("s1", w.Small.ID, "verdict", "disputed", "2025-03-10T00:00:00Z")
	verdict("s1", w.Gov.ID, "verdict", "disputed", "2025-03-12T00:00:00Z")
	verdict("s1", ksp.StaffOrgID, "resolution", "upheld", "2025-03-20T00:00:00Z")
	verdict("s1", w.Platform.ID, "verdict", "false_positive", "2025-11-01T00:00:00Z")
	verdict("s1", w.Startup.ID, "verdict", "disputed", "2025-12-01T00:00:00Z")

	// Daily match aggregates.
	for _, m := range []struct {
		org     string
		day     string
		q, hits int
	}{{w.Platform.ID, "2025-01-15", 100, 5}, {w.Startup.ID, "2025-01-20", 50, 0}, {w.Small.ID, "2025-12-31", 10, 1},
		{w.Platform.ID, "2026-01-01", 999, 9}, {w.Gov.ID, "2024-12-31", 7, 7}} {
		trExec(t, db, `INSERT INTO match_counts (org_id, day, queries, matches) VALUES (?, ?, ?, ?)`, m.org, m.day, m.q, m.hits)
	}

	// Alerts: sender, receiver, kind, tier, created, response, seconds to
	// respond, escalated.
	for i, a := range []struct {
		from, to   *ksp.Org
		kind, tier string
		at         string
		action     string
		secs       int64
		escalated  bool
	}{
		{w.Platform, w.Startup, "referral", "crisis", "2025-01-05T00:00:00Z", "removed", 600, false},
		{w.Startup, w.Platform, "referral", "crisis", "2025-02-05T00:00:00Z", "no_violation", 1200, false},
		{w.Small, w.Platform, "referral", "crisis", "2025-03-05T00:00:00Z", "removed", 1800, false},
		{w.Academia, w.Platform, "referral", "designation", "2025-04-05T00:00:00Z", "restricted", 3600, false},
		{w.Civil, w.Startup, "referral", "designation", "2025-05-05T00:00:00Z", "no_violation", 7200, false},
		{w.Platform, w.Small, "referral", "designation", "2025-06-05T00:00:00Z", "", 0, true},
		{w.Startup, w.Small, "referral", "threat_to_life", "2025-07-05T00:00:00Z", "removed", 60, false},
		{w.Gov, w.Platform, "tco_removal_order", "", "2025-08-05T00:00:00Z", "removed", 1800, false},
		{w.Gov, w.Startup, "tco_removal_order", "", "2025-09-05T00:00:00Z", "removed", 7200, false},
		{w.Gov, w.Small, "tco_removal_order", "", "2026-01-01T00:00:00Z", "", 0, false},
	} {
		id := ksp.NewID()
		at := trMicros(a.at)
		var responded, escalated any
		status := "open"
		if a.action != "" {
			responded, status = at+a.secs*1e6, "responded"
		}
		if a.escalated {
			escalated = at + 86400e6
		}
		trExec(t, db, `INSERT INTO alerts (id, url, host, kind, tier, tlp, sender_org_id, receiver_org_id, status, created_at, clock_start, deadline_at, escalated_at, response_action, responded_at)
			VALUES (?, ?, 'h.example', ?, ?, 'AMBER', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, fmt.Sprintf("https://h.example/%d", i), a.kind, a.tier, a.from.ID, a.to.ID, status, at, at, at+86400e6, escalated, a.action, responded)
		trExec(t, db, `INSERT INTO alert_parties (alert_id, org_id, role) VALUES (?, ?, 'requester')`, id, a.from.ID)
		trExec(t, db, `INSERT INTO alert_parties (alert_id, org_id, role) VALUES (?, ?, 'receiver')`, id, a.to.ID)
	}

	// Incidents: members-wide (closed after a day), audience of two (open),
	// the secretariat's own (closed after an hour), one activated in 2026.
	for _, in := range []struct {
		typ, dist, at, closed string
		audience              []string
	}{
		{"content_incident", "members", "2025-03-01T00:00:00Z", "2025-03-02T00:00:00Z", nil},
		{"incident", "audience", "2025-07-01T00:00:00Z", "", []string{w.Platform.ID, w.Startup.ID}},
		{"incident", "owner", "2025-09-01T00:00:00Z", "2025-09-01T01:00:00Z", nil},
		{"incident", "members", "2026-01-01T00:00:00Z", "", nil},
	} {
		id := ksp.NewID()
		var closed any
		if in.closed != "" {
			closed = trMicros(in.closed)
		}
		trExec(t, db, `INSERT INTO incidents (id, type, title, owner_org_id, distribution, tlp, status, created_by, created_at, updated_at, activated_at, closed_at)
			VALUES (?, ?, 'T', ?, ?, 'AMBER', 'active', 'system', ?, ?, ?, ?)`, id, in.typ, ksp.StaffOrgID, in.dist, trMicros(in.at), trMicros(in.at), trMicros(in.at), closed)
		for _, o := range in.audience {
			trExec(t, db, `INSERT INTO audiences (item_id, org_id) VALUES (?, ?)`, id, o)
		}
	}

	// Library and searches.
	for _, r := range []struct {
		owner, at string
	}{{w.Platform.ID, "2025-05-01T00:00:00Z"}, {ksp.StaffOrgID, "2025-06-01T00:00:00Z"}, {w.Startup.ID, "2026-02-01T00:00:00Z"}} {
		trExec(t, db, `INSERT INTO resources (id, kind, title, owner_org_id, distribution, tlp, created_at, updated_at) VALUES (?, 'guide', 'G', ?, 'members', 'GREEN', ?, ?)`,
			ksp.NewID(), r.owner, trMicros(r.at), trMicros(r.at))
	}
	for _, s := range []struct {
		day string
		n   int
	}{{"2025-01-01", 10}, {"2025-12-31", 5}, {"2026-01-01", 99}} {
		trExec(t, db, `INSERT INTO search_counts (day, searches) VALUES (?, ?)`, s.day, s.n)
	}
	changedByHand(db)
	return w
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// trFigure reads a dotted path of a report's JSON: a number, nil for
// null, or "absent".
func trFigure(t *testing.T, r *ksp.TransparencyReport, path string) any {
	t.Helper()
	b, err := ksp.MarshalReport(r)
	if err != nil {
		t.Fatal(err)
	}
	var v any = map[string]any{}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return "absent"
		}
		if v, ok = m[k]; !ok {
			return "absent"
		}
	}
	return v
}

type trWant struct {
	path string
	want any // float64, nil for null
}

func trCheck(t *testing.T, name string, r *ksp.TransparencyReport, wants []trWant) {
	t.Helper()
	for _, w := range wants {
		got := trFigure(t, r, w.path)
		if fmt.Sprint(got) != fmt.Sprint(w.want) {
			t.Errorf("%s: %s = %v, want %v", name, w.path, got, w.want)
		}
	}
}

func trReport(t *testing.T, ctx context.Context, db Store, q ksp.TransparencyQuery) *ksp.TransparencyReport {
	t.Helper()
	r, err := db.TransparencyReport(ctx, q)
	if err != nil {
		t.Fatalf("report %+v: %v", q, err)
	}
	return r
}

func trPeriod(t *testing.T, s string) ksp.TransparencyPeriod {
	t.Helper()
	if i := strings.IndexByte(s, '/'); i > 0 {
		p, err := ksp.ParsePeriodDays(s[:i], s[i+1:])
		must(t, err)
		return p
	}
	p, err := ksp.ParseCalendarPeriod(s)
	must(t, err)
	return p
}

// testTransparencyFigures checks every figure of the staff report of 2025
// against the seeded data, computed by hand, and the period edges.
func testTransparencyFigures(t *testing.T, open Opener) {
	db := open(t)
	newTrWorld(t, db)
	y := trReport(t, Staff(), db, ksp.TransparencyQuery{Period: trPeriod(t, "2025")})
	trCheck(t, "2025 staff", y, []trWant{
		{"period.from", "2025-01-01"}, {"period.to", "2025-12-31"}, {"org", nil},
		// Membership: orgs created before the period's end.
		{"membership.orgs_by_kind.platform", 3.0}, {"membership.orgs_by_kind.government", 1.0},
		{"membership.orgs_by_kind.academia", 1.0}, {"membership.orgs_by_kind.civil_society", 1.0},
		{"membership.orgs_by_kind.staff", "absent"},
		{"membership.orgs_by_size.large", 1.0}, {"membership.orgs_by_size.startup", 1.0}, {"membership.orgs_by_size.small", 1.0},
		{"membership.applications.received", 2.0}, {"membership.applications.approved", 1.0}, {"membership.applications.rejected", 0.0},
		// Hash bank.
		{"submissions.added", 5.0}, {"submissions.merged", 2.0}, {"submissions.retracted", 1.0},
		{"submissions.by_type.pdq", 3.0}, {"submissions.by_type.md5", 1.0}, {"submissions.by_type.url", 1.0}, {"submissions.by_type.sha256", 0.0},
		{"submissions.by_label.propaganda", 3.0}, {"submissions.by_label.recruitment", 2.0}, {"submissions.by_label.manifesto", 1.0},
		{"submissions.by_label.instruction", 0.0},
		{"submissions.by_tlp.GREEN", 2.0}, {"submissions.by_tlp.AMBER", 2.0}, {"submissions.by_tlp.RED", 1.0},
		{"submissions.by_distribution.members", 3.0}, {"submissions.by_distribution.owner", 1.0}, {"submissions.by_distribution.audience", 1.0},
		{"submissions.by_basis.other", 4.0}, {"submissions.by_basis.designated_entity", 1.0},
		{"submissions.by_entity_list.un", 1.0}, {"submissions.by_entity_ideology.jihadist", 1.0},
		{"submissions.negative_bank", 1.0},
		{"feedback.by_verdict.true_positive", 1.0}, {"feedback.by_verdict.false_positive", 2.0}, {"feedback.by_verdict.disputed", 3.0},
		{"feedback.by_verdict.seen", 0.0}, {"feedback.false_positive_share", 0.3333},
		{"disputes.opened", 3.0}, {"disputes.resolved", 1.0}, {"disputes.by_resolution.upheld", 1.0},
		{"disputes.median_resolution_seconds", float64(10 * 86400)},
		// Matching: daily aggregates within the days.
		{"matching.requests", 160.0}, {"matching.hits", 6.0},
		// Alerts.
		{"alerts.sent", 9.0}, {"alerts.by_kind.referral", 7.0}, {"alerts.by_kind.tco_removal_order", 2.0},
		{"alerts.by_tier.crisis", 3.0}, {"alerts.by_tier.designation", 3.0}, {"alerts.by_tier.threat_to_life", 1.0},
		{"alerts.by_sender_kind.platform", 5.0}, {"alerts.by_sender_kind.government", 2.0},
		{"alerts.by_sender_kind.academia", 1.0}, {"alerts.by_sender_kind.civil_society", 1.0},
		{"alerts.responses.removed", 5.0}, {"alerts.responses.no_violation", 2.0}, {"alerts.responses.restricted", 1.0},
		{"alerts.responses.not_found", 0.0}, {"alerts.responses.cannot_comply", 0.0},
		{"alerts.no_violation_share", 0.25},
		{"alerts.no_violation_share_by_sender_kind.platform", 0.25}, {"alerts.no_violation_share_by_sender_kind.government", 0.0},
		{"alerts.no_violation_share_by_sender_kind.civil_society", 1.0},
		{"alerts.median_response_seconds", 1800.0}, {"alerts.p90_response_seconds", 7200.0},
		{"alerts.escalated", 1.0}, {"alerts.removal_orders.received", 2.0}, {"alerts.removal_orders.met_within_hour", 1.0},
		// Incidents: notified are the six member orgs, then the audience of two.
		{"incidents.activated", 3.0}, {"incidents.by_type.incident", 2.0}, {"incidents.by_type.content_incident", 1.0},
		{"incidents.median_duration_seconds", 3600.0}, {"incidents.orgs_notified", 8.0},
		{"library.published", 2.0}, {"library.searches", 15.0},
		{"suppressed", []any{}},
	})
	if got := y.Alerts.NoViolationShareBySender; len(got) != 6 {
		t.Errorf("per-sender shares: got %v, want one per sending org", got)
	}
	if got := len(y.Monthly); got != 12 || y.Monthly[0].Submissions != 1 || y.Monthly[0].MatchRequests != 150 || y.Monthly[0].Hits != 5 || y.Monthly[11].MatchRequests != 10 || y.Monthly[2].Submissions != 1 || y.Monthly[0].Alerts != 1 {
		t.Errorf("monthly series: %+v", y.Monthly)
	}

	// Period edges: the last microsecond of Q1 is in Q1, the first of Q2
	// in Q2; a period may start before any data and end in the future.
	edges := []struct {
		name  string
		p     string
		wants []trWant
	}{
		{"Q1", "2025-Q1", []trWant{{"submissions.added", 3.0}, {"submissions.merged", 2.0}, {"submissions.retracted", 0.0}, {"matching.requests", 150.0}, {"alerts.sent", 3.0}, {"incidents.activated", 1.0}, {"membership.orgs_by_kind.civil_society", "absent"}, {"membership.applications.received", 1.0}}},
		{"Q2", "2025-Q2", []trWant{{"submissions.added", 2.0}, {"submissions.retracted", 1.0}, {"submissions.by_type.md5", 1.0}, {"disputes.opened", 0.0}, {"disputes.median_resolution_seconds", nil}, {"alerts.median_response_seconds", 3600.0}}},
		{"empty", "2019-Q2", []trWant{{"submissions.added", 0.0}, {"alerts.sent", 0.0}, {"alerts.median_response_seconds", nil}, {"feedback.false_positive_share", nil}, {"alerts.no_violation_share", nil}, {"library.searches", 0.0}, {"matching.requests", 0.0}}},
		{"long", "1990-01-01/2099-12-31", []trWant{{"submissions.added", 7.0}, {"alerts.sent", 10.0}, {"matching.requests", 1166.0}, {"library.searches", 114.0}, {"incidents.activated", 4.0}}},
		{"one day", "2025-12-31/2025-12-31", []trWant{{"submissions.added", 0.0}, {"matching.requests", 10.0}, {"library.searches", 5.0}, {"membership.applications.received", 0.0}}},
	}
	for _, e := range edges {
		r := trReport(t, Staff(), db, ksp.TransparencyQuery{Period: trPeriod(t, e.p)})
		trCheck(t, e.name, r, e.wants)
	}
}

// testTransparencyOrgReport checks an org's own report: only its own acts
// and what the sharing rule shows it, and only for its admins.
func testTransparencyOrgReport(t *testing.T, open Opener) {
	db := open(t)
	w := newTrWorld(t, db)
	q := ksp.TransparencyQuery{Period: trPeriod(t, "2025-01-01/2025-12-31"), OrgID: w.Startup.ID}
	r := trReport(t, As(w.Startup, w.StartAdm), db, q)
	trCheck(t, "startup", r, []trWant{
		{"org", w.Startup.ID}, {"membership", nil}, {"staff", nil},
		{"submissions.added", 1.0}, {"submissions.merged", 1.0}, {"submissions.by_label.recruitment", 1.0}, {"submissions.by_tlp.AMBER", 1.0},
		{"feedback.by_verdict.false_positive", 1.0}, {"feedback.by_verdict.disputed", 1.0}, {"feedback.by_verdict.true_positive", 0.0},
		{"disputes.opened", 1.0}, {"disputes.resolved", 0.0},
		{"matching.requests", 50.0}, {"matching.hits", 0.0},
		{"alerts.sent", 2.0}, {"alerts.by_tier.crisis", 1.0}, {"alerts.by_tier.threat_to_life", 1.0},
		{"alerts.responses.no_violation", 1.0}, {"alerts.responses.removed", 1.0}, {"alerts.no_violation_share", 0.5},
		{"alerts.no_violation_share_by_sender", "absent"},
		{"alerts_received.sent", 3.0}, {"alerts_received.responses.removed", 2.0}, {"alerts_received.responses.no_violation", 1.0},
		{"alerts_received.median_response_seconds", 7200.0}, {"alerts_received.removal_orders.received", 1.0},
		{"alerts_received.removal_orders.met_within_hour", 0.0}, {"alerts_received.by_sender_kind.government", 1.0},
		// The members-wide incident and the one naming it; not the secretariat's own.
		{"incidents.activated", 2.0},
		{"library.published", 0.0}, {"library.searches", nil},
		{"suppressed", []any{}},
	})
	// The small platform disputed and saw the resolution.
	small := trReport(t, Staff(), db, ksp.TransparencyQuery{Period: q.Period, OrgID: w.Small.ID})
	trCheck(t, "small", small, []trWant{{"disputes.opened", 1.0}, {"disputes.resolved", 1.0}, {"disputes.by_resolution.upheld", 1.0},
		{"incidents.activated", 1.0}, {"submissions.negative_bank", 1.0}, {"alerts_received.sent", 2.0}})

	// Attacks: another org's report, a non-admin, anonymous, the staff org.
	for _, c := range []struct {
		name string
		ctx  context.Context
		q    ksp.TransparencyQuery
		code string
	}{
		{"other org", As(w.Startup, w.StartAdm), ksp.TransparencyQuery{Period: q.Period, OrgID: w.Platform.ID}, ksp.ENOTFOUND},
		{"viewer", As(w.Startup, w.StartView), q, ksp.EFORBIDDEN},
		{"anonymous", context.Background(), q, ksp.EUNAUTHORIZED},
		{"staff org", Staff(), ksp.TransparencyQuery{Period: q.Period, OrgID: ksp.StaffOrgID}, ksp.ENOTFOUND},
		{"no such org", Staff(), ksp.TransparencyQuery{Period: q.Period, OrgID: ksp.NewID()}, ksp.ENOTFOUND},
		{"public org", Staff(), ksp.TransparencyQuery{Period: trPeriod(t, "2025"), OrgID: w.Startup.ID, Public: true}, ksp.EINVALID},
		{"arbitrary public", context.Background(), ksp.TransparencyQuery{Period: trPeriod(t, "2025-01-01/2025-06-30")}, ksp.EFORBIDDEN},
		{"arbitrary member", As(w.Startup, w.StartAdm), ksp.TransparencyQuery{Period: trPeriod(t, "2025-01-02/2025-12-31")}, ksp.EFORBIDDEN},
		{"suspended", ksp.NewContext(context.Background(), &ksp.Actor{UserID: w.StartAdm.ID, OrgID: w.Startup.ID, OrgKind: w.Startup.Kind, Role: ksp.RoleAdmin, Suspended: true}), q, ksp.EFORBIDDEN},
		{"bad period", Staff(), ksp.TransparencyQuery{Period: ksp.TransparencyPeriod{From: "2025-13-01", To: "2025-12-31"}}, ksp.EINVALID},
	} {
		_, err := db.TransparencyReport(c.ctx, c.q)
		if ksp.ErrorCode(err) != c.code {
			t.Errorf("%s: got %v, want %s", c.name, err, c.code)
		}
	}
}

// testTransparencySuppression checks the public report of 2025: every cell
// backed by one or two orgs is null and listed, and a second cell (or the
// total) hides each lone suppressed cell from subtraction.
func testTransparencySuppression(t *testing.T, open Opener) {
	db := open(t)
	w := newTrWorld(t, db)
	for _, ctx := range []context.Context{context.Background(), As(w.Startup, w.StartView)} {
		r := trReport(t, ctx, db, ksp.TransparencyQuery{Period: trPeriod(t, "2025")})
		trCheck(t, "public", r, []trWant{
			{"membership.orgs_by_kind.platform", 3.0}, {"membership.orgs_by_kind.government", nil}, {"membership.orgs_by_kind.academia", nil},
			{"submissions.added", 5.0}, {"submissions.by_type.pdq", 3.0}, {"submissions.by_type.md5", nil}, {"submissions.by_type.url", nil},
			{"submissions.by_type.sha256", 0.0},
			{"submissions.by_label.propaganda", 3.0}, {"submissions.by_label.recruitment", nil},
			// One lone cell (designated_entity, one org): its complement
			// "other" is hidden too, though four orgs' worth.
			{"submissions.by_basis.designated_entity", nil}, {"submissions.by_basis.other", nil},
			{"feedback.by_verdict.disputed", 3.0}, {"feedback.by_verdict.false_positive", nil}, {"feedback.false_positive_share", nil},
			// A lone resolution cell with no other non-zero cell: the total goes.
			{"disputes.by_resolution.upheld", nil}, {"disputes.resolved", nil}, {"disputes.median_resolution_seconds", nil},
			{"disputes.opened", 3.0},
			// threat_to_life is one org's; the tiers add up to the referrals,
			// which are hidden, so nothing gives it away.
			{"alerts.by_tier.threat_to_life", nil}, {"alerts.by_tier.crisis", 3.0}, {"alerts.by_tier.designation", 3.0},
			{"alerts.by_kind.tco_removal_order", nil}, {"alerts.by_kind.referral", nil}, {"alerts.sent", 9.0},
			{"alerts.by_sender_kind.government", nil}, {"alerts.by_sender_kind.platform", 5.0},
			{"alerts.no_violation_share_by_sender_kind.government", nil}, {"alerts.no_violation_share_by_sender_kind.platform", 0.25},
			{"alerts.no_violation_share_by_sender", "absent"},
			{"alerts.responses.removed", 5.0}, {"alerts.responses.no_violation", nil}, {"alerts.no_violation_share", nil},
			{"alerts.median_response_seconds", 1800.0},
			{"alerts.removal_orders.received", nil}, {"alerts.removal_orders.met_within_hour", nil},
			{"incidents.activated", 3.0}, {"library.searches", 15.0},
		})
		for _, p := range []string{"alerts.by_kind.referral", "submissions.by_basis.other", "disputes.resolved", "alerts.by_sender_kind.government", "feedback.false_positive_share"} {
			if !slices.Contains(r.Suppressed, p) {
				t.Errorf("suppressed does not list %s: %v", p, r.Suppressed)
			}
		}
		// No listed path is shown, and every null breakdown cell is listed.
		for _, p := range r.Suppressed {
			if got := trFigure(t, r, p); got != nil {
				t.Errorf("suppressed %s is shown as %v", p, got)
			}
		}
		if !slices.IsSorted(r.Suppressed) {
			t.Errorf("suppressed not sorted: %v", r.Suppressed)
		}
		// No hidden cell can be found by subtraction from a shown total.
		for _, b := range []struct {
			total string
			cells ksp.Figures
		}{{"alerts.sent", r.Alerts.ByKind}, {"alerts.sent", r.Alerts.BySenderKind}, {"submissions.added", r.Submissions.ByType}, {"submissions.added", r.Submissions.ByBasis}} {
			hidden := 0
			for _, f := range b.cells {
				if f.Hidden {
					hidden++
				}
			}
			if hidden == 1 {
				t.Errorf("%s: one hidden cell beside a shown total", b.total)
			}
		}
	}
}

// testTransparencyPublish checks publishing and the signed checkpoints: a
// published report cannot be altered without VerifyPublished, the chain
// walk or the checkpoint failing.
func testTransparencyPublish(t *testing.T, open Opener) {
	db := open(t)
	w := newTrWorld(t, db)
	ctx := Staff()
	_, err := db.PublishTransparencyReport(As(w.Platform, w.PlatAdmin), "2025")
	wantCode(t, err, ksp.EFORBIDDEN)
	_, err = db.PublishTransparencyReport(ctx, "2999")
	wantCode(t, err, ksp.EINVALID)
	_, err = db.PublishTransparencyReport(ctx, "2025-01-01")
	wantCode(t, err, ksp.EINVALID)
	pr, err := db.PublishTransparencyReport(ctx, "2025")
	must(t, err)
	_, err = db.PublishTransparencyReport(ctx, "2025")
	wantCode(t, err, ksp.ECONFLICT)
	_, err = db.PublishTransparencyReport(ctx, "2025-Q1")
	must(t, err)

	// Published as the public sees it, and served byte for byte.
	live := trReport(t, context.Background(), db, ksp.TransparencyQuery{Period: trPeriod(t, "2025")})
	want, _ := ksp.MarshalReport(live)
	got, err := db.FindPublishedReport(context.Background(), "2025")
	must(t, err)
	if string(got.Body) != string(want) || got.SHA256 != pr.SHA256 || got.AuditSeq != pr.AuditSeq {
		t.Fatalf("published report differs from the public report:\n%s\nwant\n%s", got.Body, want)
	}
	list, err := db.FindPublishedReports(context.Background())
	must(t, err)
	if len(list) != 2 || list[0].Period != "2025" || list[1].Period != "2025-Q1" || list[0].Body != nil {
		t.Fatalf("published list: %+v", list)
	}
	_, err = db.FindPublishedReport(context.Background(), "2024")
	wantCode(t, err, ksp.ENOTFOUND)
	if n, err := ksp.VerifyPublished(ctx, db, db); err != nil || n != 2 {
		t.Fatalf("verify published: %d, %v", n, err)
	}

	// Checkpoints: once a day, staff only, public to read.
	_, pk, err := trKey()
	must(t, err)
	_, _, err = db.CheckpointAudit(As(w.Platform, w.PlatAdmin), pk)
	wantCode(t, err, ksp.EFORBIDDEN)
	cp, created, err := db.CheckpointAudit(ctx, pk)
	must(t, err)
	if !created || cp.Seq < pr.AuditSeq {
		t.Fatalf("checkpoint %+v created %v", cp, created)
	}
	again, created, err := db.CheckpointAudit(ctx, pk)
	must(t, err)
	if created || again.Seq != cp.Seq || again.Signature != cp.Signature {
		t.Fatalf("second checkpoint of the day: %+v %v", again, created)
	}
	cps, _, err := db.FindAuditCheckpoints(context.Background(), ksp.Page{})
	must(t, err)
	if len(cps) != 1 || cps[0].Hash != cp.Hash {
		t.Fatalf("checkpoints: %+v", cps)
	}
	witness := *cp
	if _, _, err := ksp.VerifyWitness(ctx, db, []*ksp.AuditCheckpoint{&witness}, cp.PublicKey); err != nil {
		t.Fatalf("witness on an untouched chain: %v", err)
	}

	// 1. The report's bytes edited: VerifyPublished fails.
	trExec(t, db, `UPDATE transparency_reports SET body = REPLACE(body, '"added": 5', '"added": 4') WHERE period = '2025'`)
	if _, err := ksp.VerifyPublished(ctx, db, db); err == nil || !strings.Contains(err.Error(), "altered") {
		t.Fatalf("edited report: verify said %v", err)
	}
	// 2. The pin edited as well: the chain walk fails.
	edited, _ := db.FindPublishedReport(ctx, "2025")
	sum := sha256Hex(edited.Body)
	trExec(t, db, `UPDATE audit_events SET object = ? WHERE seq = ?`, ksp.PublishedReportObject("2025", sum), pr.AuditSeq)
	if _, err := ksp.VerifyPublished(ctx, db, db); err != nil {
		t.Fatalf("pin edited to match: %v", err)
	}
	if _, _, err := ksp.VerifyChain(ctx, db, ""); err == nil {
		t.Fatal("edited pin: the chain still verifies")
	}
	// 3. The whole chain rewritten from the pin on: the chain verifies,
	// but not against the signed checkpoint.
	trRehash(t, db, pr.AuditSeq)
	if _, _, err := ksp.VerifyChain(ctx, db, ""); err != nil {
		t.Fatalf("rewritten chain should verify on its own: %v", err)
	}
	if _, _, err := ksp.VerifyWitness(ctx, db, []*ksp.AuditCheckpoint{&witness}, ""); err == nil || !strings.Contains(err.Error(), "rewritten") {
		t.Fatalf("rewritten chain against the witness: %v", err)
	}
	// 4. The witness edited to the new head: its signature fails.
	var newHash string
	must(t, db.SQL().QueryRow(db.Rebind(`SELECT hash FROM audit_events WHERE seq = ?`), witness.Seq).Scan(&newHash))
	forged := witness
	forged.Hash = newHash
	if _, _, err := ksp.VerifyWitness(ctx, db, []*ksp.AuditCheckpoint{&forged}, ""); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("forged witness: %v", err)
	}
	// 5. Re-signed with another key: refused against the trusted key.
	_, other, _ := trKey()
	forged.Sign(other)
	if _, _, err := ksp.VerifyWitness(ctx, db, []*ksp.AuditCheckpoint{&forged}, cp.PublicKey); err == nil {
		t.Fatal("checkpoint signed with another key accepted")
	}
}

func trKey() (ed25519.PublicKey, ed25519.PrivateKey, error) { return ed25519.GenerateKey(rand.Reader) }

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// trRehash recomputes every hash of the chain from seq on, as someone who
// rewrites the database would.
func trRehash(t *testing.T, db Store, from int64) {
	t.Helper()
	var events []*ksp.AuditEvent
	must(t, db.WalkAudit(Staff(), func(e *ksp.AuditEvent) error { events = append(events, e); return nil }))
	prev := ""
	for _, e := range events {
		if e.Seq >= from {
			if prev != "" {
				e.PrevHash = prev
			}
			h, err := e.ComputeHash()
			must(t, err)
			e.Hash = h
			trExec(t, db, `UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?`, e.PrevHash, e.Hash, e.Seq)
		}
		prev = e.Hash
	}
	trExec(t, db, `UPDATE audit_head SET hash = ? WHERE id = 1`, prev)
}

// testTransparencyStaffPowers checks the staff section against the audit
// chain of the current year.
func testTransparencyStaffPowers(t *testing.T, open Opener) {
	db := open(t)
	NewFixture(t, db)
	w, ok := db.(interface {
		WriteTx(ctx context.Context, fn func(tx *sql.Tx, audit func(action, object, orgID string, details map[string]any) error) error) error
	})
	if !ok {
		t.Skipf("%T has no WriteTx", db)
	}
	must(t, w.WriteTx(Staff(), func(_ *sql.Tx, audit func(string, string, string, map[string]any) error) error {
		for _, a := range []string{"signal.staff_read", "resource.staff_list", "alert.read", "signal.resolve", "incident.activate", "signal.submit", "incident.confirm"} {
			if err := audit(a, "x:1", ksp.StaffOrgID, nil); err != nil {
				return err
			}
		}
		return nil
	}))
	y := fmt.Sprint(time.Now().UTC().Year())
	r := trReport(t, Staff(), db, ksp.TransparencyQuery{Period: trPeriod(t, y)})
	trCheck(t, "staff powers", r, []trWant{{"staff.restricted_reads", 3.0}, {"staff.resolutions", 1.0}, {"staff.activations", 1.0}})
	last := trReport(t, Staff(), db, ksp.TransparencyQuery{Period: trPeriod(t, fmt.Sprint(time.Now().UTC().Year()-1))})
	trCheck(t, "staff powers last year", last, []trWant{{"staff.restricted_reads", 0.0}})
}
