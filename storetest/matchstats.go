package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

// testMatchStats checks the per-signal match counts: each viewer is shown
// the matches by other organisations, only where it submitted the signal
// (or is staff), with months of fewer than three such organisations
// withheld entirely; a viewer that may not see the signal gets not_found,
// one that may see it but did not submit it gets forbidden; the summary and
// the sort figure never add what a month or signal withholds.
func testMatchStats(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	mkOrg := func(name string) *ksp.Org {
		o := &ksp.Org{Name: name, Kind: ksp.KindAcademia, Domains: []ksp.Domain{{Domain: ksp.Slugify(name) + ".example", Verified: true}}}
		must(t, db.CreateOrg(Staff(), o))
		return o
	}
	uni, ngo := mkOrg("Some University"), mkOrg("Other Institute")
	plat := As(f.Platform, f.PlatAdmin)
	platViewer := As(f.Platform, f.PlatView)
	startup := As(f.Startup, f.StartAdm)
	gov := As(f.Gov, f.GovAdmin)
	submit := func(in ksp.SubmissionInput) string {
		t.Helper()
		res, err := db.Submit(plat, in)
		must(t, err)
		return res.Signal.ID
	}
	shared := submit(Submission(1, ksp.DistMembers, ksp.TLPGreen))
	private := submit(Submission(2, ksp.DistOwner, ksp.TLPRed))
	quiet := submit(Submission(3, ksp.DistMembers, ksp.TLPGreen))

	now := time.Now().UTC()
	thisMonth := now.Format("2006-01")
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	lastMonth := first.AddDate(0, -1, 0).Format("2006-01")
	day := func(month string, d int) string { return month + "-0" + string(rune('0'+d)) }
	ancient := first.AddDate(-2, 0, 0).Format("2006-01-02")
	counts := []ksp.SignalMatchCount{
		// This month: the submitter itself and three other orgs.
		{SignalID: shared, Day: day(thisMonth, 1), OrgID: f.Platform.ID, Matches: 5},
		{SignalID: shared, Day: day(thisMonth, 1), OrgID: f.Startup.ID, Matches: 1},
		{SignalID: shared, Day: day(thisMonth, 1), OrgID: f.Gov.ID, Matches: 3},
		{SignalID: shared, Day: day(thisMonth, 1), OrgID: uni.ID, Matches: 1},
		// Last month: the submitter and two others only.
		{SignalID: shared, Day: day(lastMonth, 2), OrgID: f.Platform.ID, Matches: 10},
		{SignalID: shared, Day: day(lastMonth, 2), OrgID: f.Startup.ID, Matches: 4},
		{SignalID: shared, Day: day(lastMonth, 3), OrgID: f.Gov.ID, Matches: 1},
		// One org alone on another signal this month.
		{SignalID: quiet, Day: day(thisMonth, 1), OrgID: ngo.ID, Matches: 7},
		// Matched long ago: pruned on the next write.
		{SignalID: shared, Day: ancient, OrgID: ngo.ID, Matches: 100},
		// Not a signal id: ignored.
		{SignalID: "nonsense", Day: day(thisMonth, 1), OrgID: ngo.ID, Matches: 1},
	}
	must(t, db.RecordSignalMatches(Staff(), counts))
	// The same org on another day of the month, and the same key again:
	// added up, one org still.
	must(t, db.RecordSignalMatches(Staff(), []ksp.SignalMatchCount{
		{SignalID: shared, Day: day(thisMonth, 2), OrgID: f.Startup.ID, Matches: 1},
		{SignalID: shared, Day: day(thisMonth, 1), OrgID: f.Startup.ID, Matches: 1},
	}))
	var old int
	must(t, db.SQL().QueryRow(db.Rebind(`SELECT COUNT(*) FROM signal_match_days WHERE day < ?`), first.AddDate(-1, -1, 0).Format("2006-01-02")).Scan(&old))
	if old != 0 {
		t.Errorf("%d day rows older than 13 months kept", old)
	}

	withheld := ksp.MonthMatches{Month: lastMonth, Withheld: true}
	for _, c := range []struct {
		name string
		ctx  context.Context
		want []ksp.MonthMatches
	}{
		// Others: startup 3, gov 3, uni 1 this month; two others last month.
		{"submitter admin", plat, []ksp.MonthMatches{{Month: thisMonth, Matches: 7, Orgs: 3}, withheld}},
		{"submitter viewer", platViewer, []ksp.MonthMatches{{Month: thisMonth, Matches: 7, Orgs: 3}, withheld}},
		// Staff match nothing here: every org counts, last month too.
		{"staff", Staff(), []ksp.MonthMatches{{Month: thisMonth, Matches: 12, Orgs: 4}, {Month: lastMonth, Matches: 15, Orgs: 3}}},
	} {
		got, err := db.SignalMatchStats(c.ctx, shared)
		must(t, err)
		if w, g := c.want, got.Months; !reflect.DeepEqual(w, g) {
			t.Errorf("%s: months: got %+v, want %+v", c.name, g, w)
		}
	}
	// A viewer that may see the signal but did not share it: no counts.
	_, err := db.SignalMatchStats(startup, shared)
	wantCode(t, err, ksp.EFORBIDDEN)
	// One that may not see it: it does not exist.
	_, err = db.SignalMatchStats(startup, private)
	wantCode(t, err, ksp.ENOTFOUND)
	_, err = db.SignalMatchStats(startup, "not-an-id")
	wantCode(t, err, ksp.ENOTFOUND)

	// A later submitter sees the others' matches, its own left out: this
	// month platform 5, startup 3, uni 1.
	gsub := Submission(1, ksp.DistMembers, ksp.TLPGreen)
	_, err = db.Submit(gov, gsub)
	must(t, err)
	got, err := db.SignalMatchStats(gov, shared)
	must(t, err)
	if w, g := ([]ksp.MonthMatches{{Month: thisMonth, Matches: 9, Orgs: 3}, withheld}), got.Months; !reflect.DeepEqual(w, g) {
		t.Errorf("later submitter: months: got %+v, want %+v", g, w)
	}

	// The summary adds only the signals shown: quiet (one org) is withheld
	// and not in the total, so that total minus the listed signals is 0.
	sum, err := db.MatchSummary(plat, thisMonth, 5)
	must(t, err)
	want := &ksp.MatchSummary{Month: thisMonth, Matches: 7, Orgs: 4, Withheld: 1, Top: []ksp.SignalMonthTotal{{SignalID: shared, Matches: 7, Orgs: 3}}}
	if w, g := want, sum; !reflect.DeepEqual(w, g) {
		t.Errorf("summary: got %+v, want %+v", g, w)
	}
	// An org with nothing of its own matched learns nothing of others'.
	sum, err = db.MatchSummary(startup, thisMonth, 5)
	must(t, err)
	if w, g := (&ksp.MatchSummary{Month: thisMonth, Top: []ksp.SignalMonthTotal{}}), sum; !reflect.DeepEqual(w, g) {
		t.Errorf("startup summary: got %+v, want %+v", g, w)
	}
	// Fewer than three orgs in all: the org count is withheld too.
	sum, err = db.MatchSummary(plat, lastMonth, 5)
	must(t, err)
	if w, g := (&ksp.MatchSummary{Month: lastMonth, OrgsWithheld: true, Withheld: 1, Top: []ksp.SignalMonthTotal{}}), sum; !reflect.DeepEqual(w, g) {
		t.Errorf("last month summary: got %+v, want %+v", g, w)
	}
	_, err = db.MatchSummary(plat, "2026-13", 5)
	wantCode(t, err, ksp.EINVALID)

	// The sort figure: the shown months only, 0 without the right to see.
	since := first.AddDate(0, -1, 0).Format("2006-01-02")
	for _, c := range []struct {
		name string
		ctx  context.Context
		want map[string]int
	}{
		{"submitter", plat, map[string]int{shared: 7, private: 0, quiet: 0}},
		{"other member", startup, map[string]int{shared: 0, quiet: 0}}, // private does not exist for it
		{"staff", Staff(), map[string]int{shared: 27, private: 0, quiet: 0}},
	} {
		got, err := db.SignalMatchTotals(c.ctx, []string{shared, private, quiet, "not-an-id"}, since)
		must(t, err)
		if w, g := c.want, got; !reflect.DeepEqual(w, g) {
			t.Errorf("%s: totals: got %+v, want %+v", c.name, g, w)
		}
	}
	_, err = db.SignalMatchTotals(plat, []string{shared}, "yesterday")
	wantCode(t, err, ksp.EINVALID)
}
