package web

import (
	"html/template"
	"net/url"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
)

func (h *harness) resource(a *account, title, body string, d ksp.Distribution, tlp ksp.TLP, tags ...string) *ksp.Resource {
	h.t.Helper()
	r := &ksp.Resource{Kind: ksp.ResourceGuide, Title: title, Summary: "Summary of " + title, Body: body, Tags: tags, Jurisdictions: []string{"EU"},
		Sharing: ksp.Sharing{Distribution: d, TLP: tlp}}
	if err := h.db.CreateResource(asUser(a), r); err != nil {
		h.t.Fatal(err)
	}
	return r
}

// TestLibraryAnonymous: without an account the library shows public
// resources, and a members' resource does not exist (404) on every page.
func TestLibraryAnonymous(t *testing.T) {
	h := newHarness(t, Config{})
	m := seedMembers(h)
	pub := h.resource(m.a, "Model terms of service", "# Terms\n\nClause one.\n\n## Scope\n\nText.", ksp.DistPublic, ksp.TLPClear, "terms-of-service")
	mem := h.resource(m.a, "Members-only checklist", "Secret steps.", ksp.DistMembers, ksp.TLPGreen)
	c := h.client()
	c.want(c.get("/"), 200, `href="/library"`)
	c.want(c.get("/library"), 200, "Model terms of service", "Summary of Model terms of service")
	if strings.Contains(c.body, "Members-only checklist") {
		t.Fatal("anonymous library lists a members' resource")
	}
	c.want(c.get("/library/"+pub.ID), 200, "Model terms of service", "Clause one.", "Guide", "European Union", "Clipshare", "History")
	// The body's headings sit below the page's single h1 (the a11y check
	// would fail a second h1 or a skipped level).
	if strings.Count(c.body, "<h1") != 1 || !strings.Contains(c.body, `<h2 id="md-terms">Terms</h2>`) || !strings.Contains(c.body, `<h3 id="md-scope">`) {
		t.Errorf("body headings not shifted:\n%s", excerpt(c.body))
	}
	if strings.Contains(c.body, `href="/library/`+pub.ID+`/edit"`) {
		t.Error("anonymous reader offered the editor")
	}
	// An anonymous reader learns the owner org, never who wrote it.
	c.want(c.get("/library/"+pub.ID+"/history"), 200, "Revision 1", "Clipshare")
	if strings.Contains(c.body, "analyst@clipshare.example") {
		t.Error("the history names the author to an anonymous reader")
	}
	c.want(c.get("/library/"+pub.ID+"/revisions/1"), 200, "first revision", "Clause one.")
	for _, p := range []string{"/library/" + mem.ID, "/library/" + mem.ID + "/history", "/library/" + mem.ID + "/revisions/1", "/library/" + pub.ID + "/revisions/2", "/library/" + pub.ID + "/revisions/x"} {
		c.want(c.get(p), 404, "Page not found")
		if strings.Contains(c.body, "Members-only") || strings.Contains(c.body, "Secret steps") {
			t.Errorf("%s leaks the members' resource", p)
		}
	}
	// The editor needs an account.
	res := c.get("/library/new")
	if res.Request.URL.Path != "/login" {
		t.Errorf("anonymous /library/new ended at %s", res.Request.URL.Path)
	}
	// A signed-in member sees both.
	mc := h.client()
	mc.signIn(m.gov, 0)
	mc.want(mc.get("/library"), 200, "Model terms of service", "Members-only checklist")
	mc.want(mc.get("/library/"+mem.ID), 200, "Secret steps.", "Every member organisation")
	mc.want(mc.get("/dashboard"), 200, "New in the library", "Members-only checklist", "Model terms of service")
}

// TestLibraryHarmlessMarkdown: a body with a script, event handlers,
// javascript: links and a remote image renders without any of them.
func TestLibraryHarmlessMarkdown(t *testing.T) {
	h := newHarness(t, Config{})
	m := seedMembers(h)
	body := "Intro <script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n[click me](javascript:alert(1))\n\n" +
		"[spaced](  JaVaScRiPt:alert(2) )\n\n![photo](https://evil.example/gore.jpg)\n\n<a href=\"https://evil.example\" onclick=\"x()\">raw</a>\n\n[real](https://example.org/guide)"
	r := h.resource(m.a, "Harmless", body, ksp.DistPublic, ksp.TLPClear)
	c := h.client()
	c.want(c.get("/library/"+r.ID), 200, "Intro", "https://example.org/guide", "https://evil.example/gore.jpg")
	main := c.body[strings.Index(c.body, "<main"):]
	for _, bad := range []string{"<script>alert", "onerror", "onclick", "javascript:", "JaVaScRiPt:", "<img", `src="https://evil.example`} {
		if strings.Contains(main, bad) {
			t.Errorf("page contains %q:\n%s", bad, excerpt(c.body))
		}
	}
	// The preview is rendered the same way.
	ec := h.client()
	ec.signIn(m.a, 0)
	ec.get("/library/new")
	ec.want(ec.post("/library/new", url.Values{"action": {"preview"}, "title": {"Draft"}, "kind": {"guide"}, "body": {body}, "distribution": {"members"}, "tlp": {"GREEN"}, "language": {"en"}}),
		200, "Preview", "Not saved yet", "https://example.org/guide")
	// The form below keeps the text (escaped), so look at the preview alone.
	main = ec.body[strings.Index(ec.body, "<main"):]
	preview := main[strings.Index(main, `id="h-preview"`):]
	preview = preview[:strings.Index(preview, "</section>")]
	for _, bad := range []string{"<script>alert", "onerror", "javascript:", "<img"} {
		if strings.Contains(preview, bad) {
			t.Errorf("preview contains %q:\n%s", bad, preview)
		}
	}
	// The form keeps the body for the next step (escaped in the textarea).
	if !strings.Contains(main, "&lt;script&gt;alert") {
		t.Error("preview lost the posted text")
	}
	list, _, err := h.db.FindResources(h.sys, ksp.ResourceFilter{})
	if err != nil || len(list) != 1 {
		t.Errorf("preview saved something: %d resources, %v", len(list), err)
	}
}

// TestLibraryEditor: an analyst creates, edits and sees the history and
// the diff; another org's analyst cannot edit; a viewer cannot write.
func TestLibraryEditor(t *testing.T) {
	h := newHarness(t, Config{})
	m := seedMembers(h)
	c := h.client()
	c.signIn(m.a, 0)
	c.want(c.get("/library"), 200, "Add a resource")
	c.want(c.get("/library/new"), 200, "Add to the library", "Preview", "Save")
	// Bad input: the error summary names each field and the input is kept.
	c.want(c.post("/library/new", url.Values{"action": {"save"}, "title": {""}, "kind": {"guide"}, "body": {"Kept text"}, "distribution": {"public"}, "tlp": {"GREEN"},
		"jurisdictions": {"Europe"}, "language": {"en"}}), 400, "There is a problem", "Enter title", `href="#f-tlp"`, `href="#f-jurisdictions"`, "Kept text")
	c.want(c.post("/library/new", url.Values{"action": {"save"}, "title": {"Incident checklist"}, "kind": {"guide"}, "summary": {"What to do first."},
		"body": {"# Checklist\n\n1. Preserve evidence.\n2. Remove.\n"}, "tags": {"incident, crisis"}, "jurisdictions": {"int"}, "distribution": {"members"}, "tlp": {"GREEN"}, "language": {"en"}}),
		200, "Added to the library: Incident checklist, readable by all members (TLP:GREEN).", "Preserve evidence", "International")
	id := strings.TrimPrefix(c.url.Path, "/library/")
	if !ksp.ValidID(id) {
		t.Fatalf("after save at %s", c.url.Path)
	}
	c.want(c.get("/library/"+id+"/edit"), 200, "Edit Incident checklist", "Preserve evidence", "crisis, incident", "Delete this resource")
	c.want(c.post("/library/"+id+"/edit", url.Values{"action": {"save"}, "title": {"Incident checklist"}, "kind": {"guide"}, "summary": {"What to do first."},
		"body": {"# Checklist\n\n1. Preserve evidence.\n2. Report to the programme.\n3. Remove.\n"}, "tags": {"incident, crisis"}, "jurisdictions": {"INT"}, "distribution": {"members"}, "tlp": {"GREEN"}, "language": {"en"}}),
		200, "Saved as revision 2", "Report to the programme")
	c.want(c.get("/library/"+id+"/history"), 200, "Revision 2", "Revision 1", "Current")
	c.want(c.get("/library/"+id+"/revisions/2"), 200, "What changed", "Added: ", "Report to the programme", "Removed: ", "2. Remove.", "Previous revision")
	// Saving the same again changes nothing.
	c.get("/library/" + id + "/edit")
	c.want(c.post("/library/"+id+"/edit", url.Values{"action": {"save"}, "title": {"Incident checklist"}, "kind": {"guide"}, "summary": {"What to do first."},
		"body": {"# Checklist\r\n\r\n1. Preserve evidence.\r\n2. Report to the programme.\r\n3. Remove.\r\n"}, "tags": {"crisis, incident"}, "jurisdictions": {"INT"}, "distribution": {"members"}, "tlp": {"GREEN"}, "language": {"en"}}),
		200, "Nothing changed")

	// Another org's analyst reads but cannot edit or delete.
	o := h.client()
	o.signIn(m.b, 0)
	o.want(o.get("/library/"+id), 200, "Incident checklist")
	if strings.Contains(o.body, "/edit") {
		t.Error("another org's analyst offered the editor")
	}
	o.want(o.get("/library/"+id+"/edit"), 403, "You cannot edit this")
	o.get("/library/" + id)
	o.want(o.post("/library/"+id+"/edit", url.Values{"action": {"save"}, "title": {"Taken over"}, "kind": {"guide"}, "distribution": {"members"}, "tlp": {"GREEN"}, "language": {"en"}}), 403)
	o.want(o.post("/library/"+id+"/delete", url.Values{"confirm": {"yes"}}), 403)
	got, err := h.db.FindResourceByID(h.sys, id)
	if err != nil || got.Title != "Incident checklist" || got.Revision != 2 {
		t.Fatalf("another org changed the resource: %+v %v", got, err)
	}
	// A viewer of the owner org cannot write either.
	v := h.client()
	v.signIn(m.aViewer, 0)
	v.want(v.get("/library/new"), 403)
	v.want(v.get("/library/"+id+"/edit"), 403)
	// Without the CSRF token nothing is saved.
	c.get("/library/" + id)
	c.want(c.post("/library/"+id+"/edit", url.Values{"csrf": {"forged"}, "action": {"save"}, "title": {"Forged"}, "kind": {"guide"}, "distribution": {"members"}, "tlp": {"GREEN"}, "language": {"en"}}), 403, "This form has expired")

	// Staff edit any resource; the owner deletes after confirming.
	st := h.client()
	st.signIn(m.staff, 0)
	st.want(st.get("/library/"+id+"/edit"), 200, "Edit Incident checklist")
	c.get("/library/" + id + "/edit")
	c.want(c.post("/library/"+id+"/delete", nil), 400, "Tick the box")
	c.want(c.post("/library/"+id+"/delete", url.Values{"confirm": {"yes"}}), 200, "Deleted from the library")
	c.want(c.get("/library/"+id), 404)
}

// TestLibraryFilters: kind, tag and jurisdiction filters and their links.
func TestLibraryFilters(t *testing.T) {
	h := newHarness(t, Config{})
	m := seedMembers(h)
	h.resource(m.a, "Tagged guide", "x", ksp.DistPublic, ksp.TLPClear, "crisis")
	law := &ksp.Resource{Kind: ksp.ResourceLaw, Title: "Online Safety Act overview", Jurisdictions: []string{"GB"}, Sharing: ksp.Sharing{Distribution: ksp.DistPublic, TLP: ksp.TLPClear}}
	if err := h.db.CreateResource(asUser(m.a), law); err != nil {
		t.Fatal(err)
	}
	c := h.client()
	c.want(c.get("/library?kind=law"), 200, "Online Safety Act overview", "Clear filters")
	if strings.Contains(c.body, "Tagged guide") {
		t.Error("kind filter let a guide through")
	}
	c.want(c.get("/library?tag=crisis"), 200, "Tagged guide", `href="/library?tag=crisis"`)
	if strings.Contains(c.body, "Online Safety Act") {
		t.Error("tag filter let the law through")
	}
	c.want(c.get("/library?jurisdiction=gb"), 200, "Online Safety Act overview")
	c.want(c.get("/library?jurisdiction=Great+Britain"), 400, "There is a problem", "Jurisdiction")
	c.want(c.get("/library?tag=nothing-here"), 200, "No resources match these filters.")
}

func TestShiftHeadings(t *testing.T) {
	tests := []struct {
		in   string
		base int
		want string
	}{
		{`<h1 id="a">A</h1><p>x</p><h2>B</h2>`, 1, `<h2 id="a">A</h2><p>x</p><h3>B</h3>`},
		{`<h3>A</h3><h1>B</h1>`, 1, `<h2>A</h2><h2>B</h2>`},
		{`<h1>A</h1><h4>B</h4><h2>C</h2>`, 2, `<h3>A</h3><h4>B</h4><h4>C</h4>`},
		{`<h6>A</h6>`, 5, `<h6>A</h6>`},
		{`<p>no headings</p>`, 1, `<p>no headings</p>`},
	}
	for _, tt := range tests {
		if got := shiftHeadings(template.HTML(tt.in), tt.base); string(got) != tt.want {
			t.Errorf("shiftHeadings(%q, %d) = %q, want %q", tt.in, tt.base, got, tt.want)
		}
	}
}
