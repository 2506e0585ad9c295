package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"

	"github.com/kspplatform/ksp"
)

// linkedTo is submission n attributed to the entity ref names.
func linkedTo(n int, ref string) ksp.SubmissionInput {
	in := Submission(n, ksp.DistMembers, ksp.TLPGreen)
	in.Basis, in.EntityID = ksp.BasisDesignatedEntity, ref
	return in
}

// wantRefusal fails unless err is EINVALID naming field first.
func wantRefusal(t *testing.T, what string, err error, field string) {
	t.Helper()
	var ke *ksp.Error
	if ksp.ErrorCode(err) != ksp.EINVALID || !errors.As(err, &ke) || len(ke.Fields) == 0 || ke.Fields[0].Field != field {
		t.Errorf("%s: %v, want invalid naming %s", what, err, field)
	}
}

// testEntityLink checks that a signal's entity_id takes an entity's id or a
// list reference number, stores the entity's id either way, and refuses one
// that names no entity, on Submit and per line in a batch; and that the
// entity filter of the signal list stays within what the viewer may see.
func testEntityLink(t *testing.T, open Opener) {
	db := open(t)
	fx := NewFixture(t, db)
	staff := Staff()
	plat, start := As(fx.Platform, fx.PlatAdmin), As(fx.Startup, fx.StartAdm)
	group := &ksp.Entity{Kind: ksp.EntityGroup, Name: "Link Test Front",
		Lists: []ksp.EntityListing{{List: "NATIONAL-XX", ReferenceNumber: "XXe.001", ListedOn: "2020-01-01"}}}
	former := &ksp.Entity{Kind: ksp.EntityGroup, Name: "Former Front",
		Lists: []ksp.EntityListing{{List: "NATIONAL-XX", ReferenceNumber: "XXe.002", ListedOn: "2019-01-01", DelistedOn: "2022-01-01"}}}
	must(t, db.CreateEntity(staff, group))
	must(t, db.CreateEntity(staff, former))

	noBasis := linkedTo(5, "XXe.001")
	noBasis.Basis = ""
	good := []struct {
		name string
		in   ksp.SubmissionInput
		want string
	}{
		{"by reference number", linkedTo(1, "XXe.001"), group.ID},
		{"by id", linkedTo(2, group.ID), group.ID},
		{"reference number with spaces around", linkedTo(3, "  XXe.001 "), group.ID},
		// A delisted entity stays in the database and its reference still
		// names it: content it made while listed is still attributable.
		{"reference number of a delisted entity", linkedTo(4, "XXe.002"), former.ID},
		{"no basis: the reference implies designated_entity", noBasis, group.ID},
	}
	for _, tt := range good {
		res, err := db.Submit(plat, tt.in)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !slices.Equal(res.Signal.EntityIDs, []string{tt.want}) || res.Signal.Details[0].EntityID != tt.want || res.Signal.Details[0].Basis != ksp.BasisDesignatedEntity {
			t.Errorf("%s: entity ids %v, submission %+v, want %s", tt.name, res.Signal.EntityIDs, res.Signal.Details[0], tt.want)
		}
	}
	// The reference and the id are the same link: submitting again by the
	// id what was submitted by reference changes nothing.
	res, err := db.Submit(plat, linkedTo(1, group.ID))
	must(t, err)
	if !res.Unchanged {
		t.Errorf("same entity by id after by reference: %+v", res)
	}

	count := func() int {
		var n int
		must(t, db.SQL().QueryRow(`SELECT COUNT(*) FROM submissions`).Scan(&n))
		return n
	}
	before := count()
	noEntity := Submission(30, ksp.DistMembers, ksp.TLPGreen)
	noEntity.Basis = ksp.BasisDesignatedEntity
	bad := []struct {
		name string
		in   ksp.SubmissionInput
	}{
		{"unknown reference number", linkedTo(31, "XXe.999")},
		{"unknown id", linkedTo(32, ksp.NewID())},
		{"reference number in another case", linkedTo(33, "xxe.001")},
		{"not a reference number", linkedTo(34, "XXe 001")},
		{"an injection attempt", linkedTo(35, "x'OR'1'='1")},
		{"designated_entity without an entity", noEntity},
		// An existing signal: the refusal comes before any change to it.
		{"unknown entity on an existing signal", linkedTo(2, "XXe.404")},
	}
	for _, tt := range bad {
		_, err := db.Submit(plat, tt.in)
		wantRefusal(t, tt.name, err, "entity_id")
	}
	if n := count(); n != before {
		t.Errorf("refused submissions stored something: %d submissions, want %d", n, before)
	}

	// A batch: per line, the bad lines rejected and the others stored; the
	// lines span several transactions (batches of 2).
	db.SetBatchSize(2)
	lines := []ksp.SubmissionInput{
		linkedTo(10, "XXe.001"),
		linkedTo(11, "XXe.999"),
		linkedTo(12, group.ID),
		linkedTo(13, ksp.NewID()),
		linkedTo(1, "XXe.001"), // unchanged: the same link as stored
		linkedTo(14, "XXe.002"),
		linkedTo(15, "XXe 001"),
	}
	i := 0
	bres, err := db.SubmitBatch(plat, func() (int, *ksp.SubmissionInput, error) {
		if i == len(lines) {
			return i + 1, nil, io.EOF
		}
		i++
		in := lines[i-1]
		return i, &in, nil
	}, "entity link test")
	must(t, err)
	var rejected []int
	for _, fe := range bres.Rejected {
		if fe.Field != "entity_id" {
			t.Errorf("batch rejection %+v, want entity_id", fe)
		}
		rejected = append(rejected, fe.Line)
	}
	if bres.Created != 3 || bres.Unchanged != 1 || bres.Merged != 0 || !slices.Equal(rejected, []int{2, 4, 7}) {
		t.Errorf("batch: %+v, rejected lines %v; want 3 created, 1 unchanged, lines 2, 4, 7 rejected", bres, rejected)
	}

	// The entity filter lists only what each viewer may see.
	hidden := linkedTo(40, "XXe.001")
	hidden.Distribution, hidden.TLP = ksp.DistOwner, ksp.TLPAmber
	_, err = db.Submit(start, hidden)
	must(t, err)
	values := func(ctx context.Context) []string {
		t.Helper()
		var out []string
		f := ksp.SignalFilter{EntityID: &group.ID, Page: ksp.Page{Limit: 2}}
		for {
			page, next, err := db.FindSignals(ctx, f)
			must(t, err)
			for _, s := range page {
				out = append(out, s.Value)
			}
			if next == "" {
				return out
			}
			f.Page.Cursor = next
		}
	}
	platSees, startSees := values(plat), values(start)
	if slices.Contains(platSees, PDQValue(40)) || len(platSees) != 6 {
		t.Errorf("platform lists %d signals of the entity (with the start-up's own-only one: %v), want 6 without it", len(platSees), slices.Contains(platSees, PDQValue(40)))
	}
	if !slices.Contains(startSees, PDQValue(40)) || len(startSees) != 7 {
		t.Errorf("start-up lists %d signals of the entity, want 7 with its own", len(startSees))
	}
	if got := values(As(fx.Gov, fx.GovAdmin)); slices.Contains(got, PDQValue(40)) {
		t.Errorf("government sees another org's own-only signal through the entity filter")
	}
}

// testEntityDelistingReview checks that delisting an entity flags the
// signals attributed to it, once, for staff alone, and that staff clear a
// flag (audited).
func testEntityDelistingReview(t *testing.T, open Opener) {
	y2017 := UNSCSnapshot(t, "consolidated-2017-07-03.xml")
	y2024 := UNSCSnapshot(t, "consolidated-2024-09-26.xml")
	db := open(t)
	fx := NewFixture(t, db)
	staff := Staff()
	plat, start := As(fx.Platform, fx.PlatAdmin), As(fx.Startup, fx.StartAdm)
	_, err := db.ImportUNSC(staff, bytes.NewReader(y2017), false)
	must(t, err)
	// QDe.103 (Al-Haramain Foundation, Indonesia) is on the 2017 list and
	// not on the 2024 one; QDe.115 is on both.
	gone, err := db.FindEntityByID(plat, "QDe.103")
	must(t, err)
	kept, err := db.FindEntityByID(plat, "QDe.115")
	must(t, err)
	_, err = db.Submit(plat, linkedTo(1, "QDe.103"))
	must(t, err)
	own := linkedTo(1, gone.ID) // the same signal, a second submission
	own.Distribution, own.TLP = ksp.DistOwner, ksp.TLPAmber
	_, err = db.Submit(start, own)
	must(t, err)
	hidden := linkedTo(2, "QDe.103")
	hidden.Distribution, hidden.TLP = ksp.DistOwner, ksp.TLPAmber
	_, err = db.Submit(start, hidden)
	must(t, err)
	_, err = db.Submit(plat, linkedTo(3, "QDe.115"))
	must(t, err)

	counts, err := db.ImportUNSC(staff, bytes.NewReader(y2024), false)
	must(t, err)
	if counts.Delisted != 302 || counts.Flagged != 2 {
		t.Fatalf("2024 import: %+v, want 302 delisted and 2 signals flagged", *counts)
	}
	gone, err = db.FindEntityByID(plat, gone.ID)
	must(t, err)
	flags, _, err := db.FindSignalReviews(staff, ksp.SignalReviewFilter{})
	must(t, err)
	if len(flags) != 2 {
		t.Fatalf("%d open flags, want 2", len(flags))
	}
	var flagged []string
	for _, f := range flags {
		flagged = append(flagged, f.SignalID)
		if f.EntityID != gone.ID || f.EntityName != gone.Name || f.List != ksp.ListUN || f.ReferenceNumber != "QDe.103" ||
			f.Reason != ksp.ReviewEntityDelisted || f.DelistedOn != gone.Lists[0].DelistedOn || f.DelistedOn == "" || f.Resolved != nil {
			t.Errorf("flag %+v (entity listing %+v)", f, gone.Lists)
		}
	}

	// Only staff read or clear flags: a flag tells that a signal exists.
	for _, ctx := range []context.Context{plat, start, As(fx.Platform, fx.PlatView)} {
		if _, _, err := db.FindSignalReviews(ctx, ksp.SignalReviewFilter{}); ksp.ErrorCode(err) != ksp.EFORBIDDEN {
			t.Errorf("member reads flags: %v, want forbidden", err)
		}
		if _, err := db.ResolveSignalReview(ctx, flags[0].ID, ""); ksp.ErrorCode(err) != ksp.EFORBIDDEN {
			t.Errorf("member clears a flag: %v, want forbidden", err)
		}
	}
	if _, _, err := db.FindSignalReviews(context.Background(), ksp.SignalReviewFilter{}); ksp.ErrorCode(err) != ksp.EUNAUTHORIZED {
		t.Errorf("anonymous reads flags: %v", err)
	}

	// The same list again delists nothing and flags nothing more.
	counts, err = db.ImportUNSC(staff, bytes.NewReader(y2024), false)
	must(t, err)
	if counts.Flagged != 0 || counts.Delisted != 0 {
		t.Errorf("re-import: %+v", *counts)
	}
	all, _, err := db.FindSignalReviews(staff, ksp.SignalReviewFilter{State: ksp.ReviewAll})
	must(t, err)
	if len(all) != 2 {
		t.Errorf("%d flags after re-import, want 2", len(all))
	}

	// A delisted entity's reference is still accepted.
	if _, err := db.Submit(plat, linkedTo(4, "QDe.103")); err != nil {
		t.Errorf("reference of a delisted entity: %v", err)
	}

	// Staff clear a flag, audited; once.
	done, err := db.ResolveSignalReview(staff, flags[0].ID, "  still in scope: branded publication ")
	must(t, err)
	if done.Resolved == nil || done.ResolvedBy == "" || done.Note != "still in scope: branded publication" {
		t.Errorf("cleared %+v", done)
	}
	if _, err := db.ResolveSignalReview(staff, flags[0].ID, ""); ksp.ErrorCode(err) != ksp.ECONFLICT {
		t.Errorf("clearing twice: %v, want conflict", err)
	}
	for _, id := range []string{ksp.NewID(), "nonsense"} {
		if _, err := db.ResolveSignalReview(staff, id, ""); ksp.ErrorCode(err) != ksp.ENOTFOUND {
			t.Errorf("clearing %q: %v, want not found", id, err)
		}
	}
	_, err = db.ResolveSignalReview(staff, flags[1].ID, string(bytes.Repeat([]byte("x"), 2001)))
	wantRefusal(t, "long note", err, "note")
	evs, _, err := db.FindAuditEvents(staff, ksp.AuditFilter{Action: ptr("signal.review_resolve"), Page: ksp.Page{Limit: 10}})
	must(t, err)
	if len(evs) != 1 || evs[0].Object != "signal:"+flags[0].SignalID {
		t.Errorf("audit of clearing: %+v", evs)
	}
	for state, want := range map[string]int{ksp.ReviewOpen: 1, ksp.ReviewResolved: 1, ksp.ReviewAll: 2} {
		got, _, err := db.FindSignalReviews(staff, ksp.SignalReviewFilter{State: state})
		must(t, err)
		if len(got) != want {
			t.Errorf("state %s: %d flags, want %d", state, len(got), want)
		}
	}
	_, _, err = db.FindSignalReviews(staff, ksp.SignalReviewFilter{State: "pending"})
	wantRefusal(t, "unknown state", err, "state")

	// A staff edit that ends a listing flags too, once.
	delisted := []ksp.EntityListing{kept.Lists[0]}
	delisted[0].DelistedOn = "2026-01-31"
	for range 2 {
		_, err = db.UpdateEntity(staff, kept.ID, ksp.EntityUpdate{Lists: &delisted})
		must(t, err)
	}
	mine, _, err := db.FindSignalReviews(staff, ksp.SignalReviewFilter{EntityID: &kept.ID})
	must(t, err)
	if len(mine) != 1 || mine[0].DelistedOn != "2026-01-31" || mine[0].ReferenceNumber != "QDe.115" {
		t.Errorf("flags after a staff delisting: %+v", mine)
	}
	// Removing a listing that had already ended ends nothing: no new flag.
	none := []ksp.EntityListing{}
	_, err = db.UpdateEntity(staff, gone.ID, ksp.EntityUpdate{Lists: &none})
	must(t, err)
	got, _, err := db.FindSignalReviews(staff, ksp.SignalReviewFilter{EntityID: &gone.ID, State: ksp.ReviewAll})
	must(t, err)
	if len(got) != 2 {
		t.Errorf("flags after removing an ended listing: %d, want 2", len(got))
	}
	// Removing a current listing by hand ends it (dated today).
	fresh := &ksp.Entity{Kind: ksp.EntityGroup, Name: "Hand Listed", Lists: []ksp.EntityListing{{List: "NATIONAL-XX", ReferenceNumber: "XXe.777", ListedOn: "2021-01-01"}}}
	must(t, db.CreateEntity(staff, fresh))
	_, err = db.Submit(plat, linkedTo(5, "XXe.777"))
	must(t, err)
	_, err = db.UpdateEntity(staff, fresh.ID, ksp.EntityUpdate{Lists: &none})
	must(t, err)
	got, _, err = db.FindSignalReviews(staff, ksp.SignalReviewFilter{EntityID: &fresh.ID})
	must(t, err)
	if len(got) != 1 || got[0].List != "NATIONAL-XX" || got[0].DelistedOn != ksp.Now().UTC().Format("2006-01-02") {
		t.Errorf("flags after removing a current listing: %+v", got)
	}
}

// BenchSubmitBatchLinked is BenchSubmitBatchNew with every record
// attributed to one of 100 entities by list reference number, half of
// them by id: the cost of resolving entity references per batch.
// Reported as rows/s.
func BenchSubmitBatchLinked(b *testing.B, db Store) {
	ctx := Staff()
	refs := make([]string, 0, 200)
	for i := range 100 {
		e := &ksp.Entity{Kind: ksp.EntityGroup, Name: fmt.Sprintf("Bench Group %d", i),
			Lists: []ksp.EntityListing{{List: "BENCH", ReferenceNumber: fmt.Sprintf("BEe.%03d", i), ListedOn: "2020-01-01"}}}
		if err := db.CreateEntity(ctx, e); err != nil {
			b.Fatal(err)
		}
		refs = append(refs, e.Lists[0].ReferenceNumber, e.ID)
	}
	benchBatches(b, db, func(n int) ksp.SubmissionInput { return linkedTo(n, refs[n%len(refs)]) })
}
