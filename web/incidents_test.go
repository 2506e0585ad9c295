package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
)

var incidentURLRE = regexp.MustCompile(`/incidents/([0-9a-f-]{36})`)

// TestIncidentPages drives the incident protocol in the browser: a staff
// member drafts and requests activation, cannot confirm it alone, a second
// confirms; members then see the banner on every page, the incident page
// and the incident in the share form, but no staff forms; staff post an
// update and close it.
func TestIncidentPages(t *testing.T) {
	h := newHarness(t, Config{})
	m := seedMembers(h)
	second := h.user(h.staffOrg(), "second@ksp.example", ksp.RoleAdmin, true)
	narrow := h.org("Narrow Platform", ksp.KindPlatform, ksp.SizeSmall)
	awayFromStepEdge()

	s := h.client()
	s.signIn(m.staff, 0)
	s.want(s.get("/incidents"), 200, "No incidents you may see.", `href="/incidents/new"`)
	s.want(s.get("/incidents/new"), 200, "Draft an incident", "Activation criteria met")
	// Bad input keeps the form and names the fields.
	s.want(s.post("/incidents", url.Values{"type": {"content_incident"}, "type_other": {"Not A Slug"}, "distribution": {"members"}, "tlp": {"GREEN"}}), 400,
		"There is a problem", `href="#f-title"`, `href="#f-type"`)
	res := s.post("/incidents", url.Values{"type": {"content_incident"}, "title": {"Attack streamed in Exampletown"}, "description": {"A livestream of an attack."},
		"criteria": {ksp.DefaultIncidentCriteria[0]}, "distribution": {"members"}, "tlp": {"GREEN"}})
	s.want(res, 200, "Incident drafted", "Attack streamed in Exampletown", "Request activation", "Met: "+ksp.DefaultIncidentCriteria[0], "Not met: "+ksp.DefaultIncidentCriteria[1])
	id := incidentURLRE.FindStringSubmatch(res.Request.URL.Path)[1]
	page := "/incidents/" + id

	// Members see nothing of a draft.
	v := h.client()
	v.signIn(m.aViewer, 0)
	v.want(v.get(page), 404)
	v.want(v.get("/dashboard"), 200)
	if strings.Contains(v.body, "Active incident") {
		t.Fatal("banner for a draft")
	}

	s.want(s.post(page+"/activate", nil), 200, "Activation requested", "A second staff member must confirm it")
	s.want(s.post(page+"/activate", nil), 403, "activation needs a second staff member")
	// CSRF: a POST without the token is refused.
	req, _ := http.NewRequest("POST", h.srv.URL+page+"/activate", strings.NewReader(""))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	s.want(s.do(req), 403)

	s2 := h.client()
	s2.signIn(second, 1)
	s2.want(s2.get(page), 200, "Confirm activation")
	s2.want(s2.post(page+"/activate", nil), 200, "Incident activated", "Active incident:", "Post an update", "Close the incident")

	// Members: banner on every page, the page without staff forms, the
	// share form's select.
	v.want(v.get("/signals"), 200, "Active incident:", `href="`+page+`"`)
	v.want(v.get("/dashboard"), 200, `<a href="/incidents">All incidents</a>`)
	v.want(v.get(page), 200, "Attack streamed in Exampletown", "No updates yet")
	for _, staffOnly := range []string{"Post an update", "Close the incident", "Request activation"} {
		if strings.Contains(v.body, staffOnly) {
			t.Fatalf("member offered %q", staffOnly)
		}
	}
	v.want(v.post(page+"/updates", url.Values{"text": {"x"}}), 404)
	v.want(v.get("/incidents/new"), 404)
	a := h.client()
	a.signIn(m.a, 0)
	a.want(a.get("/signals/new"), 200, `<option value="`+id+`">Attack streamed in Exampletown</option>`)

	// An org outside an audience incident sees neither it nor its banner.
	s.want(s.post("/incidents", url.Values{"type": {"incident"}, "title": {"Narrow matter"}, "distribution": {"audience"}, "audience": {narrow.ID}, "tlp": {"AMBER"}}), 200, "Incident drafted")
	s.want(s.post(s.url.Path+"/activate", url.Values{"emergency": {"yes"}}), 200, "Incident activated in an emergency")
	s.want(s.get("/incidents"), 200, "Narrow matter", "emergency, unconfirmed")
	v.want(v.get("/incidents"), 200, "Attack streamed in Exampletown")
	if strings.Contains(v.body, "Narrow matter") {
		t.Fatal("an outsider sees an audience incident")
	}

	// Updates and closing.
	s.get(page)
	s.want(s.post(page+"/updates", url.Values{"text": {""}}), 400, "Enter update")
	s.want(s.post(page+"/updates", url.Values{"text": {"Hashes of the stream shared."}}), 200, "Update posted", "Hashes of the stream shared.")
	v.want(v.get(page), 200, "Hashes of the stream shared.")
	s.want(s.post(page+"/close", url.Values{"debrief": {"ok"}}), 400, "End criteria met")
	// Anonymous visitors see public incidents only.
	anon := h.client()
	anon.want(anon.get(page), 404)
	anon.want(anon.get("/incidents"), 200, "No incidents you may see.")
	s.want(s.post(page+"/close", url.Values{"end_criteria": {"No new copies for 48 hours."}, "debrief": {"Fast response."}}), 200, "Incident closed", "No new copies for 48 hours.", "Fast response.")
	v.want(v.get("/signals"), 200)
	if strings.Contains(v.body, "Attack streamed in Exampletown") {
		t.Fatal("banner after close")
	}

	// A public incident with its published summary is readable by anyone.
	s.want(s.post("/incidents", url.Values{"type": {"incident"}, "title": {"Public matter"}, "distribution": {"public"}, "tlp": {"CLEAR"}}), 200, "Incident drafted")
	pub := s.url.Path
	s.want(s.post(pub+"/activate", url.Values{"emergency": {"yes"}}), 200)
	s.want(s.post(pub+"/updates", url.Values{"text": {"Note"}, "public_summary": {"What happened, for the public."}}), 200, "What happened, for the public.")
	anon.want(anon.get(pub), 200, "Public matter", "What happened, for the public.")
	if strings.Contains(anon.body, "Post an update") {
		t.Fatal("anonymous visitor offered staff forms")
	}
}
