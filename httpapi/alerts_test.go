package httpapi_test

import (
	"testing"

	"github.com/kspplatform/ksp"
)

// TestAlertsAPI walks an alert through the API: sent, merged, read by each
// party, refused to everyone else, answered by the receiver only; a
// read-only key cannot post; staff forward unrouted alerts and name
// law-enforcement contacts.
func TestAlertsAPI(t *testing.T) {
	e := newEnv(t, fast())
	fx := e.fx
	body := map[string]any{"url": "https://WWW.big-platform.example/post/1", "kind": "referral", "tier": "crisis", "labels": []string{"propaganda"}}
	r := e.do("POST", "/api/v1/alerts", e.keys["gov"], body)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	a := r.json(t)
	id := a["id"].(string)
	if a["receiver_org_id"] != fx.Platform.ID || a["url"] != "https://www.big-platform.example/post/1" {
		t.Fatalf("created %v", a)
	}
	// The same URL from another member merges: 200, same alert.
	r = e.do("POST", "/api/v1/alerts", e.keys["startup"], body)
	if r.status != 200 || r.json(t)["id"] != id || r.json(t)["other_requests"].(float64) != 1 {
		t.Fatalf("merge: %d %s", r.status, r.body)
	}
	refusals := []struct {
		name, method, path, key string
		body                    any
		status                  int
		code, field             string
	}{
		{"read-only key posts", "POST", "/api/v1/alerts", "admin-readonly", body, 403, "forbidden", ""},
		{"viewer posts", "POST", "/api/v1/alerts", "viewer", body, 403, "forbidden", ""},
		{"anonymous lists", "GET", "/api/v1/alerts", "", nil, 401, "unauthorized", ""},
		{"revoked key", "GET", "/api/v1/alerts/" + id, "revoked", nil, 401, "unauthorized", ""},
		{"ftp URL", "POST", "/api/v1/alerts", "gov", map[string]any{"url": "ftp://big-platform.example/x", "kind": "referral", "tier": "crisis"}, 400, "invalid", "url"},
		{"no host", "POST", "/api/v1/alerts", "gov", map[string]any{"url": "https://", "kind": "referral", "tier": "crisis"}, 400, "invalid", "url"},
		{"unknown kind", "POST", "/api/v1/alerts", "gov", map[string]any{"url": "https://big-platform.example/", "kind": "notice", "tier": "crisis"}, 400, "invalid", "kind"},
		{"order without authority", "POST", "/api/v1/alerts", "gov", map[string]any{"url": "https://big-platform.example/", "kind": "tco_removal_order",
			"order": map[string]any{"member_state": "DE", "legal_basis": "Art. 3", "received_at": "2026-01-01T00:00:00Z"}}, 400, "invalid", "order.issuing_authority"},
		{"platform issues an order", "POST", "/api/v1/alerts", "startup", map[string]any{"url": "https://big-platform.example/", "kind": "dsa_order"}, 400, "invalid", "kind"},
		{"bad box", "GET", "/api/v1/alerts?box=all", "admin", nil, 400, "invalid", "box"},
		{"unrouted box for members", "GET", "/api/v1/alerts?box=unrouted", "admin", nil, 403, "forbidden", ""},
		{"read-only key responds", "POST", "/api/v1/alerts/" + id + "/response", "admin-readonly", map[string]any{"action": "removed"}, 403, "forbidden", ""},
		{"sender responds", "POST", "/api/v1/alerts/" + id + "/response", "gov", map[string]any{"action": "removed"}, 403, "forbidden", ""},
		{"bad action", "POST", "/api/v1/alerts/" + id + "/response", "admin", map[string]any{"action": "deleted"}, 400, "invalid", "action"},
		{"member forwards", "POST", "/api/v1/alerts/" + id + "/forward", "admin", map[string]any{"org_id": fx.Startup.ID}, 403, "forbidden", ""},
		{"member names a contact", "POST", "/api/v1/orgs/" + fx.Gov.ID + "/law-enforcement", "gov", map[string]any{"jurisdictions": []string{"DE"}}, 403, "forbidden", ""},
		{"unknown alert", "GET", "/api/v1/alerts/" + ksp.NewID(), "admin", nil, 404, "not_found", ""},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, e.do(c.method, c.path, e.keys[c.key], c.body), c.status, c.code, c.field)
		})
	}
	// An alert between gov and the start-up only: the large platform does
	// not see it, cannot answer it, and does not count it.
	r = e.do("POST", "/api/v1/alerts", e.keys["gov"], map[string]any{"url": "https://tiny-startup.example/v", "kind": "referral", "tier": "designation"})
	if r.status != 201 {
		t.Fatalf("second alert: %d %s", r.status, r.body)
	}
	other := r.json(t)["id"].(string)
	wantError(t, e.do("GET", "/api/v1/alerts/"+other, e.keys["admin"], nil), 404, "not_found", "")
	wantError(t, e.do("POST", "/api/v1/alerts/"+other+"/response", e.keys["admin"], map[string]any{"action": "removed"}), 404, "not_found", "")
	if r := e.do("GET", "/api/v1/alerts?box=received", e.keys["admin"], nil); r.status != 200 || len(r.json(t)["items"].([]any)) != 1 {
		t.Fatalf("platform inbox: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/alerts?box=sent", e.keys["gov"], nil); r.status != 200 || len(r.json(t)["items"].([]any)) != 2 {
		t.Fatalf("gov outbox: %d %s", r.status, r.body)
	}
	// The receiver answers.
	r = e.do("POST", "/api/v1/alerts/"+id+"/response", e.keys["admin"], map[string]any{"action": "removed", "note": "taken down"})
	if r.status != 200 {
		t.Fatalf("respond: %d %s", r.status, r.body)
	}
	resp := r.json(t)["response"].(map[string]any)
	if resp["action"] != "removed" || resp["preserve_until"] == nil {
		t.Fatalf("response %v", resp)
	}
	wantError(t, e.do("POST", "/api/v1/alerts/"+id+"/response", e.keys["admin"], map[string]any{"action": "restricted"}), 409, "conflict", "")
	// Staff forward what routes nowhere, and name contacts.
	r = e.do("POST", "/api/v1/alerts", e.keys["gov"], map[string]any{"url": "https://nobody.example/x", "kind": "referral", "tier": "designation"})
	un := r.json(t)["id"].(string)
	if r := e.do("GET", "/api/v1/alerts?box=unrouted", e.keys["staff"], nil); r.status != 200 || len(r.json(t)["items"].([]any)) != 1 {
		t.Fatalf("unrouted: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/alerts/"+un+"/forward", e.keys["staff"], map[string]any{"org_id": fx.Startup.ID}); r.status != 200 || r.json(t)["receiver_org_id"] != fx.Startup.ID {
		t.Fatalf("forward: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/orgs/"+fx.Gov.ID+"/law-enforcement", e.keys["staff"], map[string]any{"jurisdictions": []string{"FR"}}); r.status != 200 {
		t.Fatalf("contact: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/law-enforcement-contacts", e.keys["staff"], nil); r.status != 200 || len(r.json(t)["items"].([]any)) != 1 {
		t.Fatalf("contacts: %d %s", r.status, r.body)
	}
}
