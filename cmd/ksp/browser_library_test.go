package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kspplatform/ksp"
)

// TestBrowserLibrary is the library's flow of UX.md's browser tests: a
// visitor without an account reads a public resource; an analyst writes a
// resource, previews it (a script in it stays inert), saves it, edits it
// and reads what changed in its history.
func TestBrowserLibrary(t *testing.T) {
	start := time.Now()
	s := startBrowserSite(t, nil)
	ctx, db, srv := s.ctx, s.db, s.srv

	sys := ksp.NewContext(ctx, ksp.SystemActor("test"))
	o := &ksp.Org{Name: "Clipshare", Kind: ksp.KindPlatform, Size: ksp.SizeSmall}
	if err := db.CreateOrg(sys, o); err != nil {
		t.Fatal(err)
	}
	u, _, err := db.CreateUser(sys, o.ID, ksp.NewUser{Email: "ada@clipshare.example", Name: "Ada Analyst", Role: ksp.RoleAnalyst, Password: "analyst passphrase 1"})
	if err != nil {
		t.Fatal(err)
	}
	as := ksp.NewContext(ctx, &ksp.Actor{UserID: u.ID, OrgID: o.ID, OrgKind: o.Kind, Role: u.Role})
	pub := &ksp.Resource{Kind: ksp.ResourceTemplate, Title: "Model terms of service", Summary: "Clauses to adapt.", Body: "# Terms\n\nSee [the regulation](https://eur-lex.europa.eu/eli/reg/2021/784/oj).",
		Tags: []string{"terms-of-service"}, Jurisdictions: []string{"INT"}, Sharing: ksp.Sharing{Distribution: ksp.DistPublic, TLP: ksp.TLPClear}}
	if err := db.CreateResource(as, pub); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, srv.URL)
	// Anyone reads the public library.
	b.open("/library", "Library")
	b.shot("library")
	eval[bool](b, `window.kspOld = true`)
	b.do("open the resource", chromedp.Click(chromedp.CSS(`.resources a[href="/library/`+pub.ID+`"]`)))
	b.waitH1("Model terms of service")
	if txt := eval[string](b, `document.querySelector(".resource-body").innerText`); !strings.Contains(txt, "https://eur-lex.europa.eu/eli/reg/2021/784/oj") {
		t.Fatalf("link target not shown: %q", txt)
	}
	b.shot("resource")

	// An analyst writes a resource with the editor.
	b.open("/login", "Sign in")
	b.fill(map[string]string{"f-email": "ada@clipshare.example", "f-password": "analyst passphrase 1"}, []string{"f-email", "f-password"})
	b.submit(`form[action="/login"]`, "Dashboard")
	b.open("/library/new", "Add to the library")
	b.fill(map[string]string{"f-title": "Incident checklist", "f-body": "## First hour\n\n1. Preserve evidence.\n2. Remove.\n\n<script>window.kspPwned = true</script>", "f-tags": "incident"},
		[]string{"f-title", "f-body", "f-tags"})
	// The first submit button is Preview.
	b.submit(`form[action="/library/new"]`, "Add to the library")
	if h := eval[string](b, `document.getElementById("h-preview").textContent`); h != "Preview" {
		t.Fatalf("preview heading %q", h)
	}
	if eval[bool](b, `window.kspPwned === true`) {
		t.Fatal("a script in the body ran in the preview")
	}
	if n := eval[int](b, `document.querySelectorAll(".preview ol li").length`); n != 2 {
		t.Fatalf("preview shows %d list items", n)
	}
	b.shot("resource-preview")
	eval[bool](b, `window.kspOld = true`)
	b.do("save", chromedp.Click(chromedp.CSS(`button[value="save"]`)))
	b.waitH1("Incident checklist")
	if txt := eval[string](b, `document.querySelector(".notice").textContent`); !strings.Contains(txt, "Added to the library: Incident checklist, readable by all members (TLP:GREEN).") {
		t.Fatalf("notice %q", txt)
	}
	eval[bool](b, `window.kspOld = true`)
	b.do("edit", chromedp.Click(chromedp.CSS(`a[href$="/edit"]`)))
	b.waitH1("Edit Incident checklist")
	eval[bool](b, `(function(){var t = document.getElementById("f-body"); t.value = t.value.replace("2. Remove.", "2. Report to the programme.\n3. Remove."); return true})()`)
	eval[bool](b, `window.kspOld = true`)
	b.do("save the edit", chromedp.Click(chromedp.CSS(`button[value="save"]`)))
	b.waitH1("Incident checklist")
	eval[bool](b, `window.kspOld = true`)
	b.do("open the history", chromedp.Click(chromedp.CSS(`a[href$="/history"]`)))
	b.waitH1("History of Incident checklist")
	eval[bool](b, `window.kspOld = true`)
	b.do("open revision 2", chromedp.Click(chromedp.CSS(`a[href$="/revisions/2"]`)))
	b.waitH1("Revision 2 of Incident checklist")
	if txt := eval[string](b, `document.querySelector("table.diff").innerText`); !strings.Contains(txt, "Report to the programme") {
		t.Fatalf("diff %q", txt)
	}
	b.shot("resource-revision")
	t.Logf("library browser flow: %d pages checked, %v", b.pages, time.Since(start).Round(time.Millisecond))
}
