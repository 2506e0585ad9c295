package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/filehash"
	"github.com/kspplatform/ksp/pdq"
	"github.com/kspplatform/ksp/pdq/pdqtest"
	"github.com/kspplatform/ksp/sqlite"
	"github.com/kspplatform/ksp/storetest"
)

// scanWorld is a tree of test images and a database whose bank holds
// signals about some of them, shared by several orgs.
type scanWorld struct {
	db, tree string
	startup  string // the scanning org's ID
	key      string // the start-up admin's key with the match scope
	readKey  string // a key without the match scope
	// want is the scan's output as the start-up, TSV.
	want string
	// hashed is how many regular files the tree holds.
	hashed int
}

// newScanWorld copies a few of the shared PDQ test images into a tree:
//
//	a/blur.jpg          near-duplicate of bridge.jpg: matches its PDQ signal
//	a/bridge.jpg        PDQ and MD5 signals (members)
//	a/sub/q0003.jpg     SHA-256 signal shared with the government only
//	b/c.png             PDQ signal the large platform keeps to itself
//	b/notes.txt         MD5 signal (members)
//	link -> a           symlinked directory: skipped
func newScanWorld(t *testing.T) *scanWorld {
	t.Helper()
	src := pdqtest.Dir(t)
	dir := t.TempDir()
	w := &scanWorld{db: filepath.Join(dir, "ksp.db"), tree: filepath.Join(dir, "tree")}
	files := map[string]string{
		"a/blur.jpg":      "bridge-mods/sharpen-a-little.jpg", // 6 bits from aaa-orig in the reference
		"a/bridge.jpg":    "bridge-mods/aaa-orig.jpg",
		"a/sub/q0003.jpg": "labelme-subset/q0003.jpg",
		"b/c.png":         "misc-images/c.png",
	}
	for dst, from := range files {
		data, err := os.ReadFile(filepath.Join(src, from))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(w.tree, dst), data)
	}
	writeFile(t, filepath.Join(w.tree, "b/notes.txt"), []byte("a leaflet that was shared\n"))
	if err := os.Symlink("a", filepath.Join(w.tree, "link")); err != nil {
		t.Fatal(err)
	}
	w.hashed = 5
	hash := func(name string) filehash.Result {
		t.Helper()
		r, err := filehash.HashFile(filepath.Join(w.tree, name), filehash.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	bridge, blur, q3, c, notes := hash("a/bridge.jpg"), hash("a/blur.jpg"), hash("a/sub/q0003.jpg"), hash("b/c.png"), hash("b/notes.txt")
	dist := pdq.Distance(bridge.PDQ, blur.PDQ)
	if dist == 0 || dist > ksp.DefaultThreshold || bridge.Quality < ksp.MinPDQQuality || c.Quality < ksp.MinPDQQuality {
		t.Fatalf("test images unsuitable: distance %d, qualities %d %d", dist, bridge.Quality, c.Quality)
	}

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := sqlite.Open(context.Background(), w.db, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fx := storetest.NewFixture(t, db)
	w.startup = fx.Startup.ID
	plat := storetest.As(fx.Platform, fx.PlatAdmin)
	submit := func(typ, value string, quality int, labels []string, d ksp.Distribution, audience ...string) string {
		t.Helper()
		in := ksp.SubmissionInput{Type: typ, Value: value, ContentType: "photo", Labels: labels, Basis: "branded_publication",
			Distribution: d, TLP: ksp.TLPGreen, Audience: audience}
		if typ == ksp.TypePDQ {
			in.Quality = &quality
		}
		res, err := db.Submit(plat, in)
		if err != nil {
			t.Fatalf("submit %s %s: %v", typ, value, err)
		}
		return res.Signal.ID
	}
	pdqSig := submit(ksp.TypePDQ, bridge.PDQ.String(), bridge.Quality, []string{"recruitment", "propaganda"}, ksp.DistMembers)
	md5Sig := submit(ksp.TypeMD5, bridge.MD5, 0, []string{"attack_content"}, ksp.DistMembers)
	notesSig := submit(ksp.TypeMD5, notes.MD5, 0, []string{"propaganda"}, ksp.DistMembers)
	submit(ksp.TypeSHA256, q3.SHA256, 0, []string{"propaganda"}, ksp.DistAudience, fx.Gov.ID)
	submit(ksp.TypePDQ, c.PDQ.String(), c.Quality, []string{"propaganda"}, ksp.DistOwner)

	key := func(scopes ...ksp.Scope) string {
		t.Helper()
		k, err := db.CreateAPIKey(storetest.As(fx.Startup, fx.StartAdm), ksp.NewAPIKey{Name: "scanner", Scopes: scopes})
		if err != nil {
			t.Fatal(err)
		}
		return k.Secret
	}
	w.key, w.readKey = key(ksp.ScopeMatch), key(ksp.ScopeRead)

	p := func(name string) string { return filepath.Join(w.tree, name) }
	w.want = strings.Join([]string{
		fmt.Sprintf("%s\tpdq\t%s\t%d\tpropaganda,recruitment\ttrue", p("a/blur.jpg"), pdqSig, dist),
		fmt.Sprintf("%s\tmd5\t%s\t0\tattack_content\ttrue", p("a/bridge.jpg"), md5Sig),
		fmt.Sprintf("%s\tpdq\t%s\t0\tpropaganda,recruitment\ttrue", p("a/bridge.jpg"), pdqSig),
		fmt.Sprintf("%s\tmd5\t%s\t0\tpropaganda\ttrue", p("b/notes.txt"), notesSig),
	}, "\n") + "\n"
	return w
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

var summaryLine = regexp.MustCompile(`(?m)^files=(\d+) hashed=(\d+) resumed=(\d+) matched_files=(\d+) matches=(\d+) errors=(\d+)$`)

// summary returns the figures of the summary line on stderr.
func summary(t *testing.T, stderr string) string {
	t.Helper()
	m := summaryLine.FindString(stderr)
	if m == "" {
		t.Fatalf("no summary line on stderr:\n%s", stderr)
	}
	return m
}

// startServe runs `serve` on db in-process until the test ends and returns
// its address.
func startServe(t *testing.T, db string, flags ...string) string {
	t.Helper()
	_, addr, stop := runServe(t, append([]string{"serve", "--db", db}, flags...)...)
	t.Cleanup(stop)
	return addr
}

// TestScanDB scans the tree from the database as the start-up: what other
// orgs keep from it is not printed; as the staff org it is.
func TestScanDB(t *testing.T) {
	w := newScanWorld(t)
	code, out, errs := run(t, nil, "", "scan", "--db", w.db, "--org", w.startup, w.tree)
	if code != 0 || out != w.want {
		t.Fatalf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", code, out, w.want, errs)
	}
	if got := summary(t, errs); got != "files=5 hashed=5 resumed=0 matched_files=3 matches=4 errors=0" {
		t.Errorf("summary %q", got)
	}
	// The staff org sees every submission: the hidden two come back too.
	code, out, errs = run(t, map[string]string{"KSP_DB": w.db}, "", "scan", w.tree)
	if code != 0 || strings.Count(out, "\n") != 6 || !strings.Contains(out, filepath.Join(w.tree, "b/c.png")+"\tpdq\t") ||
		!strings.Contains(out, filepath.Join(w.tree, "a/sub/q0003.jpg")+"\tsha256\t") {
		t.Fatalf("as staff: exit %d\n%s\n%s", code, out, errs)
	}
	// A file named on its own, and a threshold of 0 that drops the
	// near-duplicate.
	code, out, _ = run(t, nil, "", "scan", "--db", w.db, "--org", w.startup, "--threshold", "0", filepath.Join(w.tree, "a/blur.jpg"), filepath.Join(w.tree, "b"))
	if want := strings.Join(strings.Split(w.want, "\n")[3:], "\n"); code != 0 || out != want {
		t.Fatalf("threshold 0: exit %d\n%s\nwant:\n%s", code, out, want)
	}
	// The scan counted its queries for the org.
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := sqlite.Open(context.Background(), w.db, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var queries int
	if err := db.SQL().QueryRow(`SELECT COALESCE(SUM(queries), 0) FROM match_counts WHERE org_id = ?`, w.startup).Scan(&queries); err != nil || queries == 0 {
		t.Errorf("match counts of the start-up: %d (%v)", queries, err)
	}
}

// TestScanServer scans through a real server with the start-up's key: the
// same output as from the database, in one request or several.
func TestScanServer(t *testing.T) {
	w := newScanWorld(t)
	url := "http://" + startServe(t, w.db)
	code, out, errs := run(t, nil, "", "scan", "--server", url, "--key", w.key, w.tree)
	if code != 0 || out != w.want {
		t.Fatalf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", code, out, w.want, errs)
	}
	defer func(n int) { maxBatchQueries = n }(maxBatchQueries)
	maxBatchQueries = 4 // every file in a request of its own
	env := map[string]string{"KSP_SERVER": url, "KSP_KEY": w.key, "KSP_DB": filepath.Join(t.TempDir(), "never-opened.db")}
	code, out, errs = run(t, env, "", "scan", w.tree)
	if code != 0 || out != w.want {
		t.Fatalf("small batches, env: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if _, err := os.Stat(env["KSP_DB"]); !os.IsNotExist(err) {
		t.Errorf("scan --server opened a database: %v", err)
	}

	for _, tc := range []struct {
		name, key, want string
	}{
		{"bad key", "ksp_" + strings.Repeat("x", 40), "refused the API key (401 unauthorized"},
		{"no match scope", w.readKey, "may not match (403 forbidden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := run(t, nil, "", "scan", "--server", url, "--key", tc.key, w.tree)
			if code != 1 || out != "" || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, out, errs)
			}
		})
	}
}

// TestScanRateLimited scans through a server that allows the key one
// request a second (burst 2) in five requests: the scan waits out the 429s
// and prints everything.
func TestScanRateLimited(t *testing.T) {
	w := newScanWorld(t)
	url := "http://" + startServe(t, w.db, "--rate-limit", "1")
	defer func(n int) { maxBatchQueries = n }(maxBatchQueries)
	maxBatchQueries = 3
	code, out, errs := run(t, nil, "", "scan", "--server", url, "--key", w.key, w.tree)
	if code != 0 || out != w.want || !strings.Contains(errs, "rate limited by the server (429") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

func TestRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"", time.Second},
		{"7", 7 * time.Second},
		{"0", 0},
		{"-3", time.Second},
		{"soon", time.Second},
		{"86400", maxRetryWait},
		{time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat), 0},
	} {
		if got := retryAfter(tc.header); got != tc.want {
			t.Errorf("Retry-After %q: %v, want %v", tc.header, got, tc.want)
		}
	}
	future := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	if got := retryAfter(future); got < 80*time.Second || got > 90*time.Second {
		t.Errorf("Retry-After %q: %v", future, got)
	}
}

// TestScanJSON checks --json: one object per match, the TSV's fields.
func TestScanJSON(t *testing.T) {
	w := newScanWorld(t)
	code, out, errs := run(t, nil, "", "scan", "--db", w.db, "--org", w.startup, "--json", w.tree)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	want := strings.Split(strings.TrimSuffix(w.want, "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, line := range lines {
		var v struct {
			File          string   `json:"file"`
			Type          string   `json:"type"`
			SignalID      string   `json:"signal_id"`
			Distance      int      `json:"distance"`
			Labels        []string `json:"labels"`
			Actionable    bool     `json:"actionable"`
			NotActionable string   `json:"not_actionable"`
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, line)
		}
		tsv := fmt.Sprintf("%s\t%s\t%s\t%d\t%s\t%t", v.File, v.Type, v.SignalID, v.Distance, strings.Join(v.Labels, ","), v.Actionable)
		if tsv != want[i] || v.NotActionable != "" {
			t.Errorf("line %d: %s, want the fields of %q", i+1, line, want[i])
		}
	}
}

// TestScanUsage checks flags: each mistake is exit 2 with a message naming
// the flag, before any file is read or database opened.
func TestScanUsage(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "never-opened.db")
	notState := filepath.Join(dir, "notes.txt")
	writeFile(t, notState, []byte("my notes\n"))
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"threshold too high", []string{"--threshold", "65", dir}, "--threshold 65: must be from 0 to 64"},
		{"threshold negative", []string{"--threshold", "-1", dir}, "--threshold -1: must be from 0 to 64"},
		{"threshold not a number", []string{"--threshold", "near", dir}, `invalid value "near" for flag -threshold`},
		{"unknown flag", []string{"--upload", dir}, "flag provided but not defined: -upload"},
		{"cases as the staff org", []string{"--cases", dir}, "--cases with --db needs --org"},
		{"refs without cases", []string{"--refs", "x.tsv", dir}, "--refs applies to --cases"},
		{"server and db", []string{"--server", "http://localhost:1", "--key", "k", "--db", db, dir}, "--server and --db exclude each other"},
		{"server without key", []string{"--server", "http://localhost:1", dir}, "--server needs --key"},
		{"key without server", []string{"--key", "k", "--db", db, dir}, "--key applies to --server"},
		{"org with server", []string{"--server", "http://localhost:1", "--key", "k", "--org", "x", dir}, "--org applies to --db"},
		{"server not a URL", []string{"--server", "localhost:8080", "--key", "k", dir}, `--server "localhost:8080": want an http:// or https:// URL`},
		{"no paths", []string{"--db", db}, "name at least one file or directory"},
		{"not a state file", []string{"--db", db, "--state", notState, dir}, "not a ksp scan state file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := run(t, nil, "", append([]string{"scan"}, tc.args...)...)
			if code != 2 || out != "" || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q", code, out, errs, tc.want)
			}
		})
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("a usage error opened the database: %v", err)
	}
	if b, _ := os.ReadFile(notState); string(b) != "my notes\n" {
		t.Errorf("a file that is not a state file was changed: %q", b)
	}
	code, out, _ := run(t, nil, "", "scan", "--help")
	if code != 0 || !strings.Contains(out, "--threshold") || !strings.Contains(out, "file<TAB>type<TAB>signal_id") {
		t.Errorf("--help: exit %d, %q", code, out)
	}
}

// TestScanUnreadable: files that cannot be read get a "file: reason" line
// on stderr and exit status 1; the others are still scanned.
func TestScanUnreadable(t *testing.T) {
	w := newScanWorld(t)
	missing := filepath.Join(w.tree, "missing.jpg")
	code, out, errs := run(t, nil, "", "scan", "--db", w.db, "--org", w.startup, w.tree, missing)
	if code != 1 || out != w.want || !strings.Contains(errs, missing+": no such file or directory\n") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if got := summary(t, errs); got != "files=5 hashed=5 resumed=0 matched_files=3 matches=4 errors=1" {
		t.Errorf("summary %q", got)
	}
	// A file without read permission (not enforced for root).
	locked := filepath.Join(w.tree, "b/locked.txt")
	writeFile(t, locked, []byte("secret"))
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	if f, err := os.Open(locked); err == nil {
		f.Close()
		t.Log("running as root: permissions are not enforced, skipping the unreadable-file case")
		return
	}
	code, out, errs = run(t, nil, "", "scan", "--db", w.db, "--org", w.startup, w.tree)
	if code != 1 || out != w.want || !strings.Contains(errs, locked+": permission denied\n") {
		t.Fatalf("locked file: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// TestScanPixelBudget: an image over the pixel budget is not decoded; it
// is still matched by its exact hashes, and reported as not fully scanned.
func TestScanPixelBudget(t *testing.T) {
	w := newScanWorld(t)
	var png bytes.Buffer
	png.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 20000)
	binary.BigEndian.PutUint32(ihdr[4:], 20000)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	binary.Write(&png, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	png.Write(chunk)
	binary.Write(&png, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	big := filepath.Join(t.TempDir(), "big.png")
	writeFile(t, big, png.Bytes())
	sum := md5.Sum(png.Bytes())

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := sqlite.Open(context.Background(), w.db, quiet)
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Submit(storetest.Staff(), ksp.SubmissionInput{Type: ksp.TypeMD5, Value: hex.EncodeToString(sum[:]), ContentType: "photo",
		Labels: []string{"propaganda"}, Basis: "branded_publication", Distribution: ksp.DistMembers, TLP: ksp.TLPGreen})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, nil, "", "scan", "--db", w.db, "--org", w.startup, big)
	if want := big + "\tmd5\t" + res.Signal.ID + "\t0\tpropaganda\ttrue\n"; code != 1 || out != want {
		t.Fatalf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", code, out, want, errs)
	}
	if !strings.Contains(errs, big+": image exceeds the pixel budget: 20000x20000") || !strings.Contains(errs, "matched by MD5 and SHA-256 only\n") {
		t.Errorf("stderr:\n%s", errs)
	}
}

// TestScanState interrupts a scan (a state file cut short, as a kill leaves
// it; and a real cancellation) and resumes it: the same output, only the
// files not recorded hashed again; a changed file is rescanned.
func TestScanState(t *testing.T) {
	w := newScanWorld(t)
	state := filepath.Join(t.TempDir(), "scan.state")
	scan := func(extra ...string) (int, string, string) {
		t.Helper()
		return run(t, nil, "", append([]string{"scan", "--db", w.db, "--org", w.startup, "--state", state}, extra...)...)
	}
	code, out, errs := scan(w.tree)
	if code != 0 || out != w.want {
		t.Fatalf("first scan: exit %d\n%s\n%s", code, out, errs)
	}
	data, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	if len(lines) != 1+w.hashed+1 || lines[len(lines)-1] != "" { // header, one per file, "" after the last \n
		t.Fatalf("state file:\n%s", data)
	}

	// Cut after the header, two records and half of the third.
	cut := lines[0] + lines[1] + lines[2] + lines[3][:len(lines[3])/2]
	if err := os.WriteFile(state, []byte(cut), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs = scan(w.tree)
	if code != 0 || out != w.want {
		t.Fatalf("resumed scan: exit %d\n%s\nwant:\n%s\n%s", code, out, w.want, errs)
	}
	if !strings.Contains(errs, "incomplete last line of the state file") {
		t.Errorf("no warning about the torn line:\n%s", errs)
	}
	if got := summary(t, errs); got != "files=5 hashed=3 resumed=2 matched_files=3 matches=4 errors=0" {
		t.Errorf("resumed summary %q", got)
	}
	if data, _ := os.ReadFile(state); string(data) != strings.Join(lines, "") {
		t.Errorf("state after resuming differs from an uninterrupted scan's:\n%s", data)
	}

	// Everything recorded: nothing hashed.
	code, out, errs = scan(w.tree)
	if got := summary(t, errs); code != 0 || out != w.want || got != "files=5 hashed=0 resumed=5 matched_files=3 matches=4 errors=0" {
		t.Fatalf("third scan: exit %d, summary %q\n%s", code, got, out)
	}

	// Changed files are rescanned: blur.jpg only touched (same matches;
	// bridge.jpg after it in the same batch keeps its recorded ones), and
	// notes.txt rewritten so that it no longer matches.
	later := time.Now().Add(time.Minute)
	blur := filepath.Join(w.tree, "a/blur.jpg")
	if err := os.Chtimes(blur, later, later); err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(w.tree, "b/notes.txt")
	writeFile(t, notes, []byte("something else entirely\n"))
	code, out, errs = scan(w.tree)
	want := strings.Join(strings.Split(w.want, "\n")[:3], "\n") + "\n"
	if got := summary(t, errs); code != 0 || out != want || got != "files=5 hashed=2 resumed=3 matched_files=2 matches=3 errors=0" {
		t.Fatalf("after changes: exit %d, summary %q\n%s", code, got, out)
	}
	code, out, errs = scan(w.tree)
	if got := summary(t, errs); code != 0 || out != want || got != "files=5 hashed=0 resumed=5 matched_files=2 matches=3 errors=0" {
		t.Fatalf("after changes, again: exit %d, summary %q\n%s", code, got, out)
	}

	// A state file inside the tree is not scanned itself.
	inside := filepath.Join(w.tree, "b", "scan.state")
	for range 2 {
		code, _, errs = run(t, nil, "", "scan", "--db", w.db, "--org", w.startup, "--state", inside, w.tree)
		if m := summaryLine.FindStringSubmatch(errs); code != 0 || m == nil || m[1] != "5" {
			t.Fatalf("state inside the tree: exit %d\n%s", code, errs)
		}
	}

	// The same state with another threshold is refused.
	if code, _, errs := scan("--threshold", "10", w.tree); code != 2 || !strings.Contains(errs, "--threshold 31") {
		t.Fatalf("other threshold: exit %d %q", code, errs)
	}
}

// cancelWriter cancels a context at its first write: an interruption
// right after the first batch is printed.
type cancelWriter struct {
	syncBuf
	once   sync.Once
	cancel context.CancelFunc
}

func (c *cancelWriter) Write(p []byte) (int, error) {
	c.once.Do(c.cancel)
	return c.syncBuf.Write(p)
}

// TestScanInterrupted cancels a scan (as Ctrl-C does) after its first
// match request: exit 1, the state kept, and a resumed run prints what an
// uninterrupted one does.
func TestScanInterrupted(t *testing.T) {
	w := newScanWorld(t)
	state := filepath.Join(t.TempDir(), "scan.state")
	defer func(n int) { maxBatchQueries = n }(maxBatchQueries)
	maxBatchQueries = 3 // one image per batch
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &cancelWriter{cancel: cancel}
	var errb syncBuf
	m := &Main{Stdin: strings.NewReader(""), Stdout: out, Stderr: &errb, Getenv: func(string) string { return "" }}
	code := m.Run(ctx, []string{"scan", "--db", w.db, "--org", w.startup, "--state", state, w.tree})
	if code != 1 || !strings.Contains(errb.String(), "interrupted; finished files are recorded in "+state) {
		t.Fatalf("interrupted scan: exit %d\n%s", code, errb.String())
	}
	if !strings.HasPrefix(w.want, out.String()) || out.String() == "" {
		t.Fatalf("interrupted scan printed %q", out.String())
	}
	code, got, errs := run(t, nil, "", "scan", "--db", w.db, "--org", w.startup, "--state", state, w.tree)
	if code != 0 || got != w.want {
		t.Fatalf("resumed: exit %d\n%s\nwant:\n%s\n%s", code, got, w.want, errs)
	}
	if m := summaryLine.FindStringSubmatch(errs); m == nil || m[3] == "0" {
		t.Errorf("nothing resumed: %s", errs)
	}
}
