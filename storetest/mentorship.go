package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/kspplatform/ksp"
)

// testMentorship: request, offer, match, status and sessions, who sees
// what, and bad input refused with nothing written.
func testMentorship(t *testing.T, open Opener) {
	db := open(t)
	w := newQAWorld(t, db)
	startup := As(w.Startup, w.StartAdm)
	platform := As(w.Platform, w.PlatAdmin)
	gov := As(w.Gov, w.GovAdmin)
	uni := As(w.Uni, w.UniUser)
	staff := As(w.StaffOrg(t), w.StaffUser)

	// Bad input: no topic, an unknown topic, a viewer, the anonymous, a
	// suspended org.
	for _, tt := range []struct {
		name  string
		ctx   context.Context
		r     *ksp.MentorshipRequest
		code  string
		field string
	}{
		{"no topics", startup, &ksp.MentorshipRequest{Note: "help"}, ksp.EINVALID, "topics"},
		{"unknown topic", startup, &ksp.MentorshipRequest{Topics: []string{"transparency", "astrology"}}, ksp.EINVALID, "topics"},
		{"bad note", startup, &ksp.MentorshipRequest{Topics: []string{"tooling"}, Note: "\xff"}, ksp.EINVALID, "note"},
		{"viewer", As(w.Platform, w.PlatView), &ksp.MentorshipRequest{Topics: []string{"tooling"}}, ksp.EFORBIDDEN, ""},
		{"anonymous", context.Background(), &ksp.MentorshipRequest{Topics: []string{"tooling"}}, ksp.EUNAUTHORIZED, ""},
		{"suspended", As(w.Susp, w.SuspUser), &ksp.MentorshipRequest{Topics: []string{"tooling"}}, ksp.EFORBIDDEN, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := db.CreateMentorshipRequest(tt.ctx, tt.r)
			wantCode(t, err, tt.code)
			if tt.field != "" {
				var e *ksp.Error
				if !asError(err, &e) || e.Fields[0].Field != tt.field {
					t.Errorf("error %v, want field %s", err, tt.field)
				}
			}
		})
	}
	if list, _, err := db.FindMentorshipRequests(staff, ksp.MentorshipFilter{}); err != nil || len(list) != 0 {
		t.Fatalf("bad requests written: %d, %v", len(list), err)
	}

	req := &ksp.MentorshipRequest{Topics: []string{" Transparency", "terms_of_service", "transparency"}, Note: "Our first ToS."}
	must(t, db.CreateMentorshipRequest(startup, req))
	if req.Status != ksp.MentorshipOpen || !slices.Equal(req.Topics, []string{"terms_of_service", "transparency"}) || req.OrgName != w.Startup.Name {
		t.Fatalf("created %+v", req)
	}

	// Offers: a member sees its own, staff see all; unknown topics refused.
	_, err := db.SetMentorshipOffer(platform, []string{"terms_of_service", "mind_reading"}, "")
	wantCode(t, err, ksp.EINVALID)
	_, err = db.SetMentorshipOffer(platform, []string{"terms_of_service"}, "ToS only")
	must(t, err)
	_, err = db.SetMentorshipOffer(uni, []string{"terms_of_service", "transparency", "tooling"}, "Research-backed")
	must(t, err)
	offers, err := db.FindMentorshipOffers(platform)
	must(t, err)
	if len(offers) != 1 || offers[0].OrgID != w.Platform.ID {
		t.Errorf("platform sees offers %+v", offers)
	}
	offers, err = db.FindMentorshipOffers(staff)
	must(t, err)
	if len(offers) != 2 {
		t.Errorf("staff see %d offers", len(offers))
	}

	// Only staff match, only with an org that offered every topic, never
	// the requester itself.
	_, err = db.MatchMentorship(startup, req.ID, w.Uni.ID)
	wantCode(t, err, ksp.EFORBIDDEN)
	_, err = db.MatchMentorship(staff, req.ID, w.Platform.ID)
	wantCode(t, err, ksp.EINVALID)
	_, err = db.MatchMentorship(staff, req.ID, w.Gov.ID)
	wantCode(t, err, ksp.EINVALID)
	_, err = db.MatchMentorship(staff, req.ID, w.Startup.ID)
	wantCode(t, err, ksp.EINVALID)
	_, err = db.MatchMentorship(staff, ksp.NewID(), w.Uni.ID)
	wantCode(t, err, ksp.ENOTFOUND)

	// Before matching: sessions and status changes are refused.
	_, err = db.LogMentorshipSession(startup, req.ID, &ksp.MentorshipSession{Held: "2026-01-05", Minutes: 30})
	wantCode(t, err, ksp.ECONFLICT)
	_, err = db.SetMentorshipStatus(startup, req.ID, ksp.MentorshipActive)
	wantCode(t, err, ksp.ECONFLICT)
	_, err = db.SetMentorshipStatus(startup, req.ID, ksp.MentorshipMatched)
	wantCode(t, err, ksp.EINVALID)

	got, err := db.MatchMentorship(staff, req.ID, w.Uni.ID)
	must(t, err)
	if got.Status != ksp.MentorshipMatched || got.MentorOrgID != w.Uni.ID || got.MentorOrgName != w.Uni.Name {
		t.Fatalf("matched: %+v", got)
	}
	_, err = db.MatchMentorship(staff, req.ID, w.Uni.ID)
	wantCode(t, err, ksp.ECONFLICT)

	// Visibility: the two orgs and staff; others get not found.
	for _, c := range []struct {
		name string
		ctx  context.Context
		sees bool
	}{{"requester", startup, true}, {"mentor", uni, true}, {"staff", staff, true}, {"other", platform, false}, {"government", gov, false}} {
		_, err := db.FindMentorshipRequestByID(c.ctx, req.ID)
		list, _, lerr := db.FindMentorshipRequests(c.ctx, ksp.MentorshipFilter{})
		must(t, lerr)
		if c.sees {
			must(t, err)
			if len(list) != 1 {
				t.Errorf("%s lists %d requests", c.name, len(list))
			}
			continue
		}
		wantCode(t, err, ksp.ENOTFOUND)
		if len(list) != 0 {
			t.Errorf("%s lists another org's request", c.name)
		}
		_, err = db.LogMentorshipSession(c.ctx, req.ID, &ksp.MentorshipSession{Held: "2026-01-05", Minutes: 30})
		wantCode(t, err, ksp.ENOTFOUND)
		_, err = db.SetMentorshipStatus(c.ctx, req.ID, ksp.MentorshipActive)
		wantCode(t, err, ksp.ENOTFOUND)
	}

	// Sessions: both sides log; bad dates and durations refused.
	for _, bad := range []*ksp.MentorshipSession{{Held: "yesterday", Minutes: 30}, {Held: "2026-01-05", Minutes: 0}, {Held: "2026-01-05", Minutes: 5000}, {Held: "2999-01-01", Minutes: 30}} {
		_, err := db.LogMentorshipSession(startup, req.ID, bad)
		wantCode(t, err, ksp.EINVALID)
	}
	_, err = db.LogMentorshipSession(staff, req.ID, &ksp.MentorshipSession{Held: "2026-01-05", Minutes: 30})
	wantCode(t, err, ksp.EFORBIDDEN)
	_, err = db.LogMentorshipSession(startup, req.ID, &ksp.MentorshipSession{Held: "2026-01-05", Minutes: 45, Notes: "Went through the model clauses."})
	must(t, err)
	got, err = db.SetMentorshipStatus(uni, req.ID, ksp.MentorshipActive)
	must(t, err)
	if got.Status != ksp.MentorshipActive {
		t.Errorf("status %s", got.Status)
	}
	_, err = db.LogMentorshipSession(uni, req.ID, &ksp.MentorshipSession{Held: "2026-01-12", Minutes: 60})
	must(t, err)
	_, err = db.SetMentorshipStatus(startup, req.ID, ksp.MentorshipOpen)
	wantCode(t, err, ksp.ECONFLICT)
	_, err = db.SetMentorshipStatus(startup, req.ID, "paused")
	wantCode(t, err, ksp.EINVALID)
	got, err = db.SetMentorshipStatus(startup, req.ID, ksp.MentorshipCompleted)
	must(t, err)
	if got.Status != ksp.MentorshipCompleted || len(got.Sessions) != 2 || got.Sessions[0].OrgID != w.Startup.ID || got.Sessions[1].Minutes != 60 {
		t.Errorf("completed: %+v", got)
	}
	_, err = db.LogMentorshipSession(startup, req.ID, &ksp.MentorshipSession{Held: "2026-01-20", Minutes: 30})
	wantCode(t, err, ksp.ECONFLICT)
	_, err = db.SetMentorshipStatus(startup, req.ID, ksp.MentorshipActive)
	wantCode(t, err, ksp.ECONFLICT)

	st := ksp.MentorshipCompleted
	list, _, err := db.FindMentorshipRequests(uni, ksp.MentorshipFilter{Status: &st})
	must(t, err)
	if len(list) != 1 {
		t.Errorf("status filter: %d", len(list))
	}
	bad := "paused"
	_, _, err = db.FindMentorshipRequests(uni, ksp.MentorshipFilter{Status: &bad})
	wantCode(t, err, ksp.EINVALID)
	for _, action := range []string{"mentorship.request", "mentorship.offer", "mentorship.match", "mentorship.status", "mentorship.session",
		"mentorship.staff_read", "mentorship.staff_list"} {
		if auditCount(t, db, action) == 0 {
			t.Errorf("%s not audited", action)
		}
	}
}
