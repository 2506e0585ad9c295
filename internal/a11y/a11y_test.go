package a11y

import (
	"math"
	"strings"
	"testing"
)

func TestContrast(t *testing.T) {
	tests := []struct {
		a, b string
		want float64
	}{
		{"#000000", "#ffffff", 21},
		{"#fff", "#fff", 1},
		{"#777777", "#ffffff", 4.48},
		{"#ff2b2b", "#000000", 5.63},
		{"#ffc000", "#000000", 12.79},
		{"#33ff00", "#000000", 15.44},
	}
	for _, tt := range tests {
		got, err := Contrast(tt.a, tt.b)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-tt.want) > 0.1 {
			t.Errorf("Contrast(%s, %s) = %.2f, want %.2f", tt.a, tt.b, got, tt.want)
		}
	}
	if _, err := Contrast("red", "#fff"); err == nil {
		t.Error("named colour accepted")
	}
}

func TestCheckCSS(t *testing.T) {
	good := `:root { --bg: #ffffff; --text: #0b0c0c; --dark: #000000; --light: #ffffff; --pale: #eeeeee; }
body { color: var(--text); background: var(--bg); }
.x { /* on: --dark */ color: var(--light); }
@media (max-width: 40rem) { .y { color: var(--text); background: var(--pale); } }
:focus-visible { outline: 3px solid var(--text); }`
	if p := CheckCSS(good); len(p) != 0 {
		t.Fatalf("good stylesheet: %v", p)
	}
	tests := []struct {
		name, css, want string
	}{
		{"low contrast", `:root{--bg:#ffffff;--text:#0b0c0c;--grey:#aaaaaa} .a{color:var(--grey)} :focus-visible{outline:2px solid var(--text)}`, "contrast"},
		{"light on light without on:", `:root{--bg:#ffffff;--text:#0b0c0c;--w:#ffffff} .a{color:var(--w)} :focus-visible{outline:2px solid var(--text)}`, "contrast"},
		{"raw colour", `:root{--bg:#ffffff;--text:#0b0c0c} .a{color:#123456} :focus-visible{outline:2px solid var(--text)}`, "var(--name)"},
		{"no focus", `:root{--bg:#ffffff;--text:#0b0c0c} .a{color:var(--text)}`, "focus-visible"},
		{"focus outline none", `:root{--bg:#ffffff;--text:#0b0c0c} :focus-visible{outline:none}`, "focus-visible"},
		{"thin focus", `:root{--bg:#ffffff;--text:#0b0c0c} :focus-visible{outline:1px solid var(--text)}`, "focus-visible"},
	}
	for _, tt := range tests {
		p := CheckCSS(tt.css)
		if !strings.Contains(strings.Join(p, "\n"), tt.want) {
			t.Errorf("%s: problems %v, want one about %q", tt.name, p, tt.want)
		}
	}
}

const page = `<!doctype html><html lang="en"><head><title>T</title></head><body>
<header><a href="/">KSP</a></header><nav><a href="/x">X</a></nav>
<main id="main"><h1>Title</h1>%s</main></body></html>`

func TestCheckHTML(t *testing.T) {
	ok := []string{
		`<label for="a">A</label><input id="a" name="a">`,
		`<label>B <input name="b"></label>`,
		`<input type="hidden" name="csrf"><button>Go</button>`,
		`<table><tr><th>H</th></tr></table><img src="x.png" alt="">`,
		`<a href="#main">Skip</a><p id="h">hint</p><input aria-label="x" aria-describedby="h">`,
		`<h2>Sub</h2><h3>Subsub</h3><h2>Another</h2>`,
		`<svg role="img" aria-label="A chart"><path d="M0 0h1"/></svg>`,
		`<svg role="img"><title>A chart</title><path d="M0 0h1"/></svg>`,
		`<svg aria-hidden="true"><path d="M0 0h1"/></svg>`,
		`<div class="table-wrap" role="region" tabindex="0" aria-labelledby="c"><table><caption id="c">C</caption><tr><th>H</th></tr></table></div>`,
	}
	for _, body := range ok {
		if p := CheckHTML(strings.Replace(page, "%s", body, 1)); len(p) != 0 {
			t.Errorf("%s: %v", body, p)
		}
	}
	bad := []struct{ body, want string }{
		{`<input id="a" name="a">`, "no label"},
		{`<select name="s"></select>`, "no label"},
		{`<textarea id="t"></textarea><label for="u">U</label>`, "no label"},
		{`<img src="x.png">`, "no alt"},
		{`<table><tr><td>1</td></tr></table>`, "no <th>"},
		{`<h1>Second</h1>`, "2 <h1>"},
		{`<a href="/y"></a>`, "no text"},
		{`<button></button>`, "no text"},
		{`<p id="d"></p><p id="d"></p>`, "used 2 times"},
		{`<a href="#nowhere">x</a>`, "missing id"},
		{`<h3>Skipped</h3>`, "skips a level"},
		{`<svg><path d="M0 0h1"/></svg>`, "<svg> needs"},
		{`<svg role="img"><title> </title></svg>`, "<svg> needs"},
		{`<svg aria-label="A chart"></svg>`, "<svg> needs"},
		{`<div class="table-wrap"><table><tr><th>H</th></tr></table></div>`, "table-wrap"},
		{`<div class="x table-wrap" role="region" aria-label="T"><table><tr><th>H</th></tr></table></div>`, "tabindex"},
		{`<div class="table-wrap" tabindex="0" role="region"><table><tr><th>H</th></tr></table></div>`, "aria-labelledby"},
	}
	for _, tt := range bad {
		p := CheckHTML(strings.Replace(page, "%s", tt.body, 1))
		if !strings.Contains(strings.Join(p, "\n"), tt.want) {
			t.Errorf("%s: problems %v, want %q", tt.body, p, tt.want)
		}
	}
	// An SVG's title names the image, not the page.
	if p := CheckHTML(`<html lang="en"><body><svg role="img"><title>QR</title></svg></body></html>`); !strings.Contains(strings.Join(p, "\n"), "no <title>") {
		t.Errorf("page titled by an svg: %v", p)
	}
	if p := CheckHTML(`<html><body><p>x</p></body></html>`); len(p) < 4 {
		t.Errorf("bare page: %v", p)
	}
}
