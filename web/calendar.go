package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
)

// Community events: the list (upcoming and past), an event's page with
// its agenda and a register button, and the editor for analysts. Reads go
// through the store's sharing rule: anonymous visitors see public events.

func init() {
	funcs["calendarWhen"] = calendarWhen
	funcs["calendarKind"] = func(k ksp.CalendarEventKind) string { return calendarKindWords[k] }
	funcs["calendarRow"] = func(i int) int { return i + 1 }
	funcs["calendarParas"] = calendarParas
}

var calendarKindWords = map[ksp.CalendarEventKind]string{ksp.EventWorkshop: "Workshop", ksp.EventWebinar: "Webinar", ksp.EventConference: "Conference"}

// agendaRowsBlank is how many empty agenda rows the editor offers.
const agendaRowsBlank = 3

func (s *Server) registerCalendar() {
	s.Handle("GET /community/events", Public, s.calendarEvents)
	s.Handle("GET /community/events/new", SignedIn, s.calendarNewForm)
	s.Handle("POST /community/events", SignedIn, s.calendarCreate)
	s.Handle("GET /community/events/{id}", Public, s.calendarEvent)
	s.Handle("GET /community/events/{id}/edit", SignedIn, s.calendarEditForm)
	s.Handle("POST /community/events/{id}", SignedIn, s.calendarUpdate)
	s.Handle("POST /community/events/{id}/registration", SignedIn, s.calendarRegister)
	// The feed skips the session middleware: it is the same for everyone.
	s.mux.HandleFunc("GET /calendar.ics", s.serveCalendarFeed)
	s.AddNav(NavItem{Label: "Events", Path: "/community/events", Show: Public})
	s.AddPanel(Panel{Title: "What's new for you", Render: s.whatsNewPanel})
}

// calendarWhen renders an event's time span in its own zone, with the
// instants for machines.
func calendarWhen(e *ksp.CalendarEvent) template.HTML {
	loc := e.Location()
	start, end := e.Start.In(loc), e.End.In(loc)
	zone := start.Format("MST")
	endFmt := "15:04"
	if start.YearDay() != end.YearDay() || start.Year() != end.Year() {
		endFmt = "Mon 2 Jan 2006, 15:04"
	}
	return template.HTML(fmt.Sprintf(`<time datetime="%s">%s</time> – <time datetime="%s">%s</time> %s (%s)`,
		ksp.FormatTime(e.Start.Time), template.HTMLEscapeString(start.Format("Mon 2 Jan 2006, 15:04")),
		ksp.FormatTime(e.End.Time), template.HTMLEscapeString(end.Format(endFmt)),
		template.HTMLEscapeString(zone), template.HTMLEscapeString(e.TimeZone)))
}

// CalendarListData is the events list's content.
type CalendarListData struct {
	Upcoming, Past []*ksp.CalendarEvent
	CanCreate      bool
	SignedIn       bool
	FeedURL        string
}

func (s *Server) calendarEvents(w http.ResponseWriter, r *http.Request) error {
	a := ksp.ActorFrom(r.Context())
	now := time.Now()
	up, _, err := s.store.FindCalendarEvents(r.Context(), ksp.CalendarEventFilter{Upcoming: true, Now: now, Page: ksp.Page{Limit: 200}})
	if err != nil {
		return err
	}
	past, _, err := s.store.FindCalendarEvents(r.Context(), ksp.CalendarEventFilter{Past: true, Now: now, Page: ksp.Page{Limit: 50}})
	if err != nil {
		return err
	}
	slices.SortFunc(up, func(x, y *ksp.CalendarEvent) int { return x.Start.Compare(y.Start.Time) })
	slices.SortFunc(past, func(x, y *ksp.CalendarEvent) int { return y.Start.Compare(x.Start.Time) })
	d := CalendarListData{Upcoming: up, Past: past, SignedIn: a != nil, CanCreate: a.HasRole(ksp.RoleAnalyst) && !a.Suspended, FeedURL: s.link(r, "/calendar.ics", nil)}
	return s.render(w, r, http.StatusOK, "community_events.html", &Page{Title: "Events", Data: d})
}

// CalendarEventData is an event page's content.
type CalendarEventData struct {
	Event    *ksp.CalendarEvent
	CanEdit  bool
	SignedIn bool
	Ended    bool
	Audience []string
	// ShowCount is set for the owner org and staff, who see how many
	// registered.
	ShowCount     bool
	Registrations int
}

func (s *Server) calendarEvent(w http.ResponseWriter, r *http.Request) error {
	a := ksp.ActorFrom(r.Context())
	e, err := s.store.FindCalendarEventByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	d := CalendarEventData{Event: e, SignedIn: a != nil, Ended: e.Ended(time.Now()),
		CanEdit: a.HasRole(ksp.RoleAnalyst) && !a.Suspended && (a.Staff || a.OrgID == e.OwnerOrgID)}
	if e.Registrations != nil {
		d.ShowCount, d.Registrations = true, *e.Registrations
	}
	for _, id := range e.Audience {
		if o, err := s.store.FindOrgByID(r.Context(), id); err == nil {
			d.Audience = append(d.Audience, o.Name)
		}
	}
	return s.render(w, r, http.StatusOK, "community_event.html", &Page{Title: e.Title, Data: d})
}

func (s *Server) calendarRegister(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var err error
	var e *ksp.CalendarEvent
	if r.PostFormValue("action") == "unregister" {
		if e, err = s.store.UnregisterFromCalendarEvent(r.Context(), id); err == nil {
			s.flash(w, r, "success", "Your registration for “"+e.Title+"” is withdrawn.")
		}
	} else if e, err = s.store.RegisterForCalendarEvent(r.Context(), id); err == nil {
		s.flash(w, r, "success", "You are registered for “"+e.Title+"”.")
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/community/events/"+id)
}

// CalendarFormData is the editor's content.
type CalendarFormData struct {
	Action, Heading, Submit string
	Kinds, Distributions    []Choice
	TLPs, Audience          []Choice
	AgendaRows              []int
	Ended                   bool
}

var calendarLabels = map[string]string{
	"title": "Title", "kind": "Kind", "description": "Description", "start": "Start", "end": "End", "time_zone": "Time zone",
	"place": "Place", "online_url": "Online link", "recording_url": "Recording link", "distribution": "Who can see it",
	"audience": "Organisations", "tlp": "TLP", "agenda": "Agenda",
}

func (s *Server) calendarForm(w http.ResponseWriter, r *http.Request, status int, p *Page, action string, ended bool) error {
	d := CalendarFormData{Action: action, Heading: "Announce an event", Submit: "Announce event", Ended: ended,
		Kinds: choicesOf(ksp.CalendarEventKinds, nil, func(k ksp.CalendarEventKind) string { return calendarKindWords[k] }),
		Distributions: choicesOf([]ksp.Distribution{ksp.DistMembers, ksp.DistPublic, ksp.DistAudience, ksp.DistOwner}, nil, func(d ksp.Distribution) string {
			return map[ksp.Distribution]string{ksp.DistMembers: "All members", ksp.DistAudience: "Organisations I choose", ksp.DistOwner: "My organisation only", ksp.DistPublic: "Anyone (public, listed in the calendar feed; TLP:CLEAR only)"}[d]
		}),
		TLPs: choicesOf(ksp.TLPs, tlpWords, func(t ksp.TLP) string { return "TLP:" + string(t) }),
	}
	if action != "/community/events" {
		d.Heading, d.Submit = "Change the event", "Save changes"
	}
	var err error
	if d.Audience, err = s.audienceChoices(r, ksp.ActorFrom(r.Context()).OrgID); err != nil {
		return err
	}
	n := 0
	for p.Form.Has(fmt.Sprintf("agenda[%d].time", n)) {
		n++
	}
	for i := 0; i < n+agendaRowsBlank; i++ {
		d.AgendaRows = append(d.AgendaRows, i)
	}
	p.Title, p.Data = d.Heading, d
	return s.render(w, r, status, "community_event_edit.html", p)
}

func (s *Server) calendarNewForm(w http.ResponseWriter, r *http.Request) error {
	if a := ksp.ActorFrom(r.Context()); !a.HasRole(ksp.RoleAnalyst) || a.Suspended {
		return ksp.Errorf(ksp.EFORBIDDEN, "announcing events needs the analyst role")
	}
	form := url.Values{"kind": {string(ksp.EventWorkshop)}, "time_zone": {"UTC"}, "distribution": {string(ksp.DefaultDistribution)}, "tlp": {string(ksp.DefaultTLP)}}
	return s.calendarForm(w, r, http.StatusOK, &Page{Form: form}, "/community/events", false)
}

func (s *Server) calendarEditForm(w http.ResponseWriter, r *http.Request) error {
	e, err := s.store.FindCalendarEventByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if a := ksp.ActorFrom(r.Context()); !a.HasRole(ksp.RoleAnalyst) || (!a.Staff && a.OrgID != e.OwnerOrgID) {
		return ksp.Errorf(ksp.EFORBIDDEN, "only analysts of the organisation that announced the event, or staff, can change it")
	}
	loc := e.Location()
	form := url.Values{"kind": {string(e.Kind)}, "title": {e.Title}, "description": {e.Description},
		"start": {e.Start.In(loc).Format("2006-01-02T15:04")}, "end": {e.End.In(loc).Format("2006-01-02T15:04")}, "time_zone": {e.TimeZone},
		"place": {e.Place}, "online_url": {e.OnlineURL}, "recording_url": {e.RecordingURL},
		"distribution": {string(e.Distribution)}, "tlp": {string(e.TLP)}, "audience": e.Audience}
	for i, it := range e.Agenda {
		form.Set(fmt.Sprintf("agenda[%d].time", i), it.Time)
		form.Set(fmt.Sprintf("agenda[%d].speaker", i), it.Speaker)
		form.Set(fmt.Sprintf("agenda[%d].affiliation", i), it.Affiliation)
		form.Set(fmt.Sprintf("agenda[%d].title", i), it.Title)
	}
	return s.calendarForm(w, r, http.StatusOK, &Page{Form: form}, "/community/events/"+e.ID, e.Ended(time.Now()))
}

// calendarFromForm reads the editor's fields into an event. Wall-clock
// start and end are read in the chosen zone.
func calendarFromForm(form url.Values) (*ksp.CalendarEvent, *ksp.Fields) {
	var f ksp.Fields
	tz := strings.TrimSpace(form.Get("time_zone"))
	e := &ksp.CalendarEvent{Kind: ksp.CalendarEventKind(form.Get("kind")), Title: form.Get("title"), Description: form.Get("description"),
		TimeZone: tz, Place: form.Get("place"), OnlineURL: form.Get("online_url"), RecordingURL: form.Get("recording_url"),
		Sharing: ksp.Sharing{Distribution: ksp.Distribution(form.Get("distribution")), TLP: ksp.TLP(form.Get("tlp"))}}
	if e.Distribution == ksp.DistAudience {
		e.Audience = form["audience"]
	}
	loc := time.UTC
	if ksp.ValidTimeZone(tz) {
		loc, _ = time.LoadLocation(tz)
	}
	for _, p := range []struct {
		name string
		dst  *ksp.Time
	}{{"start", &e.Start}, {"end", &e.End}} {
		v := strings.TrimSpace(form.Get(p.name))
		if v == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02T15:04", v, loc)
		if err != nil {
			f.Add(p.name, "a date and time such as 2026-05-12T09:30")
			continue
		}
		*p.dst = ksp.T(t)
	}
	for i := 0; form.Has(fmt.Sprintf("agenda[%d].time", i)); i++ {
		get := func(k string) string { return form.Get(fmt.Sprintf("agenda[%d].%s", i, k)) }
		e.Agenda = append(e.Agenda, ksp.AgendaItem{Time: get("time"), Speaker: get("speaker"), Affiliation: get("affiliation"), Title: get("title")})
	}
	return e, &f
}

func (s *Server) calendarSaveError(w http.ResponseWriter, r *http.Request, err error, action string) error {
	// An ended event's editor keeps its recording field on errors too.
	ended := false
	if id := r.PathValue("id"); id != "" {
		if e, ferr := s.store.FindCalendarEventByID(r.Context(), id); ferr == nil {
			ended = e.Ended(time.Now())
		}
	}
	return s.calendarForm(w, r, http.StatusBadRequest, &Page{Form: r.PostForm, Errors: formErrors(err, calendarLabels, "title")}, action, ended)
}

func (s *Server) calendarCreate(w http.ResponseWriter, r *http.Request) error {
	e, f := calendarFromForm(r.PostForm)
	if err := f.Err(); err != nil {
		return s.calendarSaveError(w, r, err, "/community/events")
	}
	err := s.store.CreateCalendarEvent(r.Context(), e)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		return s.calendarSaveError(w, r, err, "/community/events")
	}
	if err != nil {
		return err
	}
	s.flash(w, r, "success", calendarShared(e))
	return redirect(w, r, "/community/events/"+e.ID)
}

func (s *Server) calendarUpdate(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	action := "/community/events/" + id
	e, f := calendarFromForm(r.PostForm)
	if err := f.Err(); err != nil {
		return s.calendarSaveError(w, r, err, action)
	}
	agenda := e.Agenda
	if agenda == nil {
		agenda = []ksp.AgendaItem{}
	}
	u := ksp.CalendarEventUpdate{Kind: &e.Kind, Title: &e.Title, Description: &e.Description, Agenda: &agenda, Start: &e.Start, End: &e.End,
		TimeZone: &e.TimeZone, Place: &e.Place, OnlineURL: &e.OnlineURL, RecordingURL: &e.RecordingURL,
		Distribution: &e.Distribution, Audience: &e.Audience, TLP: &e.TLP}
	got, err := s.store.UpdateCalendarEvent(r.Context(), id, u)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		return s.calendarSaveError(w, r, err, action)
	}
	if err != nil {
		return err
	}
	s.flash(w, r, "success", "Event saved. "+calendarShared(got))
	return redirect(w, r, "/community/events/"+id)
}

// calendarShared says who can now see an event.
func calendarShared(e *ksp.CalendarEvent) string {
	who := map[ksp.Distribution]string{ksp.DistPublic: "anyone, and it is in the public calendar feed", ksp.DistMembers: "all members",
		ksp.DistAudience: "the organisations you chose", ksp.DistOwner: "your organisation only"}[e.Distribution]
	return "“" + e.Title + "” is visible to " + who + " (TLP:" + string(e.TLP) + ")."
}

// calendarParas splits a plain-text description into paragraphs at blank
// lines, so that the event page keeps the author's breaks without
// interpreting any markup.
func calendarParas(text string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
