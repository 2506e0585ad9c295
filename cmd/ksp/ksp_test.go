package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/demo"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func run(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb syncBuf
	m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
	code := m.Run(context.Background(), args)
	return code, out.String(), errb.String()
}

var (
	keyLine   = regexp.MustCompile(`^demo api key: (ksp_[A-Za-z0-9]{40}) \((.+), (staff|admin)\)$`)
	loginLine = regexp.MustCompile(`^demo login: (\S+@\S+) (\S+)( totp:[A-Z2-7]+)? \((.+), (staff|admin|analyst|viewer)\)$`)
)

// startDemo runs `serve --demo` in-process and returns its stdout lines
// (those printed before listening) and the address.
func startDemo(t *testing.T, db string) ([]string, string, func()) {
	t.Helper()
	out, addr, stop := runServe(t, "serve", "--demo", "--db", db)
	return strings.Split(strings.TrimSpace(out.String()), "\n"), addr, stop
}

// runServe runs a serve command line in-process on a free loopback port
// and returns its stdout, its address, and a function that stops it.
func runServe(t *testing.T, args ...string) (*syncBuf, string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuf
	ready := make(chan string, 1)
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }, Listening: ready}
	done := make(chan int, 1)
	go func() {
		done <- m.Run(ctx, append(args, "--addr", "127.0.0.1:0", "--log-level", "warn"))
	}()
	select {
	case addr := <-ready:
		return &out, addr, func() {
			cancel()
			if code := <-done; code != 0 {
				t.Errorf("serve exited %d: %s", code, errb.String())
			}
		}
	case code := <-done:
		t.Fatalf("serve exited %d: %s", code, errb.String())
	case <-time.After(2 * time.Minute):
		t.Fatal("server did not start")
	}
	panic("unreachable")
}

func TestServeDemo(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ksp.db")
	lines, addr, stop := startDemo(t, db)
	var keys []string
	var orgs []string
	logins := 0
	for i, l := range lines {
		switch {
		case keyLine.MatchString(l):
			m := keyLine.FindStringSubmatch(l)
			keys = append(keys, m[1])
			orgs = append(orgs, m[2]+"/"+m[3])
			if logins > 0 {
				t.Errorf("line %d: key after a login line", i+1)
			}
		case loginLine.MatchString(l):
			logins++
		case strings.HasPrefix(l, "listening on "):
			if i != len(lines)-1 {
				t.Errorf("listening line is not last")
			}
		default:
			t.Errorf("unexpected stdout line %q", l)
		}
	}
	want := []string{"KSP Secretariat/staff", "Vidstream/admin", "Pixelboard/admin", "Ministry of the Interior (Demo)/admin", "KSP Secretariat/staff", "Threadly/admin"}
	if strings.Join(orgs, ",") != strings.Join(want, ",") {
		t.Fatalf("key order %v, want %v", orgs, want)
	}
	if logins < 8 {
		t.Fatalf("%d login lines", logins)
	}
	get := func(key, path string) (int, map[string]any) {
		req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		json.NewDecoder(res.Body).Decode(&m)
		return res.StatusCode, m
	}
	code, me := get(keys[1], "/api/v1/me")
	if code != 200 || me["org"].(map[string]any)["name"] != "Vidstream" {
		t.Fatalf("me: %d %v", code, me)
	}
	code, list := get(keys[0], "/api/v1/orgs")
	if code != 200 || len(list["items"].([]any)) != 7 {
		t.Fatalf("orgs: %d %v", code, list)
	}
	// With the shared folder, the 2024 UN list is loaded and members read it.
	wantEntity := 200
	if findShared() == "" {
		if os.Getenv("CI") == "true" {
			t.Error("no shared folder under CI=true: the demo UN list is not tested")
		}
		wantEntity = 404
	}
	// Demo alerts: in both directions, and one waiting with staff.
	alerts := func(key, box string) int {
		code, l := get(key, "/api/v1/alerts?box="+box)
		if code != 200 {
			t.Fatalf("alerts %s: %d %v", box, code, l)
		}
		return recentAlerts(l)
	}
	for _, c := range []struct {
		key, box string
		want     int
	}{{keys[1], "received", 2}, {keys[1], "sent", 2}, {keys[3], "sent", 2}, {keys[2], "received", 2}, {keys[5], "received", 1}, {keys[0], "unrouted", 1}} {
		if got := alerts(c.key, c.box); got != c.want {
			t.Errorf("demo alerts %s: %d, want %d", c.box, got, c.want)
		}
	}
	if code, e := get(keys[2], "/api/v1/entities/QDe.115"); code != wantEntity || (code == 200 && e["name"] != "AL-QAIDA IN IRAQ") {
		t.Errorf("demo entity QDe.115: %d %v, want %d", code, e, wantEntity)
	}
	// Incidents: staff see the closed exercise and the draft, members the
	// exercise only.
	for i, want := range map[int]int{0: 2, 1: 1} {
		if code, l := get(keys[i], "/api/v1/incidents"); code != 200 || len(l["items"].([]any)) != want {
			t.Errorf("demo incidents for key %d: %d %v, want %d", i, code, l, want)
		}
	}
	stop()

	// A second start revokes the previous keys and seeds nothing twice.
	lines2, addr2, stop2 := startDemo(t, db)
	addr = addr2
	if code, _ := get(keys[1], "/api/v1/me"); code != 401 {
		t.Fatalf("old demo key still works: %d", code)
	}
	newKey := keyLine.FindStringSubmatch(lines2[1])[1]
	if code, list := get(newKey, "/api/v1/orgs"); code != 200 || len(list["items"].([]any)) != 7 {
		t.Fatalf("after restart: %d %v", code, list)
	}
	if code, l := get(keyLine.FindStringSubmatch(lines2[0])[1], "/api/v1/incidents"); code != 200 || len(l["items"].([]any)) != 2 {
		t.Fatalf("incidents after restart: %d %v", code, l)
	}
	// The demo library, seeded once, and its public part open to anyone.
	demoLib, err := demo.LibraryResources()
	if err != nil {
		t.Fatal(err)
	}
	public := 0
	for _, r := range demoLib {
		if r.Distribution == ksp.DistPublic {
			public++
		}
	}
	if code, list := get(newKey, "/api/v1/resources?limit=1000"); code != 200 || len(list["items"].([]any)) != len(demoLib) {
		t.Errorf("demo library after restart: %d, %d resources, want %d", code, len(list["items"].([]any)), len(demoLib))
	}
	if code, list := get("", "/api/v1/resources?limit=1000"); code != 200 || len(list["items"].([]any)) != public {
		t.Errorf("public demo library: %d, %v, want %d resources", code, list, public)
	}
	if code, l := get(keyLine.FindStringSubmatch(lines2[3])[1], "/api/v1/alerts?box=sent"); code != 200 || recentAlerts(l) != 2 {
		t.Fatalf("demo alerts after restart: %d %v", code, l)
	}
	stop2()

	// The audit chain of all that verifies, and tampering is caught.
	code2, out, _ := run(t, nil, "", "audit", "verify", "--db", db)
	if code2 != 0 || !regexp.MustCompile(`^ok \d+ events head \d+:[0-9a-f]{64}\n$`).MatchString(out) {
		t.Fatalf("audit verify: %d %q", code2, out)
	}
	head := strings.TrimSpace(strings.TrimPrefix(out[strings.Index(out, "head "):], "head "))
	if code, _, _ := run(t, nil, "", "audit", "verify", "--db", db, "--expect-head", head); code != 0 {
		t.Fatalf("verify with own head: %d", code)
	}
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE audit_events SET actor = 'someone else' WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	code2, out, _ = run(t, nil, "", "audit", "verify", "--db", db)
	if code2 != 1 || !strings.Contains(out, "event seq 3") {
		t.Fatalf("tampered chain: %d %q", code2, out)
	}
}

func TestCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "ksp.db")
	env := map[string]string{"KSP_DB": db}
	for i := 0; i < 2; i++ {
		if code, out, errs := run(t, env, "", "migrate"); code != 0 || out != "migrations applied\n" {
			t.Fatalf("migrate #%d: %d %q %q", i, code, out, errs)
		}
	}
	if code, out, errs := run(t, env, "a very long staff password\n", "admin", "create-staff", "--email", "chief@ksp.example", "--password-stdin"); code != 0 || !strings.Contains(out, "created staff user chief@ksp.example") {
		t.Fatalf("create-staff: %d %q %q", code, out, errs)
	}
	if code, _, errs := run(t, env, "", "admin", "create-staff", "--email", "not-an-email"); code != 1 || !strings.Contains(errs, "email") {
		t.Fatalf("bad email: %d %q", code, errs)
	}
	if code, _, errs := run(t, env, "", "admin", "create-staff"); code != 2 || !strings.Contains(errs, "--email is required") {
		t.Fatalf("missing email: %d %q", code, errs)
	}
	backup := filepath.Join(dir, "copy.db")
	if code, out, errs := run(t, env, "", "backup", backup); code != 0 || !strings.Contains(out, "backup written") {
		t.Fatalf("backup: %d %q %q", code, out, errs)
	}
	if code, out, _ := run(t, nil, "", "audit", "verify", "--db", backup); code != 0 || !strings.HasPrefix(out, "ok ") {
		t.Fatalf("verify backup: %d %q", code, out)
	}
	if code, _, errs := run(t, env, "", "backup", backup); code != 1 || !strings.Contains(errs, "exists") {
		t.Fatalf("backup over existing: %d %q", code, errs)
	}
	if code, out, _ := run(t, nil, "", "serve", "--help"); code != 0 || !strings.Contains(out, "--demo") {
		t.Fatalf("serve --help: %d %q", code, out)
	}
	if code, _, errs := run(t, nil, "", "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Fatalf("unknown command: %d %q", code, errs)
	}
	if code, _, errs := run(t, nil, "", "serve", "--db", filepath.Join(dir, "nope", "x.db")); code != 1 || !strings.Contains(errs, "nope") {
		t.Fatalf("bad db dir: %d %q", code, errs)
	}
}

// recentAlerts counts the alerts of a list created in the last day: the
// demo's own, not the transparency demo's back-dated history.
func recentAlerts(l map[string]any) int {
	n := 0
	for _, it := range l["items"].([]any) {
		t, err := time.Parse(time.RFC3339Nano, it.(map[string]any)["created_at"].(string))
		if err == nil && time.Since(t) < 24*time.Hour {
			n++
		}
	}
	return n
}
