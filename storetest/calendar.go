package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

// calendarEventFor returns a valid upcoming event shared as s.
func calendarEventFor(s ksp.Sharing, title string) *ksp.CalendarEvent {
	start := time.Now().Add(7 * 24 * time.Hour).Truncate(time.Hour)
	return &ksp.CalendarEvent{Kind: ksp.EventWorkshop, Title: title, Description: "Writing your first terms of service",
		Start: ksp.T(start), End: ksp.T(start.Add(2 * time.Hour)), TimeZone: "Europe/Brussels", Place: "Brussels, room 2",
		Agenda:  []ksp.AgendaItem{{Time: "10:00", Speaker: "A. Expert", Affiliation: "Big Platform", Title: "Welcome"}, {}},
		Sharing: s}
}

// testCalendarEvents checks the life of an event: create, read back,
// change by its owner only, register and unregister, audit.
func testCalendarEvents(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	owner := As(f.Platform, f.PlatAdmin)
	e := calendarEventFor(ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen}, "ToS workshop")
	must(t, db.CreateCalendarEvent(owner, e))
	if e.ID == "" || e.OwnerOrgID != f.Platform.ID || len(e.Agenda) != 1 {
		t.Fatalf("created %+v", e)
	}
	got, err := db.FindCalendarEventByID(As(f.Startup, f.StartAdm), e.ID)
	must(t, err)
	if got.Title != e.Title || got.TimeZone != "Europe/Brussels" || !got.Start.Equal(e.Start.Time) || got.Agenda[0].Speaker != "A. Expert" {
		t.Fatalf("read back %+v", got)
	}
	if got.Registrations != nil {
		t.Fatal("another org is shown the registration count")
	}
	// A viewer may not create; another org may not change.
	wantCode(t, db.CreateCalendarEvent(As(f.Platform, f.PlatView), calendarEventFor(ksp.Sharing{}, "x")), ksp.EFORBIDDEN)
	title := "Changed"
	_, err = db.UpdateCalendarEvent(As(f.Startup, f.StartAdm), e.ID, ksp.CalendarEventUpdate{Title: &title})
	wantCode(t, err, ksp.EFORBIDDEN)
	up, err := db.UpdateCalendarEvent(owner, e.ID, ksp.CalendarEventUpdate{Title: &title})
	must(t, err)
	if up.Title != "Changed" || up.Place != e.Place {
		t.Fatalf("after update %+v", up)
	}
	// A recording may be linked only once the event has ended.
	rec := "https://video.example/rec"
	_, err = db.UpdateCalendarEvent(owner, e.ID, ksp.CalendarEventUpdate{RecordingURL: &rec})
	wantCode(t, err, ksp.EINVALID)

	// Registration: idempotent, per person, counted for the owner.
	viewer := As(f.Startup, f.StartAdm)
	for range 2 {
		r, err := db.RegisterForCalendarEvent(viewer, e.ID)
		must(t, err)
		if !r.Registered {
			t.Fatal("not registered after registering")
		}
	}
	_, err = db.RegisterForCalendarEvent(As(f.Platform, f.PlatView), e.ID)
	must(t, err)
	mine, err := db.FindCalendarEventByID(owner, e.ID)
	must(t, err)
	if mine.Registrations == nil || *mine.Registrations != 2 || mine.Registered {
		t.Fatalf("owner sees registrations %v registered %v", mine.Registrations, mine.Registered)
	}
	r, err := db.UnregisterFromCalendarEvent(viewer, e.ID)
	must(t, err)
	if r.Registered {
		t.Fatal("still registered after unregistering")
	}
	mine, err = db.FindCalendarEventByID(owner, e.ID)
	must(t, err)
	if *mine.Registrations != 1 {
		t.Fatalf("registrations after unregister = %d", *mine.Registrations)
	}
	// Anonymous visitors cannot register, even for public events.
	_, err = db.RegisterForCalendarEvent(context.Background(), e.ID)
	wantCode(t, err, ksp.EUNAUTHORIZED)

	// A past event: no registration, but a recording may be linked.
	past := calendarEventFor(ksp.Sharing{Distribution: ksp.DistPublic, TLP: ksp.TLPClear}, "Past webinar")
	past.Start, past.End = ksp.T(time.Now().Add(-48*time.Hour)), ksp.T(time.Now().Add(-47*time.Hour))
	past.RecordingURL = rec
	must(t, db.CreateCalendarEvent(owner, past))
	_, err = db.RegisterForCalendarEvent(viewer, past.ID)
	wantCode(t, err, ksp.ECONFLICT)

	now := time.Now()
	for _, c := range []struct {
		f    ksp.CalendarEventFilter
		want []string
	}{
		{ksp.CalendarEventFilter{Upcoming: true, Now: now}, []string{e.ID}},
		{ksp.CalendarEventFilter{Past: true, Now: now}, []string{past.ID}},
		{ksp.CalendarEventFilter{}, []string{past.ID, e.ID}},
		{ksp.CalendarEventFilter{PublicOnly: true}, []string{past.ID}},
	} {
		list, _, err := db.FindCalendarEvents(viewer, c.f)
		must(t, err)
		if ids := calendarIDs(list); strings.Join(ids, ",") != strings.Join(c.want, ",") {
			t.Fatalf("filter %+v listed %v, want %v", c.f, ids, c.want)
		}
	}
	var n int
	must(t, db.SQL().QueryRow(`SELECT COUNT(*) FROM audit_events WHERE action LIKE 'calendar_event.%'`).Scan(&n))
	if n != 6 { // two creates, one update, three registration changes
		t.Fatalf("calendar audit events = %d, want 6", n)
	}
}

func calendarIDs(list []*ksp.CalendarEvent) []string {
	var ids []string
	for _, e := range list {
		ids = append(ids, e.ID)
	}
	return ids
}

// testCalendarVisibility stores one event for every valid sharing and
// checks each viewer sees exactly what ksp.CanSee allows: by id, in lists,
// for registration; and that the public feed holds only public events.
func testCalendarVisibility(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	owner := As(f.Platform, f.PlatAdmin)
	var all []*ksp.CalendarEvent
	for _, s := range validSharings(f.Platform.ID, f.Startup.ID) {
		e := calendarEventFor(s, string(s.Distribution)+" "+string(s.TLP))
		must(t, db.CreateCalendarEvent(owner, e))
		all = append(all, e)
	}
	suspended := &ksp.Org{Name: "Gone Quiet", Kind: ksp.KindPlatform, Size: ksp.SizeSmall}
	must(t, db.CreateOrg(Staff(), suspended))
	sus, _, err := db.CreateUser(Staff(), suspended.ID, ksp.NewUser{Email: "x@quiet.example", Name: "x", Role: ksp.RoleAdmin, Password: "a long enough password"})
	must(t, err)
	st := ksp.OrgStatusSuspended
	_, err = db.UpdateOrg(Staff(), suspended.ID, ksp.OrgUpdate{Status: &st})
	must(t, err)
	suspended.Status = ksp.OrgStatusSuspended
	viewers := map[string]context.Context{
		"staff":     As(f.StaffOrg(t), f.StaffUser),
		"owner":     owner,
		"audience":  As(f.Startup, f.StartAdm),
		"other":     As(f.Gov, f.GovAdmin),
		"suspended": As(suspended, sus),
		"anonymous": context.Background(),
	}
	for name, ctx := range viewers {
		t.Run(name, func(t *testing.T) {
			v := ksp.ActorFrom(ctx).Viewer()
			list, _, err := db.FindCalendarEvents(ctx, ksp.CalendarEventFilter{Page: ksp.Page{Limit: 1000}})
			must(t, err)
			listed := map[string]bool{}
			for _, e := range list {
				listed[e.ID] = true
			}
			for _, e := range all {
				want := ksp.CanSee(v, e.Sharing)
				if listed[e.ID] != want {
					t.Fatalf("%s: listed %v, CanSee %v", e.Title, listed[e.ID], want)
				}
				_, err := db.FindCalendarEventByID(ctx, e.ID)
				if want {
					must(t, err)
				} else {
					wantCode(t, err, ksp.ENOTFOUND)
					// Registering for an invisible event is the same 404.
					if !v.Anonymous() && !v.Suspended {
						_, err = db.RegisterForCalendarEvent(ctx, e.ID)
						wantCode(t, err, ksp.ENOTFOUND)
					}
				}
			}
			feed, _, err := db.FindCalendarEvents(ctx, ksp.CalendarEventFilter{PublicOnly: true, Page: ksp.Page{Limit: 1000}})
			must(t, err)
			if len(feed) != 1 || feed[0].Distribution != ksp.DistPublic {
				t.Fatalf("public feed for %s = %v", name, calendarIDs(feed))
			}
		})
	}
	// Suspended orgs see public events but may not register.
	for _, e := range all {
		if e.Distribution == ksp.DistPublic {
			_, err := db.RegisterForCalendarEvent(viewers["suspended"], e.ID)
			wantCode(t, err, ksp.EFORBIDDEN)
		}
	}
	// An outsider cannot change an event it cannot see: 404, not 403.
	title := "hijacked"
	for _, e := range all {
		if e.Distribution == ksp.DistOwner {
			_, err := db.UpdateCalendarEvent(As(f.Startup, f.StartAdm), e.ID, ksp.CalendarEventUpdate{Title: &title})
			wantCode(t, err, ksp.ENOTFOUND)
		}
	}
}

// testCalendarBadInput checks each kind of bad input is refused naming
// its field, and that nothing is written.
func testCalendarBadInput(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	ctx := As(f.Platform, f.PlatAdmin)
	now := time.Now()
	cases := []struct {
		name  string
		edit  func(e *ksp.CalendarEvent)
		field string
	}{
		{"empty title", func(e *ksp.CalendarEvent) { e.Title = "  " }, "title"},
		{"unknown kind", func(e *ksp.CalendarEvent) { e.Kind = "party" }, "kind"},
		{"end before start", func(e *ksp.CalendarEvent) { e.End = ksp.T(e.Start.Add(-time.Hour)) }, "end"},
		{"end equals start", func(e *ksp.CalendarEvent) { e.End = e.Start }, "end"},
		{"no start", func(e *ksp.CalendarEvent) { e.Start = ksp.Time{} }, "start"},
		{"too long", func(e *ksp.CalendarEvent) { e.End = ksp.T(e.Start.Add(40 * 24 * time.Hour)) }, "end"},
		{"unknown time zone", func(e *ksp.CalendarEvent) { e.TimeZone = "Mars/Olympus_Mons" }, "time_zone"},
		{"Local time zone", func(e *ksp.CalendarEvent) { e.TimeZone = "Local" }, "time_zone"},
		{"no time zone", func(e *ksp.CalendarEvent) { e.TimeZone = "" }, "time_zone"},
		{"javascript link", func(e *ksp.CalendarEvent) { e.OnlineURL = "javascript:alert(1)" }, "online_url"},
		{"relative link", func(e *ksp.CalendarEvent) { e.OnlineURL = "/join" }, "online_url"},
		{"no place nor link", func(e *ksp.CalendarEvent) { e.Place = "" }, "place"},
		{"bad recording link", func(e *ksp.CalendarEvent) { e.RecordingURL = "ftp://x.example/r" }, "recording_url"},
		{"recording before the end", func(e *ksp.CalendarEvent) { e.RecordingURL = "https://x.example/r" }, "recording_url"},
		{"agenda without title", func(e *ksp.CalendarEvent) { e.Agenda = []ksp.AgendaItem{{Time: "10:00", Speaker: "x"}} }, "agenda[0].title"},
		{"agenda bad time", func(e *ksp.CalendarEvent) { e.Agenda = []ksp.AgendaItem{{Time: "25:99", Title: "x"}} }, "agenda[0].time"},
		{"public but GREEN", func(e *ksp.CalendarEvent) { e.Sharing = ksp.Sharing{Distribution: ksp.DistPublic, TLP: ksp.TLPGreen} }, "tlp"},
		{"RED to members", func(e *ksp.CalendarEvent) { e.Sharing = ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPRed} }, "distribution"},
		{"audience unknown org", func(e *ksp.CalendarEvent) {
			e.Sharing = ksp.Sharing{Distribution: ksp.DistAudience, TLP: ksp.TLPAmber, Audience: []string{ksp.NewID()}}
		}, "audience"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := calendarEventFor(ksp.Sharing{}, "Valid")
			c.edit(e)
			err := db.CreateCalendarEvent(ctx, e)
			wantCode(t, err, ksp.EINVALID)
			var ke *ksp.Error
			if !errors.As(err, &ke) || len(ke.Fields) == 0 || ke.Fields[0].Field != c.field {
				t.Fatalf("error %v does not name %s first", err, c.field)
			}
		})
	}
	list, _, err := db.FindCalendarEvents(Staff(), ksp.CalendarEventFilter{Now: now})
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("bad input wrote %d events", len(list))
	}
	// Bad updates change nothing.
	e := calendarEventFor(ksp.Sharing{}, "Valid")
	must(t, db.CreateCalendarEvent(ctx, e))
	end := ksp.T(e.Start.Add(-time.Minute))
	_, err = db.UpdateCalendarEvent(ctx, e.ID, ksp.CalendarEventUpdate{End: &end})
	wantCode(t, err, ksp.EINVALID)
	got, err := db.FindCalendarEventByID(ctx, e.ID)
	must(t, err)
	if !got.End.Equal(e.End.Time) {
		t.Fatal("a refused update changed the end")
	}
	_, err = db.FindCalendarEventByID(ctx, "not-an-id")
	wantCode(t, err, ksp.ENOTFOUND)
	kind := ksp.CalendarEventKind("party")
	_, _, err = db.FindCalendarEvents(ctx, ksp.CalendarEventFilter{Kind: &kind})
	wantCode(t, err, ksp.EINVALID)
}
