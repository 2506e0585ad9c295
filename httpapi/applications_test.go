package httpapi_test

import (
	"strings"
	"testing"

	"github.com/kspplatform/ksp/httpapi"
)

// TestApplicationReviewAPI checks the review through the API: notes (staff
// only), a decision's reason and checklist, the reason a rejection needs,
// and that an admin's audit filters stay inside its organisation.
func TestApplicationReviewAPI(t *testing.T) {
	e := newEnv(t, httpapi.Config{KeyRate: 1e6, KeyBurst: 1e6, IPRate: 1e6, IPBurst: 1e6, ApplyPerHour: 1e6})
	apply := func(name string) string {
		r := e.do("POST", "/api/v1/applications", "", map[string]any{"org_name": name, "kind": "academia", "website": "https://" + strings.ToLower(name) + ".example",
			"contact_name": "Ada", "contact_email": "ada@" + strings.ToLower(name) + ".example", "motivation": "research"})
		if r.status != 201 {
			t.Fatalf("apply: %d %s", r.status, r.body)
		}
		return r.json(t)["id"].(string)
	}
	id, id2 := apply("Alpha"), apply("Beta")
	notes := "/api/v1/applications/" + id + "/notes"
	for _, key := range []string{"admin", "viewer", ""} {
		if r := e.do("POST", notes, e.keys[key], map[string]any{"body": "x"}); r.status != 403 && r.status != 401 && r.status != 404 {
			t.Fatalf("note by %q: %d", key, r.status)
		}
	}
	wantError(t, e.do("POST", notes, e.keys["staff"], map[string]any{"body": ""}), 400, "invalid", "body")
	wantError(t, e.do("POST", notes, e.keys["staff"], map[string]any{"body": "x", "extra": 1}), 400, "invalid", "")
	if r := e.do("POST", notes, e.keys["staff"], map[string]any{"body": "Checked the university's site."}); r.status != 201 || r.json(t)["author"] == "" {
		t.Fatalf("note: %d %s", r.status, r.body)
	}
	if r := e.do("GET", notes, e.keys["staff"], nil); r.status != 200 || !strings.Contains(string(r.body), "Checked the university") {
		t.Fatalf("notes: %d %s", r.status, r.body)
	}
	wantError(t, e.do("POST", "/api/v1/applications/"+id+"/approve", e.keys["staff"], map[string]any{"reason": "ok", "checklist": map[string]bool{"vibes": true}}), 400, "invalid", "checklist")
	r := e.do("POST", "/api/v1/applications/"+id+"/approve", e.keys["staff"], map[string]any{"reason": "Known university", "checklist": map[string]bool{"org_exists": true, "contact_verified": true}})
	if r.status != 200 {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	app := r.json(t)["application"].(map[string]any)
	if app["decision_reason"] != "Known university" || len(app["checklist"].(map[string]any)) != 2 {
		t.Fatalf("approved application %s", r.body)
	}
	wantError(t, e.do("POST", "/api/v1/applications/"+id2+"/reject", e.keys["staff"], map[string]any{"checklist": map[string]bool{"org_exists": false}}), 400, "invalid", "reason")
	if r := e.do("POST", "/api/v1/applications/"+id2+"/reject", e.keys["staff"], map[string]any{"reason": "Out of scope"}); r.status != 200 {
		t.Fatalf("reject: %d %s", r.status, r.body)
	}
	ev := e.do("GET", "/api/v1/audit?action=application.approve", e.keys["staff"], nil)
	if !strings.Contains(string(ev.body), "Known university") {
		t.Fatalf("approve event lacks the reason: %s", ev.body)
	}
	// An admin filtering on staff's actor or another org's events gets
	// nothing of them.
	if r := e.do("GET", "/api/v1/audit?action=application.approve", e.keys["admin"], nil); r.status != 200 || strings.Contains(string(r.body), "Known university") {
		t.Fatalf("admin reads staff's decision: %d %s", r.status, r.body)
	}
	wantError(t, e.do("GET", "/api/v1/audit?from=soon", e.keys["staff"], nil), 400, "invalid", "from")
}
