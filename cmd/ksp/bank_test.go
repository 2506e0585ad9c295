package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kspplatform/ksp/storetest"
)

func TestImportExportSignals(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "ksp.db")
	env := map[string]string{"KSP_DB": db}
	var csv strings.Builder
	csv.WriteString("type,value,quality,content_type,labels,basis,severity,flags,distribution,tlp,basis_reason\n")
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&csv, "pdq,%s,90,photo,propaganda|recruitment,other,high,graphic,members,GREEN,\"seen on, our platform\"\n", storetest.PDQValue(i))
	}
	csv.WriteString("pdq,nothex,90,photo,propaganda,other,high,,members,GREEN,x\n")                   // line 32
	csv.WriteString("md5,0123456789abcdef0123456789abcdef,,photo,,other,,,members,GREEN,x\n")         // line 33: no label
	fmt.Fprintf(&csv, "pdq,%s,20,photo,propaganda,other,,,members,GREEN,x\n", storetest.PDQValue(99)) // line 34: low quality
	fmt.Fprintf(&csv, "pdq,%s,,photo,propaganda,other,,,owner,RED,private\n", storetest.PDQValue(100))
	fmt.Fprintf(&csv, "url,https://Example.COM/a/../b?utm_source=x#f,,url,propaganda,other,,,members,AMBER+STRICT,x\n")
	file := filepath.Join(dir, "signals.csv")
	if err := os.WriteFile(file, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, env, "", "import", "signals", file)
	if code != 1 || out != "created=32 merged=0 unchanged=0 rejected=3\n" {
		t.Fatalf("import: %d %q %q", code, out, errs)
	}
	for _, want := range []string{"line 32: value:", "line 33: labels:", "line 34: quality:"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	code, out, _ = run(t, env, "", "import", "signals", file)
	if code != 1 || out != "created=0 merged=0 unchanged=32 rejected=3\n" {
		t.Fatalf("re-import: %d %q", code, out)
	}
	// A bad header is refused before anything is written.
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("type,value,colour\n"), 0o600)
	if code, _, errs := run(t, env, "", "import", "signals", bad); code != 1 || !strings.Contains(errs, `line 1: unknown column "colour"`) {
		t.Fatalf("bad header: %d %q", code, errs)
	}
	// Export: what may leave. RED and AMBER+STRICT never do.
	code, out, errs = run(t, env, "", "export", "signals", "--format", "ndjson")
	if code != 0 {
		t.Fatalf("export: %d %q", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 30 {
		t.Fatalf("exported %d records, want 30:\n%s", len(lines), out)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil || rec["tlp"] != "GREEN" || rec["type"] != "pdq" {
		t.Fatalf("record %s: %v", lines[0], err)
	}
	code, out, _ = run(t, env, "", "export", "signals", "--format", "csv", "--since", "2999-01-01")
	if code != 0 || strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "signal_id,own,type,value") {
		t.Fatalf("export since the future: %d %q", code, out)
	}
	// An export imports again, unchanged: it carries the exporting org's
	// own submissions exactly.
	code, out, _ = run(t, env, "", "export", "signals", "--format", "csv")
	exp := filepath.Join(dir, "export.csv")
	os.WriteFile(exp, []byte(out), 0o600)
	if code, out, errs := run(t, env, "", "import", "signals", exp); code != 0 || out != "created=0 merged=0 unchanged=30 rejected=0\n" {
		t.Fatalf("re-import of export: %d %q %q", code, out, errs)
	}
	if code, _, errs := run(t, env, "", "import", "signals", "--org", "00000000-0000-7000-8000-0000000000ff", file); code != 2 || !strings.Contains(errs, "no such organisation") {
		t.Fatalf("unknown org: %d %q", code, errs)
	}
}
