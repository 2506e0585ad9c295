package httpapi_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/httpapi"
)

func ids(t *testing.T, r resp) []string {
	t.Helper()
	var out []string
	for _, it := range r.json(t)["items"].([]any) {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestResources walks the library's API: writes need an analyst's submit
// key of the owner org (or staff); reads need nothing for public
// resources and a read key otherwise; what a caller may not see is 404.
func TestResources(t *testing.T) {
	e := newEnv(t, fast())
	create := func(key string, body map[string]any) resp {
		t.Helper()
		return e.do("POST", "/api/v1/resources", key, body)
	}
	pub := create(e.keys["admin"], map[string]any{"kind": "template", "title": "Model terms", "body": "# Terms\n\nText.", "tags": []string{"tos", "Policy"},
		"jurisdictions": []string{"int"}, "distribution": "public", "tlp": "CLEAR"})
	if pub.status != 201 {
		t.Fatalf("create public: %d %s", pub.status, pub.body)
	}
	pubID := pub.json(t)["id"].(string)
	if got := pub.json(t)["tags"].([]any); len(got) != 2 || got[0] != "policy" {
		t.Errorf("tags not normalised: %v", got)
	}
	mem := create(e.keys["admin"], map[string]any{"kind": "guide", "title": "Members' guide", "body": "For members."})
	if mem.status != 201 || mem.json(t)["distribution"] != "members" || mem.json(t)["tlp"] != "GREEN" {
		t.Fatalf("create with default sharing: %d %s", mem.status, mem.body)
	}
	memID := mem.json(t)["id"].(string)
	own := create(e.keys["admin"], map[string]any{"kind": "policy", "title": "Internal", "distribution": "owner", "tlp": "AMBER"})
	ownID := own.json(t)["id"].(string)

	// Anonymous: the public resource only, everywhere.
	if got := ids(t, e.do("GET", "/api/v1/resources", "", nil)); len(got) != 1 || got[0] != pubID {
		t.Errorf("anonymous list: %v, want only %s", got, pubID)
	}
	if r := e.do("GET", "/api/v1/resources/"+pubID, "", nil); r.status != 200 || r.json(t)["title"] != "Model terms" {
		t.Errorf("anonymous get public: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/resources/"+pubID+"/revisions", "", nil); r.status != 200 || len(r.json(t)["items"].([]any)) != 1 {
		t.Errorf("anonymous revisions of public: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/resources/"+pubID+"/revisions/1", "", nil); r.status != 200 || r.json(t)["body"] != "# Terms\n\nText." {
		t.Errorf("anonymous revision 1 of public: %d %s", r.status, r.body)
	}
	for _, p := range []string{"/api/v1/resources/" + memID, "/api/v1/resources/" + memID + "/revisions", "/api/v1/resources/" + memID + "/revisions/1"} {
		wantError(t, e.do("GET", p, "", nil), 404, "not_found", "")
	}
	// Nor may anyone anonymous write.
	wantError(t, create("", map[string]any{"kind": "guide", "title": "x"}), 401, "unauthorized", "")
	wantError(t, e.do("PATCH", "/api/v1/resources/"+pubID, "", map[string]any{"title": "x"}), 401, "unauthorized", "")
	wantError(t, e.do("DELETE", "/api/v1/resources/"+pubID, "", nil), 401, "unauthorized", "")
	// A bad key is 401 even where no key is needed.
	wantError(t, e.do("GET", "/api/v1/resources/"+pubID, "ksp_"+strings.Repeat("Z", 40), nil), 401, "unauthorized", "")
	// A key without the read scope reads nothing, public included.
	wantError(t, e.do("GET", "/api/v1/resources/"+pubID, e.keys["admin-matchonly"], nil), 403, "forbidden", "")

	// Members: the startup sees public and members, not the owner's own.
	got := ids(t, e.do("GET", "/api/v1/resources", e.keys["startup"], nil))
	if len(got) != 2 || !contains(got, pubID) || !contains(got, memID) {
		t.Errorf("member list: %v", got)
	}
	wantError(t, e.do("GET", "/api/v1/resources/"+ownID, e.keys["startup"], nil), 404, "not_found", "")
	if r := e.do("GET", "/api/v1/resources/"+ownID, e.keys["admin-readonly"], nil); r.status != 200 {
		t.Errorf("owner reads its own: %d %s", r.status, r.body)
	}

	// A read-only key cannot write; a viewer cannot either.
	wantError(t, create(e.keys["admin-readonly"], map[string]any{"kind": "guide", "title": "x"}), 403, "forbidden", "")
	wantError(t, e.do("PATCH", "/api/v1/resources/"+memID, e.keys["admin-readonly"], map[string]any{"title": "x"}), 403, "forbidden", "")
	wantError(t, e.do("DELETE", "/api/v1/resources/"+memID, e.keys["admin-readonly"], nil), 403, "forbidden", "")
	wantError(t, create(e.keys["viewer"], map[string]any{"kind": "guide", "title": "x"}), 403, "forbidden", "")
	// Another org's analyst: forbidden on what it sees, not found on what
	// it does not.
	wantError(t, e.do("PATCH", "/api/v1/resources/"+memID, e.keys["startup"], map[string]any{"title": "Taken over"}), 403, "forbidden", "")
	wantError(t, e.do("DELETE", "/api/v1/resources/"+memID, e.keys["startup"], nil), 403, "forbidden", "")
	wantError(t, e.do("PATCH", "/api/v1/resources/"+ownID, e.keys["startup"], map[string]any{"title": "Taken over"}), 404, "not_found", "")

	// The owner edits: revision 2; staff edits: revision 3.
	r := e.do("PATCH", "/api/v1/resources/"+memID, e.keys["admin"], map[string]any{"title": "Members' guide, second edition"})
	if r.status != 200 || r.json(t)["revision"] != float64(2) {
		t.Fatalf("owner edit: %d %s", r.status, r.body)
	}
	r = e.do("PATCH", "/api/v1/resources/"+memID, e.keys["staff"], map[string]any{"body": "For members, corrected."})
	if r.status != 200 || r.json(t)["revision"] != float64(3) {
		t.Fatalf("staff edit: %d %s", r.status, r.body)
	}
	revs := e.do("GET", "/api/v1/resources/"+memID+"/revisions", e.keys["gov"], nil).json(t)["items"].([]any)
	if len(revs) != 3 || revs[0].(map[string]any)["number"] != float64(3) {
		t.Errorf("revisions: %v", revs)
	}
	if r := e.do("GET", "/api/v1/resources/"+memID+"/revisions/2", e.keys["gov"], nil); r.json(t)["body"] != "For members." || r.json(t)["title"] != "Members' guide, second edition" {
		t.Errorf("revision 2: %s", r.body)
	}
	for _, n := range []string{"4", "0", "x", "-1"} {
		wantError(t, e.do("GET", "/api/v1/resources/"+memID+"/revisions/"+n, e.keys["gov"], nil), 404, "not_found", "")
	}

	// Bad input names the field; public with TLP other than CLEAR is refused.
	wantError(t, create(e.keys["admin"], map[string]any{"kind": "guide", "title": "x", "distribution": "public", "tlp": "GREEN"}), 400, "invalid", "tlp")
	wantError(t, create(e.keys["admin"], map[string]any{"kind": "guide", "title": ""}), 400, "invalid", "title")
	wantError(t, create(e.keys["admin"], map[string]any{"kind": "guide", "title": "x", "owner_org_id": e.fx.Startup.ID}), 400, "invalid", "owner_org_id")
	wantError(t, create(e.keys["admin"], map[string]any{"kind": "guide", "title": "x", "body": strings.Repeat("x", ksp.MaxResourceBody+1)}), 400, "invalid", "body")
	wantError(t, create(e.keys["admin"], map[string]any{"kind": "guide", "title": "x", "body": strings.Repeat("x", httpapi.ResourceBodyLimit)}), 413, "too_large", "")
	wantError(t, e.do("PATCH", "/api/v1/resources/"+pubID, e.keys["admin"], map[string]any{"tlp": "AMBER"}), 400, "invalid", "tlp")
	wantError(t, e.do("GET", "/api/v1/resources?limit=1001", "", nil), 400, "invalid", "limit")
	wantError(t, e.do("GET", "/api/v1/resources?jurisdiction=Europe", "", nil), 400, "invalid", "jurisdiction")

	// Filters and paging.
	if got := ids(t, e.do("GET", "/api/v1/resources?kind=template&tag=tos&jurisdiction=INT", e.keys["gov"], nil)); len(got) != 1 || got[0] != pubID {
		t.Errorf("filtered: %v", got)
	}
	if got := ids(t, e.do("GET", "/api/v1/resources?tag=tos&kind=guide", e.keys["gov"], nil)); len(got) != 0 {
		t.Errorf("filtered to nothing: %v", got)
	}
	first := e.do("GET", "/api/v1/resources?limit=1", e.keys["gov"], nil)
	next, _ := first.json(t)["next_cursor"].(string)
	if next == "" || ids(t, first)[0] != memID {
		t.Fatalf("first page: %s", first.body)
	}
	second := e.do("GET", "/api/v1/resources?limit=1&cursor="+url.QueryEscape(next), e.keys["gov"], nil)
	if got := ids(t, second); len(got) != 1 || got[0] != pubID {
		t.Errorf("second page: %s", second.body)
	}

	// Delete: the owner may; afterwards everything about it is 404.
	if r := e.do("DELETE", "/api/v1/resources/"+memID, e.keys["admin"], nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	wantError(t, e.do("GET", "/api/v1/resources/"+memID+"/revisions", e.keys["staff"], nil), 404, "not_found", "")
}
