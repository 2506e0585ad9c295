package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/totp"
	"github.com/kspplatform/ksp/storetest"
)

// windowSizes are the two window sizes of the browser tests: a laptop and
// a phone.
var windowSizes = []struct {
	name   string
	w, h   int64
	mobile bool
}{{"desktop", 1280, 800, false}, {"phone", 390, 844, true}}

// viewport sets the window size of one of windowSizes.
func (b *browser) viewport(w, h int64, mobile bool) {
	b.t.Helper()
	var opts []chromedp.EmulateViewportOption
	if mobile {
		opts = append(opts, chromedp.EmulateMobile)
	}
	b.do("viewport", chromedp.EmulateViewport(w, h, opts...))
}

// download clicks the link sel and returns the path of the file the
// browser saved in dir under name.
func (b *browser) download(sel, dir, name string) string {
	b.t.Helper()
	b.do("allow downloads", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		// Saved under the name the server gives (Content-Disposition).
		return t.Call(ctx, "Browser.setDownloadBehavior", map[string]any{"behavior": "allow", "downloadPath": dir}, nil)
	}))
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
	p := filepath.Join(dir, name)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(p); err == nil {
			if _, err := os.Stat(p + ".crdownload"); os.IsNotExist(err) {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	entries, _ := os.ReadDir(dir)
	b.t.Fatalf("no download %s in %s (%d files)", name, dir, len(entries))
	return ""
}

var importLine = regexp.MustCompile(`^created=(\d+) merged=(\d+) unchanged=(\d+) rejected=(\d+)\n$`)

// TestBrowserBank is issue 19's walk through the bank, at both window
// sizes: an analyst sorts and searches the bank, shares from an uploaded
// image, downloads the export and re-imports it with `ksp import`
// unchanged; an admin's role dropdown shows its longest option in full.
func TestBrowserBank(t *testing.T) {
	for _, vp := range windowSizes {
		t.Run(vp.name, func(t *testing.T) { browserBank(t, vp.w, vp.h, vp.mobile) })
	}
}

func browserBank(t *testing.T, width, height int64, mobile bool) {
	start := time.Now()
	s := startBrowserSite(t, nil)
	ctx, db, srv := s.ctx, s.db, s.srv
	bk, dbPath := s.bank, s.path

	// Two platforms: Clipshare's analyst and admin, Vidstream's analyst.
	sys := ksp.NewContext(ctx, ksp.SystemActor("test"))
	orgs := map[string]*ksp.Org{}
	users := map[string]*ksp.User{}
	for _, m := range []struct {
		org, email string
		role       ksp.Role
	}{{"Clipshare", "ada@clipshare.example", ksp.RoleAnalyst}, {"Clipshare", "root@clipshare.example", ksp.RoleAdmin}, {"Vidstream", "ben@vidstream.example", ksp.RoleAnalyst}} {
		o := orgs[m.org]
		if o == nil {
			o = &ksp.Org{Name: m.org, Kind: ksp.KindPlatform, Size: ksp.SizeSmall}
			if err := db.CreateOrg(sys, o); err != nil {
				t.Fatal(err)
			}
			orgs[m.org] = o
		}
		u, _, err := db.CreateUser(sys, o.ID, ksp.NewUser{Email: m.email, Name: m.org + " " + string(m.role), Role: m.role, Password: "bank passphrase 123"})
		if err != nil {
			t.Fatal(err)
		}
		users[m.email] = u
	}
	adminSecret := totp.NewSecret()
	admin := users["root@clipshare.example"]
	c, _ := totp.CodeAt(adminSecret, totp.Step(time.Now())-1)
	if _, err := db.EnableTOTP(ksp.NewContext(ctx, &ksp.Actor{UserID: admin.ID, OrgID: admin.OrgID, OrgKind: ksp.KindPlatform, Role: ksp.RoleAdmin}), admin.ID, adminSecret, c); err != nil {
		t.Fatal(err)
	}
	// The bank: Clipshare's hashes a moment apart and two URLs of one
	// site; Vidstream's GREEN hash, and a TLP:RED one only it sees.
	clip := storetest.As(orgs["Clipshare"], users["ada@clipshare.example"])
	vid := storetest.As(orgs["Vidstream"], users["ben@vidstream.example"])
	share := func(ctx context.Context, in ksp.SubmissionInput) {
		t.Helper()
		if _, err := db.Submit(ctx, in); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Millisecond)
	}
	for i := 0; i < 3; i++ {
		share(clip, storetest.Submission(i, ksp.DistMembers, ksp.TLPGreen))
	}
	for _, u := range []string{"https://past.example.test/channel/videos/final-part?x=1", "https://past.example.test/channel/videos/first-part"} {
		share(clip, ksp.SubmissionInput{Type: ksp.TypeURL, Value: u, ContentType: "url", Labels: []string{"propaganda"}, Basis: "branded_publication", Distribution: ksp.DistMembers, TLP: ksp.TLPGreen})
	}
	share(vid, storetest.Submission(10, ksp.DistMembers, ksp.TLPGreen))
	share(vid, storetest.Submission(11, ksp.DistOwner, ksp.TLPRed))
	if err := bk.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	imgPath, hashed := waveImage(t, 19, "poster.png")

	b := newBrowser(t, srv.URL)
	b.viewport(width, height, mobile)
	desktop := !mobile
	b.open("/login", "Sign in")
	b.fill(map[string]string{"f-email": "ada@clipshare.example", "f-password": "bank passphrase 123"}, []string{"f-email", "f-password"})
	b.submit(`form[action="/login"]`, "Dashboard")

	// The list: URL rows tell apart by the end of their path, with the
	// full value on hover.
	b.open("/signals", "Signals")
	cells := eval[string](b, `[...document.querySelectorAll("table.signals tbody td:nth-child(2) a")].map(a => a.textContent.trim() + "|" + a.title).join("\n")`)
	for _, want := range []string{"URL signal past.example.test/…/final-part?x=1|https://past.example.test/channel/videos/final-part?x=1",
		"URL signal past.example.test/…/first-part|https://past.example.test/channel/videos/first-part"} {
		if !strings.Contains(cells, want) {
			t.Fatalf("value cells:\n%s\nlack %q", cells, want)
		}
	}
	if strings.Contains(cells, storetest.PDQValue(11)) {
		t.Fatal("Vidstream's TLP:RED owner-only signal is listed for Clipshare")
	}
	first := func() string {
		return eval[string](b, `document.querySelector("table.signals tbody td:nth-child(2) a").title`)
	}
	rows := func() int { return eval[int](b, `document.querySelectorAll("table.signals tbody tr").length`) }

	// Sort by first seen, oldest first, then newest first.
	b.fill(map[string]string{"f-sort": "first_seen"}, []string{"f-sort"})
	b.submit(`form.filters`, "Signals")
	if v := first(); v != storetest.PDQValue(0) {
		t.Fatalf("oldest first: first row %s", v)
	}
	if desktop {
		b.shot("signals-sorted")
		b.viewport(width, height, mobile)
	}
	b.fill(map[string]string{"f-sort": "-first_seen"}, []string{"f-sort"})
	b.submit(`form.filters`, "Signals")
	if v := first(); v != storetest.PDQValue(10) {
		t.Fatalf("newest first: first row %s", v)
	}
	// Search by host, in capitals, then by the start of a hash.
	b.fill(map[string]string{"f-q": "PAST.example.test", "f-sort": ""}, []string{"f-q", "f-sort"})
	b.submit(`form.filters`, "Signals")
	if n := rows(); n != 2 {
		t.Fatalf("a host search lists %d rows", n)
	}
	b.fill(map[string]string{"f-q": strings.ToUpper(storetest.PDQValue(1)[:8])}, []string{"f-q"})
	b.submit(`form.filters`, "Signals")
	if n, v := rows(), first(); n != 1 || v != storetest.PDQValue(1) {
		t.Fatalf("a hash-prefix search: %d rows, first %s", n, v)
	}
	b.fill(map[string]string{"f-q": storetest.PDQValue(11)}, []string{"f-q"})
	b.submit(`form.filters`, "Signals")
	if n := rows(); n != 0 {
		t.Fatal("a search finds Vidstream's owner-only signal")
	}

	// Share from an uploaded image.
	b.open("/signals/new", "Share a signal")
	b.do("choose the image", chromedp.SetUploadFiles(chromedp.ID("f-image"), []string{imgPath}))
	b.submit(`form[action="/signals/new"]`, "Share a signal")
	if v := eval[string](b, `document.getElementById("f-value").value + " " + document.getElementById("f-quality").value`); v != fmt.Sprintf("%s %d", hashed.PDQ.String(), hashed.Quality) {
		t.Fatalf("form filled with %q", v)
	}
	if !eval[bool](b, `document.querySelector('input[name="type"][value="pdq"]').checked`) {
		t.Fatal("PDQ not chosen")
	}
	if v := eval[string](b, `document.getElementById("hash-md5").textContent + " " + document.getElementById("hash-sha256").textContent`); v != hashed.MD5+" "+hashed.SHA256 {
		t.Fatalf("file hashes shown: %q", v)
	}
	if !strings.Contains(eval[string](b, `document.querySelector("main").innerText`), "Your image was not stored") {
		t.Fatal("no statement that the image was not stored")
	}
	if desktop {
		b.shot("signal-new-from-image")
		b.viewport(width, height, mobile)
	}
	b.do("choose labels and basis", chromedp.Click(chromedp.ID("f-labels-propaganda")), chromedp.Click(chromedp.ID("f-basis-branded_publication")))
	b.submit(`form[action="/signals"]`, "PDQ signal")
	if v := eval[string](b, `document.getElementById("signal-value").textContent`); v != hashed.PDQ.String() {
		t.Fatalf("shared %q", v)
	}

	// Download the export in both formats and re-import each with
	// `ksp import` as Clipshare: nothing changes.
	b.open("/signals", "Signals")
	dir := t.TempDir()
	day := time.Now().UTC().Format("2006-01-02")
	for _, format := range []string{"csv", "ndjson"} {
		path := b.download(`a[href="/signals/export?format=`+format+`"]`, dir, "ksp-signals-"+day+"."+format)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Count(string(data), "\n")
		if format == "csv" {
			lines-- // the header
		}
		// Clipshare's 6 and Vidstream's GREEN one; never the RED one.
		if lines != 7 || strings.Contains(string(data), storetest.PDQValue(11)) {
			t.Fatalf("%s export: %d records\n%s", format, lines, data)
		}
		code, out, errs := run(t, map[string]string{"KSP_DB": dbPath}, "", "import", "signals", "--org", orgs["Clipshare"].ID, path)
		m := importLine.FindStringSubmatch(out)
		if code != 0 || m == nil || m[1] != "0" || m[2] != "0" || m[3] != "7" || m[4] != "0" {
			t.Fatalf("ksp import of the %s export: %d %q %q", format, code, out, errs)
		}
	}
	b.submit(`header form[action="/logout"]`, "Knowledge-sharing against terrorist use of the internet")

	// The admin's role dropdowns show their longest option in full.
	b.open("/login", "Sign in")
	b.fill(map[string]string{"f-email": "root@clipshare.example", "f-password": "bank passphrase 123"}, []string{"f-email", "f-password"})
	b.submit(`form[action="/login"]`, "Enter your security code")
	code, _ := totp.CodeAt(adminSecret, totp.Step(time.Now()))
	b.fill(map[string]string{"f-code": code}, []string{"f-code"})
	b.submit(`form[action="/login/code"]`, "Dashboard")
	b.open("/admin/users", "Users")
	cut := eval[string](b, `(function(){
		var bad = [], n = 0;
		document.querySelectorAll("td select").forEach(function(s){
			n++;
			var cs = getComputedStyle(s), span = document.createElement("span");
			span.style.font = cs.font; span.style.whiteSpace = "pre"; span.style.position = "absolute"; span.style.visibility = "hidden";
			document.body.appendChild(span);
			var need = 0;
			for (var o of s.options) { span.textContent = o.text; need = Math.max(need, span.getBoundingClientRect().width); }
			span.remove();
			// The content box, less the drop-down arrow's room.
			var room = s.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 16;
			if (room < need) bad.push(s.id + ": " + room.toFixed(1) + " px for " + need.toFixed(1));
		});
		return n === 0 ? "no role select" : bad.join("; ");
	})()`)
	if cut != "" {
		t.Fatalf("role dropdowns cut off at %d px: %s", width, cut)
	}
	if desktop {
		b.shot("users-roles")
	}
	t.Logf("bank browser flow (%d px): %d pages checked, %v", width, b.pages, time.Since(start).Round(time.Millisecond))
}
