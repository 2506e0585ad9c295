package httpapi_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/kspplatform/ksp/httpapi"
)

// TestTransparency drives the report routes: the public calendar report
// for anyone, other periods for staff and an org's own admins only,
// publishing by staff, the frozen bytes served as published, and the
// public lists of published reports and checkpoints.
func TestTransparency(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	year := fmt.Sprint(time.Now().UTC().Year() - 1)
	plat := e.fx.Platform.ID
	own := "/api/v1/transparency?from=" + year + "-02-01&to=" + year + "-02-28&org=" + plat
	cases := []struct {
		name, path, key string
		status          int
		field           string
	}{
		{"public year", "/api/v1/transparency?period=" + year, "", 200, ""},
		{"public quarter, member key", "/api/v1/transparency?period=" + year + "-Q4", e.keys["viewer"], 200, ""},
		{"arbitrary, anonymous", "/api/v1/transparency?from=" + year + "-02-01&to=" + year + "-02-28", "", 403, "period"},
		{"arbitrary, member", "/api/v1/transparency?from=" + year + "-02-01&to=" + year + "-02-28", e.keys["admin"], 403, "period"},
		{"arbitrary, staff", "/api/v1/transparency?from=1990-01-01&to=2099-12-31", e.keys["staff"], 200, ""},
		{"own org, admin", own, e.keys["admin"], 200, ""},
		{"own org, read-only key", own, e.keys["admin-readonly"], 200, ""},
		{"own org, key without read", own, e.keys["admin-matchonly"], 403, ""},
		{"own org, viewer", own, e.keys["viewer"], 403, ""},
		{"other org", own, e.keys["startup"], 404, ""},
		{"revoked key", "/api/v1/transparency?period=" + year, e.keys["revoked"], 401, ""},
		{"bad period", "/api/v1/transparency?period=" + year + "-Q7", "", 400, "period"},
		{"both forms", "/api/v1/transparency?period=" + year + "&from=" + year + "-01-01", "", 400, "period"},
		{"nothing", "/api/v1/transparency", "", 400, "period"},
		{"bad day", "/api/v1/transparency?from=" + year + "-02-30&to=" + year + "-03-01", e.keys["staff"], 400, "from"},
		{"bad org", "/api/v1/transparency?from=" + year + "-02-01&to=" + year + "-03-01&org=x'--", e.keys["staff"], 400, "org"},
	}
	for _, c := range cases {
		r := e.do("GET", c.path, c.key, nil)
		if r.status != c.status {
			t.Errorf("%s: %d %s", c.name, r.status, r.body)
			continue
		}
		if c.field != "" && !hasField(r.json(t), c.field) {
			t.Errorf("%s: error does not name %s: %s", c.name, c.field, r.body)
		}
		if c.status == 200 {
			m := r.json(t)
			for _, k := range []string{"period", "org", "membership", "submissions", "feedback", "disputes", "matching", "alerts", "incidents", "library", "staff", "suppressed"} {
				if _, ok := m[k]; !ok {
					t.Errorf("%s: no key %s", c.name, k)
				}
			}
		}
	}
	if m := e.do("GET", own, e.keys["admin"], nil).json(t); m["org"] != plat || m["membership"] != nil {
		t.Errorf("own report: org %v membership %v", m["org"], m["membership"])
	}

	// Publishing: staff with the admin scope, an ended period, once.
	for _, c := range []struct {
		key    string
		body   any
		status int
	}{
		{e.keys["admin"], map[string]any{"period": year}, 403},
		{e.keys["staff"], map[string]any{"period": "2999"}, 400},
		{e.keys["staff"], map[string]any{"period": year, "extra": 1}, 400},
		{e.keys["staff"], `{"period":`, 400},
	} {
		if r := e.do("POST", "/api/v1/transparency/publish", c.key, c.body); r.status != c.status {
			t.Errorf("publish %v: %d %s", c.body, r.status, r.body)
		}
	}
	live := e.do("GET", "/api/v1/transparency?period="+year, "", nil)
	r := e.do("POST", "/api/v1/transparency/publish", e.keys["staff"], map[string]any{"period": year})
	if r.status != 201 {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	sha := r.json(t)["sha256"].(string)
	if r := e.do("POST", "/api/v1/transparency/publish", e.keys["staff"], map[string]any{"period": year}); r.status != 409 {
		t.Errorf("publish twice: %d", r.status)
	}
	for _, path := range []string{"/api/v1/transparency?period=" + year, "/api/v1/transparency/published/" + year} {
		got := e.do("GET", path, "", nil)
		sum := sha256.Sum256(got.body)
		if got.status != 200 || hex.EncodeToString(sum[:]) != sha || got.header.Get("KSP-Report-SHA256") != sha || string(got.body) != string(live.body) {
			t.Errorf("%s: %d, sha %x, want %s\n%s", path, got.status, sum, sha, got.body)
		}
	}
	if r := e.do("GET", "/api/v1/transparency/published/2001", "", nil); r.status != 404 {
		t.Errorf("unpublished period: %d", r.status)
	}
	if r := e.do("GET", "/api/v1/transparency/published/nonsense", "", nil); r.status != 400 {
		t.Errorf("bad period: %d", r.status)
	}
	items := e.do("GET", "/api/v1/transparency/published", "", nil).json(t)["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["sha256"] != sha {
		t.Errorf("published list: %v", items)
	}
	if r := e.do("GET", "/api/v1/audit/checkpoints", "", nil); r.status != 200 {
		t.Errorf("checkpoints: %d %s", r.status, r.body)
	}
}
