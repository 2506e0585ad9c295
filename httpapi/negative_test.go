package httpapi_test

import (
	"strings"
	"testing"

	"github.com/kspplatform/ksp/httpapi"
)

// TestNegativeBankAPI walks an entry through the API: a member's own entry
// cancels its own matches only, a programme-wide proposal everyone's once
// staff approve it, and a removal restores the matches; each answer is
// checked against the OpenAPI document (do does).
func TestNegativeBankAPI(t *testing.T) {
	e := newEnv(t, httpapi.Config{KeyRate: 1e6, KeyBurst: 1e6, IPRate: 1e6, IPBurst: 1e6})
	md5 := strings.Repeat("9d", 16)
	if r := e.do("POST", "/api/v1/signals", e.keys["startup"], map[string]any{"type": "md5", "value": md5, "content_type": "video", "labels": []string{"propaganda"}, "basis": "branded_publication"}); r.status != 201 {
		t.Fatalf("submit: %d %s", r.status, r.body)
	}
	actionable := func(key string) bool {
		t.Helper()
		r := e.do("POST", "/api/v1/match", key, map[string]any{"queries": []map[string]string{{"type": "md5", "value": md5}}})
		m := r.json(t)["results"].([]any)[0].(map[string]any)["matches"].([]any)
		if r.status != 200 || len(m) != 1 {
			t.Fatalf("match: %d %s", r.status, r.body)
		}
		return m[0].(map[string]any)["actionable"].(bool)
	}
	add := e.do("POST", "/api/v1/negative-bank", e.keys["admin"], map[string]any{"type": "md5", "value": md5, "reason": "our logo", "scope": "programme"})
	if add.status != 201 || add.json(t)["scope"] != "programme" || add.json(t)["approved_at"] != nil {
		t.Fatalf("propose: %d %s", add.status, add.body)
	}
	id := add.json(t)["id"].(string)
	if actionable(e.keys["admin"]) || !actionable(e.keys["startup"]) {
		t.Fatal("a pending proposal must apply to its proposer only")
	}
	if r := e.do("GET", "/api/v1/negative-bank?pending=true", e.keys["staff"], nil); r.status != 200 || len(r.json(t)["items"].([]any)) != 1 {
		t.Fatalf("pending list: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/negative-bank?pending=maybe", e.keys["staff"], nil); r.status != 400 {
		t.Fatalf("pending=maybe: %d", r.status)
	}
	if r := e.do("POST", "/api/v1/negative-bank/"+id+"/approve", e.keys["admin"], nil); r.status != 403 {
		t.Fatalf("a member approved: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/negative-bank/"+id+"/approve", e.keys["staff"], nil); r.status != 200 || r.json(t)["approved_at"] == nil {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	if actionable(e.keys["startup"]) {
		t.Fatal("an approved entry must apply to everyone")
	}
	if r := e.do("DELETE", "/api/v1/negative-bank/"+id, e.keys["startup"], nil); r.status != 403 {
		t.Fatalf("another member removed it: %d %s", r.status, r.body)
	}
	if r := e.do("DELETE", "/api/v1/negative-bank/"+id, e.keys["admin"], nil); r.status != 204 {
		t.Fatalf("remove: %d %s", r.status, r.body)
	}
	if !actionable(e.keys["startup"]) || !actionable(e.keys["admin"]) {
		t.Fatal("a removed entry still applies")
	}
}
