package web

import (
	"net/url"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/a11y"
	"github.com/kspplatform/ksp/storetest"
)

// TestStylesheetAccessible checks the contrast of every colour pair the
// stylesheet declares and that keyboard focus is visible.
func TestStylesheetAccessible(t *testing.T) {
	for _, p := range a11y.CheckCSS(Stylesheet()) {
		t.Error(p)
	}
}

// TestEntityPagesAccessible opens every entity page in each of its states
// (search with and without results, an entity with Arabic-script names,
// staff's edit form with errors, the staff page's review flags, the share
// form's entity candidates); the harness's client checks each page it
// receives (internal/a11y).
func TestEntityPagesAccessible(t *testing.T) {
	h, _ := bankHarness(t, Config{})
	m := seedMembers(h)
	w := seedEntities(h)
	h.submit(m.a, linked(1, "QDe.115", ksp.DistMembers, ksp.TLPGreen))
	ended := []ksp.EntityListing{w.aqi.Lists[0]}
	ended[0].DelistedOn = "2026-11-30"
	if _, err := h.db.UpdateEntity(h.sys, w.aqi.ID, ksp.EntityUpdate{Lists: &ended}); err != nil {
		t.Fatal(err)
	}
	s := h.client()
	s.signIn(m.staff, 0)
	for _, p := range []string{"/entities", "/entities?q=" + url.QueryEscape("القاعدة"), "/entities?q=nothing-like-it", "/entities/QDe.115", "/entities/" + w.former.ID, "/staff"} {
		s.want(s.get(p), 200)
	}
	s.get("/entities/QDe.115")
	s.want(s.post("/entities/"+w.aqi.ID, url.Values{"name": {""}, "ideology": {"x"}}), 400, "There is a problem")
	c := h.client()
	c.signIn(m.a, 0)
	c.get("/signals/new")
	c.want(c.post("/signals", with(shareForm(storetest.PDQValue(2)), "basis", "designated_entity", "entity_id", "al qaida")), 400, "Which entity do you mean?")
}
