package httpapi_test

import (
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/storetest"
)

// TestSignalsSearchSort: GET /api/v1/signals takes the web list's q and
// sort, and names them when they are wrong.
func TestSignalsSearchSort(t *testing.T) {
	e := newEnv(t, fast())
	for i := 0; i < 3; i++ {
		if r := e.do("POST", "/api/v1/signals", e.keys["admin"], submission(i, ksp.DistMembers, ksp.TLPGreen)); r.status != 201 {
			t.Fatalf("submit: %d %s", r.status, r.body)
		}
	}
	// The startup's owner-only value is not found by the platform.
	if r := e.do("POST", "/api/v1/signals", e.keys["startup"], submission(9, ksp.DistOwner, ksp.TLPRed)); r.status != 201 {
		t.Fatalf("submit: %d %s", r.status, r.body)
	}
	items := func(path string) []string {
		r := e.do("GET", path, e.keys["admin"], nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		var out []string
		for _, it := range r.json(t)["items"].([]any) {
			out = append(out, it.(map[string]any)["value"].(string))
		}
		return out
	}
	if got := items("/api/v1/signals?q=" + strings.ToUpper(storetest.PDQValue(1)[:9])); len(got) != 1 || got[0] != storetest.PDQValue(1) {
		t.Fatalf("search: %v", got)
	}
	if got := items("/api/v1/signals?q=" + storetest.PDQValue(9)); len(got) != 0 {
		t.Fatalf("the startup's owner-only value is found: %v", got)
	}
	asc, desc := items("/api/v1/signals?sort=first_seen"), items("/api/v1/signals?sort=-first_seen")
	if len(asc) != 3 || asc[0] != storetest.PDQValue(0) || desc[0] != storetest.PDQValue(2) {
		t.Fatalf("sorts: %v / %v", asc, desc)
	}
	wantError(t, e.do("GET", "/api/v1/signals?sort=most", e.keys["admin"], nil), 400, "invalid", "sort")
	wantError(t, e.do("GET", "/api/v1/signals?q=a%20b", e.keys["admin"], nil), 400, "invalid", "q")
}
