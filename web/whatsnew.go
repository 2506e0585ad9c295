package web

import (
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/kspplatform/ksp"
)

// whatsNewWindow is how far back "what's new for you" looks.
const whatsNewWindow = 14 * 24 * time.Hour

// whatsNewMax bounds the items the panel lists.
const whatsNewMax = 8

// WhatsNewItem is one line of the "what's new for you" panel.
type WhatsNewItem struct {
	Kind  string // Event, Starts soon, Library, Incident
	Title string
	Path  string
	When  ksp.Time
	TLP   ksp.TLP
}

// WhatsNewData is the panel's content.
type WhatsNewData struct {
	Items []WhatsNewItem
	// AlertsOpen counts received alerts not yet answered (URLs are never
	// shown here: they open on the alerts page, behind its warning).
	AlertsOpen int
}

// whatsNewPanel gathers, for the signed-in viewer, what appeared in the
// last two weeks among what it may see: events announced, events it
// registered for that start within a week, library resources, incidents
// activated, and the alerts waiting for its organisation's answer. Every
// source is read through the store as the viewer.
func (s *Server) whatsNewPanel(r *http.Request) (template.HTML, error) {
	ctx := r.Context()
	now := time.Now()
	since := now.Add(-whatsNewWindow)
	var d WhatsNewData
	events, _, err := s.store.FindCalendarEvents(ctx, ksp.CalendarEventFilter{Upcoming: true, Now: now, Page: ksp.Page{Limit: 100}})
	if err != nil {
		return "", err
	}
	for _, e := range events {
		switch {
		case e.Registered && e.Start.Before(now.Add(7*24*time.Hour)):
			d.Items = append(d.Items, WhatsNewItem{Kind: "Starts soon", Title: e.Title, Path: "/community/events/" + e.ID, When: e.Start, TLP: e.TLP})
		case e.Created.After(since):
			d.Items = append(d.Items, WhatsNewItem{Kind: "Event", Title: e.Title, Path: "/community/events/" + e.ID, When: e.Created, TLP: e.TLP})
		}
	}
	res, _, err := s.store.FindResources(ctx, ksp.ResourceFilter{Page: ksp.Page{Limit: 20}})
	if err != nil {
		return "", err
	}
	for _, x := range res {
		if x.Created.After(since) {
			d.Items = append(d.Items, WhatsNewItem{Kind: "Library", Title: x.Title, Path: "/library/" + x.ID, When: x.Created, TLP: x.TLP})
		}
	}
	incs, _, err := s.store.FindIncidents(ctx, ksp.IncidentFilter{Page: ksp.Page{Limit: 20}})
	if err != nil {
		return "", err
	}
	for _, i := range incs {
		if i.Activated != nil && i.Activated.After(since) {
			d.Items = append(d.Items, WhatsNewItem{Kind: "Incident", Title: i.Title, Path: "/incidents/" + i.ID, When: *i.Activated, TLP: i.TLP})
		}
	}
	alerts, _, err := s.store.FindAlerts(ctx, ksp.AlertFilter{Box: ksp.BoxReceived, Page: ksp.Page{Limit: 100}})
	if err != nil {
		return "", err
	}
	for _, a := range alerts {
		if a.Response == nil {
			d.AlertsOpen++
		}
	}
	// Starting soon first, then newest first.
	slices.SortStableFunc(d.Items, func(x, y WhatsNewItem) int {
		if (x.Kind == "Starts soon") != (y.Kind == "Starts soon") {
			if x.Kind == "Starts soon" {
				return -1
			}
			return 1
		}
		return y.When.Compare(x.When.Time)
	})
	if len(d.Items) > whatsNewMax {
		d.Items = d.Items[:whatsNewMax]
	}
	if len(d.Items) == 0 && d.AlertsOpen == 0 {
		return "", nil
	}
	return s.Fragment("community_events.html", "whatsnew", d)
}
