package httpapi_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/httpapi"
	"github.com/kspplatform/ksp/storetest"
)

// TestRouteTableAuth proves, for every route of the table, that a missing,
// bad, revoked or expired key is 401 (public routes too, for a presented bad
// key), that every other route names a role and a scope, that a caller below
// the route's role is 403, and that a key of someone who holds the role
// (staff for staff routes, an org admin otherwise) but lacks the route's
// scope is 403 for want of that scope, while the same holder's key with
// every scope is not. A route added without a scope fails here.
func TestRouteTableAuth(t *testing.T) {
	e := newEnv(t, httpapi.Config{KeyRate: 1e6, KeyBurst: 1e6, IPRate: 1e6, IPBurst: 1e6, ApplyPerHour: 1e6})
	badKey := "ksp_" + strings.Repeat("Z", 40)
	// The user in {uid} paths: DELETE removes it, and the keys below must
	// outlive that.
	target, _, err := e.fx.DB.CreateUser(storetest.Staff(), e.fx.Platform.ID, ksp.NewUser{Email: "target@big.example", Role: ksp.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	lacking := map[bool]map[ksp.Scope]string{false: e.keysLacking(e.fx.Platform, e.fx.PlatAdmin), true: e.keysLacking(e.fx.StaffOrg(t), e.fx.StaffUser)}
	full := map[bool]string{false: e.keys["admin"], true: e.keys["staff"]}
	for _, rt := range e.api.Routes() {
		path := strings.NewReplacer("{id}", e.fx.Platform.ID, "{uid}", target.ID, "{domain}", "big-platform.example").Replace(rt.Path)
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			for _, k := range []struct{ name, key string }{{"bad", badKey}, {"malformed", "not-a-key"}, {"revoked", e.keys["revoked"]}, {"expired", e.keys["expired"]}} {
				if r := e.do(rt.Method, path, k.key, nil); r.status != 401 {
					t.Errorf("%s key: status %d, want 401", k.name, r.status)
				}
			}
			if rt.Public {
				return
			}
			if r := e.do(rt.Method, path, "", nil); r.status != 401 && !rt.Anonymous {
				t.Errorf("no key: status %d, want 401", r.status)
			}
			if rt.Role == "" && !rt.Staff {
				t.Errorf("the route names no role")
			}
			if !slices.Contains(ksp.Scopes, rt.Scope) {
				t.Fatalf("the route names no key scope (%q): every route checks role and scope", rt.Scope)
			}
			var below string
			switch {
			case rt.Staff:
				below = "admin"
			case rt.Role == ksp.RoleAdmin, rt.Role == ksp.RoleAnalyst:
				below = "viewer"
			}
			if below != "" {
				if r := e.do(rt.Method, path, e.keys[below], nil); r.status != 403 {
					t.Errorf("below role (%s): status %d, want 403", below, r.status)
				}
			}
			scopeRefusal := "this needs a key with the " + string(rt.Scope) + " scope"
			r := e.do(rt.Method, path, lacking[rt.Staff][rt.Scope], nil)
			if r.status != 403 || !strings.Contains(string(r.body), scopeRefusal) {
				t.Errorf("key without the %s scope: %d %s, want 403 %q", rt.Scope, r.status, r.body, scopeRefusal)
			}
			if r := e.do(rt.Method, path, full[rt.Staff], nil); strings.Contains(string(r.body), "scope") && r.status == 403 {
				t.Errorf("key with every scope: %d %s", r.status, r.body)
			}
		})
	}
}

// keysLacking makes, for each scope, a key of u holding every other scope.
func (e *env) keysLacking(o *ksp.Org, u *ksp.User) map[ksp.Scope]string {
	e.t.Helper()
	out := map[ksp.Scope]string{}
	for _, missing := range ksp.Scopes {
		scopes := slices.DeleteFunc(slices.Clone(ksp.Scopes), func(s ksp.Scope) bool { return s == missing })
		k, err := e.fx.DB.CreateAPIKey(storetest.As(o, u), ksp.NewAPIKey{Name: "without " + string(missing), Scopes: scopes})
		if err != nil {
			e.t.Fatalf("key without %s: %v", missing, err)
		}
		out[missing] = k.Secret
	}
	return out
}

func TestBadInput(t *testing.T) {
	e := newEnv(t, httpapi.Config{KeyRate: 1e6, KeyBurst: 1e6, IPRate: 1e6, IPBurst: 1e6, ApplyPerHour: 1e6, BodyLimit: 4096})
	good := `{"org_name":"Clip","kind":"platform","size":"startup","website":"https://clip.example","domains":["clip.example"],"contact_name":"Ada","contact_email":"ada@clip.example","motivation":"video host"}`
	tests := []struct {
		name   string
		body   string
		status int
		code   string
		field  string
	}{
		{"malformed JSON", `{"org_name":`, 400, "invalid", "body"},
		{"not JSON", `hello`, 400, "invalid", "body"},
		{"empty", ``, 400, "invalid", "body"},
		{"wrong type", strings.Replace(good, `"Clip"`, `42`, 1), 400, "invalid", "org_name"},
		{"wrong type list", strings.Replace(good, `["clip.example"]`, `"clip.example"`, 1), 400, "invalid", "domains"},
		{"unknown field", strings.Replace(good, `{`, `{"admin":true,`, 1), 400, "invalid", "admin"},
		{"trailing data", good + `{}`, 400, "invalid", "body"},
		{"invalid email", strings.Replace(good, "ada@clip.example", "ada-at-clip", 1), 400, "invalid", "contact_email"},
		{"unknown kind", strings.Replace(good, `"platform"`, `"company"`, 1), 400, "invalid", "kind"},
		{"the secretariat's name", strings.Replace(good, `"Clip"`, `"ksp  SECRETARIAT"`, 1), 400, "invalid", "org_name"},
		{"oversize", `{"org_name":"` + strings.Repeat("x", 5000) + `"}`, 413, "too_large", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, e.do("POST", "/api/v1/applications", "", tt.body), tt.status, tt.code, tt.field)
		})
	}
	r := e.do("GET", "/api/v1/applications", e.keys["staff"], nil)
	if items := r.json(t)["items"].([]any); len(items) != 0 {
		t.Fatalf("bad input was written: %d applications", len(items))
	}
	if r := e.do("POST", "/api/v1/applications", "", good); r.status != 201 {
		t.Fatalf("good application: %d %s", r.status, r.body)
	}
	// limits
	wantError(t, e.do("GET", "/api/v1/orgs?limit=1001", e.keys["admin"], nil), 400, "invalid", "limit")
	wantError(t, e.do("GET", "/api/v1/orgs?limit=x", e.keys["admin"], nil), 400, "invalid", "limit")
	wantError(t, e.do("GET", "/api/v1/orgs?cursor=%21%21", e.keys["admin"], nil), 400, "invalid", "cursor")
	// a distribution/tlp pair that is not allowed is refused by the sharing
	// rule wherever items are written; see the signals tests.
	wantError(t, e.do("PATCH", "/api/v1/orgs/"+e.fx.Platform.ID, e.keys["admin"], `{"status":"suspended"}`), 400, "invalid", "status")
	wantError(t, e.do("PATCH", "/api/v1/orgs/"+e.fx.Platform.ID, e.keys["admin"], `{"name":"K S P Secretariat"}`), 400, "invalid", "name")
	wantError(t, e.do("GET", "/api/v1/orgs/not-an-id", e.keys["admin"], nil), 404, "not_found", "")
	wantError(t, e.do("GET", "/api/v1/nothing", e.keys["admin"], nil), 404, "not_found", "")
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, httpapi.Config{KeyRate: 1, KeyBurst: 3, IPRate: 1, IPBurst: 2, ApplyPerHour: 1})
	var last resp
	for i := 0; i < 5; i++ {
		last = e.do("GET", "/api/v1/me", e.keys["admin"], nil)
	}
	wantError(t, last, 429, "rate_limited", "")
	// One token a second: the refusal says to come back in one second.
	if got := last.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q, want 1", got)
	}
	// Another key is not affected.
	if r := e.do("GET", "/api/v1/me", e.keys["viewer"], nil); r.status != 200 {
		t.Fatalf("other key: %d", r.status)
	}
	for i := 0; i < 3; i++ {
		last = e.do("GET", "/api/v1/openapi.json", "", nil)
	}
	if last.status != 429 || last.header.Get("Retry-After") != "1" {
		t.Fatalf("anonymous burst: %d, Retry-After %q, want 429 and 1", last.status, last.header.Get("Retry-After"))
	}
}
