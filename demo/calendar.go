package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/kspplatform/ksp"
)

// SeedCalendar announces community events: a past public workshop with its
// full agenda and a recording, an upcoming public webinar (in the feed at
// /calendar.ics), and an upcoming members-only conference with Pixelboard's
// admin registered. A database that already has events is left alone.
func SeedCalendar(ctx context.Context, w *World) error {
	sys := ksp.NewContext(ctx, ksp.SystemActor("system:demo"))
	have, _, err := w.Store.FindCalendarEvents(sys, ksp.CalendarEventFilter{Page: ksp.Page{Limit: 1}})
	if err != nil {
		return fmt.Errorf("demo events: %w", err)
	}
	if len(have) > 0 {
		return nil
	}
	amina := ksp.NewContext(ctx, w.Actor(Staff[0].Local+"@"+staffDomain))
	vidstream := ksp.NewContext(ctx, w.Actor("analyst@vidstream.example"))
	pixelboard := ksp.NewContext(ctx, w.Actor("admin@pixelboard.example"))
	day := func(offset int, hour, minute int, zone string) time.Time {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			loc = time.UTC
		}
		d := time.Now().In(loc).AddDate(0, 0, offset)
		return time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, loc)
	}
	public := ksp.Sharing{Distribution: ksp.DistPublic, TLP: ksp.TLPClear}
	pastStart := day(-21, 9, 30, "Europe/Brussels")
	events := []struct {
		ctx context.Context
		e   *ksp.CalendarEvent
	}{
		{amina, &ksp.CalendarEvent{Kind: ksp.EventWorkshop, Title: "Writing your first terms of service on terrorist content",
			Description: "A hands-on workshop for start-ups and small platforms: define terrorist and violent extremist content, set up reporting and appeals, and publish your rules. Bring your current terms.",
			Start:       ksp.T(pastStart), End: ksp.T(pastStart.Add(6*time.Hour + 30*time.Minute)), TimeZone: "Europe/Brussels",
			Place: "Résidence Palace, Rue de la Loi 155, Brussels", OnlineURL: "https://meet.ksp-secretariat.example/tos-workshop",
			RecordingURL: "https://video.ksp-secretariat.example/recordings/tos-workshop",
			Agenda: []ksp.AgendaItem{
				{Time: "09:30", Speaker: "Amina Diallo", Affiliation: "KSP Secretariat", Title: "Welcome; why terms of service matter"},
				{Time: "10:00", Speaker: "Priya Raman", Affiliation: "Vidstream", Title: "Defining terrorist content: designation lists and behaviours"},
				{Time: "11:15", Speaker: "Yusuf Demir", Affiliation: "Institute for Online Extremism Research", Title: "What the research says about borderline content"},
				{Time: "12:30", Title: "Lunch"},
				{Time: "13:30", Speaker: "Ana Lima", Affiliation: "Digital Rights Watch", Title: "Appeals, statements of reasons, and protecting journalism"},
				{Time: "14:45", Speaker: "Lea Novak", Affiliation: "Pixelboard", Title: "A start-up's first draft, reviewed live"},
				{Time: "15:45", Speaker: "Jonas Berg", Affiliation: "KSP Secretariat", Title: "Next steps: mentoring and the library"},
			},
			Sharing: public}},
		{vidstream, &ksp.CalendarEvent{Kind: ksp.EventWebinar, Title: "Hash matching for small platforms, explained",
			Description: "How PDQ and MD5 matching work, how to review matches, and how to avoid false positives. Questions welcome.",
			Start:       ksp.T(day(9, 16, 0, "America/New_York")), End: ksp.T(day(9, 17, 30, "America/New_York")), TimeZone: "America/New_York",
			OnlineURL: "https://meet.vidstream.example/hash-webinar",
			Agenda: []ksp.AgendaItem{
				{Time: "16:00", Speaker: "Tomás Ortega", Affiliation: "Vidstream", Title: "Perceptual hashing in ten minutes"},
				{Time: "16:30", Speaker: "Sam Okafor", Affiliation: "Threadly", Title: "Our review queue, one year on"},
				{Time: "17:00", Title: "Questions and answers"},
			},
			Sharing: public}},
		{amina, &ksp.CalendarEvent{Kind: ksp.EventConference, Title: "Members' annual meeting",
			Description: "Two days for members only: the year's incidents, the transparency report, and the programme's plans.",
			Start:       ksp.T(day(30, 9, 0, "Europe/Brussels")), End: ksp.T(day(31, 17, 0, "Europe/Brussels")), TimeZone: "Europe/Brussels",
			Place: "Brussels", Sharing: ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen},
			Agenda: []ksp.AgendaItem{
				{Time: "09:00", Speaker: "Amina Diallo", Affiliation: "KSP Secretariat", Title: "The year in review"},
				{Time: day(31, 9, 0, "Europe/Brussels").Format("2006-01-02") + " 09:00", Title: "Working groups"},
			}}},
	}
	for _, x := range events {
		if err := w.Store.CreateCalendarEvent(x.ctx, x.e); err != nil {
			return fmt.Errorf("demo events: %s: %w", x.e.Title, err)
		}
	}
	if _, err := w.Store.RegisterForCalendarEvent(pixelboard, events[2].e.ID); err != nil {
		return fmt.Errorf("demo events: register: %w", err)
	}
	return nil
}
