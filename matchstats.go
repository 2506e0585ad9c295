package ksp

import "context"

// MatchStatsMinOrgs is the fewest other organisations that must have
// matched a signal in a month before the month's figures are shown. Below
// it the number of organisations is shown as "fewer than 3" and the match
// count is withheld too: with one or two organisations behind it, the count
// is the matching volume of organisations a submitter can often name (the
// only org in a signal's audience, say).
const MatchStatsMinOrgs = 3

// MatchStatsMonths is how many months of per-signal match counts are kept
// and shown (the current month and the twelve before it).
const MatchStatsMonths = 13

// SignalMatchCount is one day's matches of one signal by one org, as the
// matcher accumulates them before writing.
type SignalMatchCount struct {
	SignalID string
	Day      string // YYYY-MM-DD, UTC
	OrgID    string
	Matches  int
}

// MonthMatches is what a viewer may see of a signal's matches in one month:
// matches by organisations other than the viewer's own. When Withheld (fewer
// than MatchStatsMinOrgs organisations matched) Matches and Orgs are zero.
type MonthMatches struct {
	Month    string `json:"month"` // YYYY-MM
	Matches  int    `json:"matches"`
	Orgs     int    `json:"orgs"`
	Withheld bool   `json:"fewer_than_3_orgs,omitempty"`
}

// SignalMatchStats is a signal's matches per month, newest first; months
// without any match are left out.
type SignalMatchStats struct {
	SignalID string         `json:"signal_id"`
	Months   []MonthMatches `json:"months"`
}

// SignalMonthTotal is one signal's line in a month summary.
type SignalMonthTotal struct {
	SignalID string `json:"signal_id"`
	Matches  int    `json:"matches"`
	Orgs     int    `json:"orgs"`
}

// MatchSummary is a month of matches over the signals a viewer may see the
// counts of (its org's own; every signal for staff). Matches sums only the
// signals whose figures are shown, so that subtracting them from it reveals
// nothing withheld; Withheld counts the signals matched by fewer than
// MatchStatsMinOrgs organisations. Orgs is the number of distinct other
// organisations that matched any of them, zero when OrgsWithheld.
type MatchSummary struct {
	Month        string             `json:"month"`
	Matches      int                `json:"matches"`
	Orgs         int                `json:"orgs"`
	OrgsWithheld bool               `json:"fewer_than_3_orgs,omitempty"`
	Withheld     int                `json:"signals_withheld"`
	Top          []SignalMonthTotal `json:"top"`
}

// MatchStatsService reads the per-signal match counts. Only the orgs that
// submitted a signal, and staff, see its counts; they never learn which
// orgs matched. (The matcher writes them with
// SignalService.RecordSignalMatches.)
type MatchStatsService interface {
	// SignalMatchStats returns a signal's monthly figures: not_found when
	// the actor may not see the signal, forbidden when it may see it but
	// neither submitted it nor is staff.
	SignalMatchStats(ctx context.Context, signalID string) (*SignalMatchStats, error)
	// MatchSummary sums up month (YYYY-MM) over the signals the actor's org
	// submitted (every signal for staff), with at most top signals listed.
	MatchSummary(ctx context.Context, month string, top int) (*MatchSummary, error)
	// SignalMatchTotals returns, for each of ids, the matches the actor may
	// see over the days since since (YYYY-MM-DD): the sum of the shown
	// monthly figures, 0 where the actor may not see the counts.
	SignalMatchTotals(ctx context.Context, ids []string, since string) (map[string]int, error)
}
