package httpapi_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/kspplatform/ksp/httpapi"
)

func calendarBody(title, dist, tlp string, start time.Time) map[string]any {
	return map[string]any{"kind": "workshop", "title": title, "time_zone": "Europe/Brussels", "place": "Brussels",
		"start": start.Format(time.RFC3339), "end": start.Add(2 * time.Hour).Format(time.RFC3339),
		"distribution": dist, "tlp": tlp,
		"agenda": []map[string]string{{"time": "10:00", "speaker": "A. Expert", "affiliation": "Big Platform", "title": "Welcome"}}}
}

func TestCalendarAPI(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	start := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	r := e.do("POST", "/api/v1/calendar/events", e.keys["admin"], calendarBody("Members workshop", "members", "GREEN", start))
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	members := r.json(t)["id"].(string)
	r = e.do("POST", "/api/v1/calendar/events", e.keys["admin"], calendarBody("Public webinar", "public", "CLEAR", start))
	if r.status != 201 {
		t.Fatalf("create public: %d %s", r.status, r.body)
	}
	public := r.json(t)["id"].(string)
	r = e.do("POST", "/api/v1/calendar/events", e.keys["admin"], calendarBody("Own planning", "owner", "AMBER", start))
	own := r.json(t)["id"].(string)

	// Wall-clock input is read in the event's zone.
	local := calendarBody("Local times", "members", "GREEN", start)
	local["start"], local["end"] = "2027-03-10T09:30", "2027-03-10T11:00"
	r = e.do("POST", "/api/v1/calendar/events", e.keys["admin"], local)
	if r.status != 201 || r.json(t)["start"] != "2027-03-10T08:30:00.000000Z" {
		t.Fatalf("local time: %d %s", r.status, r.body)
	}

	// Anonymous: only the public event, by list and by id.
	r = e.do("GET", "/api/v1/calendar/events", "", nil)
	if items := r.json(t)["items"].([]any); r.status != 200 || len(items) != 1 || items[0].(map[string]any)["id"] != public {
		t.Fatalf("anonymous list: %d %s", r.status, r.body)
	}
	wantError(t, e.do("GET", "/api/v1/calendar/events/"+members, "", nil), 404, "not_found", "")
	// Another org: not the owner-only one (404, also for registration).
	wantError(t, e.do("GET", "/api/v1/calendar/events/"+own, e.keys["startup"], nil), 404, "not_found", "")
	wantError(t, e.do("POST", "/api/v1/calendar/events/"+own+"/registration", e.keys["startup"], nil), 404, "not_found", "")
	r = e.do("GET", "/api/v1/calendar/events?when=upcoming", e.keys["startup"], nil)
	if n := len(r.json(t)["items"].([]any)); n != 3 {
		t.Fatalf("startup sees %d upcoming events, want 3", n)
	}

	// Registration, by a viewer's read key.
	r = e.do("POST", "/api/v1/calendar/events/"+members+"/registration", e.keys["viewer"], nil)
	if r.status != 200 || r.json(t)["registered"] != true {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	r = e.do("GET", "/api/v1/calendar/events/"+members, e.keys["admin"], nil)
	if r.json(t)["registrations"] != float64(1) {
		t.Fatalf("owner sees %s", r.body)
	}
	r = e.do("DELETE", "/api/v1/calendar/events/"+members+"/registration", e.keys["viewer"], nil)
	if r.status != 200 || r.json(t)["registered"] != false {
		t.Fatalf("unregister: %d %s", r.status, r.body)
	}
	wantError(t, e.do("POST", "/api/v1/calendar/events/"+members+"/registration", "", nil), 401, "unauthorized", "")

	// Roles and scopes: a viewer or a read-only key may not announce; a
	// match-only key may not even register.
	wantError(t, e.do("POST", "/api/v1/calendar/events", e.keys["viewer"], calendarBody("x", "members", "GREEN", start)), 403, "forbidden", "")
	wantError(t, e.do("POST", "/api/v1/calendar/events", e.keys["admin-readonly"], calendarBody("x", "members", "GREEN", start)), 403, "forbidden", "")
	wantError(t, e.do("POST", "/api/v1/calendar/events/"+members+"/registration", e.keys["admin-matchonly"], nil), 403, "forbidden", "")
	// Another org may see but not change.
	wantError(t, e.do("PATCH", "/api/v1/calendar/events/"+members, e.keys["startup"], map[string]any{"title": "mine now"}), 403, "forbidden", "")
	r = e.do("PATCH", "/api/v1/calendar/events/"+members, e.keys["staff"], map[string]any{"title": "Renamed by staff"})
	if r.status != 200 || r.json(t)["title"] != "Renamed by staff" {
		t.Fatalf("staff patch: %d %s", r.status, r.body)
	}

	// Bad input names the field; nothing is written.
	bad := []struct {
		edit  func(m map[string]any)
		field string
	}{
		{func(m map[string]any) { m["title"] = "" }, "title"},
		{func(m map[string]any) { m["end"] = start.Add(-time.Hour).Format(time.RFC3339) }, "end"},
		{func(m map[string]any) { m["start"] = "next tuesday" }, "start"},
		{func(m map[string]any) { m["time_zone"] = "Europe/Atlantis" }, "time_zone"},
		{func(m map[string]any) { m["online_url"] = "javascript:alert(1)" }, "online_url"},
		{func(m map[string]any) { m["kind"] = "rave" }, "kind"},
		{func(m map[string]any) { m["distribution"], m["tlp"] = "public", "GREEN" }, "tlp"},
		{func(m map[string]any) { m["colour"] = "red" }, "colour"},
	}
	for i, b := range bad {
		body := calendarBody(fmt.Sprintf("bad %d", i), "members", "GREEN", start)
		b.edit(body)
		wantError(t, e.do("POST", "/api/v1/calendar/events", e.keys["admin"], body), 400, "invalid", b.field)
	}
	wantError(t, e.do("PATCH", "/api/v1/calendar/events/"+members, e.keys["admin"], map[string]any{"end": "2000-01-01T00:00"}), 400, "invalid", "end")
	wantError(t, e.do("GET", "/api/v1/calendar/events?when=someday", e.keys["admin"], nil), 400, "invalid", "when")
	r = e.do("GET", "/api/v1/calendar/events?limit=100", e.keys["staff"], nil)
	if n := len(r.json(t)["items"].([]any)); n != 4 {
		t.Fatalf("staff sees %d events after bad input, want 4", n)
	}
}
