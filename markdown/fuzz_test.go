package markdown

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// fuzzSeeds are Markdown bodies that exercise the dangerous paths; go test
// runs them even without -fuzz.
var fuzzSeeds = []string{
	"",
	"<script>alert(1)</script>",
	"x <img src=x onerror=alert(1)> y",
	`<a href="javascript:alert(1)">x</a>`,
	"[x](javascript:alert(1))",
	"[x](JaVaScRiPt:alert(1))",
	"[x](javascript&#58;alert(1))",
	"[x](&#x6A;avascript&colon;alert(1))",
	"[x](data:text/html;base64,PHNjcmlwdD4=)",
	"[x](vbscript:msgbox(1))",
	"<javascript:alert(1)>",
	"<iframe src=https://evil.example/></iframe>",
	"<style>*{}</style><svg onload=alert(1)>",
	"![a](https://evil.example/x.png)",
	"[![a](https://evil.example/x.png)](https://example.org)",
	"[https://good.example](https://evil.example)",
	"<https://example.org/ü?a=1&b=2> www.example.org/x desk@example.org",
	"[x](<https://example.org/a b>)",
	"[x](https://example.org/%41%zz)",
	"# A\n\n# A\n\n# a\n\n## A-1",
	"| a | b |\n|:-|-:|\n| <b>c</b> | [d](javascript:x) |",
	"```\"><script>\nx\n```",
	"[a]: javascript:alert(1)\n\n[x][a] ![y][a]",
	"> - [x](https://example.org \"t\")\n>   ![i](/i.png)",
	"***[`<x>`](mailto:a@b.c)***",
	"[see <https://x.example> and www.z.example](https://y.example)",
}

func FuzzRender(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out := string(Render(src))
		for _, v := range violations(out) {
			t.Errorf("Render(%q) = %q: %s", src, out, v)
		}
		lower := strings.ToLower(out)
		for _, tag := range []string{"<script", "<iframe", "<img", "<style", "<svg", "<object", "<embed", "<!--"} {
			if strings.Contains(lower, tag) {
				t.Errorf("Render(%q) = %q contains %s", src, out, tag)
			}
		}
		if again := string(Render(src)); again != out {
			t.Errorf("Render(%q) not deterministic: %q then %q", src, out, again)
		}
		checkTargetsShown(t, src, out)
		checkIDsUnique(t, src, out)
		_ = Plain(src) // must not panic
	})
}

// checkTargetsShown checks that every link's target can be read on the
// page: in the link's text or in the link-target span right after it.
func checkTargetsShown(t *testing.T, src, out string) {
	t.Helper()
	var toks []html.Token
	z := html.NewTokenizer(strings.NewReader(out))
	for z.Next() != html.ErrorToken {
		toks = append(toks, z.Token())
	}
	for i := 0; i < len(toks); i++ {
		if toks[i].Type != html.StartTagToken || toks[i].Data != "a" {
			continue
		}
		href := attr(toks[i], "href")
		var vis strings.Builder
		for i++; i < len(toks) && !(toks[i].Type == html.EndTagToken && toks[i].Data == "a"); i++ {
			if toks[i].Type == html.TextToken {
				vis.WriteString(toks[i].Data)
			}
		}
		// Optional " " then <span class="link-target">…</span>.
		j := i + 1
		if j < len(toks) && toks[j].Type == html.TextToken && strings.TrimSpace(toks[j].Data) == "" {
			j++
		}
		if j < len(toks) && toks[j].Type == html.StartTagToken && toks[j].Data == "span" && attr(toks[j], "class") == "link-target" {
			for j++; j < len(toks) && toks[j].Type == html.TextToken; j++ {
				vis.WriteString(toks[j].Data)
			}
		}
		// Compare with %XX decoded on both sides: the href is escaped (by
		// goldmark, then normalised by bluemonday), the text is not.
		shown := unpercent(vis.String())
		target := unpercent(href)
		for _, prefix := range []string{"mailto:", "http://"} {
			if !strings.Contains(shown, prefix) {
				target = strings.TrimPrefix(target, prefix)
			}
		}
		if !strings.Contains(shown, target) {
			t.Errorf("Render(%q) = %q: link to %q shows only %q", src, out, href, vis.String())
		}
	}
}

// unpercent decodes every valid %XX escape in s and leaves the rest.
func unpercent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && ishex(s[i+1]) && ishex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// checkIDsUnique checks that no two headings share an id.
func checkIDsUnique(t *testing.T, src, out string) {
	t.Helper()
	seen := map[string]bool{}
	z := html.NewTokenizer(strings.NewReader(out))
	for z.Next() != html.ErrorToken {
		tok := z.Token()
		if tok.Type != html.StartTagToken {
			continue
		}
		if id := attr(tok, "id"); id != "" {
			if seen[id] {
				t.Errorf("Render(%q) = %q: id %q twice", src, out, id)
			}
			seen[id] = true
		}
	}
}

func attr(tok html.Token, key string) string {
	for _, a := range tok.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func FuzzDiff(f *testing.F) {
	f.Add("", "")
	f.Add("a\nb\nc", "a\nB\nc")
	f.Add("x\r\ny\n", "y\nx\n\n")
	f.Add("one\ntwo\nthree\n", "two\nthree\none")
	f.Fuzz(func(t *testing.T, a, b string) {
		d := Diff(a, b)
		checkDiff(t, a, b, d)
		for _, l := range Diff(a, a) {
			if l.Op != Same {
				t.Errorf("Diff(a, a) has %v", l)
			}
		}
	})
}
