package main

import (
	"bytes"
	"encoding/csv"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/filehash"
)

// waveImage writes wavePNG(seed) to a temporary file called name and
// returns its path and hashes; the picture's PDQ quality is checked to be
// high enough to share.
func waveImage(t *testing.T, seed uint64, name string) (string, filehash.Result) {
	t.Helper()
	img := wavePNG(t, seed)
	hashed, err := filehash.HashBytes(img, filehash.Options{})
	if err != nil || hashed.Quality < ksp.MinPDQQuality {
		t.Fatalf("test image: quality %d, %v", hashed.Quality, err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, img, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, hashed
}

// wavePNG draws a deterministic picture with plenty of detail (colour
// waves whose levels wrap around), so that its PDQ quality is high.
func wavePNG(t *testing.T, seed uint64) []byte {
	t.Helper()
	const n = 320
	r := rand.New(rand.NewPCG(seed, 11))
	type wave struct{ fx, fy, ph, a float64 }
	var ws [3][6]wave
	for c := range ws {
		for i := range ws[c] {
			ws[c][i] = wave{r.Float64()*6 + 0.5, r.Float64()*6 + 0.5, r.Float64() * 2 * math.Pi, r.Float64()}
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			var v [3]uint8
			for c := range ws {
				s := 0.0
				for _, w := range ws[c] {
					s += w.a * math.Sin(2*math.Pi*(w.fx*float64(x)+w.fy*float64(y))/n+w.ph)
				}
				v[c] = uint8(int(128+40*s) & 0xff)
			}
			img.Set(x, y, color.RGBA{v[0], v[1], v[2], 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestBrowserShareAndCheck is the hash bank's flow of UX.md's browser tests:
// an analyst shares a signal through the form (first with a mistake), and
// an analyst of another member checks an image and sees the match.
func TestBrowserShareAndCheck(t *testing.T) {
	start := time.Now()
	s := startBrowserSite(t, nil)
	ctx, db, srv := s.ctx, s.db, s.srv

	sys := ksp.NewContext(ctx, ksp.SystemActor("test"))
	for _, m := range []struct{ org, email string }{{"Clipshare", "ada@clipshare.example"}, {"Vidstream", "ben@vidstream.example"}} {
		o := &ksp.Org{Name: m.org, Kind: ksp.KindPlatform, Size: ksp.SizeSmall}
		if err := db.CreateOrg(sys, o); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.CreateUser(sys, o.ID, ksp.NewUser{Email: m.email, Name: m.org + " analyst", Role: ksp.RoleAnalyst, Password: "analyst passphrase 1"}); err != nil {
			t.Fatal(err)
		}
	}
	imgPath, hashed := waveImage(t, 3, "suspect.png")

	b := newBrowser(t, srv.URL)
	signIn := func(email string) {
		b.open("/login", "Sign in")
		b.fill(map[string]string{"f-email": email, "f-password": "analyst passphrase 1"}, []string{"f-email", "f-password"})
		b.submit(`form[action="/login"]`, "Dashboard")
	}

	// The analyst shares the image's PDQ hash through the form.
	signIn("ada@clipshare.example")
	b.open("/signals", "Signals")
	b.shot("signals-empty")
	eval[bool](b, `window.kspOld = true`)
	b.do("open the share form", chromedp.Click(chromedp.CSS(`a[href="/signals/new"]`)))
	b.waitH1("Share a signal")
	b.fill(map[string]string{"f-value": hashed.PDQ.String(), "f-quality": "90"}, []string{"f-value", "f-quality"})
	b.do("choose type, content and basis", chromedp.Click(chromedp.ID("f-type")), chromedp.Click(chromedp.ID("f-content_type")),
		chromedp.Click(chromedp.ID("f-basis-branded_publication")))
	b.submit(`form[action="/signals"]`, "Share a signal")
	if txt := eval[string](b, `document.querySelector(".error-summary").textContent`); !strings.Contains(txt, "Choose at least one label") {
		t.Fatalf("error summary %q", txt)
	}
	if v := eval[string](b, `document.getElementById("f-value").value`); v != hashed.PDQ.String() {
		t.Fatalf("value not kept: %q", v)
	}
	if !eval[bool](b, `document.getElementById("f-basis-branded_publication").checked`) {
		t.Fatal("basis not kept")
	}
	b.shot("signal-new-errors")
	b.do("tick labels", chromedp.Click(chromedp.ID("f-labels-propaganda")), chromedp.Click(chromedp.ID("f-labels-recruitment")))
	b.submit(`form[action="/signals"]`, "PDQ signal")
	if txt := eval[string](b, `document.querySelector(".notice").textContent`); !strings.Contains(txt, "Signal shared with all members (TLP:GREEN).") {
		t.Fatalf("notice %q", txt)
	}
	if v := eval[string](b, `document.getElementById("signal-value").textContent`); v != hashed.PDQ.String() {
		t.Fatalf("signal page value %q", v)
	}
	b.shot("signal")
	b.submit(`header form[action="/logout"]`, "Knowledge-sharing against terrorist use of the internet")

	// Another member checks the image and sees the match.
	signIn("ben@vidstream.example")
	b.open("/check", "Check an image")
	b.do("choose the image", chromedp.SetUploadFiles(chromedp.ID("f-image"), []string{imgPath}))
	b.submit(`form[action="/check"]`, "Check an image")
	if h := eval[string](b, `document.getElementById("h-result").textContent`); h != "1 match for suspect.png" {
		t.Fatalf("result heading %q", h)
	}
	if n := eval[int](b, `document.querySelectorAll('a[href^="/signals/"]').length`); n < 1 {
		t.Fatal("no link to the matched signal")
	}
	if !strings.Contains(eval[string](b, `document.querySelector("main").innerText`), "Your image was not stored") {
		t.Fatal("no statement that the image was not stored")
	}
	b.shot("check")
	eval[bool](b, `window.kspOld = true`)
	b.do("open the matched signal", chromedp.Click(chromedp.CSS(`table a[href^="/signals/"]`)))
	b.waitH1("PDQ signal")
	b.open("/signals", "Signals")
	b.shot("signals")

	// The same analyst pastes what its own tools produced: the image's PDQ
	// hash (shared above), its MD5 (not shared), a URL and a bad line; it
	// sees the match, the error by line number, and downloads the CSV.
	pasted := strings.Join([]string{hashed.PDQ.String(), hashed.MD5, "https://video.example/watch?v=1", "not a hash"}, "\n")
	for _, size := range windowSizes {
		b.viewport(size.w, size.h, size.mobile)
		b.open("/check", "Check an image")
		eval[bool](b, `(document.getElementById("f-values").value = `+strconv.Quote(pasted)+`, true)`)
		b.submit(`form[action="/check"]:not([enctype])`, "Check an image")
		if h := eval[string](b, `document.getElementById("h-values").textContent`); h != "1 of 4 lines matched, 1 could not be read" {
			t.Fatalf("%s: pasted values heading %q", size.name, h)
		}
		lines := eval[string](b, `document.querySelector("table").innerText`)
		if !strings.Contains(lines, "Line 4:") || !strings.Contains(lines, "Propaganda, Recruitment") {
			t.Fatalf("%s: pasted values table:\n%s", size.name, lines)
		}
		b.shot("check-values-" + size.name)
	}
	csvPath := b.download(`form[action="/check"]:not([enctype]) button[value="csv"]`, t.TempDir(), "ksp-check.csv")
	data, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || rows[1][0] != "1" || rows[1][4] == "" || rows[4][0] != "4" || rows[4][3] == "" {
		t.Fatalf("CSV of the results: %q", rows)
	}
	t.Logf("hash bank browser flow: %d pages checked, %v", b.pages, time.Since(start).Round(time.Millisecond))
}
