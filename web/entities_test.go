package web

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/storetest"
)

// entityWorld is a few designated entities shaped like UN list entries.
type entityWorld struct {
	aqi, maghreb, former *ksp.Entity
}

func seedEntities(h *harness) entityWorld {
	h.t.Helper()
	mk := func(e *ksp.Entity) *ksp.Entity {
		if err := h.db.CreateEntity(h.sys, e); err != nil {
			h.t.Fatal(err)
		}
		return e
	}
	return entityWorld{
		aqi: mk(&ksp.Entity{Kind: ksp.EntityGroup, Name: "AL-QAIDA IN IRAQ", OriginalName: "القاعده في العراق",
			Aliases:  []ksp.EntityAlias{{Quality: "a.k.a.", Name: "Al-Tawhid"}, {Quality: "a.k.a.", Name: "Jama'at Al-Tawhid Wa'al-Jihad"}},
			Comments: "Listed as an affiliate of Al-Qaida.",
			Lists:    []ksp.EntityListing{{List: ksp.ListUN, Regime: "Al-Qaida", ReferenceNumber: "QDe.115", ListedOn: "2004-10-18"}}}),
		maghreb: mk(&ksp.Entity{Kind: ksp.EntityGroup, Name: "THE ORGANIZATION OF AL-QAIDA IN THE ISLAMIC MAGHREB",
			Lists: []ksp.EntityListing{{List: ksp.ListUN, Regime: "Al-Qaida", ReferenceNumber: "QDe.014", ListedOn: "2001-10-06"}}}),
		former: mk(&ksp.Entity{Kind: ksp.EntityGroup, Name: "AL-HARAMAIN FOUNDATION (INDONESIA)",
			Lists: []ksp.EntityListing{{List: ksp.ListUN, Regime: "Al-Qaida", ReferenceNumber: "QDe.103", ListedOn: "2004-01-26", DelistedOn: "2024-09-26"}}}),
	}
}

func linked(n int, ref string, d ksp.Distribution, tlp ksp.TLP) ksp.SubmissionInput {
	in := storetest.Submission(n, d, tlp)
	in.Basis, in.EntityID = ksp.BasisDesignatedEntity, ref
	return in
}

func TestEntityPages(t *testing.T) {
	h, _ := bankHarness(t, Config{})
	m := seedMembers(h)
	w := seedEntities(h)
	shared := h.submit(m.a, linked(1, "QDe.115", ksp.DistMembers, ksp.TLPGreen))
	hidden := h.submit(m.b, linked(2, w.aqi.ID, ksp.DistOwner, ksp.TLPAmber))

	anon := h.client()
	anon.get("/entities/QDe.115")
	if anon.url.Path != "/login" || strings.Contains(anon.body, "AL-QAIDA IN IRAQ") {
		t.Fatalf("anonymous entity page: landed on %s", anon.url.Path)
	}

	c := h.client()
	c.signIn(m.a, 0)
	c.want(c.get("/dashboard"), 200, `href="/entities"`)
	c.want(c.get("/entities"), 200, "Designated entities", `dir="auto">AL-QAIDA IN IRAQ</a>`, "QDe.115", "Delisted", "Listed",
		`<option value="Al-Qaida">Al-Qaida</option>`, `dir="auto">القاعده في العراق</span>`)
	c.want(c.get("/entities?q="+url.QueryEscape("al qaida iraq")), 200, "AL-QAIDA IN IRAQ", `value="al qaida iraq"`)
	c.want(c.get("/entities?q="+url.QueryEscape("tawhid jihad")+"&regime=Al-Qaida"), 200, "AL-QAIDA IN IRAQ", `<option value="Al-Qaida" selected>`)
	c.want(c.get("/entities?q=zzqqxx"), 200, "No entity matches this search")
	c.want(c.get("/entities?regime=Atlantis&cursor=bogus"), 200, "AL-QAIDA IN IRAQ") // unknown filter values filter nothing
	c.want(c.get("/entities?q="+url.QueryEscape(strings.Repeat("x", 5000))), 200, "No entity matches")

	// By reference number or id; lists, aliases with quality, comments.
	for _, id := range []string{"QDe.115", w.aqi.ID} {
		c.want(c.get("/entities/"+id), 200, `<h1 dir="auto">AL-QAIDA IN IRAQ</h1>`, `<dd dir="auto">القاعده في العراق</dd>`,
			"<code>QDe.115</code>", "2004-10-18", "Still listed", `<span dir="auto">Al-Tawhid</span> <span class="hint">(a.k.a.)</span>`,
			"Listed as an affiliate of Al-Qaida.", "Not classified")
	}
	c.want(c.get("/entities/QDe.103"), 200, "2024-09-26", "Delisted")
	c.want(c.get("/entities/QDe.999"), 404, "Page not found")
	c.want(c.get("/entities/"+ksp.NewID()), 404, "Page not found")

	// Linked signals: only those the viewer may see, and no count of others.
	visible := func(cl *client) []string {
		cl.t.Helper()
		cl.want(cl.get("/entities/"+w.aqi.ID), 200, "Signals linked to this entity")
		return signalRows(cl.body)
	}
	if got := visible(c); !slices.Equal(got, []string{shared.ID}) || strings.Contains(c.body, hidden.ID) || strings.Contains(c.body, storetest.PDQValue(2)[:16]) {
		t.Fatalf("Clipshare sees linked signals %v, want only %s", got, shared.ID)
	}
	if strings.Contains(c.body, "Edit (staff)") || strings.Contains(c.body, `action="/entities/`) {
		t.Fatal("a member is offered the edit form")
	}
	b := h.client()
	b.signIn(m.b, 0)
	if got := visible(b); len(got) != 2 {
		t.Fatalf("Vidstream sees %d linked signals, want its own and the shared one", len(got))
	}
	g := h.client()
	g.signIn(m.gov, 0)
	if got := visible(g); !slices.Equal(got, []string{shared.ID}) {
		t.Fatalf("Ministry sees %v", got)
	}
	c.want(c.get("/entities/"+w.former.ID), 200, "No signal you can see is linked to this entity.")

	// A member cannot edit: the route is staff's (404 to others).
	c.get("/entities/" + w.aqi.ID)
	c.want(c.post("/entities/"+w.aqi.ID, url.Values{"name": {"Renamed"}, "ideology": {"islamist"}}), 404, "Page not found")

	// Staff edit ideology, name and notes, audited.
	s := h.client()
	s.signIn(m.staff, 0)
	s.want(s.get("/entities/"+w.aqi.ID), 200, "Edit (staff)", `<option value="islamist">Islamist</option>`, `<option value="far_right">Far right</option>`)
	if got := signalRows(s.body); len(got) != 2 {
		t.Fatalf("staff see %d linked signals, want 2", len(got))
	}
	s.want(s.post("/entities/"+w.aqi.ID, url.Values{"name": {"AL-QAIDA IN IRAQ"}, "ideology": {"islamist"}, "notes": {"Seen <script>alert(1)</script> in 2024."}}),
		200, "Saved.", "<dt>Ideology</dt><dd>Islamist</dd>", "Seen &lt;script&gt;alert(1)&lt;/script&gt; in 2024.")
	s.want(s.post("/entities/"+w.aqi.ID, url.Values{"name": {"  "}, "ideology": {"islamist"}}), 400, "There is a problem", `id="f-name-error"`)
	s.want(s.post("/entities/"+w.aqi.ID, url.Values{"name": {"X"}, "ideology": {"anarchist"}}), 400, `id="f-ideology-error"`)
	s.want(s.post("/entities/"+w.aqi.ID, url.Values{"name": {"X"}, "notes": {strings.Repeat("n", maxEntityNotes+1)}}), 400, `id="f-notes-error"`)
	s.want(s.post("/entities/"+w.aqi.ID, url.Values{"csrf": {"forged"}, "name": {"Forged"}}), 403, "This form has expired")
	e, err := h.db.FindEntityByID(h.sys, w.aqi.ID)
	if err != nil {
		t.Fatal(err)
	}
	if e.Name != "AL-QAIDA IN IRAQ" || e.Ideology != ksp.IdeologyIslamist || e.Notes != "Seen <script>alert(1)</script> in 2024." {
		t.Fatalf("stored %+v", e)
	}
	evs, _, err := h.db.FindAuditEvents(h.sys, ksp.AuditFilter{Action: auditAction("entity.update"), Page: ksp.Page{Limit: 10}})
	if err != nil || len(evs) != 1 {
		t.Fatalf("audit of the edit: %d events, %v", len(evs), err)
	}
}

func auditAction(s string) *string { return &s }

// TestReviewFlagsOnStaffPage: a delisting puts the entity's signals in the
// staff page's review section; staff clear a flag; members never see flags.
func TestReviewFlagsOnStaffPage(t *testing.T) {
	h, _ := bankHarness(t, Config{})
	m := seedMembers(h)
	w := seedEntities(h)
	sig := h.submit(m.b, linked(1, "QDe.115", ksp.DistOwner, ksp.TLPAmber))
	s := h.client()
	s.signIn(m.staff, 0)
	s.want(s.get("/staff"), 200, "Signals to review", "No signal is waiting for review.")

	ended := []ksp.EntityListing{w.aqi.Lists[0]}
	ended[0].DelistedOn = "2026-11-30"
	if _, err := h.db.UpdateEntity(h.sys, w.aqi.ID, ksp.EntityUpdate{Lists: &ended}); err != nil {
		t.Fatal(err)
	}
	s.want(s.get("/staff"), 200, sig.ID, `dir="auto">AL-QAIDA IN IRAQ</a>`, "From UN on 2026-11-30", "Clear")
	s.want(s.get("/entities/"+w.aqi.ID), 200, "1 signal linked to this entity is flagged for review")
	flags, _, err := h.db.FindSignalReviews(h.sys, ksp.SignalReviewFilter{})
	if err != nil || len(flags) != 1 {
		t.Fatalf("flags: %v %v", flags, err)
	}

	// Members: no staff page, no clearing, and nothing of the flag elsewhere.
	c := h.client()
	c.signIn(m.a, 0)
	c.want(c.get("/staff"), 404, "Page not found")
	c.get("/entities/" + w.aqi.ID)
	if strings.Contains(c.body, sig.ID) || strings.Contains(c.body, "flagged for review") {
		t.Fatal("a member who may not see the signal sees it on the entity page")
	}
	c.want(c.post("/staff/reviews/"+flags[0].ID+"/clear", url.Values{"note": {"x"}}), 404, "Page not found")

	s.get("/staff")
	s.want(s.post("/staff/reviews/"+flags[0].ID+"/clear", url.Values{"note": {"Still in scope: official media."}}), 200, "Flag cleared", "No signal is waiting for review.")
	s.want(s.post("/staff/reviews/"+flags[0].ID+"/clear", url.Values{}), 200, "already cleared")
	s.want(s.post("/staff/reviews/"+ksp.NewID()+"/clear", url.Values{}), 404, "Page not found")
	evs, _, err := h.db.FindAuditEvents(h.sys, ksp.AuditFilter{Action: auditAction("signal.review_resolve"), Page: ksp.Page{Limit: 10}})
	if err != nil || len(evs) != 1 {
		t.Fatalf("audit of clearing: %d events, %v", len(evs), err)
	}
}

// TestShareFormFindsEntities: the share form's entity field takes a
// reference number, an id, or a name to choose from, without JavaScript.
func TestShareFormFindsEntities(t *testing.T) {
	h, _ := bankHarness(t, Config{})
	m := seedMembers(h)
	w := seedEntities(h)
	c := h.client()
	c.signIn(m.a, 0)
	form := func(n int, entity string) url.Values {
		return with(shareForm(storetest.PDQValue(n)), "basis", "designated_entity", "entity_id", entity)
	}
	share := func(f url.Values) {
		t.Helper()
		c.get("/signals/new")
		c.want(c.post("/signals", f), 200, "Signal shared")
	}
	share(form(1, "QDe.115"))
	c.want(c.get(c.url.Path), 200, `href="/entities/`+w.aqi.ID+`"`)
	share(form(2, " "+w.aqi.ID+" "))
	share(form(3, "QDe.103")) // a delisted entity's reference is accepted

	// A name: the form comes back with the candidates to choose from.
	c.get("/signals/new")
	c.want(c.post("/signals", form(4, "al qaida")), 400, "There is a problem", "Choose the entity you mean", "Which entity do you mean?",
		`name="entity_pick" value="`+w.aqi.ID+`"`, `name="entity_pick" value="`+w.maghreb.ID+`"`, `name="entity_query" value="al qaida"`,
		`<span dir="auto">AL-QAIDA IN IRAQ</span>`, `value="recruitment" checked`)
	if h.signalCount() != 3 {
		t.Fatal("a name to choose from stored a signal")
	}
	picked := with(form(4, "al qaida"), "entity_pick", w.maghreb.ID, "entity_query", "al qaida")
	c.want(c.post("/signals", picked), 200, "Signal shared", `href="/entities/`+w.maghreb.ID+`"`)
	// A pick made for other text does not stand: the new text is searched.
	c.get("/signals/new")
	c.want(c.post("/signals", with(form(5, "haramain"), "entity_pick", w.maghreb.ID, "entity_query", "al qaida")), 400,
		`name="entity_pick" value="`+w.former.ID+`" checked`)

	bad := []struct{ name, entity, text string }{
		{"nothing like it", "zzqq xxvv", "No entity has this name"},
		{"unknown reference", "QDe.999", "No entity has this name"},
		{"unknown id", ksp.NewID(), "Entity: no entity has this id or list reference number"},
		{"huge", strings.Repeat("a", 5000), "No entity has this name"},
	}
	for _, tt := range bad {
		c.get("/signals/new")
		c.want(c.post("/signals", form(6, tt.entity)), 400, tt.text, `href="#f-entity_id"`)
	}
	if h.signalCount() != 4 {
		t.Fatalf("%d signals, want 4", h.signalCount())
	}
}
