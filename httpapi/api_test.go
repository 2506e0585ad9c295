package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/bank"
	"github.com/kspplatform/ksp/httpapi"
	"github.com/kspplatform/ksp/sqlite"
	"github.com/kspplatform/ksp/storetest"
)

type env struct {
	t   testing.TB
	srv *httptest.Server
	api *httpapi.Server
	fx  *storetest.Fixture
	doc map[string]any
	// keys by name
	keys map[string]string
}

func newEnv(t testing.TB, cfg httpapi.Config) *env {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ksp.db"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fx := storetest.NewFixture(t, db)
	if cfg.Matcher == nil {
		b := bank.New(db, quiet)
		if err := b.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		cfg.Matcher = b
	}
	api := httpapi.New(db, cfg, quiet)
	mux := http.NewServeMux()
	api.Health(mux)
	mux.Handle("/api/", api)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e := &env{t: t, srv: srv, api: api, fx: fx, keys: map[string]string{}}
	js, _ := json.Marshal(api.OpenAPI())
	json.Unmarshal(js, &e.doc)

	staffOrg := fx.StaffOrg(t)
	mk := func(name string, o *ksp.Org, u *ksp.User, scopes ...ksp.Scope) {
		k, err := db.CreateAPIKey(storetest.As(o, u), ksp.NewAPIKey{Name: name, Scopes: scopes})
		if err != nil {
			t.Fatalf("key %s: %v", name, err)
		}
		e.keys[name] = k.Secret
	}
	all := []ksp.Scope{ksp.ScopeRead, ksp.ScopeSubmit, ksp.ScopeMatch, ksp.ScopeAdmin}
	mk("staff", staffOrg, fx.StaffUser, all...)
	mk("admin", fx.Platform, fx.PlatAdmin, all...)
	mk("admin-readonly", fx.Platform, fx.PlatAdmin, ksp.ScopeRead)
	mk("admin-matchonly", fx.Platform, fx.PlatAdmin, ksp.ScopeMatch)
	mk("viewer", fx.Platform, fx.PlatView, ksp.ScopeRead, ksp.ScopeMatch)
	mk("revoked", fx.Platform, fx.PlatAdmin, all...)
	mk("startup", fx.Startup, fx.StartAdm, all...)
	mk("gov", fx.Gov, fx.GovAdmin, ksp.ScopeRead, ksp.ScopeSubmit, ksp.ScopeAdmin)
	mk("expired", fx.Platform, fx.PlatAdmin, all...)
	ctx := storetest.As(fx.Platform, fx.PlatAdmin)
	keys, _, _ := db.FindAPIKeys(ctx, ksp.APIKeyFilter{Page: ksp.Page{Limit: 100}})
	for _, k := range keys {
		switch k.Name {
		case "revoked":
			db.RevokeAPIKey(ctx, k.ID)
		case "expired":
			db.SQL().Exec(`UPDATE api_keys SET expires_at = ? WHERE id = ?`, time.Now().Add(-time.Minute).UnixMicro(), k.ID)
		}
	}
	return e
}

type resp struct {
	status int
	body   []byte
	header http.Header
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

func (e *env) do(method, path, key string, body any) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, _ := json.Marshal(b)
		rd = bytes.NewReader(js)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, body: b, header: res.Header}
	if strings.HasPrefix(path, "/api/v1/") && path != "/api/v1/openapi.json" && res.StatusCode != 204 {
		e.validate(method, path, r)
	}
	return r
}

var paramRE = regexp.MustCompile(`\{[a-z_]+\}`)

// validate checks a response against the OpenAPI document: the route's
// schema for its success status, the error schema otherwise.
func (e *env) validate(method, path string, r resp) {
	e.t.Helper()
	path, _, _ = strings.Cut(path, "?")
	paths := e.doc["paths"].(map[string]any)
	// Like the router, prefer the most literal pattern that matches.
	var op map[string]any
	params := 1 << 30
	for tmpl, item := range paths {
		re := regexp.MustCompile("^" + paramRE.ReplaceAllString(tmpl, "[^/]+") + "$")
		if n := strings.Count(tmpl, "{"); re.MatchString(path) && n < params {
			if o, ok := item.(map[string]any)[strings.ToLower(method)]; ok {
				op, params = o.(map[string]any), n
			}
		}
	}
	if op == nil {
		if r.status == 404 || r.status == 405 {
			return
		}
		e.t.Fatalf("%s %s is not in the OpenAPI document", method, path)
	}
	responses := op["responses"].(map[string]any)
	spec, ok := responses[fmt.Sprint(r.status)].(map[string]any)
	if !ok {
		if r.status < 400 {
			e.t.Fatalf("%s %s answered %d, which the document does not list", method, path, r.status)
		}
		spec = responses["default"].(map[string]any)
	}
	content, ok := spec["content"].(map[string]any)
	if !ok {
		return
	}
	schema := content["application/json"].(map[string]any)["schema"]
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		e.t.Fatalf("%s %s: body is not JSON: %v", method, path, err)
	}
	if err := e.check(schema, v, "$"); err != nil {
		e.t.Fatalf("%s %s (%d): response does not match the OpenAPI document: %v\n%s", method, path, r.status, err, r.body)
	}
}

// check is a small JSON Schema validator for the constructs the generator
// emits: $ref, type (string or list), properties, required,
// additionalProperties, propertyNames, items, enum, anyOf, format date-time.
func (e *env) check(schema any, v any, at string) error {
	s, _ := schema.(map[string]any)
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		return e.check(e.doc["components"].(map[string]any)["schemas"].(map[string]any)[name], v, at)
	}
	if any_, ok := s["anyOf"].([]any); ok {
		var errs []string
		for _, alt := range any_ {
			if err := e.check(alt, v, at); err == nil {
				return nil
			} else {
				errs = append(errs, err.Error())
			}
		}
		return fmt.Errorf("%s matches no alternative: %s", at, strings.Join(errs, " | "))
	}
	if t, ok := s["type"]; ok {
		var types []string
		switch x := t.(type) {
		case string:
			types = []string{x}
		case []any:
			for _, y := range x {
				types = append(types, y.(string))
			}
		}
		okType := false
		for _, ty := range types {
			if jsonType(v, ty) {
				okType = true
			}
		}
		if !okType {
			return fmt.Errorf("%s: %T is not %v", at, v, types)
		}
	}
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, x := range enum {
			if x == v {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("%s: %v not in %v", at, v, enum)
		}
	}
	if s["format"] == "date-time" {
		str, _ := v.(string)
		if _, err := time.Parse(time.RFC3339, str); err != nil || !regexp.MustCompile(`\.\d{6}Z$`).MatchString(str) {
			return fmt.Errorf("%s: %q is not RFC 3339 UTC with microseconds", at, str)
		}
	}
	switch x := v.(type) {
	case map[string]any:
		if pn, ok := s["propertyNames"]; ok {
			for k := range x {
				if err := e.check(pn, k, at+" key "+k); err != nil {
					return err
				}
			}
		}
		props, _ := s["properties"].(map[string]any)
		for _, req := range asStrings(s["required"]) {
			if _, ok := x[req]; !ok {
				return fmt.Errorf("%s: required field %q missing", at, req)
			}
		}
		for k, val := range x {
			if ps, ok := props[k]; ok {
				if err := e.check(ps, val, at+"."+k); err != nil {
					return err
				}
			} else if ap, ok := s["additionalProperties"]; ok {
				if ap == false {
					return fmt.Errorf("%s: field %q is not documented", at, k)
				}
				if err := e.check(ap, val, at+"."+k); err != nil {
					return err
				}
			}
		}
	case []any:
		for i, it := range x {
			if err := e.check(s["items"], it, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func asStrings(v any) []string {
	var out []string
	switch x := v.(type) {
	case []any:
		for _, y := range x {
			out = append(out, y.(string))
		}
	case []string:
		out = x
	}
	return out
}

func jsonType(v any, t string) bool {
	switch t {
	case "null":
		return v == nil
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	case "number":
		_, ok := v.(float64)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

func wantError(t *testing.T, r resp, status int, code, field string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	m := r.json(t)
	er, _ := m["error"].(map[string]any)
	if er == nil || er["code"] != code {
		t.Fatalf("error %v, want code %s", m, code)
	}
	if field != "" {
		fields, _ := er["fields"].([]any)
		if len(fields) == 0 || fields[0].(map[string]any)["field"] != field {
			t.Fatalf("fields %v, want %s", er["fields"], field)
		}
	}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))
