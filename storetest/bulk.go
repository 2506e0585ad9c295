package storetest

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
)

// batchOf returns a SubmitBatch reader of recs, on lines 2, 3, …
func batchOf(recs ...ksp.SubmissionInput) func() (int, *ksp.SubmissionInput, error) {
	i := 0
	return func() (int, *ksp.SubmissionInput, error) {
		if i == len(recs) {
			return i + 2, nil, io.EOF
		}
		in := recs[i]
		i++
		return i + 1, &in, nil
	}
}

// full is a submission of value n with every field set.
func full(n int, d ksp.Distribution, tlp ksp.TLP, audience ...string) ksp.SubmissionInput {
	in := Submission(n, d, tlp, audience...)
	q := 80
	in.Quality, in.Basis, in.BasisReason, in.Severity, in.Flags, in.PolicyVersion = &q, "other", "stored reason", "high", []string{"graphic"}, "2025-01"
	return in
}

// partial is in as a file lacking the named fields gives it.
func partial(in ksp.SubmissionInput, absent ...string) ksp.SubmissionInput {
	for _, f := range absent {
		switch f {
		case "quality":
			in.Quality = nil
		case "basis":
			in.Basis = ""
		case "basis_reason":
			in.BasisReason = ""
		case "severity":
			in.Severity = ""
		case "flags":
			in.Flags = nil
		case "policy_version":
			in.PolicyVersion = ""
		case "distribution":
			in.Distribution = ""
		case "tlp":
			in.TLP = ""
		}
	}
	in.Bulk = &ksp.BulkInfo{Absent: absent}
	return in
}

// ownSubmissions returns org's submissions by value, as stored.
func ownSubmissions(t *testing.T, db Store, orgID string) map[string]*ksp.Submission {
	t.Helper()
	out := map[string]*ksp.Submission{}
	must(t, db.SignalStates(Staff(), nil, func(st *ksp.SignalState) error {
		if s := st.SubmissionOf(orgID); s != nil {
			out[st.Value] = s
		}
		return nil
	}))
	return out
}

// testBulkRules checks what a bulk import does that Submit does not: it
// never widens the sharing of the org's existing submission, fields a
// record lacks keep their stored values (also for a value repeated within
// the batch), foreign rows (own=false) are unchanged and never stored,
// redacted values are refused, and a batch of unchanged records writes
// nothing.
func testBulkRules(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	plat := As(f.Platform, f.PlatAdmin)
	for _, in := range []ksp.SubmissionInput{
		full(1, ksp.DistOwner, ksp.TLPGreen), full(2, ksp.DistAudience, ksp.TLPAmber, f.Startup.ID), full(3, ksp.DistMembers, ksp.TLPAmber),
		full(4, ksp.DistMembers, ksp.TLPGreen), full(5, ksp.DistMembers, ksp.TLPGreen),
	} {
		_, err := db.Submit(plat, in)
		must(t, err)
	}
	lacking := []string{"quality", "basis", "basis_reason", "severity", "flags", "policy_version", "distribution"}
	// A new record lacking its basis states a reason (the basis it
	// implies, other, needs one).
	lackingNew := []string{"quality", "basis", "severity", "flags", "policy_version", "distribution"}
	repeated := full(11, ksp.DistMembers, ksp.TLPGreen)
	repeated.Severity, repeated.BasisReason = "crisis", "first of two"
	res, err := db.SubmitBatch(plat, batchOf(
		full(1, ksp.DistMembers, ksp.TLPGreen),                                                         // 2: wider distribution
		full(2, ksp.DistAudience, ksp.TLPAmber, f.Startup.ID, f.Gov.ID),                                // 3: wider audience
		full(3, ksp.DistMembers, ksp.TLPGreen),                                                         // 4: less restrictive TLP
		full(4, ksp.DistOwner, ksp.TLPRed),                                                             // 5: narrower
		partial(full(5, "", ksp.TLPAmber), lacking...),                                                 // 6: narrower, the rest kept
		full(1, ksp.DistOwner, ksp.TLPGreen),                                                           // 7: the same
		ksp.SubmissionInput{Type: ksp.TypePDQ, Value: PDQValue(9), Bulk: &ksp.BulkInfo{Foreign: true}}, // 8: foreign
		ksp.SubmissionInput{Type: ksp.TypeURL, Value: "https://x.example/…", ContentType: "url", Labels: []string{"propaganda"}, Basis: "branded_publication"}, // 9: redacted
		partial(full(10, "", ""), lackingNew...), // 10: new, with defaults
		repeated,                                 // 11: new
		partial(full(11, ksp.DistOwner, ""), lacking[:6]...), // 12: the same value, narrowed, the rest kept
	), "test")
	must(t, err)
	var rejected []string
	for _, fe := range res.Rejected {
		rejected = append(rejected, fmt.Sprintf("%d:%s", fe.Line, fe.Field))
	}
	if got := fmt.Sprintf("created=%d merged=%d unchanged=%d rejected=%v", res.Created, res.Merged, res.Unchanged, rejected); got != "created=2 merged=3 unchanged=2 rejected=[2:distribution 3:audience 4:tlp 9:value]" {
		t.Fatalf("batch: %s", got)
	}
	own := ownSubmissions(t, db, f.Platform.ID)
	check := func(n int, want string) {
		t.Helper()
		s := own[PDQValue(n)]
		if s == nil {
			t.Errorf("value %d: no submission", n)
			return
		}
		q := "-"
		if s.Quality != nil {
			q = fmt.Sprint(*s.Quality)
		}
		got := fmt.Sprintf("%s/%s%v q=%s %s:%q %s %v %s", s.Distribution, s.TLP, s.Audience, q, s.Basis, s.BasisReason, s.Severity, s.Flags, s.PolicyVersion)
		if got != want {
			t.Errorf("value %d: %s\nwant      %s", n, got, want)
		}
	}
	check(1, `owner/GREEN[] q=80 other:"stored reason" high [graphic] 2025-01`)
	check(2, `audience/AMBER[`+f.Startup.ID+`] q=80 other:"stored reason" high [graphic] 2025-01`)
	check(3, `members/AMBER[] q=80 other:"stored reason" high [graphic] 2025-01`)
	check(4, `owner/RED[] q=80 other:"stored reason" high [graphic] 2025-01`)
	check(5, `members/AMBER[] q=80 other:"stored reason" high [graphic] 2025-01`)
	check(10, `members/GREEN[] q=- other:"stored reason" medium [] `+ksp.CurrentPolicyVersion)
	check(11, `owner/GREEN[] q=80 other:"first of two" crisis [graphic] 2025-01`)
	if own[PDQValue(9)] != nil {
		t.Error("a foreign row became a submission")
	}
	for v := range own {
		if strings.Contains(v, "x.example") {
			t.Errorf("a redacted value was stored: %s", v)
		}
	}

	// Unchanged records, foreign rows and partial records whose stored
	// values of what they lack are the defaults: nothing is written, not
	// even a change sequence.
	seq, err := db.ChangeSeq(Staff())
	must(t, err)
	evs, _, err := db.FindAuditEvents(Staff(), ksp.AuditFilter{Page: ksp.Page{Limit: 1000}})
	must(t, err)
	res, err = db.SubmitBatch(plat, batchOf(full(1, ksp.DistOwner, ksp.TLPGreen), ksp.SubmissionInput{Bulk: &ksp.BulkInfo{Foreign: true}},
		partial(full(10, "", ""), lackingNew...)), "test")
	must(t, err)
	seq2, err := db.ChangeSeq(Staff())
	must(t, err)
	evs2, _, err := db.FindAuditEvents(Staff(), ksp.AuditFilter{Page: ksp.Page{Limit: 1000}})
	must(t, err)
	if res.Unchanged != 3 || res.Created+res.Merged+len(res.Rejected) != 0 || seq2 != seq || len(evs2) != len(evs) {
		t.Fatalf("unchanged batch: %+v, change sequence %d → %d, audit events %d → %d", res, seq, seq2, len(evs), len(evs2))
	}
	// A partial record whose stored values are not the defaults is
	// compared with what is stored once they are filled in.
	res, err = db.SubmitBatch(plat, batchOf(partial(full(5, "", ksp.TLPAmber), lacking...)), "test")
	must(t, err)
	if res.Unchanged != 1 || res.Created+res.Merged+len(res.Rejected) != 0 {
		t.Fatalf("partial, unchanged: %+v", res)
	}
	own = ownSubmissions(t, db, f.Platform.ID)
	check(5, `members/AMBER[] q=80 other:"stored reason" high [graphic] 2025-01`)
}

// testExportOwn: an export gives the exporting org's own submission with
// each signal, exactly as stored, when it is active and may leave; other
// orgs' data comes without it.
func testExportOwn(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	plat, start := As(f.Platform, f.PlatAdmin), As(f.Startup, f.StartAdm)
	submit := func(ctx context.Context, in ksp.SubmissionInput) *ksp.Signal {
		res, err := db.Submit(ctx, in)
		must(t, err)
		return res.Signal
	}
	submit(plat, full(1, ksp.DistMembers, ksp.TLPGreen))
	submit(start, Submission(1, ksp.DistMembers, ksp.TLPGreen))
	submit(plat, full(2, ksp.DistAudience, ksp.TLPAmber, f.Startup.ID, f.Gov.ID))
	submit(plat, full(3, ksp.DistOwner, ksp.TLPRed))                      // never leaves: not exported
	submit(plat, full(4, ksp.DistAudience, ksp.TLPAmberStrict, f.Gov.ID)) // never leaves
	submit(start, Submission(4, ksp.DistMembers, ksp.TLPGreen))           // exported, not own
	retracted := submit(plat, full(5, ksp.DistMembers, ksp.TLPGreen))
	submit(start, Submission(5, ksp.DistMembers, ksp.TLPGreen))
	_, err := db.Retract(plat, retracted.ID)
	must(t, err)
	submit(start, Submission(6, ksp.DistMembers, ksp.TLPGreen))
	stored := ownSubmissions(t, db, f.Platform.ID)
	got := map[string]string{}
	must(t, db.ExportSignals(plat, nil, func(s *ksp.Signal, _ ksp.Distribution, own *ksp.Submission) error {
		if own == nil {
			got[s.Value] = "not own"
			return nil
		}
		st := stored[s.Value]
		if own.OrgID != f.Platform.ID || own.BasisReason != st.BasisReason || own.PolicyVersion != st.PolicyVersion || !slices.Equal(own.Audience, st.Audience) ||
			own.Distribution != st.Distribution || own.TLP != st.TLP || !slices.Equal(own.Labels, st.Labels) || *own.Quality != *st.Quality {
			t.Errorf("own submission of %s: %+v, stored %+v", s.Value[:8], own, st)
		}
		got[s.Value] = "own"
		return nil
	}))
	want := map[string]string{PDQValue(1): "own", PDQValue(2): "own", PDQValue(4): "not own", PDQValue(5): "not own", PDQValue(6): "not own"}
	if !maps.Equal(got, want) {
		t.Fatalf("export: %v, want %v", got, want)
	}
}
