package web

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

var calendarURLRE = regexp.MustCompile(`/community/events/([0-9a-f-]{36})$`)

func calendarForm(title, dist, tlp string, start time.Time) url.Values {
	return url.Values{"title": {title}, "kind": {"workshop"}, "description": {"Bring your draft terms; we go through them together."},
		"start": {start.Format("2006-01-02T15:04")}, "end": {start.Add(3 * time.Hour).Format("2006-01-02T15:04")}, "time_zone": {"Europe/Brussels"},
		"place": {"Brussels, Rue de la Loi 1"}, "online_url": {""}, "recording_url": {""}, "distribution": {dist}, "tlp": {tlp},
		"agenda[0].time": {"09:30"}, "agenda[0].title": {"Welcome, and why ToS matter"}, "agenda[0].speaker": {"Ana Ruiz"}, "agenda[0].affiliation": {"Vidstream"},
		"agenda[1].time": {""}, "agenda[1].title": {""}, "agenda[1].speaker": {""}, "agenda[1].affiliation": {""}}
}

// TestCalendarPages drives events in the browser: an analyst announces a
// members event and a public one (bad input first), a viewer of another
// org registers and withdraws, anonymous visitors see only the public
// event, the feed holds only it, and the dashboard tells members what is
// new.
func TestCalendarPages(t *testing.T) {
	h := newHarness(t, Config{})
	m := seedMembers(h)
	start := time.Now().Add(5 * 24 * time.Hour).Truncate(time.Hour)

	a := h.client()
	a.signIn(m.b, 0)
	a.want(a.get("/community/events"), 200, "No upcoming events you may see.", `href="/community/events/new"`)
	a.want(a.get("/community/events/new"), 200, "Announce an event", "Session 1: time")
	bad := calendarForm("", "members", "GREEN", start)
	bad.Set("end", start.Add(-time.Hour).Format("2006-01-02T15:04"))
	bad.Set("time_zone", "Mars/Base")
	a.want(a.post("/community/events", bad), 400, "There is a problem", `href="#f-title"`, `href="#f-time_zone"`, "Bring your draft terms")
	res := a.post("/community/events", calendarForm("Your first terms of service", "members", "GREEN", start))
	a.want(res, 200, "is visible to all members (TLP:GREEN)", "Welcome, and why ToS matter", "Ana Ruiz", "Europe/Brussels")
	members := calendarURLRE.FindStringSubmatch(res.Request.URL.Path)[1]
	res = a.post("/community/events", calendarForm("Open webinar; hashing, explained", "public", "CLEAR", start.Add(24*time.Hour)))
	a.want(res, 200, "in the public calendar feed")
	public := calendarURLRE.FindStringSubmatch(res.Request.URL.Path)[1]
	a.want(a.get("/community/events/"+members+"/edit"), 200, "Change the event", `value="Ana Ruiz"`)
	edited := calendarForm("Your first terms of service (full day)", "members", "GREEN", start)
	a.want(a.post("/community/events/"+members, edited), 200, "Event saved", "(full day)")

	// A viewer of another org registers, then withdraws; it may not edit.
	v := h.client()
	v.signIn(m.aViewer, 0)
	v.want(v.get("/community/events"), 200, "Your first terms of service", "Open webinar")
	v.want(v.get("/community/events/"+members), 200, "Register")
	if strings.Contains(v.body, "/edit") {
		t.Fatal("edit link for another org")
	}
	v.want(v.post("/community/events/"+members+"/registration", url.Values{"action": {"register"}}), 200, "You are registered for", "Withdraw my registration")
	v.want(v.get("/dashboard"), 200, "What&#39;s new for you", "Starts soon")
	v.want(v.post("/community/events/"+members+"/registration", url.Values{"action": {"unregister"}}), 200, "withdrawn")
	v.want(v.get("/community/events/"+members+"/edit"), 403)
	a.want(a.get("/community/events/"+members), 200)
	if strings.Contains(a.body, "Registered</dt>") && !strings.Contains(a.body, "0 people") {
		t.Fatalf("registration count after withdrawal wrong")
	}

	// Anonymous: only the public event, in the list, the page and the feed.
	anon := h.client()
	anon.want(anon.get("/community/events"), 200, "Open webinar")
	if strings.Contains(anon.body, "Your first terms") {
		t.Fatal("members event listed to anonymous visitors")
	}
	anon.want(anon.get("/community/events/"+members), 404)
	anon.want(anon.get("/community/events/"+public), 200, "Sign in</a> to register")
	res = anon.get("/calendar.ics")
	anon.want(res, 200, "BEGIN:VCALENDAR\r\n", "SUMMARY:Open webinar\\; hashing\\, explained\r\n", "TZID=Europe/Brussels", "BEGIN:VTIMEZONE", "UID:"+public+"@")
	if ct := res.Header.Get("Content-Type"); ct != "text/calendar; charset=utf-8" {
		t.Fatalf("feed content type %q", ct)
	}
	if strings.Contains(anon.body, "Your first terms") {
		t.Fatal("members event in the public feed")
	}
	// Signed in as staff, the feed is still the public one.
	s := h.client()
	s.signIn(m.staff, 0)
	s.get("/calendar.ics")
	if strings.Contains(s.body, "Your first terms") {
		t.Fatal("the feed follows the session")
	}
	var n int
	if err := h.db.SQL().QueryRow(`SELECT COUNT(*) FROM calendar_events`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d events stored (%v), want 2", n, err)
	}
	_ = ksp.EventWorkshop
}
