package httpapi_test

import (
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/httpapi"
	"github.com/kspplatform/ksp/storetest"
)

// TestKeyScopesBind: scopes bind staff and admins as much as anyone. A read
// key approves no application and settles no dispute; an admin's read key
// neither lists the organisation's keys nor revokes or creates keys; a key
// creates only keys within its own scopes.
func TestKeyScopesBind(t *testing.T) {
	e := newEnv(t, httpapi.Config{KeyRate: 1e6, KeyBurst: 1e6, IPRate: 1e6, IPBurst: 1e6, ApplyPerHour: 1e6})
	staffOrg := e.fx.StaffOrg(t)
	mk := func(o *ksp.Org, u *ksp.User, scopes ...ksp.Scope) (id, secret string) {
		k, err := e.fx.DB.CreateAPIKey(storetest.As(o, u), ksp.NewAPIKey{Name: "k", Scopes: scopes})
		if err != nil {
			t.Fatal(err)
		}
		return k.ID, k.Secret
	}
	_, staffRead := mk(staffOrg, e.fx.StaffUser, ksp.ScopeRead)
	_, readAdmin := mk(e.fx.Platform, e.fx.PlatAdmin, ksp.ScopeRead, ksp.ScopeAdmin)
	victim, _ := mk(e.fx.Platform, e.fx.PlatView, ksp.ScopeRead)
	app := e.do("POST", "/api/v1/applications", "", map[string]any{"org_name": "Clip Share", "kind": "platform", "size": "small", "website": "https://clipshare.example",
		"contact_name": "Ada", "contact_email": "ada@clipshare.example", "motivation": "video host"})
	appID := app.json(t)["id"].(string)
	tests := []struct {
		name, method, path, key string
		body                    any
		status                  int
	}{
		{"staff read key approves", "POST", "/api/v1/applications/" + appID + "/approve", staffRead, nil, 403},
		{"staff read key rejects", "POST", "/api/v1/applications/" + appID + "/reject", staffRead, map[string]any{"reason": "no"}, 403},
		{"staff read key resolves a dispute", "POST", "/api/v1/signals/" + e.fx.Platform.ID + "/resolve", staffRead, map[string]any{"resolution": "upheld", "reason": "x"}, 403},
		{"staff read key lists applications", "GET", "/api/v1/applications", staffRead, nil, 200},
		{"admin read key lists the org's keys", "GET", "/api/v1/apikeys?org=1", e.keys["admin-readonly"], nil, 403},
		{"admin read key lists its own keys", "GET", "/api/v1/apikeys", e.keys["admin-readonly"], nil, 200},
		{"admin key lists the org's keys", "GET", "/api/v1/apikeys?org=true", e.keys["admin"], nil, 200},
		{"admin read key revokes another's key", "DELETE", "/api/v1/apikeys/" + victim, e.keys["admin-readonly"], nil, 403},
		{"admin read key creates a key", "POST", "/api/v1/apikeys", e.keys["admin-readonly"], map[string]any{"name": "x", "scopes": []string{"read"}}, 403},
		{"viewer key creates a key", "POST", "/api/v1/apikeys", e.keys["viewer"], map[string]any{"name": "x", "scopes": []string{"read"}}, 403},
		{"key creates a stronger key", "POST", "/api/v1/apikeys", readAdmin, map[string]any{"name": "x", "scopes": []string{"read", "submit"}}, 400},
		{"key creates a key within its scopes", "POST", "/api/v1/apikeys", readAdmin, map[string]any{"name": "x", "scopes": []string{"read"}}, 201},
		{"admin key revokes another's key", "DELETE", "/api/v1/apikeys/" + victim, e.keys["admin"], nil, 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := e.do(tt.method, tt.path, tt.key, tt.body); r.status != tt.status {
				t.Fatalf("status %d %s, want %d", r.status, r.body, tt.status)
			}
		})
	}
	if r := e.do("GET", "/api/v1/applications/"+appID, e.keys["staff"], nil); r.json(t)["status"] != ksp.AppPending {
		t.Fatalf("application after refusals: %s", r.body)
	}
}

// TestSuspendedOrgAdmin: through the API, a suspended org's admin creates
// neither users nor keys.
func TestSuspendedOrgAdmin(t *testing.T) {
	e := newEnv(t, httpapi.Config{KeyRate: 1e6, KeyBurst: 1e6, IPRate: 1e6, IPBurst: 1e6, ApplyPerHour: 1e6})
	if r := e.do("PATCH", "/api/v1/orgs/"+e.fx.Startup.ID, e.keys["staff"], map[string]any{"status": "suspended"}); r.status != 200 {
		t.Fatalf("suspend: %d %s", r.status, r.body)
	}
	for _, c := range []struct {
		name, path string
		body       any
	}{
		{"user", "/api/v1/orgs/" + e.fx.Startup.ID + "/users", map[string]any{"email": "new@tiny.example", "role": "viewer"}},
		{"key", "/api/v1/apikeys", map[string]any{"name": "x", "scopes": []string{"read"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do("POST", c.path, e.keys["startup"], c.body)
			if r.status != 403 || !strings.Contains(string(r.body), "suspended") {
				t.Fatalf("status %d %s, want 403 suspended", r.status, r.body)
			}
		})
	}
	if r := e.do("PATCH", "/api/v1/orgs/"+e.fx.Startup.ID, e.keys["staff"], map[string]any{"status": "member"}); r.status != 200 {
		t.Fatalf("reinstate: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/apikeys", e.keys["startup"], map[string]any{"name": "x", "scopes": []string{"read"}}); r.status != 201 {
		t.Fatalf("reinstated admin's key: %d %s", r.status, r.body)
	}
}
