package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/filehash"
	"github.com/kspplatform/ksp/pdq/pdqtest"
	"github.com/kspplatform/ksp/sqlite"
	"github.com/kspplatform/ksp/storetest"
)

// caseScanWorld is a platform's media folder and a database whose bank
// holds signals of several severities about some of its files.
type caseScanWorld struct {
	db, tree string
	key      string // the start-up admin's key: match and submit
	// signals by file: what each matching file should match
	signals map[string][]string
}

// newCaseScanWorld builds:
//
//	a/bridge.jpg   PDQ signal (high) and MD5 signal (medium)
//	a/blur.jpg     near-duplicate of bridge.jpg: the PDQ signal
//	a/rot.jpg      bridge.jpg rotated 90°: matches only with --dihedral
//	b/c.png        PDQ signal (low)
//	b/q.jpg        an unrelated photo
//	b/readme.txt   an unrelated file
//	b/broken.jpg   a JPEG header and garbage (not hashed as an image)
func newCaseScanWorld(t *testing.T) *caseScanWorld {
	t.Helper()
	src := pdqtest.Dir(t)
	dir := t.TempDir()
	w := &caseScanWorld{db: filepath.Join(dir, "ksp.db"), tree: filepath.Join(dir, "media"), signals: map[string][]string{}}
	for dst, from := range map[string]string{
		"a/bridge.jpg": "bridge-mods/aaa-orig.jpg",
		"a/blur.jpg":   "bridge-mods/blur-a-little.jpg",
		"a/rot.jpg":    "dih/bridge-2-rotate-90.jpg",
		"b/c.png":      "misc-images/c.png",
		"b/q.jpg":      "labelme-subset/q0003.jpg",
	} {
		data, err := os.ReadFile(filepath.Join(src, from))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(w.tree, dst), data)
	}
	writeFile(t, filepath.Join(w.tree, "b/readme.txt"), []byte("opening hours of the café\n"))
	writeFile(t, filepath.Join(w.tree, "b/broken.jpg"), append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte("garbage"), 50)...))

	hash := func(name string) filehash.Result {
		t.Helper()
		r, err := filehash.HashFile(filepath.Join(w.tree, name), filehash.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	bridge, c := hash("a/bridge.jpg"), hash("b/c.png")
	db, err := sqlite.Open(context.Background(), w.db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fx := storetest.NewFixture(t, db)
	plat := storetest.As(fx.Platform, fx.PlatAdmin)
	submit := func(typ, value string, quality int, severity string) string {
		t.Helper()
		in := ksp.SubmissionInput{Type: typ, Value: value, ContentType: "photo", Labels: []string{"propaganda"}, Basis: "branded_publication",
			Severity: severity, Distribution: ksp.DistMembers, TLP: ksp.TLPGreen}
		if typ == ksp.TypePDQ {
			in.Quality = &quality
		}
		res, err := db.Submit(plat, in)
		if err != nil {
			t.Fatalf("submit %s: %v", typ, err)
		}
		return res.Signal.ID
	}
	pdqSig := submit(ksp.TypePDQ, bridge.PDQ.String(), bridge.Quality, "high")
	md5Sig := submit(ksp.TypeMD5, bridge.MD5, 0, "medium")
	cSig := submit(ksp.TypePDQ, c.PDQ.String(), c.Quality, "low")
	w.signals["a/bridge.jpg"] = []string{md5Sig, pdqSig}
	w.signals["a/blur.jpg"] = []string{pdqSig}
	w.signals["b/c.png"] = []string{cSig}
	for _, s := range w.signals {
		slices.Sort(s)
	}
	k, err := db.CreateAPIKey(storetest.As(fx.Startup, fx.StartAdm), ksp.NewAPIKey{Name: "scanner", Scopes: []ksp.Scope{ksp.ScopeMatch, ksp.ScopeSubmit, ksp.ScopeRead}})
	if err != nil {
		t.Fatal(err)
	}
	w.key = k.Secret
	return w
}

// api calls the server with the world's key and decodes the answer.
func (w *caseScanWorld) api(t *testing.T, base, method, path string, body any) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	req.Header.Set("Authorization", "Bearer "+w.key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil || res.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %v %v", method, path, res.StatusCode, m, err)
	}
	return m
}

// cases returns the start-up's cases by content reference.
func (w *caseScanWorld) cases(t *testing.T, base string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, it := range w.api(t, base, "GET", "/api/v1/cases?limit=100", nil)["items"].([]any) {
		c := it.(map[string]any)
		ref := c["content_ref"].(string)
		if out[ref] != nil {
			t.Fatalf("two cases for %s", ref)
		}
		out[ref] = c
	}
	return out
}

var casesLine = regexp.MustCompile(`(?m)^cases opened=(\d+) updated=(\d+)$`)

// TestScanCasesEndToEnd is the "done when": a folder of test
// images and unrelated files scanned with --cases against a server; cases
// with the right priorities; a reviewer's decision files the feedback, the
// statement of reasons and the preservation date; a rerun creates no
// duplicate; --dihedral and --refs open the cases they should.
func TestScanCasesEndToEnd(t *testing.T) {
	w := newCaseScanWorld(t)
	base := "http://" + startServe(t, w.db)
	missing := filepath.Join(w.tree, "gone.jpg")
	state := filepath.Join(t.TempDir(), "scan.state")
	code, out, errs := run(t, nil, "", "scan", "--server", base, "--key", w.key, "--cases", "--state", state, w.tree, missing)
	if code != 1 || !strings.Contains(errs, missing+": no such file or directory") || !strings.Contains(errs, "broken.jpg: warning: not hashed as an image") {
		t.Fatalf("first scan: exit %d\n%s\n%s", code, out, errs)
	}
	if m := casesLine.FindStringSubmatch(errs); m == nil || m[1] != "3" || m[2] != "0" {
		t.Fatalf("first scan cases line missing or wrong:\n%s", errs)
	}
	cases := w.cases(t, base)
	if len(cases) != 3 {
		t.Fatalf("cases %v, want a/blur.jpg, a/bridge.jpg, b/c.png", keys(cases))
	}
	for ref, want := range w.signals {
		c := cases[ref]
		if c == nil {
			t.Fatalf("no case for %s (have %v)", ref, keys(cases))
		}
		var got []string
		var strongest []*ksp.CaseMatch
		for _, m := range c["matches"].([]any) {
			id := m.(map[string]any)["signal_id"].(string)
			got = append(got, id)
			sig := w.api(t, base, "GET", "/api/v1/signals/"+id, nil)
			strongest = append(strongest, &ksp.CaseMatch{Severity: sig["severity"].(string), Confidence: sig["confidence"].(float64)})
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s matched %v, want %v", ref, got, want)
		}
		// Priority: severity points of the strongest signal + 3 × its
		// confidence, as the start-up sees the signals.
		if p := int(c["priority"].(float64)); p != ksp.CasePriority(strongest) {
			t.Errorf("%s priority %d, want %d", ref, p, ksp.CasePriority(strongest))
		}
		if c["content_type"] != "photo" {
			t.Errorf("%s content type %v", ref, c["content_type"])
		}
	}
	if hi, lo := cases["a/bridge.jpg"]["priority"].(float64), cases["b/c.png"]["priority"].(float64); hi < 5 || lo > 4 {
		t.Errorf("priorities: high-severity bridge %v, low-severity c.png %v", hi, lo)
	}

	// The reviewer decides: remove the bridge.
	id := cases["a/bridge.jpg"]["id"].(string)
	d := w.api(t, base, "POST", "/api/v1/cases/"+id+"/decision", map[string]any{"decision": "remove", "policy_clause": "Community rules §3 (terrorist content)", "note": "logo of a designated group"})
	if d["status"] != "decided" || d["preserve_until"] == nil || d["statement_of_reasons"] == nil {
		t.Fatalf("decision: %v", d)
	}
	for _, sid := range w.signals["a/bridge.jpg"] {
		fb := w.api(t, base, "GET", "/api/v1/signals/"+sid, nil)["feedback"].(map[string]any)
		if fb["true_positive"] != 1.0 {
			t.Errorf("signal %s feedback %v, want the start-up's true_positive", sid, fb)
		}
	}
	stmts := w.api(t, base, "GET", "/api/v1/cases/statements", nil)["items"].([]any)
	if len(stmts) != 1 || stmts[0].(map[string]any)["case_id"] != id {
		t.Errorf("statements %v", stmts)
	}
	until, err := time.Parse(time.RFC3339Nano, d["preserve_until"].(string))
	if err != nil || until.Before(time.Now().AddDate(0, 6, -1)) {
		t.Errorf("preserve_until %v (%v)", d["preserve_until"], err)
	}

	// A rerun (without the state) creates no duplicate and leaves the
	// decided case decided.
	code, _, errs = run(t, nil, "", "scan", "--server", base, "--key", w.key, "--cases", w.tree)
	if m := casesLine.FindStringSubmatch(errs); code != 0 || m == nil || m[1] != "0" || m[2] != "3" {
		t.Fatalf("rerun: exit %d\n%s", code, errs)
	}
	again := w.cases(t, base)
	if len(again) != 3 || again["a/bridge.jpg"]["status"] != "decided" {
		t.Fatalf("after the rerun: %v, bridge %v", keys(again), again["a/bridge.jpg"]["status"])
	}

	// --dihedral finds the rotated copy.
	code, out, errs = run(t, nil, "", "scan", "--server", base, "--key", w.key, "--cases", "--dihedral", w.tree)
	if m := casesLine.FindStringSubmatch(errs); code != 0 || m == nil || m[1] != "1" || m[2] != "3" || !strings.Contains(out, "rot.jpg\tpdq\t") {
		t.Fatalf("dihedral: exit %d\n%s\n%s", code, out, errs)
	}
	if c := w.cases(t, base)["a/rot.jpg"]; c == nil {
		t.Errorf("no case for the rotated copy")
	}

	// --refs names content by the platform's own ids; a matching file it
	// does not name is reported and opens nothing.
	refs := filepath.Join(t.TempDir(), "refs.tsv")
	writeFile(t, refs, []byte("# path\tplatform id\nc.png\tupload:77f3\n"))
	code, _, errs = run(t, nil, "", "scan", "--server", base, "--key", w.key, "--cases", "--refs", refs, filepath.Join(w.tree, "b"))
	if m := casesLine.FindStringSubmatch(errs); code != 0 || m == nil || m[1] != "1" {
		t.Fatalf("refs: exit %d\n%s", code, errs)
	}
	if c := w.cases(t, base)["upload:77f3"]; c == nil {
		t.Error("no case under the platform's reference")
	}
	writeFile(t, refs, []byte("other.png\tupload:1\n"))
	code, _, errs = run(t, nil, "", "scan", "--server", base, "--key", w.key, "--cases", "--refs", refs, filepath.Join(w.tree, "b"))
	if code != 1 || !strings.Contains(errs, "c.png: no reference for this file in --refs") {
		t.Fatalf("refs without the file: exit %d\n%s", code, errs)
	}
	// Nothing of the content reached the server: no case carries more
	// than its reference and the hashes' matches.
	for ref := range w.cases(t, base) {
		if strings.Contains(ref, w.tree) {
			t.Errorf("a case is keyed by the local path %s", ref)
		}
	}
}

// TestScanCasesServerGone: the server stops answering case requests in
// the middle of a scan; the scan retries, stops with a clear error naming
// the state file, and a rerun with it resumes and opens each case once.
func TestScanCasesServerGone(t *testing.T) {
	w := newCaseScanWorld(t)
	target, _ := url.Parse("http://" + startServe(t, w.db))
	var gone atomic.Bool
	var caseRequests atomic.Int32
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/cases" && r.Method == "POST" {
			if caseRequests.Add(1) > 1 && gone.Load() {
				panic(http.ErrAbortHandler) // the connection drops
			}
		}
		proxy.ServeHTTP(rw, r)
	}))
	defer front.Close()
	defer func(n int, d time.Duration) { maxBatchQueries, retryUnit = n, d }(maxBatchQueries, retryUnit)
	maxBatchQueries, retryUnit = 3, 10*time.Millisecond // one file per batch; quick retries

	gone.Store(true)
	state := filepath.Join(t.TempDir(), "scan.state")
	code, _, errs := run(t, nil, "", "scan", "--server", front.URL, "--key", w.key, "--cases", "--state", state, w.tree)
	if code != 1 || !strings.Contains(errs, "cannot reach the server") || !strings.Contains(errs, "after 3 retries") ||
		!strings.Contains(errs, "rerun with --state "+state+" to resume") {
		t.Fatalf("server gone: exit %d\n%s", code, errs)
	}
	if n := len(w.cases(t, "http://"+target.Host)); n != 1 {
		t.Fatalf("%d cases before the server went away, want 1", n)
	}
	gone.Store(false)
	code, _, errs = run(t, nil, "", "scan", "--server", front.URL, "--key", w.key, "--cases", "--state", state, w.tree)
	m := summaryLine.FindStringSubmatch(errs)
	if code != 0 || m == nil || m[3] == "0" {
		t.Fatalf("resumed: exit %d\n%s", code, errs)
	}
	if c := casesLine.FindStringSubmatch(errs); c == nil || c[1] != "2" {
		t.Errorf("resumed run should open the two remaining cases:\n%s", errs)
	}
	if got := w.cases(t, "http://"+target.Host); len(got) != 3 {
		t.Errorf("cases after resuming: %v", keys(got))
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestScanBarLine(t *testing.T) {
	tests := []struct {
		n, total int
		elapsed  time.Duration
		want     string
	}{
		{0, 100, time.Second, "scanning [........................] 0/100 files   0% 0 files/s ETA --"},
		{50, 100, 10 * time.Second, "scanning [############............] 50/100 files  50% 5 files/s ETA 10s"},
		{100, 100, 10 * time.Second, "scanning [########################] 100/100 files 100% 10 files/s ETA 0s"},
		{7, 0, time.Second, "scanning: 7 files (7 files/s)"},
	}
	for _, tc := range tests {
		if got := scanBarLine(tc.n, tc.total, tc.elapsed); got != tc.want {
			t.Errorf("scanBarLine(%d, %d, %v) = %q, want %q", tc.n, tc.total, tc.elapsed, got, tc.want)
		}
	}
}

func TestReadRefsBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, data, want string }{
		{"no tab", "a.jpg upload:1\n", "line 1: want path<TAB>reference"},
		{"empty reference", "# header\na.jpg\t \n", "line 2: empty reference"},
		{"long reference", "a.jpg\t" + strings.Repeat("x", ksp.MaxContentRef+1) + "\n", "line 1: reference longer than"},
	} {
		p := filepath.Join(dir, tc.name+".tsv")
		writeFile(t, p, []byte(tc.data))
		if _, err := readRefs(p); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := readRefs(filepath.Join(dir, "missing.tsv")); err == nil {
		t.Error("a missing --refs file was accepted")
	}
	p := filepath.Join(dir, "ok.tsv")
	writeFile(t, p, []byte("./x/../a.jpg\tupload:1\r\n\n"))
	refs, err := readRefs(p)
	if err != nil || refs["a.jpg"] != "upload:1" {
		t.Errorf("refs %v (%v)", refs, err)
	}
}

// TestScanCasesDB opens the cases straight in the database, as --org: the
// same cases as through a server, none on a rerun.
func TestScanCasesDB(t *testing.T) {
	w := newCaseScanWorld(t)
	db, err := sqlite.Open(context.Background(), w.db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	orgs, _, err := db.FindOrgs(ksp.NewContext(context.Background(), ksp.SystemActor("test")), ksp.OrgFilter{Page: ksp.Page{Limit: 100}})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	var startup string
	for _, o := range orgs {
		if o.Size == ksp.SizeStartup {
			startup = o.ID
		}
	}
	for i, want := range []string{"3", "0"} {
		code, _, errs := run(t, nil, "", "scan", "--db", w.db, "--org", startup, "--cases", w.tree)
		if m := casesLine.FindStringSubmatch(errs); code != 0 || m == nil || m[1] != want {
			t.Fatalf("run %d: exit %d, want %s opened\n%s", i+1, code, want, errs)
		}
	}
	// A state file of a scan without --cases does not resume one with it:
	// its files were never turned into cases.
	state := filepath.Join(t.TempDir(), "scan.state")
	if code, _, errs := run(t, nil, "", "scan", "--db", w.db, "--org", startup, "--state", state, w.tree); code != 0 {
		t.Fatalf("scan with state: exit %d\n%s", code, errs)
	}
	code, _, errs := run(t, nil, "", "scan", "--db", w.db, "--org", startup, "--cases", "--state", state, w.tree)
	if code != 2 || !strings.Contains(errs, "not --threshold 31 --cases against") {
		t.Fatalf("state of a scan without --cases: exit %d\n%s", code, errs)
	}
}
