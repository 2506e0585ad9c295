package storetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
)

// testSignalBatchPaths checks that SubmitBatch means exactly what Submit
// means record by record, whatever path a record takes inside a batch (new
// values in bulk, unchanged by digest, repeated values, additions to
// existing and hidden signals, audiences). Two stores get the same history;
// one takes the records one by one through Submit, the other in one batch.
// Counts, rejections by line, what every viewer sees and the changes feed
// must agree.
func testSignalBatchPaths(t *testing.T, open Opener) {
	type world struct {
		db   Store
		f    *Fixture
		plat context.Context
	}
	setup := func() *world {
		db := open(t)
		f := NewFixture(t, db)
		w := &world{db: db, f: f, plat: As(f.Platform, f.PlatAdmin)}
		start := As(f.Startup, f.StartAdm)
		for _, s := range []struct {
			ctx context.Context
			in  ksp.SubmissionInput
		}{
			{w.plat, Submission(1, ksp.DistMembers, ksp.TLPGreen)},           // A: the platform's own
			{w.plat, Submission(2, ksp.DistMembers, ksp.TLPGreen)},           // B: the platform's own, changed below
			{start, Submission(3, ksp.DistOwner, ksp.TLPAmber)},              // H: hidden from the platform
			{start, Submission(4, ksp.DistMembers, ksp.TLPGreen)},            // M: another org's, visible
			{w.plat, Submission(5, ksp.DistMembers, ksp.TLPGreen)},           // R: retracted below
			{start, Submission(6, ksp.DistAudience, ksp.TLPAmber, f.Gov.ID)}, // G: hidden, audience elsewhere
		} {
			if _, err := db.Submit(s.ctx, s.in); err != nil {
				t.Fatal(err)
			}
		}
		sig, _, err := db.FindSignals(w.plat, ksp.SignalFilter{Page: ksp.Page{Limit: 100}})
		must(t, err)
		for _, s := range sig {
			if s.Value == PDQValue(5) {
				_, err := db.Retract(w.plat, s.ID)
				must(t, err)
			}
		}
		return w
	}
	// records builds the batch for a world (audiences name its orgs).
	records := func(w *world) []ksp.SubmissionInput {
		changed := Submission(2, ksp.DistMembers, ksp.TLPGreen)
		changed.Labels = []string{"propaganda", "recruitment"}
		narrowed := Submission(20, ksp.DistOwner, ksp.TLPGreen)
		sha := Submission(21, ksp.DistMembers, ksp.TLPGreen)
		sha.Type = ksp.TypeSHA256
		badLabel := Submission(22, ksp.DistMembers, ksp.TLPGreen)
		badLabel.Labels = []string{"nonsense"}
		return []ksp.SubmissionInput{
			Submission(10, ksp.DistMembers, ksp.TLPGreen),                  // new
			Submission(11, ksp.DistAudience, ksp.TLPAmber, w.f.Startup.ID), // new, with an audience
			Submission(12, ksp.DistAudience, ksp.TLPAmber, ksp.NewID()),    // unknown audience org
			Submission(1, ksp.DistMembers, ksp.TLPGreen),                   // unchanged
			changed, // existing, changed
			Submission(3, ksp.DistMembers, ksp.TLPGreen),  // hidden from the caller: created
			Submission(4, ksp.DistMembers, ksp.TLPGreen),  // another org's: merged
			Submission(5, ksp.DistMembers, ksp.TLPGreen),  // retracted: back, not unchanged
			Submission(6, ksp.DistMembers, ksp.TLPGreen),  // hidden by audience: created
			Submission(13, ksp.DistMembers, ksp.TLPGreen), // repeated: created,
			Submission(13, ksp.DistMembers, ksp.TLPGreen), // then unchanged
			Submission(20, ksp.DistMembers, ksp.TLPGreen), // repeated: created,
			narrowed, // then narrowed
			sha,      // same hex as 21 as PDQ below, other type
			Submission(21, ksp.DistMembers, ksp.TLPGreen),
			badLabel, // invalid
			Submission(14, ksp.DistAudience, ksp.TLPAmber, w.f.Gov.ID, w.f.Startup.ID), // new, two audience orgs
			Submission(12, ksp.DistMembers, ksp.TLPGreen),                              // the value rejected above, now valid
		}
	}

	// One by one through Submit.
	one := setup()
	want := &ksp.BatchResult{Rejected: []ksp.FieldError{}}
	for i, in := range records(one) {
		line := i + 2
		res, err := one.db.Submit(one.plat, in)
		var ke *ksp.Error
		switch {
		case errors.As(err, &ke) && ke.Code == ksp.EINVALID:
			for _, fe := range ke.Fields {
				fe.Line = line
				want.Rejected = append(want.Rejected, fe)
			}
		case err != nil:
			t.Fatalf("line %d: %v", line, err)
		case res.Unchanged:
			want.Unchanged++
		case res.Created:
			want.Created++
		default:
			want.Merged++
		}
	}

	// In one batch.
	bat := setup()
	recs := records(bat)
	i := 0
	got, err := bat.db.SubmitBatch(bat.plat, func() (int, *ksp.SubmissionInput, error) {
		if i == len(recs) {
			return i + 1, nil, io.EOF
		}
		i++
		in := recs[i-1]
		return i + 1, &in, nil
	}, "test")
	must(t, err)
	// Audience reasons name the org, which differs between the worlds.
	norm := func(r *ksp.BatchResult) string {
		var b strings.Builder
		fmt.Fprintf(&b, "created=%d merged=%d unchanged=%d", r.Created, r.Merged, r.Unchanged)
		for _, fe := range r.Rejected {
			reason := fe.Reason
			if fe.Field == "audience" {
				reason = strings.Fields(reason)[0]
			}
			fmt.Fprintf(&b, " %d:%s:%s", fe.Line, fe.Field, reason)
		}
		return b.String()
	}
	if norm(got) != norm(want) {
		t.Fatalf("batch %s\nwant  %s", norm(got), norm(want))
	}
	if want.Created != 10 || want.Merged != 4 || want.Unchanged != 2 || len(want.Rejected) != 2 {
		t.Errorf("the scenario no longer covers what it should: %s", norm(want))
	}

	// Every viewer sees the same signals, and the feed says the same.
	type viewer struct {
		name string
		ctx  func(w *world) context.Context
	}
	vs := []viewer{
		{"staff", func(w *world) context.Context { return As(w.f.StaffOrg(t), w.f.StaffUser) }},
		{"platform", func(w *world) context.Context { return w.plat }},
		{"startup", func(w *world) context.Context { return As(w.f.Startup, w.f.StartAdm) }},
		{"gov", func(w *world) context.Context { return As(w.f.Gov, w.f.GovAdmin) }},
	}
	for _, v := range vs {
		see := func(w *world) string {
			list, _, err := w.db.FindSignals(v.ctx(w), ksp.SignalFilter{Page: ksp.Page{Limit: 1000}})
			must(t, err)
			var out []string
			for _, s := range list {
				out = append(out, fmt.Sprintf("%s:%s labels=%v subs=%d status=%s tlp=%s actionable=%v", s.Type, s.Value[:8], s.Labels, s.Submissions, s.Status, s.TLP, s.Actionable))
			}
			slices.Sort(out)
			changes, _, err := w.db.Changes(v.ctx(w), 0, 1000)
			must(t, err)
			ops := map[string][]string{}
			for _, c := range changes {
				ops[c.Type+":"+c.Value] = append(ops[c.Type+":"+c.Value], c.Op+"/"+c.Reason)
			}
			var feed []string
			for k, o := range ops {
				feed = append(feed, fmt.Sprintf("%s %v", k, o))
			}
			slices.Sort(feed)
			return strings.Join(out, "\n") + "\n--\n" + strings.Join(feed, "\n")
		}
		if a, b := see(bat), see(one); a != b {
			t.Errorf("%s sees after the batch:\n%s\nafter one by one:\n%s", v.name, a, b)
		}
	}
	evs, _, err := bat.db.FindAuditEvents(Staff(), ksp.AuditFilter{Action: ptr("signal.batch"), Page: ksp.Page{Limit: 10}})
	must(t, err)
	if len(evs) != 1 {
		t.Fatalf("%d batch audit events, want 1", len(evs))
	}
	if _, _, err := ksp.VerifyChain(context.Background(), bat.db, ""); err != nil {
		t.Fatalf("audit chain: %v", err)
	}
}
