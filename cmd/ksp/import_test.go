package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kspplatform/ksp/storetest"
)

// countSignals counts the signals stored in a SQLite file.
func countSignals(t *testing.T, path string) int {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM signals`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// fileIn writes content to name under dir and returns its path.
func fileIn(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	writeFile(t, p, []byte(content))
	return p
}

// TestImportRefusesUnparsable: a file that cannot be read to its end is
// refused before anything is stored, naming the line, however many good
// records come before the problem (more than a batch here).
func TestImportRefusesUnparsable(t *testing.T) {
	const good = 10001
	var csvRows, ndRows strings.Builder
	csvRows.WriteString("type,value,content_type,labels,basis_reason\n")
	for i := range good {
		fmt.Fprintf(&csvRows, "pdq,%s,photo,propaganda,x\n", storetest.PDQValue(i))
		fmt.Fprintf(&ndRows, `{"type":"pdq","value":"%s","content_type":"photo","labels":["propaganda"]}`+"\n", storetest.PDQValue(i))
	}
	for _, tc := range []struct {
		name, file, content, want string
	}{
		{"an unclosed quote on the last CSV line", "s.csv", csvRows.String() + "pdq,x,photo,propaganda,\"never closed\n",
			fmt.Sprintf("line %d: a quoted field is not closed", good+2)},
		{"a bare quote in a CSV field", "s.csv", csvRows.String() + "pdq,a\"b,photo,propaganda,x\n" + "pdq,aa,photo,propaganda,x\n",
			fmt.Sprintf("line %d: ", good+2)},
		{"an NDJSON line over 1 MiB", "s.ndjson", ndRows.String() + `{"basis_reason":"` + strings.Repeat("x", 1<<20) + `"}` + "\n" + ndRows.String()[:200] + "\n",
			fmt.Sprintf("line %d: longer than 1 MiB", good+1)},
		{"malformed JSON on the last line", "s.ndjson", ndRows.String() + `{"type":"pdq",`, fmt.Sprintf("line %d: malformed JSON", good+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "ksp.db")
			file := fileIn(t, dir, tc.file, tc.content)
			env := map[string]string{"KSP_DB": db}
			if code, _, errs := run(t, env, "", "migrate"); code != 0 {
				t.Fatal(errs)
			}
			code, out, errs := run(t, env, "", "import", "signals", file)
			if code != 1 || out != "" || !strings.Contains(errs, tc.want) || !strings.Contains(errs, "nothing was imported") {
				t.Fatalf("import: %d %q %q, want %q", code, out, errs, tc.want)
			}
			if n := countSignals(t, db); n != 0 {
				t.Fatalf("%d signals stored from a refused file", n)
			}
		})
	}
}

// TestImportRules: the rules of a bulk import that Submit does not have.
// Widening is refused per record, rejected= counts records, absent columns
// keep the stored values while empty ones do not, and own=false rows are
// never stored.
func TestImportRules(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "ksp.db")
	f := seedBank(t, db)
	env := map[string]string{"KSP_DB": db}
	as := []string{"--org", f.Platform.Slug}
	v := func(n int) string { return storetest.PDQValue(1000 + n) }
	imp := func(name, content string) (int, string, string) {
		t.Helper()
		return run(t, env, "", append(append([]string{"import", "signals"}, as...), fileIn(t, dir, name, content))...)
	}
	full := "type,value,quality,content_type,labels,basis,basis_reason,severity,flags,distribution,audience,tlp,policy_version\n"
	code, out, errs := imp("first.csv", full+
		fmt.Sprintf("pdq,%s,80,photo,propaganda,other,first reason,high,graphic,owner,,GREEN,2025-01\n", v(1))+
		fmt.Sprintf("pdq,%s,80,photo,propaganda,other,r,high,,audience,%s,AMBER,2025-01\n", v(2), f.Startup.ID)+
		fmt.Sprintf("pdq,%s,80,photo,propaganda,other,r,high,,members,,AMBER,2025-01\n", v(3))+
		fmt.Sprintf("pdq,%s,80,photo,propaganda,other,r,high,,owner,,RED,2025-01\n", v(4))+
		fmt.Sprintf("pdq,%s,80,photo,propaganda,other,r,high,,members,,GREEN,2025-01\n", v(5)))
	if code != 0 || out != "created=5 merged=0 unchanged=0 rejected=0\n" {
		t.Fatalf("first import: %d %q %q", code, out, errs)
	}
	// Widening: four records refused (one for two reasons), one record with
	// three bad fields, one narrowed.
	code, out, errs = imp("wider.csv", full+
		fmt.Sprintf("pdq,%s,80,photo,propaganda,other,first reason,high,graphic,members,,GREEN,2025-01\n", v(1))+
		fmt.Sprintf("pdq,%s,80,photo,propaganda,other,r,high,,audience,%s|%s,AMBER,2025-01\n", v(2), f.Startup.ID, f.Gov.ID)+
		fmt.Sprintf("pdq,%s,80,photo,propaganda,other,r,high,,members,,GREEN,2025-01\n", v(3))+
		fmt.Sprintf("pdq,%s,80,photo,propaganda,other,r,high,,members,,GREEN,2025-01\n", v(4))+
		fmt.Sprintf("pdq,%s,80,photo,nonsense,other,r,extreme,,everyone,,GREEN,2025-01\n", v(6))+
		fmt.Sprintf("pdq,%s,80,photo,propaganda,other,r,high,,owner,,AMBER,2025-01\n", v(5)))
	for _, want := range []string{
		"line 2: distribution: members is wider than the stored owner",
		"line 3: audience: organisation " + f.Gov.ID + " is not in the stored audience",
		"line 4: tlp: GREEN is less restrictive than the stored AMBER",
		"line 5: distribution: members is wider than the stored owner", "line 5: tlp: GREEN is less restrictive than the stored RED",
		"line 6: labels:", "line 6: severity:", "line 6: distribution:",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if code != 1 || out != "created=0 merged=1 unchanged=0 rejected=5\n" || strings.Count(errs, "\n") != 8 {
		t.Fatalf("widening: %d %q\n%s", code, out, errs)
	}
	// Absent columns keep what is stored; a narrower TLP is taken.
	code, out, errs = imp("few.csv", "type,value,content_type,labels,tlp\n"+fmt.Sprintf("pdq,%s,photo,propaganda,AMBER\n", v(1)))
	if code != 0 || out != "created=0 merged=1 unchanged=0 rejected=0\n" {
		t.Fatalf("absent columns: %d %q %q", code, out, errs)
	}
	own := ownRow(t, env, as, v(1))
	if own["basis_reason"] != "first reason" || own["severity"] != "high" || own["flags"] != "graphic" || own["quality"] != "80" ||
		own["distribution"] != "owner" || own["tlp"] != "AMBER" || own["policy_version"] != "2025-01" {
		t.Fatalf("after a file without those columns: %v", own)
	}
	if code, out, _ = imp("few.ndjson", fmt.Sprintf(`{"type":"pdq","value":"%s","content_type":"photo","labels":["propaganda"],"tlp":"AMBER"}`, v(1))); code != 0 || out != "created=0 merged=0 unchanged=1 rejected=0\n" {
		t.Fatalf("the same without those keys: %d %q", code, out)
	}
	// Empty is not absent: an empty severity takes the default.
	if code, out, _ = imp("empty.csv", "type,value,content_type,labels,tlp,severity,flags\n"+fmt.Sprintf("pdq,%s,photo,propaganda,AMBER,,\n", v(1))); code != 0 || out != "created=0 merged=1 unchanged=0 rejected=0\n" {
		t.Fatalf("empty columns: %d %q", code, out)
	}
	if own := ownRow(t, env, as, v(1)); own["severity"] != "medium" || own["flags"] != "" || own["basis_reason"] != "first reason" {
		t.Fatalf("after empty columns: %v", own)
	}
	// own=false rows are counted unchanged and never stored.
	before := countSignals(t, db)
	code, out, _ = imp("foreign.csv", "own,type,value,content_type,labels,basis\n"+fmt.Sprintf("false,pdq,%s,photo,propaganda,\nfalse,url,https://x.example/…,url,propaganda,\ntrue,pdq,%s,photo,propaganda,branded_publication\n", v(7), v(8)))
	if code != 0 || out != "created=1 merged=0 unchanged=2 rejected=0\n" || countSignals(t, db) != before+1 {
		t.Fatalf("own=false rows: %d %q, %d signals after %d", code, out, countSignals(t, db), before)
	}
	// A redacted value is never importable.
	code, out, errs = imp("redacted.csv", "type,value,content_type,labels,value_redacted\nurl,https://x.example/…,url,propaganda,\nurl,https://x.example/a,url,propaganda,true\n")
	if code != 1 || out != "created=0 merged=0 unchanged=0 rejected=2\n" || strings.Count(errs, "value: redacted") != 2 {
		t.Fatalf("redacted values: %d %q %q", code, out, errs)
	}
}

// ownRow exports as the org and returns the row of value, which must be
// the org's own.
func ownRow(t *testing.T, env map[string]string, as []string, value string) map[string]string {
	t.Helper()
	code, out, errs := run(t, env, "", append([]string{"export", "signals", "--format", "csv"}, as...)...)
	if code != 0 {
		t.Fatalf("export: %d %s", code, errs)
	}
	for _, r := range exported(t, "csv", out) {
		if r["value"] == value {
			if r["own"] != "true" {
				t.Fatalf("row of %s is not own: %v", value, r)
			}
			return r
		}
	}
	t.Fatalf("%s not exported", value)
	return nil
}

// TestOrgsCommand: ksp orgs lists every organisation, as text or JSON,
// and --org takes what it shows.
func TestOrgsCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "ksp.db")
	f := seedBank(t, db)
	env := map[string]string{"KSP_DB": db}
	code, out, errs := run(t, env, "", "orgs")
	if code != 0 {
		t.Fatalf("orgs: %d %s", code, errs)
	}
	line := regexp.MustCompile(`^[0-9a-f-]{36}\t[a-z0-9-]+\t(platform/(large|startup)|government|staff)\t(member|suspended)\t.+$`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.Contains(out, f.Startup.ID+"\ttiny-startup\tplatform/startup\tmember\tTiny Startup\n") {
		t.Fatalf("orgs:\n%s", out)
	}
	for _, l := range lines {
		if !line.MatchString(l) {
			t.Errorf("line %q", l)
		}
	}
	code, out, _ = run(t, env, "", "orgs", "--json")
	var ids []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var o struct{ ID, Slug, Name, Kind, Status string }
		if err := json.Unmarshal([]byte(l), &o); err != nil || o.Slug == "" || o.Kind == "" || o.Status == "" {
			t.Fatalf("orgs --json line %q: %v", l, err)
		}
		ids = append(ids, o.ID)
	}
	if code != 0 || len(ids) != 4 {
		t.Fatalf("orgs --json: %d %v", code, ids)
	}
	for _, ref := range []string{f.Gov.ID, f.Gov.Slug, f.Gov.Name, "interior ministry"} {
		if code, _, errs := run(t, env, "", "export", "signals", "--org", ref); code != 0 {
			t.Errorf("--org %q: %d %s", ref, code, errs)
		}
	}
	for _, ref := range []string{"00000000-0000-7000-8000-0000000000ff", "nobody", "interior"} {
		if code, _, errs := run(t, env, "", "export", "signals", "--org", ref); code != 2 || !strings.Contains(errs, "no such organisation") {
			t.Errorf("--org %q: %d %s", ref, code, errs)
		}
	}
	if code, _, _ := run(t, env, "", "orgs", "extra"); code != 2 {
		t.Errorf("orgs with an argument: %d", code)
	}
}
