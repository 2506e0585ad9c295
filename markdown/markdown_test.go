package markdown

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// allowedAttrs is every element the rendered HTML may contain, with the
// attributes it may carry.
var allowedAttrs = map[string][]string{
	"p": nil, "br": nil, "hr": nil, "strong": nil, "em": nil, "del": nil, "pre": nil,
	"blockquote": nil, "ul": nil, "li": nil, "table": nil, "thead": nil, "tbody": nil, "tr": nil,
	"h1": {"id"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
	"ol": {"start"}, "th": {"align"}, "td": {"align"}, "code": {"class"}, "span": {"class"},
	"a": {"href", "rel"},
}

// violations returns what is unsafe in out: any element or attribute not in
// allowedAttrs (so no script, style, iframe, svg, img, object or form, and
// no on* handler), a link target other than http, https, mailto or
// relative, a link without rel="nofollow noopener noreferrer", a link in a
// link, a heading without an id or with one lacking the prefix, or
// "javascript:" in any attribute.
func violations(out string) []string {
	var v []string
	inA := false
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return v
		}
		if tt == html.CommentToken || tt == html.DoctypeToken {
			v = append(v, "comment or doctype: "+string(z.Raw()))
			continue
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken && tt != html.EndTagToken {
			continue
		}
		tok := z.Token()
		allowed, ok := allowedAttrs[tok.Data]
		if !ok {
			v = append(v, "element "+tok.Data)
			continue
		}
		attrs := map[string]string{}
		for _, a := range tok.Attr {
			attrs[a.Key] = a.Val
			if !contains(allowed, a.Key) {
				v = append(v, "attribute "+a.Key+" on "+tok.Data)
			}
			if strings.Contains(strings.ToLower(a.Val), "javascript:") {
				v = append(v, "javascript: in "+a.Key)
			}
		}
		if tt == html.EndTagToken {
			if tok.Data == "a" {
				inA = false
			}
			continue
		}
		switch tok.Data {
		case "a":
			if inA {
				v = append(v, "a inside a")
			}
			inA = true
			href, ok := attrs["href"]
			if !ok {
				v = append(v, "a without href")
			}
			u, err := url.Parse(href)
			if err != nil {
				v = append(v, "unparseable href "+href)
			} else if s := strings.ToLower(u.Scheme); s != "" && s != "http" && s != "https" && s != "mailto" {
				v = append(v, "href scheme "+s)
			}
			if attrs["rel"] != "nofollow noopener noreferrer" {
				v = append(v, "rel "+attrs["rel"])
			}
		case "h1", "h2", "h3", "h4", "h5", "h6":
			if id, ok := attrs["id"]; !ok {
				v = append(v, "heading without id")
			} else if !strings.HasPrefix(id, IDPrefix) {
				v = append(v, "heading id "+id)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestRenderHarmless(t *testing.T) {
	dangerous := []string{"<script", "<iframe", "<style", "<svg", "<img", "onerror", "onload", "javascript:", "data:", "vbscript:"}
	tests := []struct {
		name string
		src  string
		// want are substrings the output must contain (kept text).
		want []string
		// allowText lists words of dangerous that may appear as escaped
		// text (never in a tag: violations checks that).
		allowText []string
	}{
		{name: "script block", src: "<script>alert(1)</script>"},
		{name: "script inline", src: "before <script>alert(1)</script> after", want: []string{"before", "after"}},
		{name: "script uppercase", src: "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>"},
		{name: "img onerror block", src: "<img src=x onerror=alert(1)>"},
		{name: "img onerror inline", src: "see <img src=\"x\" onerror=\"alert(1)\"> here", want: []string{"see", "here"}},
		{name: "raw html javascript link", src: `<a href="javascript:alert(1)">x</a>`},
		{name: "raw html javascript link inline", src: `go <a href="javascript:alert(1)">there</a> now`, want: []string{"go", "there", "now"}},
		{name: "markdown javascript link", src: "[x](javascript:alert(1))", want: []string{"<p>x</p>"}},
		{name: "mixed case scheme", src: "[x](JaVaScRiPt:alert(1))", want: []string{"<p>x</p>"}},
		{name: "numeric reference colon", src: "[x](javascript&#58;alert(1))", want: []string{"<p>x</p>"}},
		{name: "hex reference colon", src: "[x](javascript&#x3A;alert(1))", want: []string{"<p>x</p>"}},
		{name: "named reference colon", src: "[x](javascript&colon;alert(1))", want: []string{"<p>x</p>"}},
		{name: "reference first letter", src: "[x](&#106;avascript:alert(1))", want: []string{"<p>x</p>"}},
		{name: "tab in scheme", src: "[x](<java\tscript:alert(1)>)", want: []string{"<p>x</p>"}},
		{name: "space in scheme", src: "[x](<java script:alert(1)>)", want: []string{"<p>x</p>"}},
		{name: "leading space", src: "[x](< javascript:alert(1)>)", want: []string{"<p>x</p>"}},
		{name: "no-break space", src: "[x](<\u00a0javascript:alert(1)>)", want: []string{"<p>x</p>"}},
		{name: "escaped tab in scheme", src: "[x](java&#9;script:alert(1))", want: []string{"<p>x</p>"}},
		{name: "percent in scheme", src: "[x](java%0ascript:alert(1))", want: []string{"<p>x</p>"}},
		{name: "data link", src: "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", want: []string{"<p>x</p>"}},
		{name: "vbscript link", src: "[x](vbscript:msgbox(1))", want: []string{"<p>x</p>"}},
		{name: "reference definition", src: "[x][r]\n\n[r]: javascript:alert(1)", want: []string{"<p>x</p>"}},
		{name: "autolink javascript kept as text", src: "<javascript:alert(1)>", want: []string{"<p>javascript:alert(1)</p>"}, allowText: []string{"javascript:"}},
		{name: "iframe", src: `<iframe src="https://evil.example/"></iframe>`},
		{name: "iframe inline", src: `a <iframe src="https://evil.example/"></iframe> b`},
		{name: "style", src: "<style>body{display:none}</style>"},
		{name: "style attribute", src: `<p style="background:url(javascript:alert(1))">x</p>`},
		{name: "svg", src: "<svg onload=alert(1)><script>alert(1)</script></svg>"},
		{name: "svg inline", src: "x <svg><a xlink:href=\"javascript:alert(1)\">y</a></svg>"},
		{name: "object and embed", src: "<object data=x></object><embed src=x>"},
		{name: "form", src: `<form action="https://evil.example"><input name=p></form>`},
		{name: "html comment", src: "<!-- <script>alert(1)</script> -->"},
		{name: "remote image", src: "![a](https://evil.example/x.png)", want: []string{`<span class="md-image">[image: a — https://evil.example/x.png]</span>`}},
		{name: "relative image", src: "![chart](/static/c.png)", want: []string{"[image: chart — /static/c.png]"}},
		{name: "image without alt", src: "![](https://evil.example/x.png)", want: []string{"[image — https://evil.example/x.png]"}},
		{name: "javascript image", src: "![a](javascript:alert(1))", want: []string{"[image: a]"}},
		{name: "data image", src: "![a](data:image/png;base64,iVBORw0KGgo=)", want: []string{"[image: a]"}},
		{name: "image in link", src: "[![a](https://evil.example/x.png)](https://example.org)", want: []string{"[image: a — https://evil.example/x.png]", `href="https://example.org"`}},
		{name: "reference image", src: "![a][i]\n\n[i]: https://evil.example/x.png", want: []string{"[image: a — https://evil.example/x.png]"}},
		{name: "code span escapes", src: "`<script>alert(1)</script>`", want: []string{"<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>"}, allowText: []string{"<script"}},
		{name: "code block escapes", src: "```html\n<img src=x onerror=alert(1)>\n```", want: []string{`<code class="language-html">&lt;img`}, allowText: []string{"onerror"}},
		{name: "code block info attack", src: "```\"><script>alert(1)</script>\nx\n```"},
		{name: "link title attack", src: `[x](https://example.org "\" onmouseover=\"alert(1)")`, want: []string{`href="https://example.org"`}},
		{name: "attribute break in href", src: `[x](https://example.org/"onmouseover="alert(1))`},
		{name: "heading with html", src: "# <script>alert(1)</script>", want: []string{`id="md-`}},
		{name: "table cell html", src: "| a |\n|---|\n| <img src=x onerror=alert(1)> |"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := string(Render(tc.src))
			for _, v := range violations(out) {
				t.Errorf("Render(%q) = %q: %s", tc.src, out, v)
			}
			lower := strings.ToLower(out)
			for _, d := range dangerous {
				if !contains(tc.allowText, d) && strings.Contains(lower, d) {
					t.Errorf("Render(%q) = %q contains %q", tc.src, out, d)
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("Render(%q) = %q, want it to contain %q", tc.src, out, w)
				}
			}
		})
	}
}

func TestRenderLinks(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    string
		wantNot string
	}{
		{
			name: "text differs: target shown",
			src:  "[the report](https://example.org/r)",
			want: `<p><a href="https://example.org/r" rel="nofollow noopener noreferrer">the report</a> <span class="link-target">(https://example.org/r)</span></p>`,
		},
		{
			name: "deceptive text: real target shown",
			src:  "[https://good.example](https://evil.example/)",
			want: `>https://good.example</a> <span class="link-target">(https://evil.example/)</span>`,
		},
		{
			name:    "text is the target: shown once",
			src:     "[https://example.org](https://example.org)",
			want:    `<p><a href="https://example.org" rel="nofollow noopener noreferrer">https://example.org</a></p>`,
			wantNot: "link-target",
		},
		{
			name: "angle autolink",
			src:  "<https://example.org/a?b=1&c=2>",
			want: `<a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">https://example.org/a?b=1&amp;c=2</a>`,
		},
		{
			name: "bare URL",
			src:  "see https://example.org/x now",
			want: `see <a href="https://example.org/x" rel="nofollow noopener noreferrer">https://example.org/x</a> now`,
		},
		{
			name: "bare www",
			src:  "www.example.org",
			want: `<a href="http://www.example.org" rel="nofollow noopener noreferrer">www.example.org</a>`,
		},
		{
			name: "mailto link",
			src:  "[write to us](mailto:desk@example.org)",
			want: `<a href="mailto:desk@example.org" rel="nofollow noopener noreferrer">write to us</a> <span class="link-target">(mailto:desk@example.org)</span>`,
		},
		{
			name:    "mailto text is the address",
			src:     "[desk@example.org](mailto:desk@example.org)",
			want:    `<a href="mailto:desk@example.org" rel="nofollow noopener noreferrer">desk@example.org</a></p>`,
			wantNot: "link-target",
		},
		{
			name: "email autolink",
			src:  "desk@example.org",
			want: `<a href="mailto:desk@example.org" rel="nofollow noopener noreferrer">desk@example.org</a>`,
		},
		{
			name: "relative",
			src:  "[terms](/library/12)",
			want: `<a href="/library/12" rel="nofollow noopener noreferrer">terms</a> <span class="link-target">(/library/12)</span>`,
		},
		{
			name:    "title dropped",
			src:     `[t](https://example.org "A title")`,
			want:    `<a href="https://example.org" rel="nofollow noopener noreferrer">t</a>`,
			wantNot: "title=",
		},
		{
			name: "reference link",
			src:  "[EU TCO][tco]\n\n[tco]: https://eur-lex.europa.eu/eli/reg/2021/784/oj",
			want: `>EU TCO</a> <span class="link-target">(https://eur-lex.europa.eu/eli/reg/2021/784/oj)</span>`,
		},
		{
			name: "target text escaped",
			src:  "[x](https://example.org/?a=<b>)",
			want: `<span class="link-target">(https://example.org/?a=&lt;b&gt;)</span>`,
		},
		{
			name:    "autolink inside link text is text",
			src:     "[see <https://x.example>](https://y.example)",
			want:    `<a href="https://y.example" rel="nofollow noopener noreferrer">see https://x.example</a> <span class="link-target">(https://y.example)</span>`,
			wantNot: `href="https://x.example"`,
		},
		{
			name:    "ftp is not a link",
			src:     "[x](ftp://example.org/f)",
			want:    "<p>x</p>",
			wantNot: "<a",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := string(Render(tc.src))
			if !strings.Contains(out, tc.want) {
				t.Errorf("Render(%q) = %q, want it to contain %q", tc.src, out, tc.want)
			}
			if tc.wantNot != "" && strings.Contains(out, tc.wantNot) {
				t.Errorf("Render(%q) = %q contains %q", tc.src, out, tc.wantNot)
			}
			if strings.Contains(out, "target=") {
				t.Errorf("Render(%q) = %q sets a target", tc.src, out)
			}
			for _, v := range violations(out) {
				t.Errorf("Render(%q) = %q: %s", tc.src, out, v)
			}
		})
	}
}

func TestRenderBlocks(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "table with alignment",
			src:  "| Law | Hours |\n|:--|--:|\n| TCO | 1 |",
			want: []string{"<table>", `<th align="left">Law</th>`, `<th align="right">Hours</th>`, `<td align="left">TCO</td>`, `<td align="right">1</td>`, "</table>"},
		},
		{
			name: "fenced code",
			src:  "```go\nif x < 1 {\n}\n```",
			want: []string{"<pre><code class=\"language-go\">if x &lt; 1 {\n}\n</code></pre>"},
		},
		{
			name: "indented code",
			src:  "    a && b",
			want: []string{"<pre><code>a &amp;&amp; b\n</code></pre>"},
		},
		{
			name: "lists",
			src:  "- one\n- two\n\n3. three\n4. four",
			want: []string{"<ul>\n<li>one</li>\n<li>two</li>\n</ul>", `<ol start="3">`, "<li>three</li>"},
		},
		{
			name: "inline formatting",
			src:  "**bold** *em* ~~gone~~ `code`",
			want: []string{"<strong>bold</strong>", "<em>em</em>", "<del>gone</del>", "<code>code</code>"},
		},
		{
			name: "blockquote and rule",
			src:  "> quoted\n\n---",
			want: []string{"<blockquote>\n<p>quoted</p>\n</blockquote>", "<hr>"},
		},
		{
			name: "hard break",
			src:  "a  \nb",
			want: []string{"a<br>"},
		},
		{
			name: "entities",
			src:  "AT&amp;T &copy; 1 < 2",
			want: []string{"AT&amp;T © 1 &lt; 2"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkRender(t, tc.src, tc.want) })
	}
}

func TestHeadingIDs(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{name: "slug", src: "# Model Terms of Service", want: []string{`<h1 id="md-model-terms-of-service">Model Terms of Service</h1>`}},
		{name: "formatting and punctuation", src: "## *Step 1:* remove -- within one hour!", want: []string{`<h2 id="md-step-1-remove-within-one-hour">`}},
		{name: "repeats numbered", src: "# Scope\n\n## Scope\n\n### Scope", want: []string{`id="md-scope"`, `id="md-scope-1"`, `id="md-scope-2"`}},
		{name: "no letters", src: "# !!!\n\n# ???", want: []string{`id="md-section"`, `id="md-section-1"`}},
		{name: "non-latin kept, marks dropped", src: "# Über uns\n\n# القاعدة في العراق\n\n# ٱلسَّلَامُ", want: []string{`id="md-über-uns"`, `id="md-القاعدة-في-العراق"`, `id="md-ٱلسلام"`}},
		{name: "page id cannot be taken", src: "# main\n\n# search", want: []string{`id="md-main"`, `id="md-search"`}},
		{name: "setext", src: "Overview\n========", want: []string{`<h1 id="md-overview">Overview</h1>`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkRender(t, tc.src, tc.want) })
	}
}

func TestRenderConcurrent(t *testing.T) {
	// Ids are numbered per document: rendering the same body in parallel
	// gives the same result each time (run with -race to check sharing).
	const src = "# A\n\n# A\n\n[x](https://example.org)"
	want := Render(src)
	done := make(chan string)
	for range 8 {
		go func() { done <- string(Render(src)) }()
	}
	for range 8 {
		if got := <-done; got != string(want) {
			t.Errorf("concurrent Render = %q, want %q", got, want)
		}
	}
}

func TestPlain(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{name: "empty", src: "", want: ""},
		{name: "inline formatting", src: "**Bold** and *em* and ~~old~~ and `code`", want: "Bold and em and old and code"},
		{name: "headings and paragraphs", src: "# Title\n\nFirst  para\nwraps here.\n\nSecond.", want: "Title\nFirst para wraps here.\nSecond."},
		{name: "link text without target", src: "Read [the guide](https://example.org/g) now.", want: "Read the guide now."},
		{name: "autolink keeps address", src: "Mail desk@example.org or <https://example.org>", want: "Mail desk@example.org or https://example.org"},
		{name: "image alt", src: "![Chart of removals](https://evil.example/c.png)", want: "[image: Chart of removals — https://evil.example/c.png]"},
		{name: "list items", src: "- one\n- two\n  continued", want: "one\ntwo continued"},
		{name: "table rows", src: "| a | b |\n|---|---|\n| c | d |", want: "a b\nc d"},
		{name: "code block lines", src: "```\nx := 1\ny := 2\n```", want: "x := 1\ny := 2"},
		{name: "entities decoded", src: "AT&amp;T &lt;tag&gt;", want: "AT&T <tag>"},
		{name: "raw html dropped", src: "a <b>bold</b> c\n\n<div>block</div>", want: "a bold c"},
		{name: "script dropped", src: "<script>alert(1)</script>\n\nok", want: "ok"},
		{name: "unsafe link keeps text", src: "[click](javascript:alert(1))", want: "click"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Plain(tc.src); got != tc.want {
				t.Errorf("Plain(%q) = %q, want %q", tc.src, got, tc.want)
			}
		})
	}
}

func TestRealURLsStayLinks(t *testing.T) {
	tests := []struct {
		url  string
		href string
	}{
		{"https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32021R0784", "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32021R0784"},
		{"https://www.legislation.gov.uk/ukpga/2023/50/contents", "https://www.legislation.gov.uk/ukpga/2023/50/contents"},
		{"https://example.org/path_(with)_parens", "https://example.org/path_(with)_parens"},
		{"https://example.org/#section-2", "https://example.org/#section-2"},
		{"https://example.org/ü", "https://example.org/%C3%BC"},
		{"https://example.org/a?x=1&y=%2F", "https://example.org/a?x=1&amp;y=%2F"},
		{"HTTPS://EXAMPLE.ORG/X", "https://EXAMPLE.ORG/X"},
		{"mailto:desk@example.org?subject=Hi%20there", "mailto:desk@example.org?subject=Hi%20there"},
		{"/library/12#md-scope", "/library/12#md-scope"},
		{"../guides/x", "../guides/x"},
		{"?page=2", "?page=2"},
		{"<https://example.org/a b>", "https://example.org/a%20b"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			out := string(Render("[t](" + tc.url + ")"))
			want := `<a href="` + tc.href + `" rel="nofollow noopener noreferrer">t</a> <span class="link-target">(`
			if !strings.Contains(out, want) {
				t.Errorf("Render([t](%s)) = %q, want it to contain %q", tc.url, out, want)
			}
		})
	}
}

func TestManyRepeatedHeadings(t *testing.T) {
	// 20,000 equal headings get 20,000 different ids, numbered in order.
	// Numbering keeps a counter per base id, so this takes about a second;
	// scanning from -1 for each heading took most of a minute.
	const n = 20000
	src := strings.Repeat("# Same\n\n", n)
	out := string(Render(src))
	checkIDsUnique(t, src[:40], out)
	if want := `id="md-same-19999"`; !strings.Contains(out, want) {
		t.Errorf("last heading: no %s", want)
	}
	if got := strings.Count(out, `id="md-same`); got != n {
		t.Errorf("%d heading ids, want %d", got, n)
	}
}

// checkRender renders src and checks that the output holds every want and
// breaks none of the safety rules (violations).
func checkRender(t *testing.T, src string, want []string) {
	t.Helper()
	out := string(Render(src))
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("Render(%q) = %q, want it to contain %q", src, out, w)
		}
	}
	for _, v := range violations(out) {
		t.Errorf("Render(%q) = %q: %s", src, out, v)
	}
}
