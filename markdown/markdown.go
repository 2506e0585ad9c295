// Package markdown renders the Markdown body of a library resource to HTML
// that is safe to put in a page, extracts its plain text for search
// indexing and snippets, and compares two revisions line by line.
//
// Rendering is done in two layers. goldmark parses CommonMark with the GFM
// tables, strikethrough and autolinks; raw HTML in the source is never
// passed through (goldmark replaces it with a comment, which the second
// layer drops). Links and images are rendered by this package: a link keeps
// only an http, https, mailto or relative target, carries
// rel="nofollow noopener noreferrer" and is followed by its target as text
// when the text differs; an image is never loaded and is shown as a
// placeholder with its alt text and address. bluemonday then sanitises the
// result with a strict allow-list policy, so that even a mistake in the
// first layer cannot let a script, an event handler, a frame or a remote
// image through.
package markdown

import (
	"bytes"
	"html/template"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
	"golang.org/x/net/html"
)

// IDPrefix starts every heading id the renderer produces, so that ids from
// a resource's body cannot clash with the ids of the page around it.
const IDPrefix = "md-"

// linkRel is the rel attribute of every rendered link.
const linkRel = "nofollow noopener noreferrer"

// md is the goldmark converter; goldmark converters are safe for concurrent
// use. html.WithUnsafe is deliberately not set: raw HTML is omitted.
var md = goldmark.New(
	goldmark.WithExtensions(
		extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
		extension.Strikethrough,
		extension.NewLinkify(extension.WithLinkifyAllowedProtocols([]string{"http:", "https:", "mailto:"})),
	),
	goldmark.WithParserOptions(parser.WithAutoHeadingID()),
	goldmark.WithRendererOptions(
		// Priority 1 registers after goldmark's own renderer (1000), so these
		// functions replace its link, autolink and image rendering.
		renderer.WithNodeRenderers(util.Prioritized(safeRenderer{}, 1)),
	),
)

// policy is the second layer: only the elements and attributes the first
// layer produces, with their values constrained.
var policy = newPolicy()

func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements(
		"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
		"strong", "em", "del", "code", "pre", "blockquote",
		"ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td",
		"span", "a",
	)
	p.AllowStandardURLs() // parseable URLs only; http, https, mailto and relative
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^` + linkRel + `$`)).OnElements("a")
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^(link-target|md-image)$`)).OnElements("span")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[A-Za-z0-9_+#.-]+$`)).OnElements("code")
	p.AllowAttrs("id").Matching(regexp.MustCompile(`^`+IDPrefix+`[\p{L}\p{N}-]+$`)).
		OnElements("h1", "h2", "h3", "h4", "h5", "h6")
	p.AllowAttrs("align").Matching(regexp.MustCompile(`^(left|center|right)$`)).OnElements("th", "td")
	p.AllowAttrs("start").Matching(regexp.MustCompile(`^[0-9]{1,9}$`)).OnElements("ol")
	return p
}

// Render converts a Markdown body to sanitised HTML that the web layer may
// insert into a page as it is. Invalid UTF-8 in src becomes U+FFFD.
func Render(src string) template.HTML {
	src = strings.ToValidUTF8(src, "\uFFFD")
	var buf bytes.Buffer
	ctx := parser.NewContext(parser.WithIDs(newPrefixIDs()))
	if err := md.Convert([]byte(src), &buf, parser.WithContext(ctx)); err != nil {
		// Not expected: the renderers here return no errors. Fall back to
		// the source as escaped text rather than to nothing.
		return template.HTML("<pre>" + template.HTMLEscapeString(src) + "</pre>")
	}
	return template.HTML(policy.SanitizeBytes(buf.Bytes()))
}

// Plain returns the text of a Markdown body without its formatting, for
// search indexing and snippets: one line per block (paragraph, heading,
// list item, table row, code line), runs of spaces collapsed, table cells
// separated by spaces. Link targets shown beside links are left out; an
// image stays as its placeholder, "[image: alt — address]".
func Plain(src string) string {
	z := html.NewTokenizer(strings.NewReader(string(Render(src))))
	var b strings.Builder
	skipping := false // inside a span.link-target
	inPre := false    // newlines in text are line breaks only in a code block
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return collapse(b.String())
		case html.TextToken:
			if skipping {
				continue
			}
			if t := z.Text(); inPre {
				b.Write(t)
			} else {
				b.WriteString(strings.ReplaceAll(string(t), "\n", " "))
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			if tag == "span" {
				if tt == html.EndTagToken {
					skipping = false
				} else if hasAttr && hasClass(z, "link-target") {
					skipping = true
				}
				continue
			}
			if tag == "pre" {
				inPre = tt == html.StartTagToken
			}
			switch tag {
			case "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "pre",
				"blockquote", "br", "hr", "table", "ul", "ol":
				b.WriteByte('\n')
			case "td", "th":
				b.WriteByte(' ')
			}
		}
	}
}

// hasClass reports whether the current tag's class attribute is class.
func hasClass(z *html.Tokenizer, class string) bool {
	for {
		k, v, more := z.TagAttr()
		if string(k) == "class" && string(v) == class {
			return true
		}
		if !more {
			return false
		}
	}
}

// collapse collapses white space within each line and drops empty lines.
func collapse(s string) string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			out = append(out, strings.Join(f, " "))
		}
	}
	return strings.Join(out, "\n")
}

// linkTarget reads the target of a link or image. It returns the target
// as the browser will read it (character references resolved, as goldmark
// resolves them), which is shown as text; the href to write (percent-escaped
// as goldmark escapes it); and whether it is safe: the raw, the resolved and
// the escaped forms must all pass safeURL, and bluemonday, which writes an
// href back as url.Parse reads it, must not rewrite it into something else
// than the target shown (only the scheme's case may change).
func linkTarget(raw []byte) (shown, href string, ok bool) {
	shown = string(util.ResolveEntityNames(util.ResolveNumericReferences(raw)))
	href = string(util.URLEscape([]byte(shown), false))
	if !safeURL(string(raw)) || !safeURL(shown) || !safeURL(href) {
		return shown, "", false
	}
	u, _ := url.Parse(href)
	if !strings.EqualFold(u.String(), href) {
		return shown, "", false
	}
	return shown, u.String(), true
}

// safeURL reports whether dest may be a link target: http or https with a
// host, mailto with an address, or relative (no scheme). Anything a browser
// could read differently from url.Parse (control characters, white space
// other than a space, which is written %20) is refused.
func safeURL(dest string) bool {
	if dest == "" {
		return false
	}
	for _, r := range dest {
		if r < 0x20 || r == 0x7f || (unicode.IsSpace(r) && r != ' ') {
			return false
		}
	}
	u, err := url.Parse(dest)
	if err != nil || u.String() == "" { // "#" alone points nowhere
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "":
		return true
	case "http", "https":
		return u.Host != ""
	case "mailto":
		return u.Opaque != ""
	}
	return false
}

// safeRenderer renders links, autolinks and images in place of goldmark's
// own renderer.
type safeRenderer struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (safeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindLink, renderLink)
	reg.Register(ast.KindAutoLink, renderAutoLink)
	reg.Register(ast.KindImage, renderImage)
}

// writeOpenA writes the start tag of a link to href, from linkTarget.
func writeOpenA(w util.BufWriter, href string) {
	_, _ = w.WriteString(`<a href="`)
	_, _ = w.Write(util.EscapeHTML([]byte(href)))
	_, _ = w.WriteString(`" rel="` + linkRel + `">`)
}

// renderLink renders [text](dest): the text in an anchor when dest is safe,
// followed by the target as text when the text is not the target itself.
// With an unsafe target only the text is kept. Titles are dropped.
func renderLink(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Link)
	dest, href, ok := linkTarget(n.Destination)
	if !ok {
		return ast.WalkContinue, nil
	}
	if entering {
		writeOpenA(w, href)
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString("</a>")
	text := strings.TrimSpace(textOf(n, source))
	if text != dest && "mailto:"+text != dest {
		_, _ = w.WriteString(` <span class="link-target">(`)
		_, _ = w.Write(util.EscapeHTML([]byte(dest)))
		_, _ = w.WriteString(`)</span>`)
	}
	return ast.WalkContinue, nil
}

// renderAutoLink renders <https://…>, <x@y> and bare URLs: the text is the
// target, so it needs no second copy. An unsafe one, or one inside the text
// of another link (a link in a link would split it), is kept as text.
func renderAutoLink(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.AutoLink)
	raw := n.URL(source)
	if n.AutoLinkType == ast.AutoLinkEmail && !bytes.HasPrefix(bytes.ToLower(raw), []byte("mailto:")) {
		raw = append([]byte("mailto:"), raw...)
	}
	_, href, ok := linkTarget(raw)
	label := util.EscapeHTML(n.Label(source))
	if !ok || insideLink(n) {
		_, _ = w.Write(label)
		return ast.WalkContinue, nil
	}
	writeOpenA(w, href)
	_, _ = w.Write(label)
	_, _ = w.WriteString("</a>")
	return ast.WalkContinue, nil
}

// insideLink reports whether n is in the text of a link.
func insideLink(n ast.Node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		if p.Kind() == ast.KindLink {
			return true
		}
	}
	return false
}

// renderImage never emits <img>: an image would load from wherever its
// author chose, outside the platform, and may be graphic. It shows
// "[image: alt — address]" as text instead, the address only when it is a
// safe one.
func renderImage(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.Image)
	alt := strings.TrimSpace(textOf(n, source))
	dest, _, ok := linkTarget(n.Destination)
	_, _ = w.WriteString(`<span class="md-image">[image`)
	if alt != "" {
		_, _ = w.WriteString(": ")
		_, _ = w.Write(util.EscapeHTML([]byte(alt)))
	}
	if ok {
		_, _ = w.WriteString(" — ")
		_, _ = w.Write(util.EscapeHTML([]byte(dest)))
	}
	_, _ = w.WriteString(`]</span>`)
	return ast.WalkSkipChildren, nil
}

// textOf returns the text of n's descendants, with backslash escapes and
// character references resolved as the HTML renderer would.
func textOf(n ast.Node, source []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			v := c.Segment.Value(source)
			if !c.IsRaw() {
				v = util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(v)))
			}
			b.Write(v)
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.AutoLink:
			b.Write(c.Label(source))
		case *ast.RawHTML:
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// prefixIDs generates heading ids: IDPrefix, then the heading's letters and
// digits in lower case with runs of anything else turned into one hyphen,
// then "-1", "-2", … for repeats. A heading without letters or digits is a
// "section".
type prefixIDs struct {
	used map[string]bool
	next map[string]int // the next suffix to try for a base id
}

func newPrefixIDs() *prefixIDs {
	return &prefixIDs{used: map[string]bool{}, next: map[string]int{}}
}

// Generate implements parser.IDs.
func (p *prefixIDs) Generate(value []byte, _ ast.NodeKind) []byte {
	var b strings.Builder
	dash := false
	n := 0
	for _, r := range strings.ToLower(string(value)) {
		if n >= 64 {
			break
		}
		if unicode.Is(unicode.Mn, r) {
			continue // a combining mark (an Arabic vowel sign, an accent) joins its letter
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			n++
		} else {
			dash = true
		}
	}
	slug := b.String()
	if slug == "" {
		slug = "section"
	}
	base := IDPrefix + slug
	id := base
	for p.used[id] {
		p.next[base]++
		id = base + "-" + strconv.Itoa(p.next[base])
	}
	p.used[id] = true
	return []byte(id)
}

// Put implements parser.IDs.
func (p *prefixIDs) Put(value []byte) { p.used[string(value)] = true }
