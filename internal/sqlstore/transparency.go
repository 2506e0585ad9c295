package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
)

// staffReadActions are the audit actions that record a staff read of an
// item its owner restricted.
var staffReadActions = []string{"signal.staff_read", "signal.staff_list", "signal.staff_changes",
	"resource.staff_read", "resource.staff_list", "resource.staff_search", "alert.read", "incident.read"}

// TransparencyReport computes a transparency report. Platform-wide figures
// for a calendar year or quarter are public, suppressed; any period is
// open to staff and, for its own org, to an org's admins. An org's report
// counts only what the org did or may see: its own submissions, verdicts
// and matches, the alerts it is a party to, the incidents the sharing
// rule shows it.
func (db *DB) TransparencyReport(ctx context.Context, q ksp.TransparencyQuery) (*ksp.TransparencyReport, error) {
	a := ksp.ActorFrom(ctx)
	if _, err := ksp.ParsePeriodDays(q.Period.From, q.Period.To); err != nil {
		return nil, err
	}
	public := q.Public
	switch {
	case q.OrgID != "":
		if q.Public {
			return nil, &ksp.Error{Code: ksp.EINVALID, Message: "public figures are platform-wide", Fields: []ksp.FieldError{{Field: "org", Reason: "not with a public period"}}}
		}
		oa, err := requireOrgAdmin(ctx, q.OrgID)
		if err != nil {
			return nil, err
		}
		if oa.Suspended {
			return nil, errSuspended("read its own transparency report")
		}
		var kind string
		err = db.queryRow(ctx, `SELECT kind FROM orgs WHERE id = ?`, q.OrgID).Scan(&kind)
		if err == sql.ErrNoRows || kind == string(ksp.KindStaff) {
			return nil, ksp.NotFound("organisation")
		}
		if err != nil {
			return nil, fmt.Errorf("transparency report: %w", err)
		}
	case a == nil || !a.Staff:
		public = true
	}
	if public && q.Period.Label == "" {
		return nil, &ksp.Error{Code: ksp.EFORBIDDEN, Message: "public figures exist only for calendar years and quarters; other periods are for staff and an organisation's own report",
			Fields: []ksp.FieldError{{Field: "period", Reason: "a calendar year YYYY or quarter YYYY-Qn"}}}
	}
	if public {
		return db.publicReport(ctx, q.Period)
	}
	return db.computeReport(ctx, q.Period, q.OrgID, true)
}

// publicCacheTTL is how long a computed public report is reused: anyone
// may ask for one, and over a large bank each takes seconds to compute.
const publicCacheTTL = 5 * time.Minute

type cachedReport struct {
	at time.Time
	r  *ksp.TransparencyReport
}

// publicReport computes (or reuses, for publicCacheTTL) the suppressed
// platform-wide report of a calendar period. Callers must not change it.
func (db *DB) publicReport(ctx context.Context, p ksp.TransparencyPeriod) (*ksp.TransparencyReport, error) {
	if c, ok := db.publicReports.Load(p.Label); ok && time.Since(c.(cachedReport).at) < publicCacheTTL {
		return c.(cachedReport).r, nil
	}
	r, err := db.computeReport(ctx, p, "", false)
	if err != nil {
		return nil, err
	}
	r.Suppress()
	db.publicReports.Store(p.Label, cachedReport{at: time.Now(), r: r})
	return r, nil
}

// forgetPublicReports drops db's cached public reports (tests and writes
// that must show at once, such as publishing).
func (db *DB) forgetPublicReports() { db.publicReports.Clear() }

// reportRange is a period as the columns store it.
type reportRange struct {
	start, end int64 // microseconds, end exclusive
	from, to   string
	months     []string
	monthEnds  []int64 // exclusive end of each month, microseconds
}

func newReportRange(p ksp.TransparencyPeriod) reportRange {
	s, e := p.Bounds()
	r := reportRange{start: micros(s), end: micros(e), from: p.From, to: p.To, months: p.Months()}
	for _, m := range r.months {
		t, _ := time.Parse("2006-01", m)
		r.monthEnds = append(r.monthEnds, micros(t.AddDate(0, 1, 0)))
	}
	return r
}

// monthCase is a portable SQL expression giving the index of the month of
// col (microseconds) within the range.
func (r reportRange) monthCase(col string) string {
	var b strings.Builder
	b.WriteString("CASE")
	for i, e := range r.monthEnds {
		fmt.Fprintf(&b, " WHEN %s < %d THEN %d", col, e, i)
	}
	b.WriteString(" ELSE -1 END")
	return b.String()
}

// orgSet counts the distinct orgs behind a figure.
type orgSet map[string]struct{}

// cell is a figure being summed, with its orgs.
type cell struct {
	n    int64
	orgs orgSet
}

func (c *cell) add(n int64, org string) {
	c.n += n
	if org == "" {
		return
	}
	if c.orgs == nil {
		c.orgs = orgSet{}
	}
	c.orgs[org] = struct{}{}
}

func (c *cell) fig() *ksp.Figure { return ksp.Fig(c.n, len(c.orgs)) }

// cells is a breakdown being summed.
type cells map[string]*cell

func (m cells) add(key string, n int64, org string) {
	c := m[key]
	if c == nil {
		c = &cell{}
		m[key] = c
	}
	c.add(n, org)
}

// figures returns the breakdown with every key of keys present (0 when
// none), plus any other key seen.
func (m cells) figures(keys ...string) ksp.Figures {
	out := ksp.Figures{}
	for _, k := range keys {
		out[k] = ksp.Fig(0, 0)
	}
	for k, c := range m {
		out[k] = c.fig()
	}
	return out
}

func (db *DB) computeReport(ctx context.Context, p ksp.TransparencyPeriod, orgID string, full bool) (*ksp.TransparencyReport, error) {
	rg := newReportRange(p)
	r := &ksp.TransparencyReport{Period: p, Suppressed: []string{}}
	if orgID != "" {
		o := orgID
		r.Org = &o
	}
	r.Monthly = make([]ksp.MonthFigures, len(rg.months))
	for i, m := range rg.months {
		r.Monthly[i].Month = m
	}
	steps := []func(context.Context, reportRange, string, *ksp.TransparencyReport) error{
		db.reportSubmissions, db.reportFeedback, db.reportDisputes, db.reportMatching, db.reportAlerts,
		db.reportIncidents, db.reportLibrary,
	}
	if orgID == "" {
		steps = append(steps, db.reportMembership, db.reportStaff)
	}
	for _, step := range steps {
		if err := step(ctx, rg, orgID, r); err != nil {
			return nil, fmt.Errorf("transparency report: %w", err)
		}
	}
	if !full && r.Alerts != nil {
		r.Alerts.NoViolationShareBySender = nil
	}
	return r, nil
}

func (db *DB) reportMembership(ctx context.Context, rg reportRange, _ string, r *ksp.TransparencyReport) error {
	kinds, sizes := cells{}, cells{}
	rows, err := db.query(ctx, `SELECT id, kind, size FROM orgs WHERE kind <> 'staff' AND created_at < ?`, rg.end)
	if err != nil {
		return fmt.Errorf("membership: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, kind, size string
		if err := rows.Scan(&id, &kind, &size); err != nil {
			return fmt.Errorf("membership: %w", err)
		}
		kinds.add(kind, 1, id)
		if kind == string(ksp.KindPlatform) && size != "" {
			sizes.add(size, 1, id)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("membership: %w", err)
	}
	m := &ksp.MembershipFigures{OrgsByKind: kinds.figures(), OrgsBySize: sizes.figures()}
	var received, approved, rejected int64
	if err := db.queryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM applications WHERE created_at >= ? AND created_at < ?),
		(SELECT COUNT(*) FROM applications WHERE status = 'approved' AND decided_at >= ? AND decided_at < ?),
		(SELECT COUNT(*) FROM applications WHERE status = 'rejected' AND decided_at >= ? AND decided_at < ?)`,
		rg.start, rg.end, rg.start, rg.end, rg.start, rg.end).Scan(&received, &approved, &rejected); err != nil {
		return fmt.Errorf("applications: %w", err)
	}
	// Applicants are not yet orgs: their counts are not breakdowns of
	// anyone's activity.
	m.Applications = ksp.ApplicationsFigures{Received: ksp.Fig(received, ksp.SuppressionThreshold), Approved: ksp.Fig(approved, ksp.SuppressionThreshold), Rejected: ksp.Fig(rejected, ksp.SuppressionThreshold)}
	r.Membership = m
	return nil
}

func (db *DB) reportSubmissions(ctx context.Context, rg reportRange, orgID string, r *ksp.TransparencyReport) error {
	where, args := `s.created_at >= ? AND s.created_at < ?`, []any{rg.start, rg.end}
	if orgID != "" {
		where += ` AND s.org_id = ?`
		args = append(args, orgID)
	}
	rows, err := db.query(ctx, `SELECT g.type, s.org_id, COALESCE(s.label_bits, 0), s.basis, s.distribution, s.tlp,
			CASE WHEN s.created_at > g.created_at THEN 1 ELSE 0 END, `+rg.monthCase("s.created_at")+`, COUNT(*)
		FROM submissions s JOIN signals g ON g.id = s.signal_id WHERE `+where+` GROUP BY 1, 2, 3, 4, 5, 6, 7, 8`, args...)
	if err != nil {
		return fmt.Errorf("submissions: %w", err)
	}
	defer rows.Close()
	var added, merged cell
	byType, byLabel, byBasis, byDist, byTLP := cells{}, cells{}, cells{}, cells{}, cells{}
	for rows.Next() {
		var typ, org, basis, dist, tlp string
		var bits, isMerged, month int
		var n int64
		if err := rows.Scan(&typ, &org, &bits, &basis, &dist, &tlp, &isMerged, &month, &n); err != nil {
			return fmt.Errorf("submissions: %w", err)
		}
		added.add(n, org)
		if isMerged == 1 {
			merged.add(n, org)
		}
		byType.add(typ, n, org)
		for i, l := range ksp.Labels {
			if bits&(1<<i) != 0 {
				byLabel.add(l, n, org)
			}
		}
		byBasis.add(basis, n, org)
		byDist.add(dist, n, org)
		byTLP.add(tlp, n, org)
		if month >= 0 {
			r.Monthly[month].Submissions += n
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("submissions: %w", err)
	}
	s := &ksp.SubmissionFigures{Added: added.fig(), Merged: merged.fig(),
		ByType: byType.figures("pdq", "md5", "sha256", "url"), ByLabel: byLabel.figures(ksp.Labels...),
		ByBasis: byBasis.figures(), ByDistribution: byDist.figures(), ByTLP: byTLP.figures()}

	// Entities named: by list and by ideology.
	lists, ideologies := cells{}, cells{}
	erows, err := db.query(ctx, `SELECT COALESCE(l.list, ''), e.ideology, s.org_id, COUNT(*)
		FROM submissions s JOIN entities e ON e.id = s.entity_id LEFT JOIN entity_lists l ON l.entity_id = e.id
		WHERE s.entity_id <> '' AND `+where+` GROUP BY 1, 2, 3`, args...)
	if err != nil {
		return fmt.Errorf("submissions by entity: %w", err)
	}
	defer erows.Close()
	for erows.Next() {
		var list, ideology, org string
		var n int64
		if err := erows.Scan(&list, &ideology, &org, &n); err != nil {
			return fmt.Errorf("submissions by entity: %w", err)
		}
		if list != "" {
			lists.add(list, n, org)
		}
		if ideology != "" {
			ideologies.add(ideology, n, org)
		}
	}
	if err := erows.Err(); err != nil {
		return fmt.Errorf("submissions by entity: %w", err)
	}
	s.ByEntityList, s.ByEntityIdeology = lists.figures(), ideologies.figures()

	var retracted cell
	rwhere, rargs := `retracted_at >= ? AND retracted_at < ?`, []any{rg.start, rg.end}
	if orgID != "" {
		rwhere += ` AND org_id = ?`
		rargs = append(rargs, orgID)
	}
	if err := db.sumByOrg(ctx, `SELECT org_id, COUNT(*) FROM submissions WHERE `+rwhere+` GROUP BY org_id`, rargs, &retracted); err != nil {
		return fmt.Errorf("retractions: %w", err)
	}
	s.Retracted = retracted.fig()

	var negative cell
	nwhere, nargs := `created_at >= ? AND created_at < ?`, []any{rg.start, rg.end}
	if orgID != "" {
		nwhere += ` AND org_id = ?`
		nargs = append(nargs, orgID)
	}
	if err := db.sumByOrg(ctx, `SELECT org_id, COUNT(*) FROM negative_entries WHERE `+nwhere+` GROUP BY org_id`, nargs, &negative); err != nil {
		return fmt.Errorf("negative bank: %w", err)
	}
	s.NegativeBank = negative.fig()
	r.Submissions = s
	return nil
}

// sumByOrg adds the (org, n) rows of q into c.
func (db *DB) sumByOrg(ctx context.Context, q string, args []any, c *cell) error {
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var org string
		var n int64
		if err := rows.Scan(&org, &n); err != nil {
			return err
		}
		c.add(n, org)
	}
	return rows.Err()
}

func (db *DB) reportFeedback(ctx context.Context, rg reportRange, orgID string, r *ksp.TransparencyReport) error {
	where, args := `kind = 'verdict' AND created_at >= ? AND created_at < ?`, []any{rg.start, rg.end}
	if orgID != "" {
		where += ` AND org_id = ?`
		args = append(args, orgID)
	}
	rows, err := db.query(ctx, `SELECT value, org_id, COUNT(*) FROM feedback_log WHERE `+where+` GROUP BY value, org_id`, args...)
	if err != nil {
		return fmt.Errorf("feedback: %w", err)
	}
	defer rows.Close()
	byVerdict := cells{}
	var total, fp int64
	for rows.Next() {
		var v, org string
		var n int64
		if err := rows.Scan(&v, &org, &n); err != nil {
			return fmt.Errorf("feedback: %w", err)
		}
		byVerdict.add(v, n, org)
		total += n
		if v == ksp.VerdictFalsePositive {
			fp += n
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("feedback: %w", err)
	}
	r.Feedback = &ksp.FeedbackFigures{ByVerdict: byVerdict.figures(ksp.Verdicts...),
		FalsePositiveShare: ksp.ShareOf(ksp.Fig(fp, 0), ksp.Fig(total, 0))}
	return nil
}

func (db *DB) reportDisputes(ctx context.Context, rg reportRange, orgID string, r *ksp.TransparencyReport) error {
	d := &ksp.DisputeFigures{}
	where, args := `kind = 'verdict' AND value = 'disputed' AND created_at >= ? AND created_at < ?`, []any{rg.start, rg.end}
	if orgID != "" {
		where += ` AND org_id = ?`
		args = append(args, orgID)
	}
	var opened cell
	if err := db.sumByOrg(ctx, `SELECT org_id, COUNT(*) FROM feedback_log WHERE `+where+` GROUP BY org_id`, args, &opened); err != nil {
		return fmt.Errorf("disputes: %w", err)
	}
	d.Opened = opened.fig()

	// Each resolution with the disputes it settled: those since the
	// signal's previous resolution.
	rows, err := db.query(ctx, `SELECT r.id, r.value, r.created_at, d.org_id, d.created_at
		FROM feedback_log r LEFT JOIN feedback_log d ON d.signal_id = r.signal_id AND d.kind = 'verdict' AND d.value = 'disputed' AND d.created_at <= r.created_at
			AND NOT EXISTS (SELECT 1 FROM feedback_log p WHERE p.signal_id = r.signal_id AND p.kind = 'resolution' AND p.created_at < r.created_at AND p.created_at >= d.created_at)
		WHERE r.kind = 'resolution' AND r.created_at >= ? AND r.created_at < ?`, rg.start, rg.end)
	if err != nil {
		return fmt.Errorf("resolutions: %w", err)
	}
	defer rows.Close()
	type res struct {
		value string
		at    int64
		first int64
		orgs  []string
	}
	byID := map[string]*res{}
	var order []string
	for rows.Next() {
		var id, value string
		var at int64
		var org sql.NullString
		var dat sql.NullInt64
		if err := rows.Scan(&id, &value, &at, &org, &dat); err != nil {
			return fmt.Errorf("resolutions: %w", err)
		}
		x := byID[id]
		if x == nil {
			x = &res{value: value, at: at}
			byID[id] = x
			order = append(order, id)
		}
		if dat.Valid && (x.first == 0 || dat.Int64 < x.first) {
			x.first = dat.Int64
		}
		if org.Valid {
			x.orgs = append(x.orgs, org.String)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("resolutions: %w", err)
	}
	var resolved, times cell
	byRes := cells{}
	var secs []int64
	for _, id := range order {
		x := byID[id]
		if orgID != "" && !slices.Contains(x.orgs, orgID) {
			continue
		}
		resolved.add(1, "")
		byRes.add(x.value, 1, "")
		for _, o := range x.orgs {
			resolved.add(0, o)
			byRes.add(x.value, 0, o)
		}
		if x.first > 0 {
			secs = append(secs, (x.at-x.first)/1e6)
			for _, o := range x.orgs {
				times.add(0, o)
			}
		}
	}
	d.Resolved, d.ByResolution = resolved.fig(), byRes.figures(ksp.Resolutions...)
	d.MedianResolutionSeconds = nil
	if len(secs) > 0 {
		slices.Sort(secs)
		d.MedianResolutionSeconds = ksp.Fig(ksp.Percentile(secs, 50), len(times.orgs))
	}
	r.Disputes = d
	return nil
}

func (db *DB) reportMatching(ctx context.Context, rg reportRange, orgID string, r *ksp.TransparencyReport) error {
	where, args := `day >= ? AND day <= ?`, []any{rg.from, rg.to}
	if orgID != "" {
		where += ` AND org_id = ?`
		args = append(args, orgID)
	}
	rows, err := db.query(ctx, `SELECT org_id, SUBSTR(day, 1, 7), SUM(queries), SUM(matches) FROM match_counts WHERE `+where+` GROUP BY 1, 2`, args...)
	if err != nil {
		return fmt.Errorf("matching: %w", err)
	}
	defer rows.Close()
	var req, hits cell
	for rows.Next() {
		var org, month string
		var q, m int64
		if err := rows.Scan(&org, &month, &q, &m); err != nil {
			return fmt.Errorf("matching: %w", err)
		}
		req.add(q, org)
		hits.add(m, org)
		if i := slices.Index(rg.months, month); i >= 0 {
			r.Monthly[i].MatchRequests += q
			r.Monthly[i].Hits += m
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("matching: %w", err)
	}
	r.Matching = &ksp.MatchingFigures{Requests: req.fig(), Hits: hits.fig()}
	return nil
}

// alertAcc sums the figures of a set of alerts.
type alertAcc struct {
	sent, escalated, roReceived, roMet  cell
	byKind, byTier, bySender, responses cells
	senderKindNV, senderKindResp        cells
	senderNV, senderResp                cells
	times                               []int64
	timeOrgs                            orgSet
}

func newAlertAcc() *alertAcc {
	return &alertAcc{byKind: cells{}, byTier: cells{}, bySender: cells{}, responses: cells{},
		senderKindNV: cells{}, senderKindResp: cells{}, senderNV: cells{}, senderResp: cells{}, timeOrgs: orgSet{}}
}

func (x *alertAcc) figures(perSender bool) *ksp.AlertFigures {
	f := &ksp.AlertFigures{Sent: x.sent.fig(), Escalated: x.escalated.fig(),
		ByKind: x.byKind.figures(), ByTier: x.byTier.figures(), BySenderKind: x.bySender.figures(),
		Responses:                    x.responses.figures(ksp.AlertResponses...),
		RemovalOrders:                ksp.RemovalOrderFigures{Received: x.roReceived.fig(), MetWithinHour: x.roMet.fig()},
		NoViolationShareBySenderKind: map[string]ksp.Share{}}
	var resp int64
	for _, c := range x.responses {
		resp += c.n
	}
	f.NoViolationShare = ksp.ShareOf(ksp.Fig(f.Responses.Get(ksp.ResponseNoViolation), 0), ksp.Fig(resp, 0))
	for k, c := range x.senderKindResp {
		nv := &cell{}
		if v := x.senderKindNV[k]; v != nil {
			nv = v
		}
		f.NoViolationShareBySenderKind[k] = ksp.ShareOf(nv.fig(), c.fig())
	}
	if perSender {
		f.NoViolationShareBySender = map[string]ksp.Share{}
		for k, c := range x.senderResp {
			nv := &cell{}
			if v := x.senderNV[k]; v != nil {
				nv = v
			}
			f.NoViolationShareBySender[k] = ksp.ShareOf(nv.fig(), c.fig())
		}
	}
	if len(x.times) > 0 {
		slices.Sort(x.times)
		f.MedianResponseSeconds = ksp.Fig(ksp.Percentile(x.times, 50), len(x.timeOrgs))
		f.P90ResponseSeconds = ksp.Fig(ksp.Percentile(x.times, 90), len(x.timeOrgs))
	}
	return f
}

func (db *DB) reportAlerts(ctx context.Context, rg reportRange, orgID string, r *ksp.TransparencyReport) error {
	sent, err := db.alertFigures(ctx, rg, orgID, ksp.AlertRoleSender, r, orgID == "")
	if err != nil {
		return err
	}
	r.Alerts = sent
	if orgID != "" {
		if r.AlertsReceived, err = db.alertFigures(ctx, rg, orgID, ksp.AlertRoleReceiver, nil, false); err != nil {
			return err
		}
	}
	return nil
}

// alertFigures sums the alerts created in the range: all of them, or
// those orgID is a party to in role (the alert sharing rule's table).
func (db *DB) alertFigures(ctx context.Context, rg reportRange, orgID, role string, r *ksp.TransparencyReport, perSender bool) (*ksp.AlertFigures, error) {
	where, args := `a.created_at >= ? AND a.created_at < ?`, []any{rg.start, rg.end}
	if orgID != "" {
		where += ` AND a.id IN (SELECT p.alert_id FROM alert_parties p WHERE p.org_id = ? AND p.role = ?)`
		args = append(args, orgID, role)
	}
	rows, err := db.query(ctx, `SELECT a.kind, a.tier, o.kind, a.sender_org_id, a.receiver_org_id, a.response_action,
			a.responded_at - a.clock_start, a.escalated_at IS NOT NULL, `+rg.monthCase("a.created_at")+`
		FROM alerts a JOIN orgs o ON o.id = a.sender_org_id WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	defer rows.Close()
	x := newAlertAcc()
	for rows.Next() {
		var kind, tier, senderKind, sender, receiver, action string
		var took sql.NullInt64
		var escalated bool
		var month int
		if err := rows.Scan(&kind, &tier, &senderKind, &sender, &receiver, &action, &took, &escalated, &month); err != nil {
			return nil, fmt.Errorf("alerts: %w", err)
		}
		x.sent.add(1, sender)
		x.byKind.add(kind, 1, sender)
		if tier != "" {
			x.byTier.add(tier, 1, sender)
		}
		x.bySender.add(senderKind, 1, sender)
		if escalated {
			x.escalated.add(1, sender)
		}
		if action != "" {
			x.responses.add(action, 1, receiver)
			x.senderKindResp.add(senderKind, 1, sender)
			x.senderResp.add(sender, 1, sender)
			if action == ksp.ResponseNoViolation {
				x.senderKindNV.add(senderKind, 1, sender)
				x.senderNV.add(sender, 1, sender)
			}
			if took.Valid {
				secs := took.Int64 / 1e6
				if secs < 0 {
					secs = 0
				}
				x.times = append(x.times, secs)
				if receiver != "" {
					x.timeOrgs[receiver] = struct{}{}
				}
			}
		}
		if ksp.AlertKind(kind) == ksp.AlertTCORemovalOrder {
			x.roReceived.add(1, sender)
			if (action == ksp.ResponseRemoved || action == ksp.ResponseRestricted) && took.Valid && took.Int64 <= int64(time.Hour/time.Microsecond) {
				x.roMet.add(1, receiver)
			}
		}
		if r != nil && month >= 0 {
			r.Monthly[month].Alerts++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	return x.figures(perSender), nil
}

func (db *DB) reportIncidents(ctx context.Context, rg reportRange, orgID string, r *ksp.TransparencyReport) error {
	where, args := `i.activated_at >= ? AND i.activated_at < ?`, []any{rg.start, rg.end}
	if orgID != "" {
		vis, vargs := Visible(ksp.Viewer{OrgID: orgID}, "i", "id")
		where += " AND " + vis
		args = append(args, vargs...)
	}
	var members int64
	if err := db.queryRow(ctx, `SELECT COUNT(*) FROM orgs WHERE kind <> 'staff' AND status = 'member'`).Scan(&members); err != nil {
		return fmt.Errorf("incidents: %w", err)
	}
	rows, err := db.query(ctx, `SELECT i.type, i.activated_at, i.closed_at, i.distribution, i.owner_org_id,
			(SELECT COUNT(*) FROM audiences au WHERE au.item_id = i.id AND au.org_id <> i.owner_org_id)
		FROM incidents i WHERE `+where, args...)
	if err != nil {
		return fmt.Errorf("incidents: %w", err)
	}
	defer rows.Close()
	var activated, notified cell
	byType := cells{}
	var durations []int64
	for rows.Next() {
		var typ, dist, owner string
		var at int64
		var closed sql.NullInt64
		var audience int64
		if err := rows.Scan(&typ, &at, &closed, &dist, &owner, &audience); err != nil {
			return fmt.Errorf("incidents: %w", err)
		}
		activated.add(1, "")
		byType.add(typ, 1, "")
		if closed.Valid {
			durations = append(durations, (closed.Int64-at)/1e6)
		}
		own := int64(0)
		if owner != ksp.StaffOrgID {
			own = 1
		}
		switch ksp.Distribution(dist) {
		case ksp.DistMembers, ksp.DistPublic:
			notified.add(members, "")
		case ksp.DistAudience:
			notified.add(audience+own, "")
		default:
			notified.add(own, "")
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("incidents: %w", err)
	}
	f := &ksp.IncidentFigures{Activated: activated.fig(), ByType: byType.figures(), OrgsNotified: notified.fig()}
	if len(durations) > 0 {
		slices.Sort(durations)
		f.MedianDurationSeconds = ksp.Fig(ksp.Percentile(durations, 50), 0)
	}
	r.Incidents = f
	return nil
}

func (db *DB) reportLibrary(ctx context.Context, rg reportRange, orgID string, r *ksp.TransparencyReport) error {
	where, args := `created_at >= ? AND created_at < ?`, []any{rg.start, rg.end}
	if orgID != "" {
		where += ` AND owner_org_id = ?`
		args = append(args, orgID)
	}
	var published cell
	if err := db.sumByOrg(ctx, `SELECT owner_org_id, COUNT(*) FROM resources WHERE `+where+` GROUP BY owner_org_id`, args, &published); err != nil {
		return fmt.Errorf("library: %w", err)
	}
	l := &ksp.LibraryFigures{Published: published.fig()}
	if orgID == "" {
		var n sql.NullInt64
		if err := db.queryRow(ctx, `SELECT SUM(searches) FROM search_counts WHERE day >= ? AND day <= ?`, rg.from, rg.to).Scan(&n); err != nil {
			return fmt.Errorf("searches: %w", err)
		}
		l.Searches = ksp.Fig(n.Int64, 0)
	}
	r.Library = l
	return nil
}

func (db *DB) reportStaff(ctx context.Context, rg reportRange, _ string, r *ksp.TransparencyReport) error {
	ph := placeholders(len(staffReadActions))
	args := []any{rg.start, rg.end}
	for _, a := range staffReadActions {
		args = append(args, a)
	}
	var reads, resolutions, activations int64
	if err := db.queryRow(ctx, `SELECT
			COALESCE(SUM(CASE WHEN action IN (`+ph+`) THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN action = 'signal.resolve' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN action = 'incident.activate' THEN 1 ELSE 0 END), 0)
		FROM audit_events WHERE time >= ? AND time < ?`, append(args[2:], args[:2]...)...).Scan(&reads, &resolutions, &activations); err != nil {
		return fmt.Errorf("staff powers: %w", err)
	}
	r.Staff = &ksp.StaffFigures{RestrictedReads: ksp.Fig(reads, 0), Resolutions: ksp.Fig(resolutions, 0), Activations: ksp.Fig(activations, 0)}
	return nil
}
