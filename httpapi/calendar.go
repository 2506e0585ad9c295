package httpapi

import (
	"net/http"
	"time"

	"github.com/kspplatform/ksp"
)

func init() { RegisterEnum(ksp.CalendarEventKinds) }

// CalendarEventInput is the body of creating an event: kind is workshop,
// webinar or conference; distribution and tlp as for every shared item
// (public only with CLEAR). The three are plain strings here, checked by
// the store, so that a wrong value is refused naming its field. Start and end are
// RFC 3339 times, or wall-clock times without an offset
// ("2026-05-12T09:30") read in time_zone.
type CalendarEventInput struct {
	Kind         string           `json:"kind"`
	Title        string           `json:"title"`
	Description  string           `json:"description,omitempty"`
	Agenda       []ksp.AgendaItem `json:"agenda,omitempty"`
	Start        string           `json:"start"`
	End          string           `json:"end"`
	TimeZone     string           `json:"time_zone"`
	Place        string           `json:"place,omitempty"`
	OnlineURL    string           `json:"online_url,omitempty"`
	RecordingURL string           `json:"recording_url,omitempty"`
	Distribution string           `json:"distribution,omitempty"`
	Audience     []string         `json:"audience,omitempty"`
	TLP          string           `json:"tlp,omitempty"`
}

// CalendarEventPatch is the body of changing an event; absent fields are
// kept. Times are read as in CalendarEventInput.
type CalendarEventPatch struct {
	Kind         *string           `json:"kind,omitempty"`
	Title        *string           `json:"title,omitempty"`
	Description  *string           `json:"description,omitempty"`
	Agenda       *[]ksp.AgendaItem `json:"agenda,omitempty"`
	Start        *string           `json:"start,omitempty"`
	End          *string           `json:"end,omitempty"`
	TimeZone     *string           `json:"time_zone,omitempty"`
	Place        *string           `json:"place,omitempty"`
	OnlineURL    *string           `json:"online_url,omitempty"`
	RecordingURL *string           `json:"recording_url,omitempty"`
	Distribution *string           `json:"distribution,omitempty"`
	Audience     *[]string         `json:"audience,omitempty"`
	TLP          *string           `json:"tlp,omitempty"`
}

// ParseEventTime reads an event's start or end: RFC 3339, or a wall-clock
// time ("2006-01-02T15:04", seconds optional) in the IANA zone tz. Empty
// is the zero time (refused later as required). Web forms use it too.
func ParseEventTime(field, s, tz string) (ksp.Time, error) {
	if s == "" {
		return ksp.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return ksp.T(t), nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			if !ksp.ValidTimeZone(tz) {
				return ksp.Time{}, invalid("time_zone", "an IANA time zone name such as Europe/Brussels or UTC")
			}
			loc, _ := time.LoadLocation(tz)
			return ksp.T(time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc)), nil
		}
	}
	return ksp.Time{}, invalid(field, "an RFC 3339 time (2026-05-12T09:30:00+02:00) or a local time (2026-05-12T09:30) in time_zone")
}

// Event reads are Anonymous like the library's: without credentials they
// show public events. Registration records only the caller's own
// attendance, so the read scope suffices for it.
func (s *Server) calendarRoutes() []*Route {
	return []*Route{
		{Method: "GET", Path: "/api/v1/calendar/events", Summary: "Workshops, webinars and conferences the caller may see (no credentials: public ones), most recently created first; when=upcoming|past, kind",
			Anonymous: true, Role: ksp.RoleViewer, Scope: ksp.ScopeRead, Resp: ksp.CalendarEvent{}, List: true, Query: []string{"when", "kind", "limit", "cursor"}, handler: s.listCalendarEvents},
		{Method: "GET", Path: "/api/v1/calendar/events/{id}", Summary: "One event with its agenda", Anonymous: true, Role: ksp.RoleViewer, Scope: ksp.ScopeRead,
			Resp: ksp.CalendarEvent{}, handler: s.getCalendarEvent},
		{Method: "POST", Path: "/api/v1/calendar/events", Summary: "Announce an event, owned by your organisation (public events must be TLP:CLEAR)", Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit,
			Req: CalendarEventInput{}, Resp: ksp.CalendarEvent{}, Status: 201, handler: s.createCalendarEvent},
		{Method: "PATCH", Path: "/api/v1/calendar/events/{id}", Summary: "Change an event (its organisation or staff); recording_url once it has ended", Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit,
			Req: CalendarEventPatch{}, Resp: ksp.CalendarEvent{}, handler: s.patchCalendarEvent},
		{Method: "POST", Path: "/api/v1/calendar/events/{id}/registration", Summary: "Register yourself for an event (again: no change)", Role: ksp.RoleViewer, Scope: ksp.ScopeRead,
			Resp: ksp.CalendarEvent{}, handler: s.registerCalendarEvent},
		{Method: "DELETE", Path: "/api/v1/calendar/events/{id}/registration", Summary: "Withdraw your registration", Role: ksp.RoleViewer, Scope: ksp.ScopeRead,
			Resp: ksp.CalendarEvent{}, handler: s.unregisterCalendarEvent},
	}
}

func (s *Server) listCalendarEvents(r *http.Request) (any, error) {
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	f := ksp.CalendarEventFilter{Page: p, Now: time.Now()}
	q := r.URL.Query()
	switch q.Get("when") {
	case "":
	case "upcoming":
		f.Upcoming = true
	case "past":
		f.Past = true
	default:
		return nil, invalid("when", "upcoming or past")
	}
	if v := q.Get("kind"); v != "" {
		k := ksp.CalendarEventKind(v)
		f.Kind = &k
	}
	items, next, err := s.store.FindCalendarEvents(r.Context(), f)
	return list(items, next), err
}

func (s *Server) getCalendarEvent(r *http.Request) (any, error) {
	return s.store.FindCalendarEventByID(r.Context(), r.PathValue("id"))
}

func (s *Server) createCalendarEvent(r *http.Request) (any, error) {
	var in CalendarEventInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	e := &ksp.CalendarEvent{Kind: ksp.CalendarEventKind(in.Kind), Title: in.Title, Description: in.Description, Agenda: in.Agenda, TimeZone: in.TimeZone,
		Place: in.Place, OnlineURL: in.OnlineURL, RecordingURL: in.RecordingURL,
		Sharing: ksp.Sharing{Distribution: ksp.Distribution(in.Distribution), Audience: in.Audience, TLP: ksp.TLP(in.TLP)}}
	var err error
	if e.Start, err = ParseEventTime("start", in.Start, in.TimeZone); err != nil {
		return nil, err
	}
	if e.End, err = ParseEventTime("end", in.End, in.TimeZone); err != nil {
		return nil, err
	}
	if err := s.store.CreateCalendarEvent(r.Context(), e); err != nil {
		return nil, err
	}
	return e, nil
}

func (s *Server) patchCalendarEvent(r *http.Request) (any, error) {
	var in CalendarEventPatch
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	u := ksp.CalendarEventUpdate{Title: in.Title, Description: in.Description, Agenda: in.Agenda, TimeZone: in.TimeZone,
		Place: in.Place, OnlineURL: in.OnlineURL, RecordingURL: in.RecordingURL, Audience: in.Audience}
	if in.Kind != nil {
		k := ksp.CalendarEventKind(*in.Kind)
		u.Kind = &k
	}
	if in.Distribution != nil {
		d := ksp.Distribution(*in.Distribution)
		u.Distribution = &d
	}
	if in.TLP != nil {
		tlp := ksp.TLP(*in.TLP)
		u.TLP = &tlp
	}
	if in.Start != nil || in.End != nil {
		// Wall-clock times are read in the zone the event will have.
		tz := ""
		if in.TimeZone != nil {
			tz = *in.TimeZone
		} else if cur, err := s.store.FindCalendarEventByID(r.Context(), r.PathValue("id")); err == nil {
			tz = cur.TimeZone
		} else {
			return nil, err
		}
		for _, p := range []struct {
			field string
			in    *string
			out   **ksp.Time
		}{{"start", in.Start, &u.Start}, {"end", in.End, &u.End}} {
			if p.in == nil {
				continue
			}
			t, err := ParseEventTime(p.field, *p.in, tz)
			if err != nil {
				return nil, err
			}
			*p.out = &t
		}
	}
	return s.store.UpdateCalendarEvent(r.Context(), r.PathValue("id"), u)
}

func (s *Server) registerCalendarEvent(r *http.Request) (any, error) {
	return s.store.RegisterForCalendarEvent(r.Context(), r.PathValue("id"))
}

func (s *Server) unregisterCalendarEvent(r *http.Request) (any, error) {
	return s.store.UnregisterFromCalendarEvent(r.Context(), r.PathValue("id"))
}
