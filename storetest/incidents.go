package storetest

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

// incidentWorld is a fixture with two staff members.
type incidentWorld struct {
	*Fixture
	staffA, staffB context.Context
}

func newIncidentWorld(t *testing.T, db Store) *incidentWorld {
	f := NewFixture(t, db)
	second, err := db.CreateStaffUser(Staff(), "second@ksp.example", "Second Staff", "a long enough password")
	must(t, err)
	so := f.StaffOrg(t)
	return &incidentWorld{Fixture: f, staffA: As(so, f.StaffUser), staffB: As(so, second)}
}

func (w *incidentWorld) draft(t *testing.T, s ksp.Sharing) *ksp.Incident {
	t.Helper()
	i := &ksp.Incident{Type: ksp.IncidentTypeContentIncident, Title: "Attack streamed", Sharing: s,
		Criteria: []ksp.IncidentCriterion{{Text: "attack under way", Met: true}}}
	must(t, w.DB.CreateIncident(w.staffA, i))
	return i
}

// activate activates i with both staff members.
func (w *incidentWorld) activate(t *testing.T, i *ksp.Incident) {
	t.Helper()
	_, err := w.DB.ActivateIncident(w.staffA, i.ID, ksp.ActivateIncidentInput{})
	must(t, err)
	got, err := w.DB.ActivateIncident(w.staffB, i.ID, ksp.ActivateIncidentInput{})
	must(t, err)
	if got.Status != ksp.IncidentActive {
		t.Fatalf("status after two activations = %s", got.Status)
	}
}

// testIncidentActivation checks the two-person rule and the emergency
// path with its 24-hour review.
func testIncidentActivation(t *testing.T, open Opener) {
	db := open(t)
	w := newIncidentWorld(t, db)
	i := w.draft(t, ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen})
	if i.Status != ksp.IncidentDraft || i.OwnerOrgID != ksp.StaffOrgID {
		t.Fatalf("draft = %+v", i)
	}
	// Members may not draft or activate.
	wantCode(t, db.CreateIncident(As(w.Platform, w.PlatAdmin), &ksp.Incident{Type: "incident", Title: "x"}), ksp.EFORBIDDEN)
	_, err := db.ActivateIncident(As(w.Platform, w.PlatAdmin), i.ID, ksp.ActivateIncidentInput{})
	wantCode(t, err, ksp.EFORBIDDEN)

	got, err := db.ActivateIncident(w.staffA, i.ID, ksp.ActivateIncidentInput{})
	must(t, err)
	if got.Status != ksp.IncidentDraft || got.ActivationRequestedBy == "" {
		t.Fatalf("after first activation: status %s requested by %q", got.Status, got.ActivationRequestedBy)
	}
	// The same person again is refused and changes nothing.
	_, err = db.ActivateIncident(w.staffA, i.ID, ksp.ActivateIncidentInput{})
	wantCode(t, err, ksp.EFORBIDDEN)
	// A member sees nothing of a draft, requested or not.
	_, err = db.FindIncidentByID(As(w.Platform, w.PlatView), i.ID)
	wantCode(t, err, ksp.ENOTFOUND)
	after := lastEventSeq(t, db)
	got, err = db.ActivateIncident(w.staffB, i.ID, ksp.ActivateIncidentInput{})
	must(t, err)
	if got.Status != ksp.IncidentActive || got.Emergency || got.ActivatedBy == got.ConfirmedBy || got.Activated == nil {
		t.Fatalf("after second activation: %+v", got)
	}
	evs, err := db.FindEventsAfter(As(w.Platform, w.PlatView), after, 100)
	must(t, err)
	if len(evs) != 1 || evs[0].Type != ksp.EventIncidentActivated || evs[0].ObjectID != i.ID {
		t.Fatalf("member events after activation = %+v", evs)
	}
	_, err = db.ActivateIncident(w.staffA, i.ID, ksp.ActivateIncidentInput{})
	wantCode(t, err, ksp.ECONFLICT)

	// Emergency: one person activates at once; the review list picks it up
	// 24 hours later unless a second confirms.
	e := w.draft(t, ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen})
	got, err = db.ActivateIncident(w.staffA, e.ID, ksp.ActivateIncidentInput{Emergency: true})
	must(t, err)
	if got.Status != ksp.IncidentActive || !got.Emergency || got.ConfirmBy == nil || got.Confirmed != nil {
		t.Fatalf("emergency activation: %+v", got)
	}
	review := func(at time.Time) []string {
		t.Helper()
		list, _, err := db.FindIncidents(w.staffA, ksp.IncidentFilter{ReviewAsOf: &at})
		must(t, err)
		var ids []string
		for _, x := range list {
			ids = append(ids, x.ID)
		}
		return ids
	}
	base := got.Activated.Time
	if ids := review(base.Add(23 * time.Hour)); len(ids) != 0 {
		t.Fatalf("listed for review before 24 h: %v", ids)
	}
	if ids := review(base.Add(25 * time.Hour)); len(ids) != 1 || ids[0] != e.ID {
		t.Fatalf("review list after 25 h = %v, want [%s]", ids, e.ID)
	}
	if !got.NeedsReview(base.Add(25*time.Hour)) || got.NeedsReview(base.Add(time.Hour)) {
		t.Fatal("NeedsReview disagrees with the review list")
	}
	_, err = db.ActivateIncident(w.staffA, e.ID, ksp.ActivateIncidentInput{})
	wantCode(t, err, ksp.EFORBIDDEN)
	got, err = db.ActivateIncident(w.staffB, e.ID, ksp.ActivateIncidentInput{})
	must(t, err)
	if got.Confirmed == nil || got.ConfirmBy != nil || !got.Emergency {
		t.Fatalf("confirmed emergency: %+v", got)
	}
	if ids := review(base.Add(25 * time.Hour)); len(ids) != 0 {
		t.Fatalf("confirmed emergency still listed for review: %v", ids)
	}
	// Every write is audited.
	var n int
	must(t, db.SQL().QueryRow(`SELECT COUNT(*) FROM audit_events WHERE action LIKE 'incident.%'`).Scan(&n))
	if n != 6 {
		t.Fatalf("incident audit events = %d, want 6", n)
	}
}

func lastEventSeq(t *testing.T, db Store) int64 {
	t.Helper()
	var seq int64
	must(t, db.SQL().QueryRow(`SELECT COALESCE(MAX(seq), 0) FROM events`).Scan(&seq))
	return seq
}

// testIncidentVisibility checks that an incident shared with the owner
// (the staff org) or a named audience does not exist for other members:
// not by id, not in lists, not in counts, not in events, not as an
// incident_id.
func testIncidentVisibility(t *testing.T, open Opener) {
	db := open(t)
	w := newIncidentWorld(t, db)
	owner := w.draft(t, ksp.Sharing{Distribution: ksp.DistOwner, TLP: ksp.TLPRed})
	aud := w.draft(t, ksp.Sharing{Distribution: ksp.DistAudience, TLP: ksp.TLPAmber, Audience: []string{w.Startup.ID}})
	members := w.draft(t, ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen})
	public := w.draft(t, ksp.Sharing{Distribution: ksp.DistPublic, TLP: ksp.TLPClear})
	draft := w.draft(t, ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen})
	after := lastEventSeq(t, db)
	for _, i := range []*ksp.Incident{owner, aud, members, public} {
		w.activate(t, i)
	}
	_, err := db.AddIncidentUpdate(w.staffA, aud.ID, ksp.IncidentUpdateInput{Text: "spreading on two services"})
	must(t, err)
	anon := context.Background()
	cases := []struct {
		name string
		ctx  context.Context
		want []string
	}{
		{"staff", w.staffB, []string{owner.ID, aud.ID, members.ID, public.ID, draft.ID}},
		{"audience", As(w.Startup, w.StartAdm), []string{aud.ID, members.ID, public.ID}},
		{"other member", As(w.Platform, w.PlatView), []string{members.ID, public.ID}},
		{"anonymous", anon, []string{public.ID}},
	}
	// The Go form of the rule agrees with the store's SQL.
	stored := map[string]*ksp.Incident{}
	for _, i := range []*ksp.Incident{owner, aud, members, public, draft} {
		got, err := db.FindIncidentByID(w.staffA, i.ID)
		must(t, err)
		stored[i.ID] = got
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			list, _, err := db.FindIncidents(c.ctx, ksp.IncidentFilter{})
			must(t, err)
			seen := map[string]bool{}
			for _, i := range list {
				seen[i.ID] = true
			}
			if len(list) != len(c.want) {
				t.Fatalf("listed %d incidents, want %d", len(list), len(c.want))
			}
			for _, id := range c.want {
				if !seen[id] {
					t.Fatalf("incident %s not listed", id)
				}
			}
			for _, i := range []*ksp.Incident{owner, aud, members, public, draft} {
				_, err := db.FindIncidentByID(c.ctx, i.ID)
				if seen[i.ID] != (err == nil) {
					t.Fatalf("get %s: %v, listed %v", i.Title, err, seen[i.ID])
				}
				if err != nil {
					wantCode(t, err, ksp.ENOTFOUND)
				}
				if ksp.CanSeeIncident(ksp.ActorFrom(c.ctx).Viewer(), stored[i.ID]) != seen[i.ID] {
					t.Fatalf("CanSeeIncident disagrees with the store on %s", i.Title)
				}
			}
			for _, i := range list {
				if !ksp.ActorFrom(c.ctx).Viewer().Staff && (i.ActivatedBy != "" || i.ConfirmedBy != "" || i.CreatedBy != "") {
					t.Fatalf("staff identities shown to %s: %+v", c.name, i)
				}
			}
			active, err := db.FindActiveIncidents(c.ctx)
			must(t, err)
			for _, i := range active {
				if !seen[i.ID] || i.Status != ksp.IncidentActive {
					t.Fatalf("active list shows %s", i.ID)
				}
			}
			if c.ctx == anon {
				return
			}
			evs, err := db.FindEventsAfter(c.ctx, after, 100)
			must(t, err)
			for _, e := range evs {
				if !seen[e.ObjectID] {
					t.Fatalf("event %s about incident %s told to %s", e.Type, e.ObjectID, c.name)
				}
			}
		})
	}
	// Counting: the status filter counts only what the viewer may see.
	st := ksp.IncidentActive
	list, _, err := db.FindIncidents(As(w.Platform, w.PlatView), ksp.IncidentFilter{Status: &st})
	must(t, err)
	if len(list) != 2 {
		t.Fatalf("active incidents for another member = %d, want 2", len(list))
	}
	// Bad filter input names its field.
	bad := ksp.IncidentStatus("nope")
	_, _, err = db.FindIncidents(w.staffA, ksp.IncidentFilter{Status: &bad})
	wantCode(t, err, ksp.EINVALID)
}

// testIncidentInput checks validation of drafts and timeline entries.
func testIncidentInput(t *testing.T, open Opener) {
	db := open(t)
	w := newIncidentWorld(t, db)
	cases := []struct {
		name  string
		in    ksp.Incident
		field string
	}{
		{"no type", ksp.Incident{Title: "x"}, "type"},
		{"type not a slug", ksp.Incident{Type: "Content Incident", Title: "x"}, "type"},
		{"no title", ksp.Incident{Type: "incident"}, "title"},
		{"public not clear", ksp.Incident{Type: "incident", Title: "x", Sharing: ksp.Sharing{Distribution: ksp.DistPublic, TLP: ksp.TLPGreen}}, "tlp"},
		{"unknown audience", ksp.Incident{Type: "incident", Title: "x", Sharing: ksp.Sharing{Distribution: ksp.DistAudience, TLP: ksp.TLPAmber, Audience: []string{ksp.NewID()}}}, "audience"},
		{"huge title", ksp.Incident{Type: "incident", Title: string(make([]byte, 300))}, "title"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			err := db.CreateIncident(w.staffA, &in)
			wantCode(t, err, ksp.EINVALID)
			if fe := err.(*ksp.Error).Fields; len(fe) == 0 || fe[0].Field != c.field {
				t.Fatalf("fields = %+v, want %s", fe, c.field)
			}
		})
	}
	// A new type outside the first vocabulary is fine.
	i := &ksp.Incident{Type: "hostage_situation", Title: "New kind"}
	must(t, db.CreateIncident(w.staffA, i))
	_, err := db.AddIncidentUpdate(w.staffA, i.ID, ksp.IncidentUpdateInput{Text: "  "})
	wantCode(t, err, ksp.EINVALID)
	_, err = db.AddIncidentUpdate(w.staffA, i.ID, ksp.IncidentUpdateInput{Text: strings.Repeat("x", 20001)})
	wantCode(t, err, ksp.EINVALID)
	_, err = db.FindIncidentByID(w.staffA, "not-an-id")
	wantCode(t, err, ksp.ENOTFOUND)
	_, err = db.CloseIncident(w.staffA, i.ID, ksp.CloseIncidentInput{EndCriteria: "done"})
	wantCode(t, err, ksp.ECONFLICT) // a draft is not closed
	_, err = db.AddIncidentUpdate(As(w.Platform, w.PlatAdmin), i.ID, ksp.IncidentUpdateInput{Text: "hi"})
	wantCode(t, err, ksp.EFORBIDDEN)
	got, err := db.AddIncidentUpdate(w.staffB, i.ID, ksp.IncidentUpdateInput{Text: "first note"})
	must(t, err)
	if len(got.Updates) != 1 || got.Updates[0].Author != "Second Staff" {
		t.Fatalf("updates = %+v", got.Updates)
	}
}

// testIncidentClose checks that closing retracts the signals shared under
// the incident that no second org confirmed, with tombstone reason
// incident_closed in the changes feed, and keeps the confirmed ones.
func testIncidentClose(t *testing.T, open Opener) {
	db := open(t)
	w := newIncidentWorld(t, db)
	i := w.draft(t, ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen})
	w.activate(t, i)
	plat, start := As(w.Platform, w.PlatAdmin), As(w.Startup, w.StartAdm)
	under := func(n int) ksp.SubmissionInput {
		in := Submission(9000+n, ksp.DistMembers, ksp.TLPGreen)
		in.Basis, in.IncidentID = ksp.BasisPerpetratorContent, i.ID
		return in
	}
	lone, err := db.Submit(plat, under(1))
	must(t, err)
	confirmed, err := db.Submit(plat, under(2))
	must(t, err)
	// A second org confirms signal 2 by submitting it too (on any basis).
	_, err = db.Submit(start, Submission(9002, ksp.DistMembers, ksp.TLPGreen))
	must(t, err)
	// Signal 3 arrives in a batch.
	rec := under(3)
	res, err := db.SubmitBatch(plat, sliceNext([]*ksp.SubmissionInput{&rec}), "test")
	must(t, err)
	if res.Created != 1 || len(res.Rejected) != 0 {
		t.Fatalf("batch under incident = %+v", res)
	}
	_, seq, err := db.Changes(start, 0, 1000)
	must(t, err)

	closed, err := db.CloseIncident(w.staffB, i.ID, ksp.CloseIncidentInput{EndCriteria: "content no longer spreading", Debrief: "worked"})
	must(t, err)
	if closed.Status != ksp.IncidentClosed || closed.Closed == nil || closed.EndCriteria == "" || closed.Debrief != "worked" {
		t.Fatalf("closed = %+v", closed)
	}
	sig, err := db.FindSignalByID(plat, lone.Signal.ID)
	must(t, err)
	if sig.Status != ksp.StatusRetracted {
		t.Fatalf("lone signal status = %s, want retracted", sig.Status)
	}
	sig, err = db.FindSignalByID(plat, confirmed.Signal.ID)
	must(t, err)
	if sig.Status == ksp.StatusRetracted {
		t.Fatal("signal confirmed by a second org was retracted")
	}
	changes, _, err := db.Changes(start, seq, 1000)
	must(t, err)
	tomb := map[string]string{}
	for _, c := range changes {
		if c.Op == "tombstone" {
			tomb[c.SignalID] = c.Reason
		}
	}
	if tomb[lone.Signal.ID] != ksp.TombstoneIncidentClosed || len(tomb) != 2 {
		t.Fatalf("tombstones after close = %v, want two with reason %s", tomb, ksp.TombstoneIncidentClosed)
	}
	if _, ok := tomb[confirmed.Signal.ID]; ok {
		t.Fatal("tombstone for the confirmed signal")
	}
	_, err = db.CloseIncident(w.staffB, i.ID, ksp.CloseIncidentInput{EndCriteria: "again"})
	wantCode(t, err, ksp.ECONFLICT)
	_, err = db.AddIncidentUpdate(w.staffB, i.ID, ksp.IncidentUpdateInput{Text: "late"})
	wantCode(t, err, ksp.ECONFLICT)
	_, err = db.CloseIncident(w.staffB, i.ID, ksp.CloseIncidentInput{})
	wantCode(t, err, ksp.EINVALID)
}

// testIncidentLinks checks incident_id on submissions: it must name an
// incident the submitter may see, on Submit and in a batch.
func testIncidentLinks(t *testing.T, open Opener) {
	db := open(t)
	w := newIncidentWorld(t, db)
	hidden := w.draft(t, ksp.Sharing{Distribution: ksp.DistAudience, TLP: ksp.TLPAmber, Audience: []string{w.Startup.ID}})
	w.activate(t, hidden)
	draft := w.draft(t, ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen})
	plat, start := As(w.Platform, w.PlatAdmin), As(w.Startup, w.StartAdm)
	in := func(n int, id string) ksp.SubmissionInput {
		s := Submission(7000+n, ksp.DistMembers, ksp.TLPGreen)
		s.Basis, s.IncidentID = ksp.BasisPerpetratorContent, id
		return s
	}
	for name, id := range map[string]string{"unknown": ksp.NewID(), "invisible": hidden.ID, "draft": draft.ID} {
		_, err := db.Submit(plat, in(1, id))
		wantCode(t, err, ksp.EINVALID)
		if fe := err.(*ksp.Error).Fields; len(fe) != 1 || fe[0].Field != "incident_id" {
			t.Fatalf("%s incident: fields %+v", name, fe)
		}
	}
	_, err := db.Submit(plat, in(1, "not-an-id"))
	wantCode(t, err, ksp.EINVALID)
	if _, err := db.Submit(start, in(2, hidden.ID)); err != nil {
		t.Fatalf("audience member linking its incident: %v", err)
	}
	a, b, c := in(3, hidden.ID), in(4, ksp.NewID()), in(5, hidden.ID)
	res, err := db.SubmitBatch(plat, sliceNext([]*ksp.SubmissionInput{&a, &b}), "test")
	must(t, err)
	if res.Created != 0 || len(res.Rejected) != 2 || res.Rejected[0].Field != "incident_id" || res.Rejected[1].Field != "incident_id" {
		t.Fatalf("batch with bad incident ids = %+v", res)
	}
	res, err = db.SubmitBatch(start, sliceNext([]*ksp.SubmissionInput{&c}), "test")
	must(t, err)
	if res.Created != 1 || len(res.Rejected) != 0 {
		t.Fatalf("batch with a visible incident = %+v", res)
	}
	var n int
	must(t, db.SQL().QueryRow(db.Rebind(`SELECT COUNT(*) FROM submissions WHERE org_id = ?`), w.Platform.ID).Scan(&n))
	if n != 0 {
		t.Fatalf("refused submissions stored: %d", n)
	}
}

// sliceNext feeds records to SubmitBatch, numbered from line 2.
func sliceNext(recs []*ksp.SubmissionInput) func() (int, *ksp.SubmissionInput, error) {
	n := 0
	return func() (int, *ksp.SubmissionInput, error) {
		if n == len(recs) {
			return 0, nil, io.EOF
		}
		n++
		return n + 1, recs[n-1], nil
	}
}
