package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/bank"
)

// testDerivedFigures reproduces the findings of the trust-core issue: what
// is computed from submissions (status, confidence, feedback, actionability,
// history, filters, the id) must come from what the viewer may see only.
func testDerivedFigures(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	vid, thr, third := As(f.Platform, f.PlatAdmin), As(f.Startup, f.StartAdm), As(f.Gov, f.GovAdmin)
	m := bank.New(db, nil)
	must(t, m.Load(context.Background()))
	md5 := ksp.SubmissionInput{Type: ksp.TypeMD5, Value: strings.Repeat("ab", 16), ContentType: "video", Labels: []string{"propaganda"}, Basis: "branded_publication"}

	// Vidstream holds X privately and disputes it with a secret note.
	private := md5
	private.Distribution, private.TLP = ksp.DistOwner, ksp.TLPRed
	res, err := db.Submit(vid, private)
	must(t, err)
	id := res.Signal.ID
	if u, ok := ksp.ParseUUID(id); !ok || u[6]>>4 != 4 {
		t.Fatalf("signal id %s is not a random (version 4) UUID: it would date the submission", id)
	}
	_, err = db.GiveFeedback(vid, id, ksp.FeedbackInput{Verdict: ksp.VerdictDisputed, Comment: "secret note"})
	must(t, err)

	// Threadly submits X: 201, and nothing of Vidstream's verdict.
	res, err = db.Submit(thr, md5)
	must(t, err)
	if !res.Created || res.Signal.ID != id {
		t.Fatalf("re-submission of a hidden value: created %v id %s", res.Created, res.Signal.ID)
	}
	clean := func(who string, s *ksp.Signal) {
		t.Helper()
		if len(nonZero(s.Feedback)) != 0 || s.Status != ksp.StatusActive || s.Confidence != 0.5 || !s.Actionable || s.Submissions != 1 {
			t.Fatalf("%s sees feedback %v status %s confidence %v actionable %v submissions %d: the hidden verdict leaks", who, s.Feedback, s.Status, s.Confidence, s.Actionable, s.Submissions)
		}
	}
	clean("the re-submitter", res.Signal)
	for _, c := range []struct {
		who string
		ctx context.Context
	}{{"the re-submitter", thr}, {"a third org", third}} {
		s, err := db.FindSignalByID(c.ctx, id)
		must(t, err)
		clean(c.who+" (GET)", s)
		hist, err := db.SignalHistory(c.ctx, id)
		must(t, err)
		if len(hist) != 0 {
			t.Fatalf("%s sees the hidden verdict in the history: %+v", c.who, hist[0])
		}
		must(t, m.Sync(context.Background()))
		r, err := m.Match(c.ctx, []ksp.MatchQuery{{Type: md5.Type, Value: md5.Value}}, 0)
		must(t, err)
		if h := r[0].Matches; len(h) != 1 || !h[0].Actionable || h[0].Confidence != 0.5 {
			t.Fatalf("%s matches %+v", c.who, h)
		}
		var exported *ksp.Signal
		must(t, db.ExportSignals(c.ctx, nil, func(s *ksp.Signal, _ ksp.Distribution, _ *ksp.Submission) error {
			if s.ID == id {
				exported = s
			}
			return nil
		}))
		if exported == nil || exported.Status != ksp.StatusActive {
			t.Fatalf("%s exports %+v", c.who, exported)
		}
		for _, st := range []string{ksp.StatusDisputed, ksp.StatusActive} {
			list, _, err := db.FindSignals(c.ctx, ksp.SignalFilter{Status: ptr(st)})
			must(t, err)
			listed := slices.ContainsFunc(list, func(s *ksp.Signal) bool { return s.ID == id })
			if listed != (st == ksp.StatusActive) {
				t.Fatalf("%s: status=%s lists the signal: %v", c.who, st, listed)
			}
		}
	}
	// Vidstream itself still sees its dispute.
	s, err := db.FindSignalByID(vid, id)
	must(t, err)
	if s.Status != ksp.StatusDisputed || s.Feedback[ksp.VerdictDisputed] != 1 {
		t.Fatalf("the disputer sees %s %v", s.Status, s.Feedback)
	}
	// A verdict Threadly gives now is about Threadly's submission (the one
	// it sees): Vidstream sees both, the third org Threadly's only.
	_, err = db.GiveFeedback(thr, id, ksp.FeedbackInput{Verdict: ksp.VerdictFalsePositive})
	must(t, err)
	s, err = db.FindSignalByID(third, id)
	must(t, err)
	if s.Feedback[ksp.VerdictFalsePositive] != 1 || s.Feedback[ksp.VerdictDisputed] != 0 {
		t.Fatalf("third org sees feedback %v", s.Feedback)
	}

	// A government-only value stays unconfirmed for others when a platform
	// holds it privately.
	gov := md5
	gov.Value = strings.Repeat("cd", 16)
	_, err = db.Submit(third, gov)
	must(t, err)
	priv := gov
	priv.Distribution, priv.TLP = ksp.DistOwner, ksp.TLPRed
	res, err = db.Submit(vid, priv)
	must(t, err)
	for _, c := range []context.Context{third, thr} {
		s, err := db.FindSignalByID(c, res.Signal.ID)
		must(t, err)
		if s.Actionable || s.NotActionable != "government_only_unconfirmed" {
			t.Fatalf("a platform's private copy made a government-only signal %v %q", s.Actionable, s.NotActionable)
		}
	}

	// Retracted for one viewer, active for another: the status filter
	// follows each viewer's status.
	r := md5
	r.Value = strings.Repeat("ef", 16)
	res, err = db.Submit(vid, r)
	must(t, err)
	hidden := r
	hidden.Distribution, hidden.TLP = ksp.DistOwner, ksp.TLPAmber
	_, err = db.Submit(thr, hidden)
	must(t, err)
	_, err = db.Retract(vid, res.Signal.ID)
	must(t, err)
	for _, c := range []struct {
		ctx  context.Context
		want string
	}{{third, ksp.StatusRetracted}, {thr, ksp.StatusActive}} {
		s, err := db.FindSignalByID(c.ctx, res.Signal.ID)
		must(t, err)
		list, _, err := db.FindSignals(c.ctx, ksp.SignalFilter{Status: ptr(c.want)})
		must(t, err)
		if s.Status != c.want || !slices.ContainsFunc(list, func(x *ksp.Signal) bool { return x.ID == s.ID }) {
			t.Fatalf("GET says %s, status=%s lists it: %v", s.Status, c.want, len(list))
		}
	}
}

func nonZero(m map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// testNegativeBankScopes checks that a member's entries apply to its own
// matches, that programme-wide entries need staff approval, and that
// entries can be removed, all audited.
func testNegativeBankScopes(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	plat, start := As(f.Platform, f.PlatAdmin), As(f.Startup, f.StartAdm)
	staff := As(f.StaffOrg(t), f.StaffUser)
	in := Submission(1, ksp.DistMembers, ksp.TLPGreen)
	res, err := db.Submit(start, in)
	must(t, err)
	id := res.Signal.ID
	actionable := func(ctx context.Context) bool {
		t.Helper()
		s, err := db.FindSignalByID(ctx, id)
		must(t, err)
		return s.Actionable
	}
	// Where each org's changes feed stands before the entry.
	feedEnd := func(ctx context.Context, after int64) (int64, int) {
		t.Helper()
		entries := 0
		for {
			page, last, err := db.Changes(ctx, after, 100)
			must(t, err)
			entries += len(page)
			if len(page) == 0 {
				return last, entries
			}
			after = last
		}
	}
	platAt, _ := feedEnd(plat, 0)
	startAt, _ := feedEnd(start, 0)
	e, err := db.AddNegative(plat, ksp.NegativeInput{Type: in.Type, Value: in.Value, Reason: "our logo"})
	must(t, err)
	if actionable(plat) || !actionable(start) {
		t.Fatal("a member's own entry must apply to its own matches only")
	}
	// The feed tells the org whose view moved, and no one else: another
	// org must not learn that someone added the value to a negative bank.
	if _, n := feedEnd(plat, platAt); n != 1 {
		t.Errorf("the entry's org got %d feed entries, want 1", n)
	}
	if _, n := feedEnd(start, startAt); n != 0 {
		t.Errorf("another org got %d feed entries for an entry it cannot see, want 0", n)
	}
	// Another member neither sees nor removes it.
	list, _, err := db.FindNegatives(start, ksp.NegativeFilter{})
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("another member sees an org's own entry: %+v", list)
	}
	wantCode(t, db.RemoveNegative(start, e.ID), ksp.ENOTFOUND)
	_, err = db.ApproveNegative(staff, e.ID)
	wantCode(t, err, ksp.EINVALID)
	// A programme-wide proposal applies to everyone only once approved.
	p, err := db.AddNegative(start, ksp.NegativeInput{Type: in.Type, Value: in.Value, Reason: "stock photo", Scope: ksp.NegativeProgramme})
	must(t, err)
	if !p.Pending() || actionable(start) {
		t.Fatalf("a proposal applies to its proposer at once: pending %v", p.Pending())
	}
	_, err = db.ApproveNegative(plat, p.ID)
	wantCode(t, err, ksp.EFORBIDDEN)
	pending, _, err := db.FindNegatives(staff, ksp.NegativeFilter{Pending: true})
	must(t, err)
	if len(pending) != 1 || pending[0].ID != p.ID {
		t.Fatalf("staff's pending list: %+v", pending)
	}
	must(t, db.RemoveNegative(plat, e.ID))
	if !actionable(plat) {
		t.Fatal("a pending proposal of another member applies")
	}
	_, err = db.ApproveNegative(staff, p.ID)
	must(t, err)
	if actionable(plat) || actionable(start) {
		t.Fatal("an approved programme-wide entry must apply to everyone")
	}
	// Approved, every member may read it but only its org or staff remove it.
	list, _, err = db.FindNegatives(plat, ksp.NegativeFilter{})
	must(t, err)
	if len(list) != 1 || list[0].ID != p.ID || list[0].OrgID != "" {
		t.Fatalf("approved entry not listed to members, or naming its proposer: %+v", list)
	}
	wantCode(t, db.RemoveNegative(plat, p.ID), ksp.EFORBIDDEN)
	must(t, db.RemoveNegative(staff, p.ID))
	if !actionable(plat) || !actionable(start) {
		t.Fatal("a removed entry still applies")
	}
	for _, action := range []string{"negative.add", "negative.approve", "negative.remove"} {
		if len(auditEvents(t, db, action)) == 0 {
			t.Errorf("no %s audit event", action)
		}
	}
}

// testStaffReadsAudited checks that staff reading restricted signals
// through a list, the changes feed or a match leaves one audit event per
// request naming them, and that reading unrestricted ones leaves none.
func testStaffReadsAudited(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	staff := As(f.StaffOrg(t), f.StaffUser)
	plat := As(f.Platform, f.PlatAdmin)
	var ids []string
	for i, p := range [][2]string{{"owner", "RED"}, {"members", "AMBER+STRICT"}, {"members", "GREEN"}} {
		res, err := db.Submit(plat, Submission(700+i, ksp.Distribution(p[0]), ksp.TLP(p[1])))
		must(t, err)
		ids = append(ids, res.Signal.ID)
	}
	m := bank.New(db, nil)
	must(t, m.Load(context.Background()))
	reads := func(action string) [][]string {
		var out [][]string
		for _, e := range auditEvents(t, db, action) {
			var got []string
			for _, x := range e.Details["signals"].([]any) {
				got = append(got, x.(string))
			}
			slices.Sort(got)
			out = append(out, got)
		}
		return out
	}
	want := slices.Clone(ids[:2])
	slices.Sort(want)
	_, _, err := db.FindSignals(staff, ksp.SignalFilter{})
	must(t, err)
	_, _, err = db.Changes(staff, 0, 100)
	must(t, err)
	var qs []ksp.MatchQuery
	for i := range 3 {
		qs = append(qs, ksp.MatchQuery{Type: ksp.TypePDQ, Value: PDQValue(700 + i)})
	}
	_, err = m.Match(staff, qs, 0)
	must(t, err)
	for _, action := range []string{"signal.staff_list", "signal.staff_changes", "signal.staff_match"} {
		got := reads(action)
		if len(got) != 1 || !slices.Equal(got[0], want) {
			t.Errorf("%s: audit events %v, want one naming %v", action, got, want)
		}
	}
	// A member's reads, and staff reads of what every member may see, are
	// not audited.
	_, _, err = db.FindSignals(plat, ksp.SignalFilter{})
	must(t, err)
	_, _, err = db.FindSignals(staff, ksp.SignalFilter{Status: ptr(ksp.StatusActive), Page: ksp.Page{Limit: 1}})
	must(t, err)
	if n := len(reads("signal.staff_list")); n != 1 {
		t.Errorf("%d staff_list events, want still 1", n)
	}
}

// testChangesOncePerChange checks that a change moving several
// submissions of a signal (a verdict seen by several orgs, a resolution)
// is one feed entry, not one per submission.
func testChangesOncePerChange(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	plat, start, gov := As(f.Platform, f.PlatAdmin), As(f.Startup, f.StartAdm), As(f.Gov, f.GovAdmin)
	var id string
	for _, c := range []context.Context{plat, start, gov} {
		res, err := db.Submit(c, Submission(800, ksp.DistMembers, ksp.TLPGreen))
		must(t, err)
		id = res.Signal.ID
	}
	_, err := db.Resolve(Staff(), id, ksp.ResolveInput{Resolution: "upheld", Reason: "checked"})
	must(t, err)
	_, err = db.GiveFeedback(start, id, ksp.FeedbackInput{Verdict: ksp.VerdictTruePositive})
	must(t, err)
	var after int64
	seen := map[int64]bool{}
	for range 10 {
		page, last, err := db.Changes(plat, after, 2)
		must(t, err)
		for _, c := range page {
			if seen[c.Seq] || c.Seq <= after {
				t.Fatalf("feed repeats seq %d", c.Seq)
			}
			seen[c.Seq] = true
			after = c.Seq
		}
		after = max(after, last)
		if len(page) == 0 {
			break
		}
	}
	if len(seen) == 0 {
		t.Fatal("empty feed")
	}
}
