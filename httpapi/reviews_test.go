package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
)

// TestEntityLinkAndReviewsAPI: entity_id by reference number on a single
// submission and in a batch, refused when it names no entity; a delisting
// by PATCH flags the signal; only staff list and clear flags.
func TestEntityLinkAndReviewsAPI(t *testing.T) {
	e := newEnv(t, fast())
	r := e.do("POST", "/api/v1/entities", e.keys["staff"], map[string]any{"kind": "entity", "name": "API Link Front",
		"lists": []map[string]any{{"list": "NATIONAL-XX", "reference_number": "XXe.005", "listed_on": "2022-02-02"}}})
	var ent ksp.Entity
	if r.status != 201 || json.Unmarshal(r.body, &ent) != nil {
		t.Fatalf("create entity: %d %s", r.status, r.body)
	}
	linked := func(n int, ref string) map[string]any {
		m := submission(n, ksp.DistMembers, ksp.TLPGreen)
		m["basis"], m["entity_id"] = "designated_entity", ref
		return m
	}
	r = e.do("POST", "/api/v1/signals", e.keys["admin"], linked(1, "XXe.005"))
	var sig ksp.Signal
	if r.status != 201 || json.Unmarshal(r.body, &sig) != nil || len(sig.EntityIDs) != 1 || sig.EntityIDs[0] != ent.ID {
		t.Fatalf("submit by reference: %d %s", r.status, r.body)
	}
	wantError(t, e.do("POST", "/api/v1/signals", e.keys["admin"], linked(2, "XXe.404")), 400, "invalid", "entity_id")
	wantError(t, e.do("POST", "/api/v1/signals", e.keys["admin"], linked(2, ksp.NewID())), 400, "invalid", "entity_id")
	wantError(t, e.do("POST", "/api/v1/signals", e.keys["admin"], linked(2, "<script>")), 400, "invalid", "entity_id")

	nd := jsonLine(linked(3, "XXe.005")) + "\n" + jsonLine(linked(4, "XXe.404")) + "\n" + jsonLine(linked(5, ent.ID)) + "\n"
	r = e.do("POST", "/api/v1/signals/batch", e.keys["admin"], nd)
	var br ksp.BatchResult
	if r.status != 200 || json.Unmarshal(r.body, &br) != nil || br.Created != 2 || len(br.Rejected) != 1 || br.Rejected[0].Line != 2 || br.Rejected[0].Field != "entity_id" {
		t.Fatalf("batch: %d %s", r.status, r.body)
	}

	// The list's entity filter takes the reference number too.
	for _, ref := range []string{"XXe.005", ent.ID} {
		r = e.do("GET", "/api/v1/signals?entity_id="+ref, e.keys["viewer"], nil)
		var got struct {
			Items []ksp.Signal `json:"items"`
		}
		if r.status != 200 || json.Unmarshal(r.body, &got) != nil || len(got.Items) != 3 {
			t.Errorf("signals of %s: %d %s", ref, r.status, r.body)
		}
	}
	if r = e.do("GET", "/api/v1/signals?entity_id=XXe.404", e.keys["viewer"], nil); r.status != 200 || !strings.Contains(string(r.body), `"items":[]`) {
		t.Errorf("signals of an unknown reference: %d %s", r.status, r.body)
	}

	// Delisting by PATCH flags the three linked signals.
	r = e.do("PATCH", "/api/v1/entities/XXe.005", e.keys["staff"], map[string]any{
		"lists": []map[string]any{{"list": "NATIONAL-XX", "reference_number": "XXe.005", "listed_on": "2022-02-02", "delisted_on": "2026-10-01"}}})
	if r.status != 200 {
		t.Fatalf("delist: %d %s", r.status, r.body)
	}
	for _, key := range []string{"admin", "viewer", "startup", "gov", ""} {
		r := e.do("GET", "/api/v1/signals/reviews", e.keys[key], nil)
		if r.status != 403 && r.status != 401 {
			t.Errorf("%q lists flags: %d %s", key, r.status, r.body)
		}
	}
	r = e.do("GET", "/api/v1/signals/reviews?limit=2", e.keys["staff"], nil)
	var page struct {
		Items []ksp.SignalReview `json:"items"`
		Next  string             `json:"next_cursor"`
	}
	if r.status != 200 || json.Unmarshal(r.body, &page) != nil || len(page.Items) != 2 || page.Next == "" || page.Items[0].EntityID != ent.ID || page.Items[0].DelistedOn != "2026-10-01" {
		t.Fatalf("flags: %d %s", r.status, r.body)
	}
	wantError(t, e.do("GET", "/api/v1/signals/reviews?state=pending", e.keys["staff"], nil), 400, "invalid", "state")

	id := page.Items[0].ID
	wantError(t, e.do("POST", "/api/v1/signals/reviews/"+id+"/resolve", e.keys["admin"], map[string]any{"note": "x"}), 403, "forbidden", "")
	r = e.do("POST", "/api/v1/signals/reviews/"+id+"/resolve", e.keys["staff"], map[string]any{"note": "still in scope"})
	var done ksp.SignalReview
	if r.status != 200 || json.Unmarshal(r.body, &done) != nil || done.Resolved == nil || done.Note != "still in scope" {
		t.Fatalf("resolve: %d %s", r.status, r.body)
	}
	wantError(t, e.do("POST", "/api/v1/signals/reviews/"+id+"/resolve", e.keys["staff"], map[string]any{}), 409, "conflict", "")
	wantError(t, e.do("POST", "/api/v1/signals/reviews/"+ksp.NewID()+"/resolve", e.keys["staff"], map[string]any{}), 404, "not_found", "")
	r = e.do("GET", "/api/v1/signals/reviews?state=open", e.keys["staff"], nil)
	if json.Unmarshal(r.body, &page) != nil || len(page.Items) != 2 {
		t.Fatalf("open flags after clearing one: %s", r.body)
	}
}
