package main

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeVersion is the axe-core release .ci/run installs from npm; keep the
// two in step (under CI=true a different version fails the tests, so that
// a result always means the same rule set).
const axeVersion = "4.14.1"

// axeRel is where .ci/run installs axe-core, relative to the module root
// (outside every Go package, ignored by git).
const axeRel = ".ci/node/node_modules/axe-core/axe.min.js"

// axeInstall is the command that puts axe-core where the tests look.
const axeInstall = "npm install --prefix .ci/node --no-save --no-package-lock axe-core@" + axeVersion

var axeFile struct {
	once sync.Once
	path string
	src  string
	err  error
}

// axeScript returns axe.min.js: from $KSP_AXE, else from axeRel under the
// module root. Without it the browser test is skipped with the command that
// installs it, or fails under CI=true (the rule for tools .ci/run installs).
func axeScript(t *testing.T) string {
	t.Helper()
	axeFile.once.Do(func() {
		p := os.Getenv("KSP_AXE")
		if p == "" {
			root, err := moduleRoot()
			if err != nil {
				axeFile.err = err
				return
			}
			p = filepath.Join(root, axeRel)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			axeFile.err = err
			return
		}
		axeFile.path, axeFile.src = p, string(b)
	})
	if axeFile.err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("axe-core is missing (%v); .ci/run installs it: %s", axeFile.err, axeInstall)
		}
		t.Skipf("browser tests skipped: axe-core not found (%v); install it from the module root with `%s` or set KSP_AXE to an axe.min.js (CI=true makes this a failure)", axeFile.err, axeInstall)
	}
	return axeFile.src
}

// moduleRoot is the nearest directory above the working directory holding
// go.mod (tests run in their package's directory).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = up
	}
}

// axeViolation is the part of an axe-core result a failure message needs.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  int    `json:"nodes"`
	// First holds the first nodes' CSS selectors and what axe says is wrong.
	First []struct {
		Target  []any  `json:"target"`
		Summary string `json:"summary"`
	} `json:"first"`
}

// axeRunJS runs axe-core's rules (OPTIONS' runOnly) on the whole document
// and keeps only the violations (what axe cannot decide, "incomplete", is
// left to the project's own checker and to people).
const axeRunJS = `axe.run(document, {runOnly: OPTIONS, resultTypes: ["violations"]}).then(r => r.violations.map(v => ({
	id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.length,
	first: v.nodes.slice(0, 3).map(n => ({target: n.target, summary: n.failureSummary || ""}))
})))`

// axeWCAG selects every WCAG 2.0 and 2.1 level A and AA rule.
const axeWCAG = `{type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}`

// axeLayout selects the WCAG rules whose answer depends on the layout: a
// region that scrolls only on a narrow screen, text that lands on another
// background. The stylesheet's phone media query changes sizes and
// columns but hides or shows nothing, so the other rules, which read the
// document, answer the same at both sizes; a stylesheet that shows an
// element only on a phone needs the phone run to use axeWCAG.
const axeLayout = `{type: "rule", values: ["scrollable-region-focusable", "color-contrast"]}`

var csrfValueRE = regexp.MustCompile(`name="csrf" value="[^"]*"`)

// axeSizes are the window sizes every page is checked at (the screenshots'
// desktop and phone).
var axeSizes = []struct {
	name   string
	w, h   int64
	mobile bool
	rules  string
}{{"desktop", 1280, 800, false, axeWCAG}, {"phone", 390, 844, true, axeLayout}}

// axe runs axe-core's WCAG 2.1 A/AA rules on the page as it is now, at the
// desktop window size (and those that depend on the layout at the phone
// size too, see axeLayout), and reports every violation as a test
// error naming the page, the rule, its impact and the first elements.
// checkPage calls it after every page load (open, submit, follow, waitH1,
// visit), so a browser test gets it for free; call b.axe() yourself only
// after a script changed the page in place. A document it has already
// checked in this browser is not checked again.
func (b *browser) axe() {
	b.t.Helper()
	for _, p := range b.axeProblems() {
		b.t.Error(p)
	}
}

// axeProblems runs axe-core as axe describes and returns one message per
// violation and window size.
func (b *browser) axeProblems() []string {
	b.t.Helper()
	start := time.Now()
	defer func() { b.axeTime += time.Since(start) }()
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	// A document already checked (the sign-in page again, a list after a
	// round trip) gives the same result: skip it. The CSRF token is the
	// one part of a page that changes without changing what axe sees.
	doc := eval[string](b, `document.documentElement.outerHTML`)
	sum := sha256.Sum256([]byte(csrfValueRE.ReplaceAllString(doc, "")))
	if b.axeSeen == nil {
		b.axeSeen = map[[sha256.Size]byte]bool{}
	}
	if b.axeSeen[sum] {
		return nil
	}
	b.axeSeen[sum] = true
	if !eval[bool](b, `typeof window.axe === "object" && typeof window.axe.run === "function"`) {
		b.do("inject axe-core", chromedp.Evaluate[chromedp.Void](b.axeSrc+"\n;void 0"))
		v := eval[string](b, `axe.version`)
		if v != axeVersion && os.Getenv("CI") == "true" {
			b.t.Fatalf("axe-core %s loaded from %s, .ci/run pins %s", v, axeFile.path, axeVersion)
		}
	}
	var probs []string
	for i, size := range axeSizes {
		if i > 0 {
			b.do("viewport "+size.name, axeViewport(size.w, size.h, size.mobile))
		}
		vs, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]axeViolation](strings.Replace(axeRunJS, "OPTIONS", size.rules, 1), chromedp.EvalAwaitPromise))
		if err != nil {
			b.t.Fatalf("axe-core on %s (%s): %v", loc, size.name, err)
		}
		b.axeRuns++
		for _, v := range vs {
			b.axeViolations++
			var first []string
			for _, n := range v.First {
				first = append(first, fmt.Sprintf("%v: %s", n.Target, strings.ReplaceAll(n.Summary, "\n", " ")))
			}
			probs = append(probs, fmt.Sprintf("axe-core at %s (%s): %s [%s] %s; %d element(s), e.g.\n\t%s", loc, size.name, v.ID, v.Impact, v.Help, v.Nodes, strings.Join(first, "\n\t")))
		}
	}
	b.do("viewport desktop", axeViewport(axeSizes[0].w, axeSizes[0].h, axeSizes[0].mobile))
	return probs
}

// TestBrowserAxeFindsViolations makes sure the check can fail: a page with
// an unlabelled field, an image without a text alternative, grey on white
// text and a table that scrolls only on a phone gives those violations,
// each at the right window size, and the same page again is not re-run.
func TestBrowserAxeFindsViolations(t *testing.T) {
	page := `<!doctype html><html lang="en"><head><title>Bad</title><meta name="viewport" content="width=device-width"></head><body>
<main><h1>Bad</h1><input name="q"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><p style="color:#aaa">faint</p>
<div style="overflow-x:auto"><table><tr><th>A</th></tr><tr><td><div style="width:800px">wide</div></td></tr></table></div></main></body></html>`
	b := newBrowser(t, "")
	b.do("open the bad page", chromedp.Navigate("data:text/html;base64,"+base64.StdEncoding.EncodeToString([]byte(page))))
	got := strings.Join(b.axeProblems(), "\n")
	for _, want := range []string{"(desktop): label ", "(desktop): image-alt ", "(desktop): color-contrast ", "(phone): color-contrast ",
		"(phone): scrollable-region-focusable "} {
		if !strings.Contains(got, want) {
			t.Errorf("axe-core did not report %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "(desktop): scrollable-region-focusable") {
		t.Errorf("the table scrolls at desktop width too:\n%s", got)
	}
	if p := b.axeProblems(); len(p) != 0 {
		t.Errorf("the same document checked twice: %v", p)
	}
}

func axeViewport(w, h int64, mobile bool) chromedp.Action[chromedp.Void] {
	if mobile {
		return chromedp.EmulateViewport(w, h, chromedp.EmulateMobile)
	}
	return chromedp.EmulateViewport(w, h)
}
