package httpapi_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/httpapi"
	"github.com/kspplatform/ksp/storetest"
)

// TestEntitiesAPI imports the 2024 UN list through the API and reads it
// back: staff import, members read, nobody else writes, the body limit and
// the refusals of the importer come back with their codes.
func TestEntitiesAPI(t *testing.T) {
	y2024 := storetest.UNSCSnapshot(t, "consolidated-2024-09-26.xml")
	y2017 := storetest.UNSCSnapshot(t, "consolidated-2017-07-03.xml")
	e := newEnv(t, fast())

	imports := []struct {
		name, query, key string
		body             []byte
		status           int
		code, field      string
		want             ksp.ImportCounts
	}{
		{name: "member admin", query: "source=unsc", key: "admin", body: y2024, status: 403, code: "forbidden"},
		{name: "anonymous", query: "source=unsc", key: "", body: y2024, status: 401, code: "unauthorized"},
		{name: "unknown source", query: "source=eu", key: "staff", body: y2024, status: 400, code: "invalid", field: "source"},
		{name: "bad force", query: "source=unsc&force=yes", key: "staff", body: y2024, status: 400, code: "invalid", field: "force"},
		{name: "foreign XML", query: "source=unsc", key: "staff", body: []byte(`<html><body/></html>`), status: 400, code: "invalid", field: "file"},
		{name: "2024", query: "source=unsc", key: "staff", body: y2024, status: 200, want: ksp.ImportCounts{Added: 875}},
		{name: "2024 again", query: "source=unsc", key: "staff", body: y2024, status: 200, want: ksp.ImportCounts{Unchanged: 875}},
		{name: "older", query: "source=unsc", key: "staff", body: y2017, status: 409, code: "conflict"},
		{name: "too large", query: "source=unsc", key: "staff", body: []byte(strings.Repeat(" ", httpapi.UNSCImportLimit+1)), status: 413, code: "too_large"},
	}
	for _, im := range imports {
		r := e.do("POST", "/api/v1/entities/import?"+im.query, e.keys[im.key], im.body)
		if im.code != "" {
			t.Run(im.name, func(t *testing.T) { wantError(t, r, im.status, im.code, im.field) })
			continue
		}
		var got ksp.ImportCounts
		if r.status != im.status || json.Unmarshal(r.body, &got) != nil || got != im.want {
			t.Errorf("%s: %d %s, want %d %+v", im.name, r.status, r.body, im.status, im.want)
		}
	}

	// Members read: by reference number, by id, by name and regime.
	r := e.do("GET", "/api/v1/entities/QDe.115", e.keys["viewer"], nil)
	var aqi ksp.Entity
	if r.status != 200 || json.Unmarshal(r.body, &aqi) != nil || aqi.Name != "AL-QAIDA IN IRAQ" || len(aqi.Lists) != 1 || aqi.Lists[0].Regime != "Al-Qaida" {
		t.Fatalf("GET QDe.115: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/entities/"+aqi.ID, e.keys["viewer"], nil); r.status != 200 {
		t.Errorf("GET by id: %d %s", r.status, r.body)
	}
	wantError(t, e.do("GET", "/api/v1/entities/QDe.000", e.keys["viewer"], nil), 404, "not_found", "")
	wantError(t, e.do("GET", "/api/v1/entities/QDe.115", "", nil), 401, "unauthorized", "")
	wantError(t, e.do("GET", "/api/v1/entities", e.keys["admin-matchonly"], nil), 403, "forbidden", "")

	searches := []struct {
		query string
		want  int // -1: at least one
	}{
		{"q=" + url.QueryEscape("haji mudir"), 1},
		{"q=" + url.QueryEscape("al-qaida in iraq") + "&regime=Al-Qaida", -1},
		{"q=" + url.QueryEscape("al-qaida in iraq") + "&regime=Taliban", 0},
		{"regime=Haiti&limit=1000", -1},
	}
	for _, s := range searches {
		r := e.do("GET", "/api/v1/entities?"+s.query, e.keys["viewer"], nil)
		var body httpapi.ListBody[ksp.Entity]
		if r.status != 200 || json.Unmarshal(r.body, &body) != nil {
			t.Fatalf("%s: %d %s", s.query, r.status, r.body)
		}
		if (s.want == -1 && len(body.Items) == 0) || (s.want >= 0 && len(body.Items) != s.want) {
			t.Errorf("%s: %d items, want %d", s.query, len(body.Items), s.want)
		}
	}

	// Staff write; members do not.
	in := map[string]any{"kind": "entity", "name": "Example Brigade", "ideology": "far_right", "lists": []map[string]any{{"list": "NATIONAL-XX", "reference_number": "XX-1"}}}
	wantError(t, e.do("POST", "/api/v1/entities", e.keys["admin"], in), 403, "forbidden", "")
	r = e.do("POST", "/api/v1/entities", e.keys["staff"], in)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	wantError(t, e.do("POST", "/api/v1/entities", e.keys["staff"], map[string]any{"kind": "entity", "name": "X", "ideology": "anarchist"}), 400, "invalid", "ideology")
	wantError(t, e.do("PATCH", "/api/v1/entities/XX-1", e.keys["admin"], map[string]any{"notes": "n"}), 403, "forbidden", "")
	r = e.do("PATCH", "/api/v1/entities/XX-1", e.keys["staff"], map[string]any{"notes": "seen in 2024", "ideology": "other"})
	var got ksp.Entity
	if r.status != 200 || json.Unmarshal(r.body, &got) != nil || got.Notes != "seen in 2024" || got.Ideology != ksp.IdeologyOther || got.Name != "Example Brigade" {
		t.Errorf("patch: %d %s", r.status, r.body)
	}
}
