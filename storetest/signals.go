package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

// PDQValue returns a distinct, valid PDQ hex value for n.
func PDQValue(n int) string {
	s := sha256.Sum256([]byte(fmt.Sprint("pdq", n)))
	return hex.EncodeToString(s[:])
}

// Submission returns a valid PDQ submission of value n.
func Submission(n int, d ksp.Distribution, tlp ksp.TLP, audience ...string) ksp.SubmissionInput {
	return ksp.SubmissionInput{Type: ksp.TypePDQ, Value: PDQValue(n), ContentType: "photo", Labels: []string{"propaganda"}, Basis: "branded_publication",
		Distribution: d, TLP: tlp, Audience: audience}
}

type viewerCase struct {
	name string
	ctx  context.Context
	v    ksp.Viewer
}

func viewers(t *testing.T, db Store, f *Fixture) []viewerCase {
	ctx := Staff()
	susp := &ksp.Org{Name: "Suspended Platform", Kind: ksp.KindPlatform, Size: ksp.SizeSmall}
	must(t, db.CreateOrg(ctx, susp))
	su, _, err := db.CreateUser(ctx, susp.ID, ksp.NewUser{Email: "a@suspended.example", Role: ksp.RoleAdmin, Password: "a long enough password"})
	must(t, err)
	st := ksp.OrgStatusSuspended
	susp, err = db.UpdateOrg(ctx, susp.ID, ksp.OrgUpdate{Status: &st})
	must(t, err)
	return []viewerCase{
		{"staff", As(f.StaffOrg(t), f.StaffUser), ksp.Viewer{OrgID: ksp.StaffOrgID, Staff: true}},
		{"owner", As(f.Platform, f.PlatAdmin), ksp.Viewer{OrgID: f.Platform.ID}},
		{"audience", As(f.Startup, f.StartAdm), ksp.Viewer{OrgID: f.Startup.ID}},
		{"other member", As(f.Gov, f.GovAdmin), ksp.Viewer{OrgID: f.Gov.ID}},
		{"suspended", As(susp, su), ksp.Viewer{OrgID: susp.ID, Suspended: true}},
		{"anonymous", context.Background(), ksp.Viewer{}},
	}
}

func sortedIDs[T any](items []T, id func(T) string) []string {
	out := make([]string, 0, len(items))
	for _, x := range items {
		out = append(out, id(x))
	}
	sort.Strings(out)
	return out
}

// testSignalVisibility submits a signal under every allowed distribution ×
// TLP and checks, for every kind of viewer, that list (paged), get, the
// changes feed, export and counts show exactly what the sharing rule
// allows.
func testSignalVisibility(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	owner := As(f.Platform, f.PlatAdmin)
	type item struct {
		id string
		s  ksp.Sharing
	}
	var items []item
	n := 0
	for _, d := range ksp.Distributions {
		for _, tlp := range ksp.TLPs {
			var aud []string
			if d == ksp.DistAudience {
				aud = []string{f.Startup.ID}
			}
			in := Submission(n, d, tlp, aud...)
			n++
			res, err := db.Submit(owner, in)
			var fe ksp.Fields
			ksp.ValidateSharing(ksp.Sharing{Distribution: d, TLP: tlp, Audience: aud}, false, &fe)
			if fe.Err() != nil {
				wantCode(t, err, ksp.EINVALID)
				continue
			}
			must(t, err)
			if !res.Created || res.Signal.Submissions != 1 {
				t.Fatalf("%s/%s: result %+v", d, tlp, res)
			}
			items = append(items, item{res.Signal.ID, ksp.Sharing{OwnerOrgID: f.Platform.ID, Distribution: d, TLP: tlp, Audience: aud}})
		}
	}
	for _, vc := range viewers(t, db, f) {
		t.Run(vc.name, func(t *testing.T) {
			var want, wantExport []string
			for _, it := range items {
				if ksp.CanSee(vc.v, it.s) {
					want = append(want, it.id)
					if vc.v.OrgID != "" && ksp.MayLeave(it.s, vc.v.OrgID) && !vc.v.Suspended {
						wantExport = append(wantExport, it.id)
					}
				}
			}
			sort.Strings(want)
			sort.Strings(wantExport)
			// list, in pages of 3
			var got []*ksp.Signal
			cursor := ""
			for {
				page, next, err := db.FindSignals(vc.ctx, ksp.SignalFilter{Page: ksp.Page{Limit: 3, Cursor: cursor}})
				must(t, err)
				if len(page) > 3 {
					t.Fatalf("page of %d", len(page))
				}
				got = append(got, page...)
				if next == "" {
					break
				}
				cursor = next
			}
			if ids := sortedIDs(got, func(s *ksp.Signal) string { return s.ID }); !slices.Equal(ids, want) {
				t.Fatalf("list shows %d signals, want %d", len(ids), len(want))
			}
			// filtered counts never include hidden signals
			label := "propaganda"
			filtered, _, err := db.FindSignals(vc.ctx, ksp.SignalFilter{Label: &label, Page: ksp.Page{Limit: 1000}})
			must(t, err)
			if len(filtered) != len(want) {
				t.Fatalf("label filter counts %d, want %d", len(filtered), len(want))
			}
			// get
			for _, it := range items {
				_, err := db.FindSignalByID(vc.ctx, it.id)
				if slices.Contains(want, it.id) {
					must(t, err)
				} else {
					wantCode(t, err, ksp.ENOTFOUND)
				}
			}
			// changes feed
			changes, _, err := db.Changes(vc.ctx, 0, 1000)
			must(t, err)
			var upserts []string
			for _, c := range changes {
				if c.Op != "upsert" {
					t.Fatalf("unexpected %s for %s (%s)", c.Op, c.SignalID, c.Reason)
				}
				upserts = append(upserts, c.SignalID)
			}
			sort.Strings(upserts)
			if !slices.Equal(upserts, want) {
				t.Fatalf("changes feed shows %d signals, want %d", len(upserts), len(want))
			}
			// export
			if vc.v.OrgID == "" {
				return
			}
			var exported []string
			err = db.ExportSignals(vc.ctx, nil, func(s *ksp.Signal, _ ksp.Distribution, _ *ksp.Submission) error {
				exported = append(exported, s.ID)
				if s.TLP == ksp.TLPRed || s.TLP == ksp.TLPAmberStrict {
					t.Errorf("exported %s with TLP %s", s.ID, s.TLP)
				}
				return nil
			})
			must(t, err)
			sort.Strings(exported)
			if !slices.Equal(exported, wantExport) {
				t.Fatalf("export has %d signals, want %d", len(exported), len(wantExport))
			}
		})
	}
}

// testHiddenResubmission: submitting a value another org holds privately
// answers as if it were new and shows only the caller's own submission.
func testHiddenResubmission(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	private := Submission(1, ksp.DistOwner, ksp.TLPRed)
	private.Labels = []string{"manifesto"}
	first, err := db.Submit(As(f.Platform, f.PlatAdmin), private)
	must(t, err)
	mine := Submission(1, ksp.DistMembers, ksp.TLPGreen)
	res, err := db.Submit(As(f.Startup, f.StartAdm), mine)
	must(t, err)
	if !res.Created {
		t.Fatal("re-submitting a hidden value answered 'merged': that reveals it")
	}
	if res.Signal.Submissions != 1 || slices.Contains(res.Signal.Labels, "manifesto") || res.Signal.TLP != ksp.TLPGreen {
		t.Fatalf("the caller sees the hidden submission: %+v", res.Signal)
	}
	if res.Signal.ID != first.Signal.ID {
		t.Fatal("one value must be one signal")
	}
	// A third org sees only the members submission.
	sig, err := db.FindSignalByID(As(f.Gov, f.GovAdmin), res.Signal.ID)
	must(t, err)
	if sig.Submissions != 1 || slices.Contains(sig.Labels, "manifesto") || len(sig.Details) != 1 || sig.Details[0].OrgID != "" {
		t.Fatalf("third org sees %+v", sig)
	}
	// Re-submitting what one can already see is merged; the same record
	// again is unchanged.
	res, err = db.Submit(As(f.Gov, f.GovAdmin), mine)
	must(t, err)
	if res.Created {
		t.Fatal("re-submitting a visible value should be merged")
	}
	res, err = db.Submit(As(f.Gov, f.GovAdmin), mine)
	must(t, err)
	if !res.Unchanged {
		t.Fatal("the same record again should be unchanged")
	}
}

// testSignalLifecycle covers feedback, disputes, resolution, retraction
// and narrowing, and what the changes feed says about each.
func testSignalLifecycle(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	plat := As(f.Platform, f.PlatAdmin)
	start := As(f.Startup, f.StartAdm)
	gov := As(f.Gov, f.GovAdmin)
	res, err := db.Submit(plat, Submission(7, ksp.DistMembers, ksp.TLPGreen))
	must(t, err)
	id := res.Signal.ID
	if !res.Signal.Actionable || res.Signal.Confidence != 0.5 {
		t.Fatalf("new signal %+v", res.Signal)
	}
	feedAfter := func(ctx context.Context, after int64) ([]*ksp.Change, int64) {
		c, last, err := db.Changes(ctx, after, 1000)
		must(t, err)
		return c, last
	}
	_, mark := feedAfter(start, 0)

	_, err = db.GiveFeedback(start, id, ksp.FeedbackInput{Verdict: "maybe"})
	wantCode(t, err, ksp.EINVALID)
	sig, err := db.GiveFeedback(start, id, ksp.FeedbackInput{Verdict: ksp.VerdictTruePositive})
	must(t, err)
	if sig.Confidence <= 0.5 || sig.Feedback[ksp.VerdictTruePositive] != 1 {
		t.Fatalf("after true_positive: %+v", sig)
	}
	// One current verdict per org: changing it replaces it.
	sig, err = db.GiveFeedback(start, id, ksp.FeedbackInput{Verdict: ksp.VerdictDisputed, Comment: "this is news reporting"})
	must(t, err)
	if sig.Feedback[ksp.VerdictTruePositive] != 0 || sig.Status != ksp.StatusDisputed || sig.Actionable {
		t.Fatalf("after dispute: %+v", sig)
	}
	ch, mark2 := feedAfter(gov, mark)
	if len(ch) == 0 || ch[len(ch)-1].Op != "tombstone" || ch[len(ch)-1].Reason != "disputed" {
		t.Fatalf("dispute not in the feed as a tombstone: %+v", ch)
	}
	disputed := ksp.StatusDisputed
	list, _, err := db.FindSignals(gov, ksp.SignalFilter{Status: &disputed})
	must(t, err)
	if len(list) != 1 {
		t.Fatalf("%d disputed signals listed", len(list))
	}
	_, err = db.Resolve(plat, id, ksp.ResolveInput{Resolution: "upheld", Reason: "x"})
	wantCode(t, err, ksp.EFORBIDDEN)
	_, err = db.Resolve(Staff(), id, ksp.ResolveInput{Resolution: "upheld"})
	wantCode(t, err, ksp.EINVALID)
	sig, err = db.Resolve(Staff(), id, ksp.ResolveInput{Resolution: "upheld", Reason: "produced by the group's media office"})
	must(t, err)
	if sig.Status != ksp.StatusActive || !sig.Actionable {
		t.Fatalf("after upheld: %+v", sig)
	}
	ch, _ = feedAfter(gov, mark2)
	if len(ch) == 0 || ch[len(ch)-1].Op != "upsert" {
		t.Fatalf("resolution not in the feed: %+v", ch)
	}
	sig, err = db.Resolve(Staff(), id, ksp.ResolveInput{Resolution: "relabelled", Reason: "it recruits", Labels: []string{"recruitment"}})
	must(t, err)
	if !slices.Equal(sig.Labels, []string{"recruitment"}) {
		t.Fatalf("relabelled: %v", sig.Labels)
	}

	// Retraction: not actionable at once, a tombstone for every viewer.
	_, err = db.Retract(start, id)
	wantCode(t, err, ksp.EINVALID)
	_, mark3 := feedAfter(gov, 0)
	sig, err = db.Retract(plat, id)
	must(t, err)
	if sig.Status != ksp.StatusRetracted || sig.Actionable {
		t.Fatalf("after retraction: %+v", sig)
	}
	ch, _ = feedAfter(gov, mark3)
	if len(ch) == 0 || ch[len(ch)-1].Op != "tombstone" || ch[len(ch)-1].Reason != "retracted" {
		t.Fatalf("retraction not in the feed: %+v", ch)
	}
	_, err = db.Retract(plat, id)
	wantCode(t, err, ksp.ECONFLICT)

	// Narrowing: members → owner tells the others with a tombstone.
	res, err = db.Submit(plat, Submission(8, ksp.DistMembers, ksp.TLPGreen))
	must(t, err)
	_, mark4 := feedAfter(gov, 0)
	_, err = db.Submit(plat, Submission(8, ksp.DistOwner, ksp.TLPGreen))
	must(t, err)
	ch, _ = feedAfter(gov, mark4)
	if len(ch) != 1 || ch[0].Op != "tombstone" || ch[0].SignalID != res.Signal.ID {
		t.Fatalf("narrowing: %+v", ch)
	}
	_, err = db.FindSignalByID(gov, res.Signal.ID)
	wantCode(t, err, ksp.ENOTFOUND)
	ch, _ = feedAfter(plat, mark4)
	if len(ch) == 0 || ch[len(ch)-1].Op != "upsert" {
		t.Fatalf("owner after narrowing: %+v", ch)
	}

	// Government-only signals are not actionable until a platform confirms.
	res, err = db.Submit(gov, Submission(9, ksp.DistMembers, ksp.TLPGreen))
	must(t, err)
	if res.Signal.Actionable || res.Signal.NotActionable != "government_only_unconfirmed" {
		t.Fatalf("government-only signal %+v", res.Signal)
	}
	sig, err = db.GiveFeedback(start, res.Signal.ID, ksp.FeedbackInput{Verdict: ksp.VerdictTruePositive})
	must(t, err)
	if !sig.Actionable {
		t.Fatalf("confirmed by a platform but not actionable: %+v", sig)
	}

	// Negative bank: a value there is never actionable.
	res, err = db.Submit(plat, Submission(10, ksp.DistMembers, ksp.TLPGreen))
	must(t, err)
	_, err = db.AddNegative(plat, ksp.NegativeInput{Type: "pdq", Value: PDQValue(10), Reason: "stock photo"})
	must(t, err)
	sig, err = db.FindSignalByID(plat, res.Signal.ID)
	must(t, err)
	if sig.Actionable || sig.NotActionable != "negative_bank" {
		t.Fatalf("negative-bank value actionable: %+v", sig)
	}
	_, err = db.AddNegative(plat, ksp.NegativeInput{Type: "pdq", Value: PDQValue(10), Reason: "again"})
	wantCode(t, err, ksp.ECONFLICT)
	_, err = db.AddNegative(plat, ksp.NegativeInput{Type: "pdq", Value: "xyz", Reason: "bad"})
	wantCode(t, err, ksp.EINVALID)

	// Retention: after pruning, old cursors must resync.
	if _, err := db.PruneChanges(Staff(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	_, _, err = db.Changes(gov, 0, 10)
	wantCode(t, err, ksp.ERESYNCREQUIRED)
}

// testSignalBadInput: every kind of bad submission is refused with the
// field named and nothing written.
func testSignalBadInput(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	plat := As(f.Platform, f.PlatAdmin)
	q := 40
	cases := []struct {
		name  string
		in    ksp.SubmissionInput
		field string
	}{
		{"bad hex", ksp.SubmissionInput{Type: "md5", Value: strings.Repeat("g", 32), ContentType: "photo", Labels: []string{"propaganda"}}, "value"},
		{"wrong length", ksp.SubmissionInput{Type: "sha256", Value: "abcd", ContentType: "photo", Labels: []string{"propaganda"}}, "value"},
		{"unknown type", ksp.SubmissionInput{Type: "phash", Value: "abcd", ContentType: "photo", Labels: []string{"propaganda"}}, "type"},
		{"unknown label", ksp.SubmissionInput{Type: "pdq", Value: PDQValue(1), ContentType: "photo", Labels: []string{"spam"}}, "labels"},
		{"url without host", ksp.SubmissionInput{Type: "url", Value: "http://", ContentType: "url", Labels: []string{"propaganda"}}, "value"},
		{"url scheme", ksp.SubmissionInput{Type: "url", Value: "file:///etc/passwd", ContentType: "url", Labels: []string{"propaganda"}}, "value"},
		{"low quality", ksp.SubmissionInput{Type: "pdq", Value: PDQValue(1), Quality: &q, ContentType: "photo", Labels: []string{"propaganda"}}, "quality"},
		{"public", Submission(1, ksp.DistPublic, ksp.TLPClear), "distribution"},
		{"red to members", Submission(1, ksp.DistMembers, ksp.TLPRed), "distribution"},
		{"unknown audience", Submission(1, ksp.DistAudience, ksp.TLPAmber, "00000000-0000-7000-8000-0000000000ff"), "audience"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.Submit(plat, tc.in)
			wantCode(t, err, ksp.EINVALID)
			if fe := err.(*ksp.Error).Fields; fe[0].Field != tc.field {
				t.Fatalf("field %s, want %s", fe[0].Field, tc.field)
			}
		})
	}
	list, _, err := db.FindSignals(Staff(), ksp.SignalFilter{})
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("bad input wrote %d signals", len(list))
	}
	_, err = db.Submit(As(f.Platform, f.PlatView), Submission(1, ksp.DistMembers, ksp.TLPGreen))
	wantCode(t, err, ksp.EFORBIDDEN)
}

// testSignalBatch: bulk submission keeps good records, reports bad ones by
// line and field, and a re-run is unchanged.
func testSignalBatch(t *testing.T, open Opener) {
	db := open(t)
	db.SetBatchSize(1000) // several batches from 2,500 records
	f := NewFixture(t, db)
	plat := As(f.Platform, f.PlatAdmin)
	records := func() func() (int, *ksp.SubmissionInput, error) {
		i := 0
		return func() (int, *ksp.SubmissionInput, error) {
			i++
			switch {
			case i > 2500:
				return i, nil, io.EOF
			case i == 7:
				return i, nil, &ksp.Error{Code: ksp.EINVALID, Fields: []ksp.FieldError{{Field: "line", Reason: "malformed JSON"}}}
			case i == 1200:
				in := Submission(i, ksp.DistMembers, ksp.TLPGreen)
				in.Labels = []string{"nonsense"}
				return i, &in, nil
			}
			in := Submission(i, ksp.DistMembers, ksp.TLPGreen)
			return i, &in, nil
		}
	}
	res, err := db.SubmitBatch(plat, records(), "test")
	must(t, err)
	if res.Created != 2498 || res.Merged != 0 || len(res.Rejected) != 2 || res.Rejected[0].Line != 7 || res.Rejected[1].Line != 1200 || res.Rejected[1].Field != "labels" {
		t.Fatalf("first run: %+v", res)
	}
	res, err = db.SubmitBatch(plat, records(), "test")
	must(t, err)
	if res.Unchanged != 2498 || res.Created != 0 {
		t.Fatalf("re-run: %+v", res)
	}
	res, err = db.SubmitBatch(As(f.Startup, f.StartAdm), records(), "test")
	must(t, err)
	if res.Merged != 2498 {
		t.Fatalf("another org: %+v", res)
	}
	// One audit event per batch, not per record.
	evs, _, err := db.FindAuditEvents(Staff(), ksp.AuditFilter{Action: ptr("signal.batch"), Page: ksp.Page{Limit: 100}})
	must(t, err)
	if len(evs) != 6 {
		t.Fatalf("%d batch audit events, want 6", len(evs))
	}
	ids, seq, err := db.SignalChangesSince(context.Background(), 0)
	must(t, err)
	if len(ids) != 2498 || seq == 0 {
		t.Fatalf("changes since 0: %d ids, seq %d", len(ids), seq)
	}
}

func ptr[T any](v T) *T { return &v }

// testChangesFollower submits from several writers whose commits are
// delayed at random while a follower polls the changes feed: it never gets
// an entry at or below a position it already passed, and in the end it has
// seen every signal.
func testChangesFollower(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	db.SetBeforeCommit(func() { time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond) })
	defer db.SetBeforeCommit(nil)
	writers := []context.Context{As(f.Platform, f.PlatAdmin), As(f.Startup, f.StartAdm)}
	const each = 30
	done := make(chan error, len(writers))
	for w, ctx := range writers {
		go func() {
			for i := 0; i < each; i++ {
				if _, err := db.Submit(ctx, Submission(w*1000+i, ksp.DistMembers, ksp.TLPGreen)); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	follower := As(f.Gov, f.GovAdmin)
	seen := map[string]bool{}
	var after int64
	finished := 0
	deadline := time.Now().Add(2 * time.Minute)
	for len(seen) < len(writers)*each {
		changes, last, err := db.Changes(follower, after, 7)
		must(t, err)
		for _, c := range changes {
			if c.Seq <= after {
				t.Fatalf("entry %d at or below the cursor %d", c.Seq, after)
			}
			seen[c.SignalID] = true
		}
		after = last
		select {
		case err := <-done:
			must(t, err)
			finished++
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("follower saw %d of %d signals", len(seen), len(writers)*each)
		}
	}
	for ; finished < len(writers); finished++ {
		must(t, <-done)
	}
}

// testSignalHistory: verdicts and resolutions are kept, oldest first, with
// organisations named only where allowed.
func testSignalHistory(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	res, err := db.Submit(As(f.Platform, f.PlatAdmin), Submission(1, ksp.DistMembers, ksp.TLPGreen))
	must(t, err)
	id := res.Signal.ID
	_, err = db.GiveFeedback(As(f.Startup, f.StartAdm), id, ksp.FeedbackInput{Verdict: ksp.VerdictDisputed, Comment: "news footage"})
	must(t, err)
	_, err = db.GiveFeedback(As(f.Startup, f.StartAdm), id, ksp.FeedbackInput{Verdict: ksp.VerdictTruePositive})
	must(t, err)
	_, err = db.Resolve(Staff(), id, ksp.ResolveInput{Resolution: "upheld", Reason: "official output"})
	must(t, err)
	h, err := db.SignalHistory(As(f.Gov, f.GovAdmin), id)
	must(t, err)
	if len(h) != 3 || h[0].Value != ksp.VerdictDisputed || h[0].Org != "a member" || h[1].Value != ksp.VerdictTruePositive || h[2].Kind != "resolution" || h[2].Org != "KSP Secretariat" {
		t.Fatalf("history as a third org: %+v %+v %+v", h[0], h[1], h[2])
	}
	h, err = db.SignalHistory(As(f.Startup, f.StartAdm), id)
	must(t, err)
	if h[0].Org != f.Startup.Name || h[0].Comment != "news footage" {
		t.Fatalf("own history: %+v", h[0])
	}
	private, err := db.Submit(As(f.Platform, f.PlatAdmin), Submission(2, ksp.DistOwner, ksp.TLPGreen))
	must(t, err)
	_, err = db.SignalHistory(As(f.Gov, f.GovAdmin), private.Signal.ID)
	wantCode(t, err, ksp.ENOTFOUND)
}

// testChangesPaging reads the changes feed in pages of every size from 1
// up and checks each reading equals the feed read at once: upserts and
// tombstones interleaved, in sequence order, none lost or repeated where a
// page ends.
func testChangesPaging(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	plat := As(f.Platform, f.PlatAdmin)
	for i := 0; i < 12; i++ {
		res, err := db.Submit(plat, Submission(i, ksp.DistMembers, ksp.TLPGreen))
		must(t, err)
		if i%3 == 1 {
			_, err = db.Retract(plat, res.Signal.ID)
			must(t, err)
		}
		if i%4 == 2 { // narrowed: a tombstone for the former viewers
			_, err = db.Submit(plat, Submission(i, ksp.DistOwner, ksp.TLPGreen))
			must(t, err)
		}
	}
	key := func(c *ksp.Change) string { return fmt.Sprint(c.Seq, c.Op, c.SignalID, c.Reason) }
	for _, viewer := range []context.Context{plat, As(f.Startup, f.StartAdm), Staff()} {
		all, _, err := db.Changes(viewer, 0, 1000)
		must(t, err)
		var want []string
		tombs := 0
		for _, c := range all {
			want = append(want, key(c))
			if c.Op == "tombstone" {
				tombs++
			}
		}
		if viewer != plat && tombs == 0 {
			t.Fatalf("no tombstones in the feed: %v", want)
		}
		for size := 1; size <= len(all)+1; size++ {
			var got []string
			var after int64
			for {
				page, last, err := db.Changes(viewer, after, size)
				must(t, err)
				for _, c := range page {
					got = append(got, key(c))
				}
				if len(page) == 0 {
					break
				}
				after = last
			}
			if !slices.Equal(got, want) {
				t.Fatalf("pages of %d:\n%v\nwant\n%v", size, got, want)
			}
		}
	}
}

// testSignalFilters checks each filter of FindSignals, paged, against the
// unfiltered list filtered here, for three viewers: the selective filters
// take other query paths (partial indexes) than the plain list.
func testSignalFilters(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	plat, start := As(f.Platform, f.PlatAdmin), As(f.Startup, f.StartAdm)
	linked := &ksp.Entity{Kind: ksp.EntityGroup, Name: "Filter Test Group"}
	must(t, db.CreateEntity(Staff(), linked))
	entity := linked.ID
	for i := 0; i < 24; i++ {
		in := Submission(i, ksp.DistMembers, ksp.TLPGreen)
		if i%4 == 3 {
			in.Distribution = ksp.DistOwner
		}
		if i%5 == 0 {
			in.Basis, in.EntityID = "designated_entity", entity
		}
		if i%2 == 1 {
			in.Labels = []string{"manifesto"}
		}
		res, err := db.Submit(plat, in)
		must(t, err)
		switch {
		case i%5 != 0 && i%3 == 1:
			_, err = db.Retract(plat, res.Signal.ID)
		case i%3 == 2 && in.Distribution == ksp.DistMembers:
			_, err = db.GiveFeedback(start, res.Signal.ID, ksp.FeedbackInput{Verdict: ksp.VerdictDisputed})
		}
		must(t, err)
	}
	str := func(s string) *string { return &s }
	filters := []struct {
		name string
		f    ksp.SignalFilter
		keep func(*ksp.Signal) bool
	}{
		{"entity", ksp.SignalFilter{EntityID: &entity}, func(s *ksp.Signal) bool { return slices.Contains(s.EntityIDs, entity) }},
		{"other entity", ksp.SignalFilter{EntityID: str(ksp.NewID())}, func(*ksp.Signal) bool { return false }},
		{"label", ksp.SignalFilter{Label: str("manifesto")}, func(s *ksp.Signal) bool { return slices.Contains(s.Labels, "manifesto") }},
		{"type", ksp.SignalFilter{Type: str(ksp.TypePDQ)}, func(s *ksp.Signal) bool { return s.Type == ksp.TypePDQ }},
	}
	for _, st := range []string{ksp.StatusActive, ksp.StatusDisputed, ksp.StatusRetracted} {
		filters = append(filters, struct {
			name string
			f    ksp.SignalFilter
			keep func(*ksp.Signal) bool
		}{"status " + st, ksp.SignalFilter{Status: str(st)}, func(s *ksp.Signal) bool { return s.Status == st }})
	}
	for _, viewer := range []context.Context{plat, start, Staff()} {
		all, _, err := db.FindSignals(viewer, ksp.SignalFilter{Page: ksp.Page{Limit: 1000}})
		must(t, err)
		for _, fc := range filters {
			var want, got []string
			for _, s := range all {
				if fc.keep(s) {
					want = append(want, s.ID)
				}
			}
			if len(want) == 0 && fc.name != "other entity" && len(all) == 24 {
				t.Fatalf("%s: nothing to find; the fixture does not exercise the filter", fc.name)
			}
			fl := fc.f
			fl.Limit = 2
			for {
				page, next, err := db.FindSignals(viewer, fl)
				must(t, err)
				for _, s := range page {
					got = append(got, s.ID)
				}
				if next == "" {
					break
				}
				fl.Cursor = next
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: got %d signals %v, want %d %v", fc.name, len(got), got, len(want), want)
			}
		}
	}
}
