package httpapi_test

import (
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/httpapi"
)

func assessmentBody(option string) map[string]any {
	m := map[string]any{}
	for _, q := range ksp.CurrentAssessmentTemplate.Questions {
		m[q.ID] = option
	}
	return map[string]any{"answers": m}
}

func TestAssessmentAPI(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	r := e.do("GET", "/api/v1/assessments/template", e.keys["viewer"], nil)
	if r.status != 200 || len(r.json(t)["questions"].([]any)) != len(ksp.CurrentAssessmentTemplate.Questions) {
		t.Fatalf("template: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/v1/assessments", e.keys["startup"], assessmentBody("partial"))
	if r.status != 201 || r.json(t)["overall"] != float64(33) {
		t.Fatalf("submit: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	r = e.do("GET", "/api/v1/assessments/"+id, e.keys["startup"], nil)
	if r.status != 200 || len(r.json(t)["recommendations"].([]any)) != 5 {
		t.Fatalf("get own: %d %s", r.status, r.body)
	}
	// The attack: staff (every scope) and another org fetch it.
	wantError(t, e.do("GET", "/api/v1/assessments/"+id, e.keys["staff"], nil), 404, "not_found", "")
	wantError(t, e.do("GET", "/api/v1/assessments/"+id, e.keys["admin"], nil), 404, "not_found", "")
	for _, k := range []string{"staff", "admin"} {
		r = e.do("GET", "/api/v1/assessments", e.keys[k], nil)
		if r.status != 200 || len(r.json(t)["items"].([]any)) != 0 {
			t.Fatalf("%s lists others' assessments: %s", k, r.body)
		}
	}
	// Staff get the aggregate, suppressed with one org; members do not.
	r = e.do("GET", "/api/v1/assessments/aggregate", e.keys["staff"], nil)
	if m := r.json(t); r.status != 200 || m["overall"] != nil || len(m["suppressed"].([]any)) == 0 {
		t.Fatalf("aggregate: %d %s", r.status, r.body)
	}
	wantError(t, e.do("GET", "/api/v1/assessments/aggregate", e.keys["admin"], nil), 403, "forbidden", "")
	// Bad input and scopes.
	bad := assessmentBody("full")
	bad["answers"].(map[string]any)["made_up"] = "full"
	wantError(t, e.do("POST", "/api/v1/assessments", e.keys["admin"], bad), 400, "invalid", "answers.made_up")
	wantError(t, e.do("POST", "/api/v1/assessments", e.keys["admin"], map[string]any{"answers": map[string]any{"hr_notice": 3}}), 400, "invalid", "answers")
	wantError(t, e.do("POST", "/api/v1/assessments", e.keys["admin-readonly"], assessmentBody("full")), 403, "forbidden", "")
	wantError(t, e.do("POST", "/api/v1/assessments", e.keys["viewer"], assessmentBody("full")), 403, "forbidden", "")
	wantError(t, e.do("GET", "/api/v1/assessments/template", "", nil), 401, "unauthorized", "")
}
