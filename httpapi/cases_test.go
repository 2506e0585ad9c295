package httpapi_test

import (
	"encoding/csv"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/storetest"
)

// TestCasesAPI walks a case through the API: opened by the start-up,
// merged on a second match, refused to every other org and to staff
// (who see counts), decided with feedback, statement and preservation,
// exported as JSON and CSV; a read-only key and a viewer cannot act.
func TestCasesAPI(t *testing.T) {
	e := newEnv(t, fast())
	fx := e.fx
	sub := storetest.Submission(1, ksp.DistMembers, ksp.TLPGreen)
	sub.Severity = "high"
	r := e.do("POST", "/api/v1/signals", e.keys["admin"], sub)
	if r.status != 201 {
		t.Fatalf("submit: %d %s", r.status, r.body)
	}
	sig := r.json(t)["id"].(string)
	k, err := fx.DB.CreateAPIKey(storetest.As(fx.Startup, fx.StartAdm), ksp.NewAPIKey{Name: "ro", Scopes: []ksp.Scope{ksp.ScopeRead}})
	if err != nil {
		t.Fatal(err)
	}
	e.keys["startup-readonly"] = k.Secret

	body := map[string]any{"content_ref": "https://tiny-startup.example/m/42", "matches": []map[string]any{{"signal_id": sig, "distance": 3}}}
	r = e.do("POST", "/api/v1/cases", e.keys["startup"], body)
	if r.status != 201 {
		t.Fatalf("open: %d %s", r.status, r.body)
	}
	c := r.json(t)
	id := c["id"].(string)
	if p := c["priority"].(float64); p < 5 || p > 8 {
		t.Errorf("priority %v for a high signal", p)
	}
	r = e.do("POST", "/api/v1/cases", e.keys["startup"], body)
	if r.status != 200 || r.json(t)["id"] != id {
		t.Fatalf("second open: %d %s, want 200 and the same case", r.status, r.body)
	}

	refusals := []struct {
		name, method, path, key string
		body                    any
		status                  int
		code, field             string
	}{
		{"another org reads it", "GET", "/api/v1/cases/" + id, "admin", nil, 404, "not_found", ""},
		{"staff read it", "GET", "/api/v1/cases/" + id, "staff", nil, 404, "not_found", ""},
		{"another org decides it", "POST", "/api/v1/cases/" + id + "/decision", "admin", map[string]any{"decision": "keep", "policy_clause": "x"}, 404, "not_found", ""},
		{"staff decide it", "POST", "/api/v1/cases/" + id + "/decision", "staff", map[string]any{"decision": "keep", "policy_clause": "x"}, 403, "forbidden", ""},
		{"read-only key decides", "POST", "/api/v1/cases/" + id + "/decision", "startup-readonly", map[string]any{"decision": "keep", "policy_clause": "x"}, 403, "forbidden", ""},
		{"read-only key lists", "GET", "/api/v1/cases", "startup-readonly", nil, 403, "forbidden", ""},
		{"viewer opens", "POST", "/api/v1/cases", "viewer", body, 403, "forbidden", ""},
		{"anonymous lists", "GET", "/api/v1/cases", "", nil, 401, "unauthorized", ""},
		{"another org assigns", "POST", "/api/v1/cases/" + id + "/assign", "admin", map[string]any{"user_id": fx.PlatAdmin.ID}, 404, "not_found", ""},
		{"assign across orgs", "POST", "/api/v1/cases/" + id + "/assign", "startup", map[string]any{"user_id": fx.PlatAdmin.ID}, 400, "invalid", "user_id"},
		{"bad decision", "POST", "/api/v1/cases/" + id + "/decision", "startup", map[string]any{"decision": "ban", "policy_clause": "x"}, 400, "invalid", "decision"},
		{"no clause", "POST", "/api/v1/cases/" + id + "/decision", "startup", map[string]any{"decision": "remove"}, 400, "invalid", "policy_clause"},
		{"unknown field", "POST", "/api/v1/cases/" + id + "/decision", "startup", map[string]any{"decision": "remove", "policy_clause": "x", "auto_remove": true}, 400, "invalid", ""},
		{"not JSON", "POST", "/api/v1/cases", "startup", "{", 400, "invalid", ""},
		{"no reference", "POST", "/api/v1/cases", "startup", map[string]any{"matches": []map[string]any{{"signal_id": sig}}}, 400, "invalid", "content_ref"},
		{"unknown signal", "POST", "/api/v1/cases", "startup", map[string]any{"content_ref": "x", "matches": []map[string]any{{"signal_id": ksp.NewID()}}}, 400, "invalid", "matches[0].signal_id"},
		{"bad status filter", "GET", "/api/v1/cases?status=closed", "startup", nil, 400, "invalid", "status"},
		{"bad period", "GET", "/api/v1/cases/statements?from=yesterday", "startup", nil, 400, "invalid", "from"},
		{"member counts another org", "GET", "/api/v1/cases/counts?org=" + fx.Startup.ID, "admin", nil, 404, "not_found", ""},
		{"unknown case", "GET", "/api/v1/cases/" + ksp.NewID(), "startup", nil, 404, "not_found", ""},
		{"body too large", "POST", "/api/v1/cases", "startup", map[string]any{"content_ref": strings.Repeat("x", 2<<20), "matches": []map[string]any{{"signal_id": sig}}}, 413, "too_large", ""},
		{"reference too long", "POST", "/api/v1/cases", "startup", map[string]any{"content_ref": strings.Repeat("x", 2001), "matches": []map[string]any{{"signal_id": sig}}}, 400, "invalid", "content_ref"},
		{"too many matches", "POST", "/api/v1/cases", "startup", map[string]any{"content_ref": "x", "matches": make([]map[string]any, 101)}, 400, "invalid", "matches"},
		{"bad legal hold", "POST", "/api/v1/cases/" + id + "/legal-hold", "startup", map[string]any{"hold": true}, 400, "invalid", "legal_hold"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, e.do(tc.method, tc.path, e.keys[tc.key], tc.body), tc.status, tc.code, tc.field)
		})
	}
	for _, key := range []string{"admin", "staff"} {
		if r := e.do("GET", "/api/v1/cases", e.keys[key], nil); r.status != 200 || len(r.json(t)["items"].([]any)) != 0 {
			t.Errorf("%s lists the start-up's cases: %d %s", key, r.status, r.body)
		}
	}
	if r := e.do("GET", "/api/v1/cases/counts", e.keys["staff"], nil); r.status != 200 || r.json(t)["open"].(float64) != 1 {
		t.Errorf("staff counts: %d %s", r.status, r.body)
	}

	r = e.do("POST", "/api/v1/cases/"+id+"/assign", e.keys["startup"], map[string]any{"user_id": fx.StartAdm.ID})
	if r.status != 200 || r.json(t)["assigned_to"] != fx.StartAdm.ID {
		t.Fatalf("assign: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/cases?assigned_to=me&status=open", e.keys["startup"], nil); r.status != 200 || len(r.json(t)["items"].([]any)) != 1 {
		t.Errorf("my open cases: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/v1/cases/"+id+"/decision", e.keys["startup"], map[string]any{"decision": "remove", "policy_clause": "=HYPERLINK(\"x\") ToS 4", "note": "still image"})
	if r.status != 200 {
		t.Fatalf("decide: %d %s", r.status, r.body)
	}
	d := r.json(t)
	if d["status"] != "decided" || d["preserve_until"] == nil || d["statement_of_reasons"] == nil {
		t.Fatalf("decided case: %s", r.body)
	}
	sor := d["statement_of_reasons"].(map[string]any)
	if sor["category"] != "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY" || sor["automated_detection"] != "Yes" {
		t.Errorf("statement: %v", sor)
	}
	r = e.do("GET", "/api/v1/signals/"+sig, e.keys["startup"], nil)
	if fb := r.json(t)["feedback"].(map[string]any); fb["true_positive"] != 1.0 {
		t.Errorf("feedback after remove: %v", fb)
	}
	wantError(t, e.do("POST", "/api/v1/cases/"+id+"/decision", e.keys["startup"], map[string]any{"decision": "keep", "policy_clause": "x"}), 409, "conflict", "decision")

	r = e.do("GET", "/api/v1/cases/statements", e.keys["startup"], nil)
	if r.status != 200 || len(r.json(t)["items"].([]any)) != 1 {
		t.Fatalf("statements: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/cases/statements", e.keys["admin"], nil); len(r.json(t)["items"].([]any)) != 0 {
		t.Errorf("another org exports the start-up's statements: %s", r.body)
	}
	r = e.do("GET", "/api/v1/cases/statements.csv", e.keys["startup"], nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %s", r.status, r.body)
	}
	rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
	if err != nil || len(rows) != 2 || rows[0][0] != "case_id" || rows[1][0] != id {
		t.Fatalf("CSV rows %v (%v)", rows, err)
	}
	for _, cell := range rows[1] {
		if strings.HasPrefix(cell, "=") {
			t.Errorf("CSV cell %q would run as a formula", cell)
		}
	}
	if r := e.do("GET", "/api/v1/cases?preserved=true", e.keys["startup"], nil); len(r.json(t)["items"].([]any)) != 1 {
		t.Errorf("preservation list: %s", r.body)
	}
	r = e.do("POST", "/api/v1/cases/"+id+"/legal-hold", e.keys["startup"], map[string]any{"hold": true})
	if r.status != 200 || r.json(t)["legal_hold"] != true {
		t.Errorf("legal hold: %d %s", r.status, r.body)
	}
}
