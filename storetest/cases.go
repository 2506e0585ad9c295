package storetest

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

// caseSignal submits signal n from the big platform with a severity and
// the given sharing, and returns its id.
func caseSignal(t *testing.T, f *Fixture, n int, severity string, d ksp.Distribution, tlp ksp.TLP, audience ...string) string {
	t.Helper()
	in := Submission(n, d, tlp, audience...)
	in.Severity = severity
	r, err := f.DB.Submit(As(f.Platform, f.PlatAdmin), in)
	if err != nil {
		t.Fatalf("submit signal %d: %v", n, err)
	}
	return r.Signal.ID
}

// casePriorityFor is the priority the case rules give one signal as the
// startup sees it.
func casePriorityFor(t *testing.T, f *Fixture, id string) int {
	t.Helper()
	sig, err := f.DB.FindSignalByID(As(f.Startup, f.StartAdm), id)
	if err != nil {
		t.Fatal(err)
	}
	return min(max(ksp.SeverityPoints(sig.Severity)+int(math.Round(3*sig.Confidence)), 1), 10)
}

func testCaseLifecycle(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	start, plat := As(f.Startup, f.StartAdm), As(f.Platform, f.PlatAdmin)
	high := caseSignal(t, f, 1, "high", ksp.DistMembers, ksp.TLPGreen)
	crisis := caseSignal(t, f, 2, "crisis", ksp.DistMembers, ksp.TLPGreen)

	c, created, err := db.OpenCase(start, ksp.CaseInput{ContentRef: "https://tiny.example/p/1", Matches: []ksp.CaseMatchInput{{SignalID: high, Distance: 4}}})
	must(t, err)
	if !created || c.Status != ksp.CaseOpen || c.OrgID != f.Startup.ID || len(c.Matches) != 1 || c.ContentType != "photo" {
		t.Fatalf("opened case = %+v, created %v", c, created)
	}
	if want := casePriorityFor(t, f, high); c.Priority != want || want < 5 {
		t.Errorf("priority = %d, want %d (high = 5 points plus confidence)", c.Priority, want)
	}
	// The same reference again: the same case, nothing added.
	again, created, err := db.OpenCase(start, ksp.CaseInput{ContentRef: "https://tiny.example/p/1", Matches: []ksp.CaseMatchInput{{SignalID: high, Distance: 2}}})
	must(t, err)
	if created || again.ID != c.ID || len(again.Matches) != 1 || again.Matches[0].Distance != 2 {
		t.Fatalf("second open = %+v created %v; want the same case with the smaller distance", again, created)
	}
	// A later match adds to the open case and raises its priority.
	again, _, err = db.OpenCase(start, ksp.CaseInput{ContentRef: "https://tiny.example/p/1", Matches: []ksp.CaseMatchInput{{SignalID: crisis, Distance: 0}}})
	must(t, err)
	if again.ID != c.ID || len(again.Matches) != 2 {
		t.Fatalf("later match: %d matches on case %s, want 2 on %s", len(again.Matches), again.ID, c.ID)
	}
	if want := casePriorityFor(t, f, crisis); again.Priority != want || want < 7 {
		t.Errorf("priority with a crisis signal = %d, want %d", again.Priority, want)
	}
	list, _, err := db.FindCases(start, ksp.CaseFilter{})
	must(t, err)
	if len(list) != 1 {
		t.Fatalf("startup lists %d cases, want 1", len(list))
	}

	// The case belongs to the startup only: the platform whose signals
	// matched, and staff, get 404 and empty lists; staff get counts.
	for name, ctx := range map[string]context.Context{"platform": plat, "staff": Staff(), "platform viewer": As(f.Platform, f.PlatView)} {
		if _, err := db.FindCaseByID(ctx, c.ID); ksp.ErrorCode(err) != ksp.ENOTFOUND {
			t.Errorf("%s reads the startup's case: %v, want not_found", name, err)
		}
		l, _, err := db.FindCases(ctx, ksp.CaseFilter{})
		if err != nil || len(l) != 0 {
			t.Errorf("%s lists %d cases (%v), want none", name, len(l), err)
		}
		if _, err := db.DecideCase(ctx, c.ID, ksp.DecisionInput{Decision: "keep", PolicyClause: "x"}); err == nil {
			t.Errorf("%s decided the startup's case", name)
		}
	}
	counts, err := db.CountCases(Staff(), "")
	must(t, err)
	if counts.Open != 1 {
		t.Errorf("staff counts = %+v, want 1 open", counts)
	}
	if _, err := db.CountCases(plat, f.Startup.ID); ksp.ErrorCode(err) != ksp.ENOTFOUND {
		t.Errorf("platform counts the startup's cases: %v", err)
	}

	// case.created reaches the startup's feed only.
	evs, err := db.FindEventsAfter(start, 0, 1000)
	must(t, err)
	i := slices.IndexFunc(evs, func(e *ksp.Event) bool { return e.Type == ksp.EventCaseCreated && e.ObjectID == c.ID })
	if i < 0 {
		t.Fatal("the startup's feed lacks case.created")
	}
	if strings.Contains(string(evs[i].Data), "tiny.example") || strings.Contains(string(evs[i].Data), high) {
		t.Errorf("case.created carries the reference or a signal: %s", evs[i].Data)
	}
	evs, err = db.FindEventsAfter(plat, 0, 1000)
	must(t, err)
	if slices.ContainsFunc(evs, func(e *ksp.Event) bool { return e.Type == ksp.EventCaseCreated }) {
		t.Error("another org's feed shows case.created")
	}

	// Assignment: a user of the org, never one of another org.
	a, err := db.AssignCase(start, c.ID, f.StartAdm.ID)
	must(t, err)
	if a.AssignedTo != f.StartAdm.ID {
		t.Errorf("assigned to %q", a.AssignedTo)
	}
	if _, err := db.AssignCase(start, c.ID, f.PlatAdmin.ID); !hasField(err, "user_id") {
		t.Errorf("assign to another org's user: %v, want a user_id error", err)
	}
	mine, _, err := db.FindCases(start, ksp.CaseFilter{AssignedTo: ptr(f.StartAdm.ID)})
	must(t, err)
	none, _, err := db.FindCases(start, ksp.CaseFilter{AssignedTo: ptr("none")})
	must(t, err)
	if len(mine) != 1 || len(none) != 0 {
		t.Errorf("assignee filter: mine %d, unassigned %d; want 1, 0", len(mine), len(none))
	}

	// Decide remove: feedback, statement of reasons, preservation.
	before := time.Now()
	d, err := db.DecideCase(start, c.ID, ksp.DecisionInput{Decision: "remove", PolicyClause: "Terms §4.2 violent extremism", Note: "ISIS propaganda still"})
	must(t, err)
	if d.Status != ksp.CaseDecided || d.Decision == nil || d.Decision.Decision != "remove" || d.Decision.ReviewerID != f.StartAdm.ID || d.Decision.Distance != 0 {
		t.Fatalf("decided case = %+v, decision %+v", d, d.Decision)
	}
	if d.PreserveUntil == nil || d.PreserveUntil.Before(before.AddDate(0, 6, -1)) || d.PreserveUntil.After(time.Now().AddDate(0, 6, 1)) {
		t.Errorf("preserve_until = %v, want six months ahead", d.PreserveUntil)
	}
	s := d.StatementOfReasons
	if s == nil || s.Category != ksp.SoRCategory || !slices.Equal(s.CategorySpecification, []string{ksp.SoRKeyword}) ||
		s.AutomatedDetection != "Yes" || s.AutomatedDecision != ksp.SoRNotAutomated || s.DecisionGround != "DECISION_GROUND_INCOMPATIBLE_CONTENT" ||
		s.IncompatibleContentGround != "Terms §4.2 violent extremism" || !slices.Equal(s.DecisionVisibility, []string{"DECISION_VISIBILITY_CONTENT_REMOVED"}) ||
		!slices.Equal(s.ContentType, []string{"CONTENT_TYPE_IMAGE"}) || len(s.TerritorialScope) != len(ksp.EEACountries) || s.PUID != c.ID ||
		s.ApplicationDate == "" || s.ContentDate == "" {
		t.Errorf("statement of reasons = %+v", s)
	}
	for _, m := range d.Matches {
		if m.Verdict != ksp.VerdictTruePositive {
			t.Errorf("match %s verdict %q, want true_positive", m.SignalID, m.Verdict)
		}
		sig, err := db.FindSignalByID(start, m.SignalID)
		must(t, err)
		if sig.Feedback[ksp.VerdictTruePositive] != 1 {
			t.Errorf("signal %s feedback = %v, want the startup's true_positive", m.SignalID, sig.Feedback)
		}
	}
	if _, err := db.DecideCase(start, c.ID, ksp.DecisionInput{Decision: "keep", PolicyClause: "x"}); ksp.ErrorCode(err) != ksp.ECONFLICT {
		t.Errorf("deciding twice: %v, want conflict", err)
	}
	stmts, err := db.FindStatements(start, before.Add(-time.Minute), time.Now().Add(time.Minute))
	must(t, err)
	if len(stmts) != 1 || stmts[0].CaseID != c.ID {
		t.Errorf("statements = %d, want the case's one", len(stmts))
	}
	if other, err := db.FindStatements(plat, before.Add(-time.Minute), time.Now().Add(time.Minute)); err != nil || len(other) != 0 {
		t.Errorf("platform sees %d statements (%v)", len(other), err)
	}
	full, err := db.FindCaseByID(start, c.ID)
	must(t, err)
	var types []string
	for _, h := range full.History {
		types = append(types, h.Type)
	}
	for _, want := range []string{ksp.CaseHistoryOpened, ksp.CaseHistoryMatched, ksp.CaseHistoryAssigned, ksp.CaseHistoryDecided, ksp.CaseHistoryFeedback} {
		if !slices.Contains(types, want) {
			t.Errorf("history %v lacks %s", types, want)
		}
	}
}

func testCaseDecisions(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	start := As(f.Startup, f.StartAdm)
	sig := caseSignal(t, f, 10, "medium", ksp.DistMembers, ksp.TLPGreen)
	opened := func(ref string) *ksp.Case {
		c, _, err := db.OpenCase(start, ksp.CaseInput{ContentRef: ref, ContentType: "video", Matches: []ksp.CaseMatchInput{{SignalID: sig, Distance: 7}}})
		must(t, err)
		return c
	}
	tests := []struct {
		decision, verdict, status string
		statement, preserved      bool
	}{
		{"remove", ksp.VerdictTruePositive, ksp.CaseDecided, true, true},
		{"restrict", ksp.VerdictTruePositive, ksp.CaseDecided, true, false},
		{"keep", ksp.VerdictFalsePositive, ksp.CaseDecided, false, false},
		{"escalate", "", ksp.CaseOpen, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.decision, func(t *testing.T) {
			c := opened("vid-" + tc.decision)
			d, err := db.DecideCase(start, c.ID, ksp.DecisionInput{Decision: tc.decision, PolicyClause: "ToS 3", TerritorialScope: []string{"de", "EL"}})
			must(t, err)
			if d.Status != tc.status || d.Decision.Verdict != tc.verdict || (d.StatementOfReasons != nil) != tc.statement || (d.PreserveUntil != nil) != tc.preserved {
				t.Fatalf("%s: status %s verdict %q statement %v preserve %v", tc.decision, d.Status, d.Decision.Verdict, d.StatementOfReasons != nil, d.PreserveUntil)
			}
			if d.Decision.Distance != 7 {
				t.Errorf("decision distance = %d, want 7", d.Decision.Distance)
			}
			if s := d.StatementOfReasons; s != nil {
				if !slices.Equal(s.TerritorialScope, []string{"DE", "GR"}) || !slices.Equal(s.ContentType, []string{"CONTENT_TYPE_VIDEO"}) {
					t.Errorf("statement scope %v content type %v", s.TerritorialScope, s.ContentType)
				}
			}
			if d.Matches[0].Verdict != tc.verdict {
				t.Errorf("match verdict %q, want %q", d.Matches[0].Verdict, tc.verdict)
			}
		})
	}
	// An escalated case is decided later.
	list, _, err := db.FindCases(start, ksp.CaseFilter{Decision: ptr("escalate")})
	must(t, err)
	if len(list) != 1 {
		t.Fatalf("escalated cases = %d", len(list))
	}
	if _, err := db.DecideCase(start, list[0].ID, ksp.DecisionInput{Decision: "keep", PolicyClause: "ToS 3"}); err != nil {
		t.Errorf("final decision after escalation: %v", err)
	}
}

func testCaseVisibility(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	start, plat := As(f.Startup, f.StartAdm), As(f.Platform, f.PlatAdmin)
	shared := caseSignal(t, f, 20, "crisis", ksp.DistAudience, ksp.TLPAmber, f.Startup.ID)
	other := caseSignal(t, f, 21, "low", ksp.DistMembers, ksp.TLPGreen)
	private := caseSignal(t, f, 22, "high", ksp.DistOwner, ksp.TLPRed)

	// A signal the startup may not see is the same unknown as a made-up id.
	for _, id := range []string{private, ksp.NewID(), "not-an-id"} {
		_, _, err := db.OpenCase(start, ksp.CaseInput{ContentRef: "p/x", Matches: []ksp.CaseMatchInput{{SignalID: id}}})
		var e *ksp.Error
		if !hasField(err, "matches[0].signal_id") || !caseAsError(err, &e) || e.Fields[0].Reason != "no such signal" {
			t.Errorf("open with signal %s: %v, want matches[0].signal_id: no such signal", id, err)
		}
	}
	c, _, err := db.OpenCase(start, ksp.CaseInput{ContentRef: "p/1", Matches: []ksp.CaseMatchInput{{SignalID: shared, Distance: 1}, {SignalID: other, Distance: 3}}})
	must(t, err)
	if c.Priority < 7 {
		t.Fatalf("priority with a crisis signal = %d", c.Priority)
	}
	// The platform retracts the crisis signal: the case no longer shows
	// it, and its priority is computed over what is left.
	if _, err := db.Retract(plat, shared); err != nil {
		t.Fatal(err)
	}
	c, err = db.FindCaseByID(start, c.ID)
	must(t, err)
	if len(c.Matches) != 1 || c.Matches[0].SignalID != other {
		t.Fatalf("after retraction the case shows %d matches", len(c.Matches))
	}
	if want := casePriorityFor(t, f, other); c.Priority != want {
		t.Errorf("priority after retraction = %d, want %d", c.Priority, want)
	}
	// Deciding posts feedback only on what the org still sees.
	d, err := db.DecideCase(start, c.ID, ksp.DecisionInput{Decision: "keep", PolicyClause: "satire"})
	must(t, err)
	if len(d.Matches) != 1 || d.Decision.Distance != 3 {
		t.Errorf("decision over %d matches at distance %d, want 1 at 3", len(d.Matches), d.Decision.Distance)
	}
	var fb int
	must(t, db.SQL().QueryRow(db.Rebind(`SELECT COUNT(*) FROM feedback WHERE signal_id = ? AND org_id = ?`), shared, f.Startup.ID).Scan(&fb))
	if fb != 0 {
		t.Error("feedback was posted on a signal the startup no longer sees")
	}
}

func caseAsError(err error, e **ksp.Error) bool {
	x, ok := err.(*ksp.Error)
	*e = x
	return ok && x != nil && len(x.Fields) > 0
}

func testCaseRetention(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	start := As(f.Startup, f.StartAdm)
	sig := caseSignal(t, f, 30, "high", ksp.DistMembers, ksp.TLPGreen)
	decide := func(ref, decision string) *ksp.Case {
		c, _, err := db.OpenCase(start, ksp.CaseInput{ContentRef: ref, Matches: []ksp.CaseMatchInput{{SignalID: sig}}})
		must(t, err)
		c, err = db.DecideCase(start, c.ID, ksp.DecisionInput{Decision: decision, PolicyClause: "ToS 1"})
		must(t, err)
		return c
	}
	removed, held, kept := decide("r/1", "remove"), decide("r/2", "remove"), decide("r/3", "keep")
	openCase, _, err := db.OpenCase(start, ksp.CaseInput{ContentRef: "r/4", Matches: []ksp.CaseMatchInput{{SignalID: sig}}})
	must(t, err)
	if _, err := db.SetCaseLegalHold(start, kept.ID, true); !hasField(err, "legal_hold") {
		t.Errorf("legal hold on a kept case: %v", err)
	}
	h, err := db.SetCaseLegalHold(start, held.ID, true)
	must(t, err)
	if !h.LegalHold {
		t.Fatal("legal hold not set")
	}
	sys := ksp.NewContext(context.Background(), ksp.SystemActor("system:test"))
	if _, err := db.EraseExpiredCaseRefs(start, time.Now()); ksp.ErrorCode(err) != ksp.EFORBIDDEN {
		t.Errorf("a member ran the erasure: %v", err)
	}

	// Reminders: two weeks before the removed case lapses (not the held one).
	rem, err := db.DuePreservationReminders(sys, removed.PreserveUntil.Add(-7*24*time.Hour), ksp.PreservationReminderLead)
	must(t, err)
	if len(rem) != 1 || rem[0].CaseID != removed.ID || !slices.Contains(rem[0].Emails, f.StartAdm.Email) {
		t.Fatalf("reminders = %+v, want the removed case for %s", rem, f.StartAdm.Email)
	}
	must(t, db.MarkPreservationReminded(sys, removed.ID))
	rem, err = db.DuePreservationReminders(sys, removed.PreserveUntil.Add(-7*24*time.Hour), ksp.PreservationReminderLead)
	must(t, err)
	if len(rem) != 0 {
		t.Errorf("reminded twice: %+v", rem)
	}

	// Nothing is erased early.
	n, err := db.EraseExpiredCaseRefs(sys, time.Now().AddDate(0, 5, 0))
	must(t, err)
	if n != 0 {
		t.Errorf("erased %d references after five months", n)
	}
	n, err = db.EraseExpiredCaseRefs(sys, time.Now().AddDate(0, 6, 2))
	must(t, err)
	if n != 2 {
		t.Errorf("erased %d references after six months, want 2 (removed and kept)", n)
	}
	for _, tc := range []struct {
		c      *ksp.Case
		erased bool
	}{{removed, true}, {kept, true}, {held, false}, {openCase, false}} {
		got, err := db.FindCaseByID(start, tc.c.ID)
		must(t, err)
		if (got.ContentRef == "") != tc.erased || (got.RefErased != nil) != tc.erased {
			t.Errorf("case %s: ref %q erased %v, want erased %v", tc.c.ContentRef, got.ContentRef, got.RefErased, tc.erased)
		}
		if tc.erased && (got.Decision == nil || len(got.Matches) != 1) {
			t.Errorf("erasure dropped the decision or matches of %s", tc.c.ID)
		}
	}
	counts, err := db.CountCases(start, "")
	must(t, err)
	if counts.Decided != 3 || counts.Open != 1 || counts.Erased != 2 || counts.ByDecision["remove"] != 2 || counts.Preserved != 1 {
		t.Errorf("counts = %+v", counts)
	}
	// The erased reference may open a new case.
	c, created, err := db.OpenCase(start, ksp.CaseInput{ContentRef: "r/1", Matches: []ksp.CaseMatchInput{{SignalID: sig}}})
	must(t, err)
	if !created || c.ID == removed.ID {
		t.Error("an erased reference still keys its old case")
	}
}

func testCaseBadInput(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	start := As(f.Startup, f.StartAdm)
	sig := caseSignal(t, f, 40, "low", ksp.DistMembers, ksp.TLPGreen)
	long := make([]byte, ksp.MaxContentRef+1)
	for i := range long {
		long[i] = 'a'
	}
	opens := []struct {
		name  string
		in    ksp.CaseInput
		field string
	}{
		{"no reference", ksp.CaseInput{Matches: []ksp.CaseMatchInput{{SignalID: sig}}}, "content_ref"},
		{"long reference", ksp.CaseInput{ContentRef: string(long), Matches: []ksp.CaseMatchInput{{SignalID: sig}}}, "content_ref"},
		{"line break", ksp.CaseInput{ContentRef: "a\nb", Matches: []ksp.CaseMatchInput{{SignalID: sig}}}, "content_ref"},
		{"no matches", ksp.CaseInput{ContentRef: "x"}, "matches"},
		{"bad content type", ksp.CaseInput{ContentRef: "x", ContentType: "hologram", Matches: []ksp.CaseMatchInput{{SignalID: sig}}}, "content_type"},
		{"negative distance", ksp.CaseInput{ContentRef: "x", Matches: []ksp.CaseMatchInput{{SignalID: sig, Distance: -1}}}, "matches[0].distance"},
	}
	for _, tc := range opens {
		if _, _, err := db.OpenCase(start, tc.in); !hasField(err, tc.field) {
			t.Errorf("%s: %v, want a %s error", tc.name, err, tc.field)
		}
	}
	if _, _, err := db.OpenCase(As(f.Platform, f.PlatView), ksp.CaseInput{ContentRef: "x", Matches: []ksp.CaseMatchInput{{SignalID: sig}}}); ksp.ErrorCode(err) != ksp.EFORBIDDEN {
		t.Errorf("a viewer opened a case: %v", err)
	}
	if _, _, err := db.OpenCase(Staff(), ksp.CaseInput{ContentRef: "x", Matches: []ksp.CaseMatchInput{{SignalID: sig}}}); ksp.ErrorCode(err) != ksp.EFORBIDDEN {
		t.Errorf("staff opened a case: %v", err)
	}
	var n int
	must(t, db.SQL().QueryRow(`SELECT COUNT(*) FROM cases`).Scan(&n))
	if n != 0 {
		t.Fatalf("bad input wrote %d cases", n)
	}
	c, _, err := db.OpenCase(start, ksp.CaseInput{ContentRef: "x", Matches: []ksp.CaseMatchInput{{SignalID: sig}}})
	must(t, err)
	decisions := []struct {
		in    ksp.DecisionInput
		field string
	}{
		{ksp.DecisionInput{Decision: "delete", PolicyClause: "x"}, "decision"},
		{ksp.DecisionInput{Decision: "remove"}, "policy_clause"},
		{ksp.DecisionInput{Decision: "remove", PolicyClause: "x", Ground: "illegal_content"}, "legal_ground"},
		{ksp.DecisionInput{Decision: "remove", PolicyClause: "x", Ground: "vibes"}, "ground"},
		{ksp.DecisionInput{Decision: "remove", PolicyClause: "x", TerritorialScope: []string{"US"}}, "territorial_scope"},
	}
	for _, tc := range decisions {
		if _, err := db.DecideCase(start, c.ID, tc.in); !hasField(err, tc.field) {
			t.Errorf("decision %+v: %v, want a %s error", tc.in, err, tc.field)
		}
	}
	got, err := db.FindCaseByID(start, c.ID)
	must(t, err)
	if got.Status != ksp.CaseOpen || got.Decision != nil {
		t.Error("a bad decision was recorded")
	}
	if _, err := db.FindCaseByID(start, "not-an-id"); ksp.ErrorCode(err) != ksp.ENOTFOUND {
		t.Errorf("bad id: %v", err)
	}
	if _, _, err := db.FindCases(start, ksp.CaseFilter{Status: ptr("closed")}); !hasField(err, "status") {
		t.Errorf("bad status filter: %v", err)
	}
}

// testCaseConcurrency: reviewers deciding one case at once get one
// decision and conflicts; scans opening one reference at once get one case.
func testCaseConcurrency(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	start := As(f.Startup, f.StartAdm)
	sig := caseSignal(t, f, 50, "high", ksp.DistMembers, ksp.TLPGreen)
	const n = 4
	type result struct {
		c       *ksp.Case
		created bool
		err     error
	}
	res := make(chan result, n)
	for range n {
		go func() {
			c, created, err := db.OpenCase(start, ksp.CaseInput{ContentRef: "same/ref", Matches: []ksp.CaseMatchInput{{SignalID: sig}}})
			res <- result{c, created, err}
		}()
	}
	created, id := 0, ""
	for range n {
		r := <-res
		if r.err != nil {
			t.Fatalf("concurrent open: %v", r.err)
		}
		if r.created {
			created++
		}
		if id != "" && r.c.ID != id {
			t.Fatalf("two cases for one reference: %s, %s", id, r.c.ID)
		}
		id = r.c.ID
	}
	if created != 1 {
		t.Fatalf("%d opens reported a new case, want 1", created)
	}
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := db.DecideCase(start, id, ksp.DecisionInput{Decision: []string{"remove", "keep"}[i%2], PolicyClause: "ToS"})
			errs <- err
		}()
	}
	ok := 0
	for range n {
		switch err := <-errs; {
		case err == nil:
			ok++
		case ksp.ErrorCode(err) != ksp.ECONFLICT:
			t.Errorf("concurrent decision: %v, want success or conflict", err)
		}
	}
	c, err := db.FindCaseByID(start, id)
	must(t, err)
	if ok != 1 || len(c.Decisions) != 1 {
		t.Errorf("%d decisions succeeded, %d recorded; want 1", ok, len(c.Decisions))
	}
}
