package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
)

// Per-signal match counts. The matcher writes every org's matches, the
// submitter's own included (signal_match_days); a reader is shown only the
// matches by organisations other than its own, and only in months where at
// least ksp.MatchStatsMinOrgs of them matched: below that the month says
// "fewer than 3" and its count is withheld, since one or two orgs' count is
// their own matching volume. Only the orgs that submitted a signal, and
// staff, see its counts; which orgs matched is never shown.

// matchRowsPerInsert bounds one multi-row upsert (placeholders per
// statement stay far below either database's limit).
const matchRowsPerInsert = 250

// RecordSignalMatches adds to the daily per-signal counts in multi-row
// upserts, and drops the days older than ksp.MatchStatsMonths months.
// System use: the matcher's periodic flush, not an actor's write (counts
// are not audited, as the per-org match counts are not).
func (db *DB) RecordSignalMatches(ctx context.Context, counts []ksp.SignalMatchCount) error {
	sum := map[ksp.SignalMatchCount]int{}
	var keys []ksp.SignalMatchCount
	for _, c := range counts {
		if c.Matches <= 0 || !ksp.ValidID(c.SignalID) {
			continue
		}
		k := ksp.SignalMatchCount{SignalID: c.SignalID, Day: c.Day, OrgID: c.OrgID}
		if _, ok := sum[k]; !ok {
			keys = append(keys, k)
		}
		sum[k] += c.Matches
	}
	for len(keys) > 0 {
		n := min(len(keys), matchRowsPerInsert)
		var q strings.Builder
		q.WriteString(`INSERT INTO signal_match_days (signal_id, day, org_id, matches) VALUES `)
		args := make([]any, 0, 4*n)
		for i, k := range keys[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?)")
			args = append(args, k.SignalID, k.Day, k.OrgID, sum[k])
		}
		q.WriteString(` ON CONFLICT (signal_id, day, org_id) DO UPDATE SET matches = signal_match_days.matches + excluded.matches`)
		if _, err := db.exec(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("record signal matches: %w", err)
		}
		keys = keys[n:]
	}
	if _, err := db.exec(ctx, `DELETE FROM signal_match_days WHERE day < ?`, matchCutoff(time.Now())); err != nil {
		return fmt.Errorf("record signal matches: %w", err)
	}
	return nil
}

// matchCutoff is the first day kept: the first of the month
// ksp.MatchStatsMonths-1 months before now's.
func matchCutoff(now time.Time) string {
	y, m, _ := now.UTC().Date()
	return time.Date(y, m-time.Month(ksp.MatchStatsMonths-1), 1, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
}

// submitted reports whether org has a submission of st (retracted or not):
// the orgs that see a signal's match counts, beside staff.
func submitted(st *ksp.SignalState, org string) bool {
	for _, s := range st.Submissions {
		if s.OrgID == org {
			return true
		}
	}
	return false
}

// SignalMatchStats returns the monthly figures of a signal the actor may
// see and submitted (or any signal, for staff).
func (db *DB) SignalMatchStats(ctx context.Context, signalID string) (*ksp.SignalMatchStats, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	st, err := db.visibleState(ctx, db.sql, a, signalID)
	if err != nil {
		return nil, err
	}
	if !a.Staff && !submitted(st, a.OrgID) {
		return nil, ksp.Errorf(ksp.EFORBIDDEN, "only the organisations that shared a signal see its match counts")
	}
	rows, err := db.query(ctx, `SELECT substr(day, 1, 7), org_id, SUM(matches) FROM signal_match_days
		WHERE signal_id = ? AND day >= ? AND org_id <> ? GROUP BY substr(day, 1, 7), org_id`, st.ID, matchCutoff(time.Now()), a.OrgID)
	if err != nil {
		return nil, fmt.Errorf("signal match stats: %w", err)
	}
	defer rows.Close()
	byMonth := map[string]*ksp.MonthMatches{}
	for rows.Next() {
		var month, org string
		var n int
		if err := rows.Scan(&month, &org, &n); err != nil {
			return nil, fmt.Errorf("signal match stats: %w", err)
		}
		m := byMonth[month]
		if m == nil {
			m = &ksp.MonthMatches{Month: month}
			byMonth[month] = m
		}
		m.Matches += n
		m.Orgs++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("signal match stats: %w", err)
	}
	out := &ksp.SignalMatchStats{SignalID: st.ID, Months: []ksp.MonthMatches{}}
	for _, m := range byMonth {
		out.Months = append(out.Months, withhold(*m))
	}
	slices.SortFunc(out.Months, func(x, y ksp.MonthMatches) int { return strings.Compare(y.Month, x.Month) })
	return out, nil
}

// withhold applies the three-org rule to a month's figures.
func withhold(m ksp.MonthMatches) ksp.MonthMatches {
	if m.Orgs < ksp.MatchStatsMinOrgs {
		return ksp.MonthMatches{Month: m.Month, Withheld: true}
	}
	return m
}

// MatchSummary sums up a month over the signals whose counts the actor
// sees: its org's own, or every signal for staff.
func (db *DB) MatchSummary(ctx context.Context, month string, top int) (*ksp.MatchSummary, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	start, err := time.Parse("2006-01", month)
	if err != nil {
		return nil, &ksp.Error{Code: ksp.EINVALID, Message: "invalid month", Fields: []ksp.FieldError{{Field: "month", Reason: "a month as YYYY-MM"}}}
	}
	out := &ksp.MatchSummary{Month: month, Top: []ksp.SignalMonthTotal{}}
	if a.Suspended {
		return out, nil
	}
	q := `SELECT d.signal_id, d.org_id, SUM(d.matches) FROM signal_match_days d WHERE d.day >= ? AND d.day < ? AND d.org_id <> ?`
	args := []any{start.Format("2006-01-02"), start.AddDate(0, 1, 0).Format("2006-01-02"), a.OrgID}
	if !a.Staff {
		q += ` AND EXISTS (SELECT 1 FROM submissions s WHERE s.signal_id = d.signal_id AND s.org_id = ?)`
		args = append(args, a.OrgID)
	}
	rows, err := db.query(ctx, q+` GROUP BY d.signal_id, d.org_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("match summary: %w", err)
	}
	defer rows.Close()
	bySignal := map[string]*ksp.SignalMonthTotal{}
	orgs := map[string]bool{}
	for rows.Next() {
		var sig, org string
		var n int
		if err := rows.Scan(&sig, &org, &n); err != nil {
			return nil, fmt.Errorf("match summary: %w", err)
		}
		t := bySignal[sig]
		if t == nil {
			t = &ksp.SignalMonthTotal{SignalID: sig}
			bySignal[sig] = t
		}
		t.Matches += n
		t.Orgs++
		orgs[org] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("match summary: %w", err)
	}
	for _, t := range bySignal {
		if t.Orgs < ksp.MatchStatsMinOrgs {
			out.Withheld++
			continue
		}
		out.Matches += t.Matches
		out.Top = append(out.Top, *t)
	}
	if len(orgs) >= ksp.MatchStatsMinOrgs {
		out.Orgs = len(orgs)
	} else {
		out.OrgsWithheld = len(orgs) > 0
	}
	slices.SortFunc(out.Top, func(x, y ksp.SignalMonthTotal) int {
		return cmp.Or(cmp.Compare(y.Matches, x.Matches), strings.Compare(x.SignalID, y.SignalID))
	})
	if top >= 0 && len(out.Top) > top {
		out.Top = out.Top[:top]
	}
	return out, nil
}

// MatchesSortSQL returns an SQL expression, over the signal id column col
// of the enclosing query, with its arguments: the matches the viewer may see
// of that signal since the day since (YYYY-MM-DD), summed over the months
// shown under the three-org rule, and 0 where the viewer sees no counts
// (neither a submitter nor staff). It is what a signal list sorts by, so
// that a sort position reveals no more than the signal page shows.
func MatchesSortSQL(v ksp.Viewer, col, since string) (string, []any) {
	if v.Anonymous() || v.Suspended {
		return "0", nil
	}
	gate, args := "", []any{since, v.OrgID}
	if !v.Staff {
		gate = ` AND EXISTS (SELECT 1 FROM submissions ms WHERE ms.signal_id = md.signal_id AND ms.org_id = ?)`
		args = append(args, v.OrgID)
	}
	return `COALESCE((SELECT SUM(mm.n) FROM (SELECT SUM(md.matches) AS n FROM signal_match_days md WHERE md.signal_id = ` + col +
		` AND md.day >= ? AND md.org_id <> ?` + gate + ` GROUP BY substr(md.day, 1, 7) HAVING COUNT(DISTINCT md.org_id) >= ` +
		fmt.Sprint(ksp.MatchStatsMinOrgs) + `) mm), 0)`, args
}

// SignalMatchTotals returns the matches the actor may see of each of ids
// since the day since (MatchesSortSQL's figure), for the signals it may see.
func (db *DB) SignalMatchTotals(ctx context.Context, ids []string, since string) (map[string]int, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := time.Parse("2006-01-02", since); err != nil {
		return nil, &ksp.Error{Code: ksp.EINVALID, Message: "invalid day", Fields: []ksp.FieldError{{Field: "since", Reason: "a day as YYYY-MM-DD"}}}
	}
	var seen []string
	for len(ids) > 0 {
		n := min(len(ids), 500)
		var valid []string
		for _, id := range ids[:n] {
			if ksp.ValidID(id) {
				valid = append(valid, id)
			}
		}
		ids = ids[n:]
		if len(valid) == 0 {
			continue
		}
		states, err := db.loadStates(ctx, db.sql, valid)
		if err != nil {
			return nil, fmt.Errorf("signal match totals: %w", err)
		}
		for _, id := range valid {
			if st := states[id]; st != nil && st.View(a.Viewer(), false) != nil {
				seen = append(seen, id)
			}
		}
	}
	return db.matchTotals(ctx, a.Viewer(), seen, since)
}

// matchTotals is SignalMatchTotals for ids the viewer is known to see
// (the bank list's sort has already computed their views).
func (db *DB) matchTotals(ctx context.Context, v ksp.Viewer, ids []string, since string) (map[string]int, error) {
	out := map[string]int{}
	expr, exprArgs := MatchesSortSQL(v, "sg.id", since)
	for len(ids) > 0 {
		n := min(len(ids), 500)
		args := slices.Clone(exprArgs)
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		rows, err := db.query(ctx, `SELECT sg.id, `+expr+` FROM signals sg WHERE sg.id IN (?`+strings.Repeat(", ?", n-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("signal match totals: %w", err)
		}
		for rows.Next() {
			var id string
			var total int
			if err := rows.Scan(&id, &total); err != nil {
				rows.Close()
				return nil, fmt.Errorf("signal match totals: %w", err)
			}
			out[id] = total
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("signal match totals: %w", err)
		}
		ids = ids[n:]
	}
	return out, nil
}
