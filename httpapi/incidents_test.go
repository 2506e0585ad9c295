package httpapi_test

import (
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/httpapi"
	"github.com/kspplatform/ksp/storetest"
)

// TestIncidents drives the incident protocol through the API: staff draft,
// two staff members activate, members read, staff update and close; members
// and read-only keys are refused; an invisible incident is 404.
func TestIncidents(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	db := e.fx.DB
	so := e.fx.StaffOrg(t)
	second, err := db.CreateStaffUser(storetest.Staff(), "second@ksp.example", "Second", "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	for name, scopes := range map[string][]ksp.Scope{"staff2": {ksp.ScopeRead, ksp.ScopeSubmit}, "staff-readonly": {ksp.ScopeRead}} {
		u := second
		if name == "staff-readonly" {
			u = e.fx.StaffUser
		}
		k, err := db.CreateAPIKey(storetest.As(so, u), ksp.NewAPIKey{Name: name, Scopes: scopes})
		if err != nil {
			t.Fatal(err)
		}
		e.keys[name] = k.Secret
	}
	draft := map[string]any{"type": "content_incident", "title": "Attack streamed live",
		"activation_criteria": []map[string]any{{"text": "attack under way", "met": true}}}

	// Members and read-only keys may not draft.
	for _, key := range []string{"admin", "startup", "staff-readonly"} {
		if r := e.do("POST", "/api/v1/incidents", e.keys[key], draft); r.status != 403 {
			t.Fatalf("%s drafting: %d %s", key, r.status, r.body)
		}
	}
	r := e.do("POST", "/api/v1/incidents", e.keys["staff"], map[string]any{"type": "Bad Type"})
	if r.status != 400 || !hasField(r.json(t), "type") || !hasField(r.json(t), "title") {
		t.Fatalf("bad draft: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/v1/incidents", e.keys["staff"], draft)
	if r.status != 201 {
		t.Fatalf("draft: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	base := "/api/v1/incidents/" + id
	// A member sees nothing of a draft.
	if r := e.do("GET", base, e.keys["viewer"], nil); r.status != 404 {
		t.Fatalf("member reading a draft: %d", r.status)
	}
	if r := e.do("POST", base+"/activate", e.keys["admin"], nil); r.status != 403 {
		t.Fatalf("member activating: %d", r.status)
	}
	if r := e.do("POST", base+"/activate", e.keys["staff"], nil); r.status != 200 || r.json(t)["status"] != "draft" {
		t.Fatalf("first activation: %d %s", r.status, r.body)
	}
	if r := e.do("POST", base+"/activate", e.keys["staff"], map[string]any{}); r.status != 403 {
		t.Fatalf("same staff member twice: %d %s", r.status, r.body)
	}
	if r := e.do("POST", base+"/activate", e.keys["staff-readonly"], nil); r.status != 403 {
		t.Fatalf("read-only key activating: %d", r.status)
	}
	if r := e.do("POST", base+"/activate", e.keys["staff2"], nil); r.status != 200 || r.json(t)["status"] != "active" {
		t.Fatalf("second activation: %d %s", r.status, r.body)
	}
	if r := e.do("GET", base, e.keys["viewer"], nil); r.status != 200 {
		t.Fatalf("member reading an active incident: %d", r.status)
	}
	if r := e.do("POST", base+"/updates", e.keys["admin"], map[string]any{"text": "x"}); r.status != 403 {
		t.Fatalf("member posting an update: %d", r.status)
	}
	r = e.do("POST", base+"/updates", e.keys["staff2"], map[string]any{"text": "Hash set shared"})
	if r.status != 200 || len(r.json(t)["updates"].([]any)) != 1 {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	r = e.do("GET", "/api/v1/incidents?status=active", e.keys["viewer"], nil)
	if r.status != 200 || len(r.json(t)["items"].([]any)) != 1 {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/incidents?status=nope", e.keys["viewer"], nil); r.status != 400 {
		t.Fatalf("bad status filter: %d", r.status)
	}
	if r := e.do("GET", "/api/v1/incidents?review_as_of=yesterday", e.keys["staff"], nil); r.status != 400 {
		t.Fatalf("bad review_as_of: %d", r.status)
	}
	if r := e.do("POST", base+"/close", e.keys["staff"], map[string]any{"debrief": "x"}); r.status != 400 || !hasField(r.json(t), "end_criteria") {
		t.Fatalf("close without end criteria: %d %s", r.status, r.body)
	}
	r = e.do("POST", base+"/close", e.keys["staff"], map[string]any{"end_criteria": "no longer spreading", "debrief": "went well", "public_summary": "An attack was streamed; members removed copies."})
	if r.status != 200 || r.json(t)["status"] != "closed" {
		t.Fatalf("close: %d %s", r.status, r.body)
	}

	// An incident shared with one org is 404 to others, and not counted.
	r = e.do("POST", "/api/v1/incidents", e.keys["staff"], map[string]any{"type": "incident", "title": "Narrow", "distribution": "audience", "audience": []string{e.fx.Startup.ID}, "tlp": "AMBER"})
	if r.status != 201 {
		t.Fatalf("audience draft: %d %s", r.status, r.body)
	}
	nid := r.json(t)["id"].(string)
	e.do("POST", "/api/v1/incidents/"+nid+"/activate", e.keys["staff"], map[string]any{"emergency": true})
	if r := e.do("GET", "/api/v1/incidents/"+nid, e.keys["startup"], nil); r.status != 200 || r.json(t)["emergency"] != true {
		t.Fatalf("audience member reading: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/incidents/"+nid, e.keys["viewer"], nil); r.status != 404 {
		t.Fatalf("outsider reading: %d", r.status)
	}
	if r := e.do("GET", "/api/v1/incidents", e.keys["viewer"], nil); len(r.json(t)["items"].([]any)) != 1 {
		t.Fatalf("outsider list: %s", r.body)
	}
	// incident_id on a signal: invisible is a field error.
	sub := map[string]any{"type": "md5", "value": "0123456789abcdef0123456789abcdef", "content_type": "photo", "labels": []string{"propaganda"}, "basis": "perpetrator_content", "incident_id": nid}
	if r := e.do("POST", "/api/v1/signals", e.keys["admin"], sub); r.status != 400 || !hasField(r.json(t), "incident_id") {
		t.Fatalf("signal naming an invisible incident: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/signals", e.keys["startup"], sub); r.status != 201 {
		t.Fatalf("signal naming a visible incident: %d %s", r.status, r.body)
	}
	// Closing retracts the unconfirmed signal: a match on it is no longer
	// actionable.
	match := func() map[string]any {
		r := e.do("POST", "/api/v1/match", e.keys["startup"], map[string]any{"queries": []any{map[string]any{"type": "md5", "value": sub["value"]}}})
		if r.status != 200 {
			t.Fatalf("match: %d %s", r.status, r.body)
		}
		ms := r.json(t)["results"].([]any)[0].(map[string]any)["matches"].([]any)
		if len(ms) != 1 {
			t.Fatalf("matches = %d, want 1", len(ms))
		}
		return ms[0].(map[string]any)
	}
	if m := match(); m["actionable"] != true {
		t.Fatalf("match before close: %v", m)
	}
	if r := e.do("POST", "/api/v1/incidents/"+nid+"/close", e.keys["staff2"], map[string]any{"end_criteria": "over"}); r.status != 200 {
		t.Fatalf("close: %d %s", r.status, r.body)
	}
	if m := match(); m["actionable"] != false || m["not_actionable_reason"] != "retracted" {
		t.Fatalf("match after close: %v, want not actionable (retracted)", m)
	}
	if r := e.do("GET", "/api/v1/incidents", "", nil); r.status != 401 {
		t.Fatalf("anonymous list: %d", r.status)
	}
}

func hasField(m map[string]any, field string) bool {
	errm, _ := m["error"].(map[string]any)
	fields, _ := errm["fields"].([]any)
	for _, f := range fields {
		if f.(map[string]any)["field"] == field {
			return true
		}
	}
	return false
}
