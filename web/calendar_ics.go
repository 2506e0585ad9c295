package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/ical"
)

// calendarFeedLimit bounds the events in /calendar.ics (the most recently
// announced public ones).
const calendarFeedLimit = 500

// serveCalendarFeed serves /calendar.ics: the public events as iCalendar
// (RFC 5545). It runs outside the session middleware and acts as nobody,
// whoever asks, so a signed-in staff member's subscription never carries
// more than the public feed. Times carry their TZID with a VTIMEZONE built
// from the zone database (events in UTC are written as UTC), which Google
// Calendar, Apple Calendar, Outlook and Thunderbird import with the
// event's own wall-clock time.
func (s *Server) serveCalendarFeed(w http.ResponseWriter, r *http.Request) {
	ctx := ksp.NewContext(context.WithoutCancel(r.Context()), nil)
	list, _, err := s.store.FindCalendarEvents(ctx, ksp.CalendarEventFilter{PublicOnly: true, Page: ksp.Page{Limit: calendarFeedLimit}})
	if err != nil {
		s.log.Error("web: calendar feed", "err", err)
		http.Error(w, "calendar feed unavailable", http.StatusInternalServerError)
		return
	}
	cal := s.calendarFeed(list)
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="ksp-events.ics"`)
	w.Header().Set("Cache-Control", "public, max-age=300")
	if r.Method == http.MethodHead {
		return
	}
	if _, err := cal.WriteTo(w); err != nil {
		s.log.Warn("web: write calendar feed", "err", err)
	}
}

// calendarFeed turns events into the feed's calendar.
func (s *Server) calendarFeed(list []*ksp.CalendarEvent) *ical.Calendar {
	base := s.cfg.PublicURL
	if base == "" {
		base = "http://localhost"
	}
	host := "ksp.invalid"
	if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	cal := &ical.Calendar{ProdID: "-//KSP//Community events//EN", Name: "KSP community events"}
	for _, e := range list {
		ev := ical.Event{UID: e.ID + "@" + host, Stamp: e.Updated.Time, Start: e.Start.Time, End: e.End.Time, Location: e.Location(),
			Summary: e.Title, Description: calendarDescription(e), Place: e.Place, URL: base + "/community/events/" + e.ID,
			Categories: []string{humanOf(e.Kind)}}
		if ev.Place == "" {
			ev.Place = e.OnlineURL
		}
		cal.Events = append(cal.Events, ev)
	}
	return cal
}

// calendarDescription is an event's DESCRIPTION: its text, the agenda
// (times in the event's zone, named) and its links.
func calendarDescription(e *ksp.CalendarEvent) string {
	var b strings.Builder
	b.WriteString(e.Description)
	if len(e.Agenda) > 0 {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		fmt.Fprintf(&b, "Agenda (times in %s):", e.TimeZone)
		for _, it := range e.Agenda {
			b.WriteString("\n" + it.Time + " " + it.Title)
			switch {
			case it.Speaker != "" && it.Affiliation != "":
				b.WriteString(" — " + it.Speaker + " (" + it.Affiliation + ")")
			case it.Speaker != "":
				b.WriteString(" — " + it.Speaker)
			}
		}
	}
	for _, l := range []struct{ label, url string }{{"Join online", e.OnlineURL}, {"Recording", e.RecordingURL}} {
		if l.url != "" {
			b.WriteString("\n\n" + l.label + ": " + l.url)
		}
	}
	return strings.TrimSpace(b.String())
}
