package web

import (
	"fmt"
	"html/template"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
)

// TestSearchPage searches from the web as a visitor and as members of two
// orgs: what each finds, links to the item pages, snippets rendered with
// their marks and the text's markup shown as text, the type filter,
// paging, and a query with no word.
func TestSearchPage(t *testing.T) {
	h := newHarness(t, Config{})
	plat := h.org("Big Platform", ksp.KindPlatform, ksp.SizeLarge)
	other := h.org("Other Platform", ksp.KindPlatform, ksp.SizeSmall)
	member := h.user(plat, "analyst@big.example", ksp.RoleAnalyst, false)
	outsider := h.user(other, "analyst@other.example", ksp.RoleAnalyst, false)
	as := func(a *account) *ksp.Actor {
		return &ksp.Actor{UserID: a.user.ID, OrgID: a.org.ID, OrgKind: a.org.Kind, Role: a.user.Role}
	}
	mk := func(a *account, title, body string, s ksp.Sharing) string {
		r := &ksp.Resource{Kind: ksp.ResourceGuide, Title: title, Body: body, Sharing: s}
		if err := h.db.CreateResource(ksp.NewContext(h.sys, as(a)), r); err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	public := mk(member, "Public takedown guide", "Takedown steps. <script>alert(1)</script> & more", ksp.Sharing{Distribution: ksp.DistPublic, TLP: ksp.TLPClear})
	members := mk(member, "Members takedown checklist", "Takedown for members", ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen})
	private := mk(member, "Private takedown notes", "Takedown internals", ksp.Sharing{Distribution: ksp.DistOwner, TLP: ksp.TLPAmber})
	ent := &ksp.Entity{Kind: ksp.EntityGroup, Name: "Takedown Evaders Front", OriginalName: "جبهة"}
	if err := h.db.CreateEntity(h.sys, ent); err != nil {
		t.Fatal(err)
	}

	visitor := h.client()
	res := visitor.get("/search?q=takedown")
	visitor.want(res, 200, `href="/library/`+public+`"`, "<mark>Takedown</mark>", "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more", `id="site-search-q"`)
	for _, hidden := range []string{members, private, ent.ID, "<script>alert"} {
		if strings.Contains(visitor.body, hidden) {
			t.Errorf("visitor's results hold %q", hidden)
		}
	}
	visitor.want(visitor.get("/search?q=takedown&type=entity"), 200, "Designated entities are for members")
	visitor.want(visitor.get("/search?q=zzqqxx"), 200, "Nothing found for “zzqqxx” among public resources")

	c := h.client()
	c.signIn(member, 0)
	c.want(c.get("/dashboard"), 200, `id="site-search-q"`)
	c.want(c.get("/search?q=takedown"), 200, `href="/library/`+members+`"`, `href="/library/`+private+`"`, `href="/entities/`+ent.ID+`"`,
		"Designated entity · Group or organisation", "Library · Guide", `value="takedown"`)
	c.want(c.get("/search?q=takedown&type=resource"), 200, `href="/library/`+members+`"`, `<option value="resource" selected>`)
	if strings.Contains(c.body, "/entities/") {
		t.Errorf("type=resource shows entities")
	}
	c.want(c.get("/search?q=takedown&type=entity"), 200, `href="/entities/`+ent.ID+`"`)
	if strings.Contains(c.body, "/library/") {
		t.Errorf("type=entity shows resources")
	}
	c.want(c.get("/search?q="+url.QueryEscape(`"*" ()`)), 200, "There is a problem", "Type at least one word")

	o := h.client()
	o.signIn(outsider, 0)
	o.want(o.get("/search?q=takedown"), 200, `href="/library/`+members+`"`)
	if strings.Contains(o.body, private) {
		t.Errorf("another org's owner-only resource found")
	}

	// Paging: 25 results, 20 on the first page.
	for i := range 24 {
		mk(member, fmt.Sprintf("Paged guide %d", i), "pagedword", ksp.Sharing{Distribution: ksp.DistPublic, TLP: ksp.TLPClear})
	}
	mk(member, "Paged guide last", "pagedword", ksp.Sharing{Distribution: ksp.DistPublic, TLP: ksp.TLPClear})
	c.want(c.get("/search?q=pagedword"), 200, "Next page")
	if n := strings.Count(c.body, `class="search-result"`); n != 20 {
		t.Errorf("first page: %d results", n)
	}
	next := regexp.MustCompile(`href="(/search\?[^"]+)">Next page`).FindStringSubmatch(c.body)
	if next == nil {
		t.Fatal("no next page link")
	}
	c.want(c.get(strings.ReplaceAll(next[1], "&amp;", "&")), 200, "First page")
	if n := strings.Count(c.body, `class="search-result"`); n != 5 || strings.Contains(c.body, "Next page") {
		t.Errorf("second page: %d results", n)
	}
}

// TestTrustedSnippet checks the one function that trusts a snippet as
// HTML: marks pass, anything else is shown as text.
func TestTrustedSnippet(t *testing.T) {
	tests := []struct {
		in   string
		want template.HTML
	}{
		{"a <mark>b</mark> &amp; c", "a <mark>b</mark> &amp; c"},
		{"&lt;script&gt;", "&lt;script&gt;"},
		{"<script>x</script>", "&lt;script&gt;x&lt;/script&gt;"},
		{`<mark onclick="x">b</mark>`, "&lt;mark onclick=&#34;x&#34;&gt;b&lt;/mark&gt;"},
		{"<mark>b</mark><img>", "&lt;mark&gt;b&lt;/mark&gt;&lt;img&gt;"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := trustedSnippet(tt.in); got != tt.want {
			t.Errorf("trustedSnippet(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
