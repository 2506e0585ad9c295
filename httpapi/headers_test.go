package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/httpapi"
)

// TestJSONAnswersAreNotCachedOrSniffed checks that every kind of JSON answer
// (success, error, the router's own 404, the raw OpenAPI route, health)
// carries Cache-Control: no-store and X-Content-Type-Options: nosniff.
func TestJSONAnswersAreNotCachedOrSniffed(t *testing.T) {
	e := newEnv(t, fast())
	tests := []struct {
		name, method, path, key string
		body                    any
		status                  int
	}{
		{"success", "GET", "/api/v1/me", "admin", nil, 200},
		{"list", "GET", "/api/v1/signals", "admin", nil, 200},
		{"no credential", "GET", "/api/v1/me", "", nil, 401},
		{"bad input", "POST", "/api/v1/signals", "admin", `{"type":`, 400},
		{"no such route", "GET", "/api/v1/nothing", "admin", nil, 404},
		{"openapi", "GET", "/api/v1/openapi.json", "", nil, 200},
		{"healthz", "GET", "/healthz", "", nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.method, tt.path, e.keys[tt.key], tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if got := r.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
			}
		})
	}
}

// TestMetricsToken reads /metrics as a client behind a proxy (not loopback):
// only the exact configured token opens it.
func TestMetricsToken(t *testing.T) {
	const token = "metrics-s3cret-token"
	e := newEnv(t, httpapi.Config{MetricsToken: token, KeyRate: 1e6, KeyBurst: 1e6, IPRate: 1e6, IPBurst: 1e6})
	open := newEnv(t, fast()) // no token configured
	tests := []struct {
		name   string
		env    *env
		auth   string
		status int
	}{
		{"right token", e, "Bearer " + token, 200},
		{"no header", e, "", 403},
		{"empty token", e, "Bearer ", 403},
		{"same length, other token", e, "Bearer " + strings.Repeat("x", len(token)), 403},
		{"prefix", e, "Bearer " + token[:len(token)-1], 403},
		{"longer", e, "Bearer " + token + "x", 403},
		{"not bearer", e, token, 403},
		{"none configured, empty token", open, "Bearer ", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", tt.env.srv.URL+"/metrics", nil)
			req.Header.Set("X-Forwarded-For", "203.0.113.9")
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
		})
	}
}

// TestErrorCodes checks the mapping of the unavailable code and that the
// OpenAPI document lists exactly the mapped codes.
func TestErrorCodes(t *testing.T) {
	want := []string{"conflict", "forbidden", "internal", "invalid", "not_found", "rate_limited", "resync_required", "too_large", "unauthorized", "unavailable"}
	if got := httpapi.ErrorCodes(); !slices.Equal(got, want) {
		t.Fatalf("ErrorCodes() = %v, want %v", got, want)
	}
	if s := httpapi.StatusOf(ksp.Errorf(ksp.EUNAVAILABLE, "busy")); s != http.StatusServiceUnavailable {
		t.Fatalf("unavailable maps to %d", s)
	}
	e := newEnv(t, fast())
	detail := e.doc["components"].(map[string]any)["schemas"].(map[string]any)["ErrorDetail"].(map[string]any)
	enum, _ := detail["properties"].(map[string]any)["code"].(map[string]any)["enum"].([]any)
	var got []string
	for _, c := range enum {
		got = append(got, c.(string))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("OpenAPI error codes %v, want %v", got, want)
	}
}
