package httpapi_test

import (
	"strings"
	"testing"

	"github.com/kspplatform/ksp/httpapi"
)

// TestFlow walks vetting, users and keys through the API, validating every
// response against the OpenAPI document (do does).
func TestFlow(t *testing.T) {
	e := newEnv(t, httpapi.Config{KeyRate: 1e6, KeyBurst: 1e6, IPRate: 1e6, IPBurst: 1e6, ApplyPerHour: 1e6})
	app := e.do("POST", "/api/v1/applications", "", map[string]any{"org_name": "Clip Share", "kind": "platform", "size": "small", "website": "https://clipshare.example",
		"domains": []string{"clipshare.example"}, "contact_name": "Ada", "contact_email": "ada@clipshare.example", "motivation": "video host"})
	if app.status != 201 {
		t.Fatalf("apply: %d %s", app.status, app.body)
	}
	id := app.json(t)["id"].(string)
	if r := e.do("GET", "/api/v1/applications?status=pending", e.keys["staff"], nil); len(r.json(t)["items"].([]any)) != 1 {
		t.Fatalf("pending: %s", r.body)
	}
	appr := e.do("POST", "/api/v1/applications/"+id+"/approve", e.keys["staff"], nil)
	if appr.status != 200 {
		t.Fatalf("approve: %d %s", appr.status, appr.body)
	}
	org := appr.json(t)["org"].(map[string]any)
	inv := appr.json(t)["invitation"].(map[string]any)
	if inv["token"] == "" || org["kind"] != "platform" {
		t.Fatalf("approval %s", appr.body)
	}
	if r := e.do("POST", "/api/v1/applications/"+id+"/approve", e.keys["staff"], nil); r.status != 409 {
		t.Fatalf("approve twice: %d", r.status)
	}

	me := e.do("GET", "/api/v1/me", e.keys["admin"], nil)
	if me.status != 200 || me.json(t)["role"] != "admin" {
		t.Fatalf("me: %s", me.body)
	}
	orgs := e.do("GET", "/api/v1/orgs?limit=2", e.keys["viewer"], nil)
	if orgs.status != 200 || orgs.json(t)["next_cursor"] == nil {
		t.Fatalf("orgs page: %s", orgs.body)
	}
	nu := e.do("POST", "/api/v1/orgs/"+e.fx.Platform.ID+"/users", e.keys["admin"], map[string]any{"email": "new@big.example", "role": "analyst"})
	if nu.status != 201 {
		t.Fatalf("create user: %d %s", nu.status, nu.body)
	}
	uid := nu.json(t)["id"].(string)
	if r := e.do("PATCH", "/api/v1/orgs/"+e.fx.Platform.ID+"/users/"+uid, e.keys["admin"], map[string]any{"role": "viewer"}); r.status != 200 {
		t.Fatalf("patch user: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/orgs/"+e.fx.Platform.ID+"/users", e.keys["admin"], nil); len(r.json(t)["items"].([]any)) != 3 {
		t.Fatalf("users: %s", r.body)
	}
	// Another org's admin cannot see these users.
	if r := e.do("GET", "/api/v1/orgs/"+e.fx.Startup.ID+"/users/"+uid, e.keys["admin"], nil); r.status != 405 && r.status != 404 {
		t.Fatalf("cross-org user: %d", r.status)
	}
	if r := e.do("POST", "/api/v1/orgs/"+e.fx.Platform.ID+"/domains", e.keys["admin"], map[string]any{"domain": "cdn.big-platform.example"}); r.status != 201 {
		t.Fatalf("add domain: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/orgs/"+e.fx.Platform.ID+"/domains/cdn.big-platform.example/verify", e.keys["staff"], nil); r.status != 200 || !strings.Contains(string(r.body), `"verified":true`) {
		t.Fatalf("verify domain: %d %s", r.status, r.body)
	}

	if r := e.do("POST", "/api/v1/apikeys", e.keys["viewer"], map[string]any{"name": "ci", "scopes": []string{"read"}}); r.status != 403 {
		t.Fatalf("a key without the admin scope minted a key: %d", r.status)
	}
	k := e.do("POST", "/api/v1/apikeys", e.keys["admin"], map[string]any{"name": "ci", "scopes": []string{"read"}})
	if k.status != 201 {
		t.Fatalf("create key: %d %s", k.status, k.body)
	}
	secret := k.json(t)["secret"].(string)
	if r := e.do("GET", "/api/v1/me", secret, nil); r.status != 200 {
		t.Fatalf("new key: %d", r.status)
	}
	if r := e.do("GET", "/api/v1/apikeys", secret, nil); strings.Contains(string(r.body), secret) {
		t.Fatal("key list shows a secret")
	}
	// Revoking through the API needs the admin scope, even for the key
	// itself.
	if r := e.do("DELETE", "/api/v1/apikeys/"+k.json(t)["id"].(string), secret, nil); r.status != 403 {
		t.Fatalf("a read key revoked a key: %d %s", r.status, r.body)
	}
	if r := e.do("DELETE", "/api/v1/apikeys/"+k.json(t)["id"].(string), e.keys["admin"], nil); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/me", secret, nil); r.status != 401 {
		t.Fatalf("revoked key: %d", r.status)
	}
	// Removing a user revokes its keys at once.
	if r := e.do("DELETE", "/api/v1/orgs/"+e.fx.Platform.ID+"/users/"+e.fx.PlatView.ID, e.keys["admin"], nil); r.status != 204 {
		t.Fatalf("delete user: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/me", e.keys["viewer"], nil); r.status != 401 {
		t.Fatalf("removed user's key: %d", r.status)
	}
	audit := e.do("GET", "/api/v1/audit?limit=5", e.keys["admin"], nil)
	items := audit.json(t)["items"].([]any)
	if len(items) != 5 {
		t.Fatalf("audit: %s", audit.body)
	}
	for _, it := range items {
		if it.(map[string]any)["org_id"] != e.fx.Platform.ID {
			t.Fatalf("admin sees another org's audit event: %v", it)
		}
	}
	if r := e.do("GET", "/api/v1/openapi.json", "", nil); r.status != 200 || !strings.Contains(string(r.body), `"openapi": "3.1.0"`) {
		t.Fatalf("openapi: %d", r.status)
	}
	if r := e.do("GET", "/readyz", "", nil); r.status != 200 {
		t.Fatalf("readyz: %d", r.status)
	}
	if r := e.do("GET", "/metrics", "", nil); r.status != 200 || !strings.Contains(string(r.body), "ksp_http_requests_total") {
		t.Fatalf("metrics: %d", r.status)
	}
}
