// Package a11y checks KSP's pages and stylesheet for the accessibility
// problems a machine can find: unlabelled fields, missing landmarks and
// headings, tables without headers, images without text alternatives,
// broken in-page links, low colour contrast and invisible keyboard focus.
// It does not replace testing with people and assistive technology.
package a11y

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// MinContrast is WCAG 2.x level AA for normal text.
const MinContrast = 4.5

// CheckHTML returns the problems found in one page.
func CheckHTML(page string) []string {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		return []string{"does not parse: " + err.Error()}
	}
	var (
		probs                    []string
		h1, mains, headers, navs int
		title                    string
		ids                      = map[string]int{}
		labelFor                 = map[string]bool{}
		fields                   []*html.Node
		refs                     []string
		lastLevel                int
	)
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if id := attr(n, "id"); id != "" {
				ids[id]++
			}
			// A table that scrolls sideways on a phone must be reachable by
			// keyboard to be scrolled (WCAG 2.1.1; axe's
			// scrollable-region-focusable), and say what it holds when
			// focused.
			if slices.Contains(strings.Fields(attr(n, "class")), "table-wrap") &&
				(attr(n, "tabindex") != "0" || attr(n, "role") != "region" || attr(n, "aria-labelledby")+attr(n, "aria-label") == "") {
				add(`<div class="table-wrap"> needs role="region", tabindex="0" and aria-labelledby (its caption's id) so that it can be scrolled by keyboard`)
			}
			switch n.DataAtom {
			case atom.Html:
				if attr(n, "lang") == "" {
					add("<html> has no lang")
				}
			case atom.Title:
				if n.Namespace == "" { // an SVG's <title> names the image, not the page
					title = strings.TrimSpace(text(n))
				}
			case atom.Svg:
				// An inline image says what it shows, unless it is decoration
				// hidden from assistive technology.
				if attr(n, "aria-hidden") != "true" {
					named := attr(n, "aria-label") != "" || attr(n, "aria-labelledby") != ""
					for c := n.FirstChild; c != nil; c = c.NextSibling {
						if c.Type == html.ElementNode && c.DataAtom == atom.Title && strings.TrimSpace(text(c)) != "" {
							named = true
						}
					}
					if attr(n, "role") != "img" || !named {
						add("<svg> needs role=\"img\" and a name (aria-label, aria-labelledby or <title>), or aria-hidden=\"true\"")
					}
				}
			case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
				level := int(n.Data[1] - '0')
				if level == 1 {
					h1++
				}
				if lastLevel > 0 && level > lastLevel+1 {
					add("heading <%s> %q skips a level after <h%d>", n.Data, strings.TrimSpace(text(n)), lastLevel)
				}
				if strings.TrimSpace(text(n)) == "" {
					add("empty <%s>", n.Data)
				}
				lastLevel = level
			case atom.Main:
				mains++
			case atom.Header:
				headers++
			case atom.Nav:
				navs++
			case atom.Label:
				if f := attr(n, "for"); f != "" {
					labelFor[f] = true
				}
			case atom.Input:
				switch strings.ToLower(attr(n, "type")) {
				case "hidden", "submit", "button", "reset", "image":
				default:
					fields = append(fields, n)
				}
			case atom.Select, atom.Textarea:
				fields = append(fields, n)
			case atom.Img:
				if _, ok := attrOK(n, "alt"); !ok {
					add("<img src=%q> has no alt", attr(n, "src"))
				}
			case atom.Table:
				if find(n, atom.Th) == nil {
					add("<table> has no <th> headers")
				}
			case atom.A:
				if href, ok := attrOK(n, "href"); ok {
					if strings.TrimSpace(text(n)) == "" && attr(n, "aria-label") == "" {
						add("link to %q has no text", href)
					}
					if strings.HasPrefix(href, "#") && len(href) > 1 {
						refs = append(refs, href[1:])
					}
				}
			case atom.Button:
				if strings.TrimSpace(text(n)) == "" && attr(n, "aria-label") == "" {
					add("<button> has no text")
				}
			}
			for _, a := range []string{"aria-describedby", "aria-labelledby"} {
				refs = append(refs, strings.Fields(attr(n, a))...)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if title == "" {
		add("no <title>")
	}
	if h1 != 1 {
		add("%d <h1> elements, want exactly 1", h1)
	}
	if mains != 1 {
		add("%d <main> landmarks, want 1", mains)
	}
	if headers < 1 {
		add("no <header> landmark")
	}
	if navs < 1 {
		add("no <nav> landmark")
	}
	for id, n := range ids {
		if n > 1 {
			add("id %q used %d times", id, n)
		}
	}
	for _, r := range refs {
		if ids[r] == 0 {
			add("reference to missing id %q", r)
		}
	}
	for _, f := range fields {
		id := attr(f, "id")
		switch {
		case id != "" && labelFor[id]:
		case attr(f, "aria-label") != "", attr(f, "aria-labelledby") != "":
		case ancestor(f, atom.Label):
		default:
			add("<%s name=%q> has no label", f.Data, attr(f, "name"))
		}
	}
	return probs
}

func attr(n *html.Node, key string) string {
	v, _ := attrOK(n, key)
	return v
}

func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		if n.Type == html.ElementNode && n.DataAtom == atom.Img {
			b.WriteString(attr(n, "alt"))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func find(n *html.Node, a atom.Atom) *html.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.DataAtom == a {
			return c
		}
		if f := find(c, a); f != nil {
			return f
		}
	}
	return nil
}

func ancestor(n *html.Node, a atom.Atom) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && p.DataAtom == a {
			return true
		}
	}
	return false
}

// Rule is one CSS rule as the contrast check sees it.
type Rule struct {
	Selector string
	Decls    map[string]string
	// On names the custom property of the background the rule's text sits
	// on, from an "on: --name" comment.
	On string
}

var (
	commentRE = regexp.MustCompile(`(?s)/\*.*?\*/`)
	onRE      = regexp.MustCompile(`/\*\s*on:\s*(--[a-z0-9-]+)\s*\*/`)
	varRE     = regexp.MustCompile(`^var\((--[a-z0-9-]+)\)$`)
	hexRE     = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)
	colorRE   = regexp.MustCompile(`#[0-9a-fA-F]{3,8}\b|rgba?\(|hsla?\(`)
)

// ParseCSS splits a stylesheet into rules, descending into @media blocks.
func ParseCSS(css string) []Rule {
	var out []Rule
	var parse func(s string)
	parse = func(s string) {
		for {
			open := strings.IndexByte(s, '{')
			if open < 0 {
				return
			}
			sel := strings.TrimSpace(commentRE.ReplaceAllString(s[:open], ""))
			depth, end := 0, -1
			for i := open; i < len(s); i++ {
				if s[i] == '{' {
					depth++
				} else if s[i] == '}' {
					depth--
					if depth == 0 {
						end = i
						break
					}
				}
			}
			if end < 0 {
				return
			}
			body := s[open+1 : end]
			s = s[end+1:]
			if strings.HasPrefix(sel, "@") {
				parse(body)
				continue
			}
			r := Rule{Selector: sel, Decls: map[string]string{}}
			if m := onRE.FindStringSubmatch(body); m != nil {
				r.On = m[1]
			}
			for _, d := range strings.Split(commentRE.ReplaceAllString(body, ""), ";") {
				k, v, ok := strings.Cut(d, ":")
				if ok {
					r.Decls[strings.TrimSpace(strings.ToLower(k))] = strings.TrimSpace(v)
				}
			}
			out = append(out, r)
		}
	}
	parse(css)
	return out
}

// CheckCSS returns the stylesheet's problems: colour pairs below
// MinContrast, colours written outside the :root palette, and no visible
// :focus-visible outline. See the stylesheet's header for the convention.
func CheckCSS(css string) []string {
	rules := ParseCSS(css)
	vars := map[string]string{}
	for _, r := range rules {
		if r.Selector == ":root" {
			for k, v := range r.Decls {
				if strings.HasPrefix(k, "--") {
					vars[k] = v
				}
			}
		}
	}
	var probs []string
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	resolve := func(v string) (string, string, bool) {
		v = strings.TrimSpace(strings.TrimSuffix(v, "!important"))
		if m := varRE.FindStringSubmatch(v); m != nil {
			hex, ok := vars[m[1]]
			return hex, m[1], ok && hexRE.MatchString(hex)
		}
		return "", v, false
	}
	focus := false
	for _, r := range rules {
		if r.Selector == ":root" {
			continue
		}
		for k, v := range r.Decls {
			if colorRE.MatchString(v) {
				add("%s { %s: %s }: write colours as var(--name) from :root", r.Selector, k, v)
			}
		}
		if strings.Contains(r.Selector, ":focus-visible") {
			if o := r.Decls["outline"]; o != "" && o != "none" && outlineWidth(o) >= 2 {
				focus = true
			}
		}
		fgv, hasFg := r.Decls["color"]
		bgv, hasBg := r.Decls["background"]
		if !hasBg {
			bgv, hasBg = r.Decls["background-color"]
		}
		if hasBg {
			if _, _, ok := resolve(firstWord(bgv)); !ok {
				hasBg = false // an image or none: no colour to check
			}
		}
		if !hasFg && !hasBg {
			continue
		}
		if !hasFg {
			fgv = "var(--text)"
		}
		if !hasBg {
			bgv = "var(--bg)"
			if r.On != "" {
				bgv = "var(" + r.On + ")"
			}
		}
		fg, fgName, ok1 := resolve(fgv)
		bg, bgName, ok2 := resolve(firstWord(bgv))
		if !ok1 || !ok2 {
			if fgv == "inherit" || fgv == "currentColor" || fgv == "transparent" {
				continue
			}
			add("%s: cannot resolve colours %q on %q", r.Selector, fgv, bgv)
			continue
		}
		c, err := Contrast(fg, bg)
		if err != nil {
			add("%s: %v", r.Selector, err)
			continue
		}
		if c < MinContrast {
			add("%s: %s (%s) on %s (%s) has contrast %.2f, below %.1f", r.Selector, fgName, fg, bgName, bg, c, MinContrast)
		}
	}
	if !focus {
		add("no :focus-visible rule with an outline of 2px or more")
	}
	return probs
}

func firstWord(v string) string {
	f := strings.Fields(v)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func outlineWidth(o string) float64 {
	for _, f := range strings.Fields(o) {
		if n, ok := strings.CutSuffix(f, "px"); ok {
			w, err := strconv.ParseFloat(n, 64)
			if err == nil {
				return w
			}
		}
	}
	return 0
}

// Contrast returns the WCAG 2.x contrast ratio of two #rgb or #rrggbb
// colours.
func Contrast(a, b string) (float64, error) {
	la, err := luminance(a)
	if err != nil {
		return 0, err
	}
	lb, err := luminance(b)
	if err != nil {
		return 0, err
	}
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05), nil
}

func luminance(hex string) (float64, error) {
	if !hexRE.MatchString(hex) {
		return 0, fmt.Errorf("colour %q is not #rgb or #rrggbb", hex)
	}
	h := hex[1:]
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	var ch [3]float64
	for i := range ch {
		v, _ := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		c := float64(v) / 255
		if c <= 0.04045 {
			ch[i] = c / 12.92
		} else {
			ch[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*ch[0] + 0.7152*ch[1] + 0.0722*ch[2], nil
}
