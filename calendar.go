package ksp

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	// The zone database is embedded so that an event's IANA time zone is
	// checked and converted the same way on every host, including
	// containers without /usr/share/zoneinfo.
	_ "time/tzdata"
)

// CalendarEventKind is what sort of gathering an event is.
type CalendarEventKind string

// Event kinds.
const (
	EventWorkshop   CalendarEventKind = "workshop"
	EventWebinar    CalendarEventKind = "webinar"
	EventConference CalendarEventKind = "conference"
)

// CalendarEventKinds lists every kind, for forms and validation.
var CalendarEventKinds = []CalendarEventKind{EventWorkshop, EventWebinar, EventConference}

// AgendaItem is one line of an event's programme. Time is wall-clock time
// in the event's time zone: "15:04" on the first day, or "2006-01-02 15:04"
// for a later day of a conference.
type AgendaItem struct {
	Time        string `json:"time"`
	Speaker     string `json:"speaker,omitempty"`
	Affiliation string `json:"affiliation,omitempty"`
	Title       string `json:"title"`
}

// CalendarEvent is a workshop, webinar or conference of the programme. It
// is shared like any item (public events are what /calendar.ics serves).
// Start and End are instants (shown in UTC in the API, like every time);
// TimeZone is the IANA zone the event is held in, which the agenda and the
// pages use for wall-clock times.
type CalendarEvent struct {
	ID          string            `json:"id"`
	Kind        CalendarEventKind `json:"kind"`
	Title       string            `json:"title"`
	Description string            `json:"description"`
	Agenda      []AgendaItem      `json:"agenda"`
	Start       Time              `json:"start"`
	End         Time              `json:"end"`
	TimeZone    string            `json:"time_zone"`
	Place       string            `json:"place,omitempty"`
	OnlineURL   string            `json:"online_url,omitempty"`
	// RecordingURL is added once the event is over.
	RecordingURL string `json:"recording_url,omitempty"`
	Sharing
	Created Time `json:"created_at"`
	Updated Time `json:"updated_at"`
	// Registered says whether the viewer (the person) is registered.
	Registered bool `json:"registered"`
	// Registrations is the number of people registered; shown to the
	// owner org and staff only (nil for others).
	Registrations *int `json:"registrations,omitempty"`
}

// Location returns the event's time zone (UTC when it cannot be loaded,
// which validation prevents for stored events).
func (e *CalendarEvent) Location() *time.Location {
	if loc, err := time.LoadLocation(e.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// Ended reports whether the event is over as of now.
func (e *CalendarEvent) Ended(now time.Time) bool { return !now.Before(e.End.Time) }

// CalendarEventFilter selects events. Upcoming keeps events not yet ended
// as of Now (the caller's clock); Past keeps ended ones.
type CalendarEventFilter struct {
	Kind     *CalendarEventKind
	Upcoming bool
	Past     bool
	// PublicOnly keeps public events whoever asks (the iCalendar feed).
	PublicOnly bool
	Now        time.Time
	Page       Page
}

// CalendarEventUpdate changes an event; nil fields are kept.
type CalendarEventUpdate struct {
	Kind         *CalendarEventKind `json:"kind,omitempty"`
	Title        *string            `json:"title,omitempty"`
	Description  *string            `json:"description,omitempty"`
	Agenda       *[]AgendaItem      `json:"agenda,omitempty"`
	Start        *Time              `json:"start,omitempty"`
	End          *Time              `json:"end,omitempty"`
	TimeZone     *string            `json:"time_zone,omitempty"`
	Place        *string            `json:"place,omitempty"`
	OnlineURL    *string            `json:"online_url,omitempty"`
	RecordingURL *string            `json:"recording_url,omitempty"`
	Distribution *Distribution      `json:"distribution,omitempty"`
	Audience     *[]string          `json:"audience,omitempty"`
	TLP          *TLP               `json:"tlp,omitempty"`
}

// Apply copies the set fields of u onto e.
func (u CalendarEventUpdate) Apply(e *CalendarEvent) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	if u.Kind != nil {
		e.Kind = *u.Kind
	}
	set(&e.Title, u.Title)
	set(&e.Description, u.Description)
	if u.Agenda != nil {
		e.Agenda = slices.Clone(*u.Agenda)
	}
	if u.Start != nil {
		e.Start = *u.Start
	}
	if u.End != nil {
		e.End = *u.End
	}
	set(&e.TimeZone, u.TimeZone)
	set(&e.Place, u.Place)
	set(&e.OnlineURL, u.OnlineURL)
	set(&e.RecordingURL, u.RecordingURL)
	if u.Distribution != nil {
		e.Distribution = *u.Distribution
		if *u.Distribution != DistAudience && u.Audience == nil {
			e.Audience = nil
		}
	}
	if u.Audience != nil {
		e.Audience = slices.Clone(*u.Audience)
	}
	if u.TLP != nil {
		e.TLP = *u.TLP
	}
}

// CalendarService keeps the programme's events and who registered.
// Members with the analyst role create events owned by their org; the
// owner org and staff change them; anyone who may see an event registers.
type CalendarService interface {
	// FindCalendarEventByID returns an event the actor may see.
	FindCalendarEventByID(ctx context.Context, id string) (*CalendarEvent, error)
	// FindCalendarEvents lists the events the actor may see, most recently
	// created first.
	FindCalendarEvents(ctx context.Context, f CalendarEventFilter) ([]*CalendarEvent, string, error)
	// CreateCalendarEvent adds an event owned by the actor's org.
	CreateCalendarEvent(ctx context.Context, e *CalendarEvent) error
	// UpdateCalendarEvent changes an event (its org's analysts or staff).
	UpdateCalendarEvent(ctx context.Context, id string, u CalendarEventUpdate) (*CalendarEvent, error)
	// RegisterForCalendarEvent registers the acting person; doing it twice
	// changes nothing.
	RegisterForCalendarEvent(ctx context.Context, id string) (*CalendarEvent, error)
	// UnregisterFromCalendarEvent withdraws the acting person's
	// registration.
	UnregisterFromCalendarEvent(ctx context.Context, id string) (*CalendarEvent, error)
}

// Calendar text limits, in bytes.
const (
	maxEventTitle    = 200
	maxEventText     = 20000
	maxAgendaItems   = 100
	maxAgendaField   = 300
	maxEventURL      = 2000
	maxEventDuration = 31 * 24 * time.Hour
)

var agendaTimeRE = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2} )?\d{2}:\d{2}$`)

// ValidTimeZone reports whether name is an IANA zone name KSP accepts:
// loadable, and not the host-dependent "Local" nor empty.
func ValidTimeZone(name string) bool {
	if name == "" || name == "Local" || len(name) > 64 {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// ValidWebURL reports whether s is an absolute http or https URL with a
// host (the only links an event page and a calendar app should follow).
func ValidWebURL(s string) bool {
	if len(s) > maxEventURL || strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

// ValidateCalendarEvent checks and tidies an event, recording problems in
// f under the API's field names. now decides whether a recording may be
// linked yet (only once the event has ended).
func ValidateCalendarEvent(e *CalendarEvent, now time.Time, f *Fields) {
	e.Title = strings.TrimSpace(e.Title)
	e.Description = strings.TrimSpace(e.Description)
	e.TimeZone = strings.TrimSpace(e.TimeZone)
	e.Place = strings.TrimSpace(e.Place)
	e.OnlineURL = strings.TrimSpace(e.OnlineURL)
	e.RecordingURL = strings.TrimSpace(e.RecordingURL)
	switch {
	case e.Title == "":
		f.Add("title", "required")
	case len(e.Title) > maxEventTitle:
		f.Add("title", "at most 200 bytes")
	}
	if !slices.Contains(CalendarEventKinds, e.Kind) {
		f.Add("kind", "must be workshop, webinar or conference")
	}
	if len(e.Description) > maxEventText {
		f.Add("description", "at most 20000 bytes")
	}
	tzOK := ValidTimeZone(e.TimeZone)
	if !tzOK {
		f.Add("time_zone", "an IANA time zone name such as Europe/Brussels or UTC")
	}
	switch {
	case e.Start.IsZero():
		f.Add("start", "required (RFC 3339)")
	case e.End.IsZero():
		f.Add("end", "required (RFC 3339)")
	case !e.End.After(e.Start.Time):
		f.Add("end", "must be after start")
	case e.End.Sub(e.Start.Time) > maxEventDuration:
		f.Add("end", "an event lasts at most 31 days")
	}
	e.Start, e.End = T(e.Start.Time), T(e.End.Time)
	if len(e.Place) > maxAgendaField {
		f.Add("place", "at most 300 bytes")
	}
	if e.OnlineURL != "" && !ValidWebURL(e.OnlineURL) {
		f.Add("online_url", "an http or https address")
	}
	if e.Place == "" && e.OnlineURL == "" {
		f.Add("place", "give a place or an online link")
	}
	if e.RecordingURL != "" {
		switch {
		case !ValidWebURL(e.RecordingURL):
			f.Add("recording_url", "an http or https address")
		case !e.End.IsZero() && now.Before(e.End.Time):
			f.Add("recording_url", "a recording can be linked once the event has ended")
		}
	}
	validateAgenda(e, f)
	if e.Distribution == "" {
		e.Distribution = DefaultDistribution
	}
	if e.TLP == "" {
		e.TLP = DefaultTLP
	}
	e.TLP = TLP(strings.ToUpper(string(e.TLP)))
	e.Audience = normList(e.Audience)
	ValidateSharing(e.Sharing, true, f)
}

func validateAgenda(e *CalendarEvent, f *Fields) {
	if len(e.Agenda) > maxAgendaItems {
		f.Add("agenda", "at most 100 items")
		return
	}
	out := make([]AgendaItem, 0, len(e.Agenda))
	for i, it := range e.Agenda {
		it.Time = strings.TrimSpace(it.Time)
		it.Speaker = strings.TrimSpace(it.Speaker)
		it.Affiliation = strings.TrimSpace(it.Affiliation)
		it.Title = strings.TrimSpace(it.Title)
		if it == (AgendaItem{}) {
			continue // an empty row of the editor
		}
		field := func(name string) string { return "agenda[" + strconv.Itoa(i) + "]." + name }
		if it.Title == "" {
			f.Add(field("title"), "required")
		}
		if !agendaTimeRE.MatchString(it.Time) || !validAgendaTime(it.Time) {
			f.Add(field("time"), "a time such as 09:30, or 2026-05-12 09:30 for a later day")
		}
		for _, s := range []struct{ name, v string }{{"title", it.Title}, {"speaker", it.Speaker}, {"affiliation", it.Affiliation}} {
			if len(s.v) > maxAgendaField {
				f.Add(field(s.name), "at most 300 bytes")
			}
		}
		out = append(out, it)
	}
	e.Agenda = out
}

func validAgendaTime(s string) bool {
	layout := "15:04"
	if len(s) > 5 {
		layout = "2006-01-02 15:04"
	}
	_, err := time.Parse(layout, s)
	return err == nil
}
