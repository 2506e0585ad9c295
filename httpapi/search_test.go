package httpapi_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/httpapi"
	"github.com/kspplatform/ksp/storetest"
)

// TestSearchAPI searches over HTTP as the anonymous, members of two orgs
// and a key without the read scope: what each finds, the JSON shape (the
// list shape of every other route, checked against the OpenAPI document by
// e.do), escaped snippets, paging and the refusals with their fields.
func TestSearchAPI(t *testing.T) {
	e := newEnv(t, fast())
	db := e.fx.DB
	pub := ksp.Sharing{Distribution: ksp.DistPublic, TLP: ksp.TLPClear}
	mk := func(title, body string, s ksp.Sharing, tags ...string) string {
		r := &ksp.Resource{Kind: ksp.ResourceGuide, Title: title, Body: body, Tags: tags, Sharing: s}
		if err := db.CreateResource(storetest.As(e.fx.Platform, e.fx.PlatAdmin), r); err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	public := mk("Public takedown guide", "Takedown steps. <script>alert(1)</script> & more", pub, "takedown")
	members := mk("Members takedown checklist", "Takedown for members", ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen})
	private := mk("Private takedown notes", "Takedown internals", ksp.Sharing{Distribution: ksp.DistOwner, TLP: ksp.TLPAmber})
	ent := &ksp.Entity{Kind: ksp.EntityGroup, Name: "Takedown Evaders Front"}
	if err := db.CreateEntity(storetest.Staff(), ent); err != nil {
		t.Fatal(err)
	}

	type body struct {
		Items      []ksp.SearchResult `json:"items"`
		NextCursor string             `json:"next_cursor"`
	}
	get := func(key, query string) body {
		t.Helper()
		r := e.do("GET", "/api/v1/search?"+query, key, nil)
		if r.status != 200 {
			t.Fatalf("search %s: %d %s", query, r.status, r.body)
		}
		var b body
		if err := json.Unmarshal(r.body, &b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	ids := func(b body) []string {
		var out []string
		for _, it := range b.Items {
			out = append(out, it.ID)
		}
		slices.Sort(out)
		return out
	}
	sorted := func(s ...string) []string { slices.Sort(s); return s }
	q := "q=" + url.QueryEscape("takedown")
	tests := []struct {
		name, key, query string
		want             []string
	}{
		{"anonymous", "", q, []string{public}},
		{"member of the owner", "viewer", q, sorted(public, members, private, ent.ID)},
		{"member of another org", "startup", q, sorted(public, members, ent.ID)},
		{"resources only", "startup", q + "&type=resource", sorted(public, members)},
		{"entities only", "startup", q + "&type=entity", []string{ent.ID}},
		{"types comma-separated", "startup", q + "&type=entity,resource", sorted(public, members, ent.ID)},
		{"tag", "startup", q + "&tag=takedown", []string{public}},
		{"kind", "startup", q + "&kind=guide", sorted(public, members)},
		{"anonymous with a filter", "", q + "&kind=guide", []string{public}},
		{"nothing", "viewer", "q=zzzqqq", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids(get(e.keys[tt.key], tt.query)); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	// The JSON: type, title, kind, snippet (escaped, <mark> only) and score.
	b := get("", "q=alert")
	if len(b.Items) != 1 {
		t.Fatalf("alert: %+v", b)
	}
	it := b.Items[0]
	if it.Type != "resource" || it.ID != public || it.Title != "Public takedown guide" || it.Kind != "guide" || it.Score <= 0 ||
		!strings.Contains(it.Snippet, "<mark>alert</mark>") || !strings.Contains(it.Snippet, "&lt;script&gt;") || !strings.Contains(it.Snippet, "&amp;") {
		t.Errorf("item %+v", it)
	}

	// Paging: one a page, three pages, then none.
	var seen []string
	cursor := ""
	for range 3 {
		query := q + "&limit=1"
		if cursor != "" {
			query += "&cursor=" + url.QueryEscape(cursor)
		}
		b := get(e.keys["startup"], query)
		if len(b.Items) != 1 {
			t.Fatalf("page %d: %+v", len(seen), b)
		}
		seen = append(seen, b.Items[0].ID)
		cursor = b.NextCursor
	}
	if cursor != "" || !slices.Equal(sorted(seen...), sorted(public, members, ent.ID)) {
		t.Errorf("pages %v, last cursor %q", seen, cursor)
	}

	// Refusals.
	refusals := []struct {
		name, key, query string
		status           int
		code, field      string
	}{
		{"no q", "viewer", "", 400, "invalid", "q"},
		{"punctuation", "viewer", "q=" + url.QueryEscape(`"*:()`), 400, "invalid", "q"},
		{"unknown type", "viewer", q + "&type=signal", 400, "invalid", "type"},
		{"unknown kind", "viewer", q + "&kind=novel", 400, "invalid", "kind"},
		{"bad jurisdiction", "viewer", q + "&jurisdiction=Europe", 400, "invalid", "jurisdiction"},
		{"limit", "viewer", q + "&limit=101", 400, "invalid", "limit"},
		{"limit not a number", "viewer", q + "&limit=x", 400, "invalid", "limit"},
		{"cursor", "viewer", q + "&cursor=abc", 400, "invalid", "cursor"},
		{"regime and kind", "viewer", q + "&kind=guide&regime=Al-Qaida", 400, "invalid", "regime"},
		{"anonymous entities", "", q + "&type=entity", 401, "unauthorized", ""},
		{"key without read scope", "admin-matchonly", q, 403, "forbidden", ""},
		{"revoked key", "revoked", q, 401, "unauthorized", ""},
	}
	for _, rf := range refusals {
		t.Run(rf.name, func(t *testing.T) {
			wantError(t, e.do("GET", "/api/v1/search?"+rf.query, e.keys[rf.key], nil), rf.status, rf.code, rf.field)
		})
	}
	r := e.do("GET", "/api/v1/search?"+q, e.keys["admin-matchonly"], nil)
	if !strings.Contains(string(r.body), "read scope") {
		t.Errorf("scope refusal: %s", r.body)
	}
}

// TestSearchOpenAPI checks that the document tells that the search takes
// no credential or one with the read scope.
func TestSearchOpenAPI(t *testing.T) {
	e := newEnv(t, fast())
	var rt *httpapi.Route
	for _, r := range e.api.Routes() {
		if r.Path == "/api/v1/search" {
			rt = r
		}
	}
	if rt == nil || !rt.Anonymous || rt.Scope != ksp.ScopeRead {
		t.Fatalf("route %+v", rt)
	}
	op := e.doc["paths"].(map[string]any)["/api/v1/search"].(map[string]any)["get"].(map[string]any)
	sec, _ := op["security"].([]any)
	if len(sec) != 2 || op["x-ksp-scope"] != "read" {
		t.Errorf("security %v, scope %v", op["security"], op["x-ksp-scope"])
	}
}
