package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

// BenchCalendar measures the events list as a member sees it (a page of
// 50 upcoming events over 2,000, a fifth of them shared with a named
// audience, so that the audience sub-query runs) and the staff aggregate of
// self-assessments over 300 organisations' latest of two attempts each.
func BenchCalendar(b *testing.B, db Store) {
	f := NewFixture(b, db)
	owner := As(f.Platform, f.PlatAdmin)
	start := time.Now().Add(24 * time.Hour).Truncate(time.Hour)
	shares := []ksp.Sharing{
		{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen}, {Distribution: ksp.DistPublic, TLP: ksp.TLPClear},
		{Distribution: ksp.DistAudience, TLP: ksp.TLPAmber, Audience: []string{f.Startup.ID}}, {Distribution: ksp.DistOwner, TLP: ksp.TLPRed},
		{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen},
	}
	for i := 0; i < 2000; i++ {
		e := calendarEventFor(shares[i%len(shares)], fmt.Sprintf("Event %d", i))
		e.Start, e.End = ksp.T(start.Add(time.Duration(i)*time.Hour)), ksp.T(start.Add(time.Duration(i)*time.Hour+time.Hour))
		if err := db.CreateCalendarEvent(owner, e); err != nil {
			b.Fatal(err)
		}
	}
	viewer := As(f.Startup, f.StartAdm)
	b.Run("events/member-upcoming-page", func(b *testing.B) {
		for b.Loop() {
			list, _, err := db.FindCalendarEvents(viewer, ksp.CalendarEventFilter{Upcoming: true, Now: time.Now(), Page: ksp.Page{Limit: 50}})
			if err != nil || len(list) != 50 {
				b.Fatalf("%d events, %v", len(list), err)
			}
		}
	})
	b.Run("events/public-feed-500", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := db.FindCalendarEvents(viewer, ksp.CalendarEventFilter{PublicOnly: true, Page: ksp.Page{Limit: 500}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	answers := map[string]string{}
	for i, q := range ksp.CurrentAssessmentTemplate.Questions {
		answers[q.ID] = q.Options[i%len(q.Options)].ID
	}
	for i := 0; i < 300; i++ {
		o := &ksp.Org{Name: fmt.Sprintf("Bench Platform %d", i), Kind: ksp.KindPlatform, Size: ksp.SizeSmall}
		if err := db.CreateOrg(Staff(), o); err != nil {
			b.Fatal(err)
		}
		ctx := ksp.NewContext(b.Context(), &ksp.Actor{UserID: ksp.NewID(), OrgID: o.ID, OrgKind: o.Kind, Role: ksp.RoleAnalyst, Name: "bench"})
		for range 2 {
			if _, err := db.SubmitAssessment(ctx, ksp.AssessmentInput{Answers: answers}); err != nil {
				b.Fatal(err)
			}
		}
	}
	staff := As(f.StaffOrg(b), f.StaffUser)
	b.Run("assessments/aggregate-300-orgs", func(b *testing.B) {
		for b.Loop() {
			a, err := db.AssessmentAggregate(staff)
			if err != nil || a.Orgs == nil || *a.Orgs != 300 {
				b.Fatalf("aggregate %+v, %v", a, err)
			}
		}
	})
}
