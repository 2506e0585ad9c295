package web

import (
	"encoding/xml"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

var trSVGRE = regexp.MustCompile(`(?s)<svg .*?</svg>`)

// TestTransparencyPages drives the public page (charts as valid SVG, each
// with a table), publishing by staff, the printable report, and the member
// report helper for org admins only.
func TestTransparencyPages(t *testing.T) {
	h := newHarness(t, Config{})
	m := seedMembers(h)
	admin := h.user(h.org("Helper Host", ksp.KindPlatform, ksp.SizeStartup), "admin@helper.example", ksp.RoleAdmin, true)
	last := fmt.Sprint(time.Now().UTC().Year() - 1)

	anon := h.client()
	anon.want(anon.get("/transparency"), 200, "Report for "+last, "Submissions to the hash bank per month", "No report has been published yet.", "No checkpoint has been signed yet.")
	if strings.Contains(anon.body, "Publish a report") {
		t.Fatal("publish form shown to the public")
	}
	svgs := trSVGRE.FindAllString(anon.body, -1)
	if len(svgs) < 6 {
		t.Fatalf("%d charts on the page", len(svgs))
	}
	for _, s := range svgs {
		if err := xml.Unmarshal([]byte(s), new(struct{})); err != nil || !strings.Contains(s, "<title id=") {
			t.Fatalf("chart is not valid SVG with a title: %v\n%s", err, s)
		}
	}
	if n := strings.Count(anon.body, `<div class="table-wrap" role="region" tabindex="0" aria-labelledby="tr-`); n < len(svgs)+1 {
		t.Fatalf("%d data tables for %d charts", n, len(svgs))
	}
	anon.want(anon.get("/transparency?period=2025-Q9"), 400, "No such period")
	anon.want(anon.get("/transparency/print?period="+last), 200, "<!doctype html>", "@media print")
	anon.want(anon.get("/transparency/draft"), 200, "Sign in")

	// A member's analyst neither publishes nor drafts.
	a := h.client()
	a.signIn(m.a, 0)
	a.want(a.get("/transparency"), 200)
	if strings.Contains(a.body, "Publish a report") || strings.Contains(a.body, "/transparency/draft") {
		t.Fatal("staff or admin forms shown to an analyst")
	}
	if res := a.post("/transparency/publish", url.Values{"period": {last}}); res.StatusCode != 404 {
		t.Fatalf("analyst publishing: %d", res.StatusCode)
	}
	if res := a.get("/transparency/draft"); res.StatusCode != 403 {
		t.Fatalf("analyst drafting: %d", res.StatusCode)
	}

	// Staff publish last year's report.
	s := h.client()
	s.signIn(m.staff, 0)
	s.want(s.get("/transparency"), 200, "Publish a report", `<option value="`+last+`">`)
	s.want(s.post("/transparency/publish", url.Values{"period": {last}}), 200, "Report "+last+" published. SHA-256 ")
	pub, err := h.db.FindPublishedReport(h.sys, last)
	if err != nil {
		t.Fatal(err)
	}
	s.want(s.get("/transparency?period="+last), 200, pub.SHA256, "Published ")
	s.want(s.post("/transparency/publish", url.Values{"period": {last}}), 200, "Not published: this period&#39;s report is already published")
	s.want(s.post("/transparency/publish", url.Values{"period": {"2999"}}), 200, "Not published")
	anon.want(anon.get("/transparency"), 200, pub.SHA256)
	if res := s.post("/transparency/publish", url.Values{"period": {last}, "csrf": {"forged"}}); res.StatusCode != 403 {
		t.Fatalf("publishing without the CSRF token: %d", res.StatusCode)
	}

	// The member report helper: pre-filled, editable, exported as Markdown.
	ad := h.client()
	ad.signIn(admin, 0)
	ad.want(ad.get("/transparency"), 200, "/transparency/draft")
	ad.want(ad.get("/transparency/draft"), 200, "# Transparency report of Helper Host, "+last, "Export as Markdown", `<label for="f-markdown"`)
	ad.want(ad.get("/transparency/draft?from=2025-02-30&to=2025-03-01"), 400, "There is a problem", `href="#f-from"`)
	ad.want(ad.get("/transparency/draft"), 200)
	res := ad.post("/transparency/draft", url.Values{"from": {last + "-01-01"}, "to": {last + "-12-31"}, "markdown": {"# Our report\r\nEdited."}})
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/markdown; charset=utf-8" ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "attachment") || ad.body != "# Our report\nEdited." {
		t.Fatalf("export: %d %v %q", res.StatusCode, res.Header, ad.body)
	}
	ad.get("/transparency/draft")
	ad.want(ad.post("/transparency/draft", url.Values{"markdown": {"  "}}), 400, "There is a problem")
	// Staff have no org report to draft.
	s.want(s.get("/transparency/draft"), 404)
}
