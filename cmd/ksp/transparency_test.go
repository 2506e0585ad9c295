package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/sqlite"
	"github.com/kspplatform/ksp/storetest"
)

// TestTransparencyCLI drives keygen, the signing key's mode check,
// checkpoints, `audit verify --checkpoint` against a witness copy, the
// published reports' pins, and `report transparency` in each format.
func TestTransparencyCLI(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "ksp.db")
	env := map[string]string{"KSP_DB": dbPath, "KSP_LOG_LEVEL": "error"}
	if code, _, errs := run(t, env, "", "migrate"); code != 0 {
		t.Fatalf("migrate: %s", errs)
	}
	keyPath := filepath.Join(dir, "signing.pem")
	code, out, errs := run(t, env, "", "keygen", "--out", keyPath)
	if code != 0 || !strings.HasPrefix(out, "public key ") {
		t.Fatalf("keygen: %d %q %q", code, out, errs)
	}
	if st, err := os.Stat(keyPath); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", st.Mode(), err)
	}
	if code, _, _ := run(t, env, "", "keygen", "--out", keyPath); code == 0 {
		t.Fatal("keygen overwrote a key")
	}
	// A key others may read is refused, by the checkpoint command and by serve.
	os.Chmod(keyPath, 0o644)
	if code, _, errs := run(t, env, "", "audit", "checkpoint", "--signing-key", keyPath); code != 2 || !strings.Contains(errs, "chmod 600") {
		t.Fatalf("world-readable key: %d %q", code, errs)
	}
	if code, _, errs := run(t, env, "", "serve", "--addr", "127.0.0.1:0", "--signing-key", keyPath); code != 2 || !strings.Contains(errs, "signing-key") {
		t.Fatalf("serve with a world-readable key: %d %q", code, errs)
	}
	os.Chmod(keyPath, 0o600)

	// Publish last year's (empty) report, then sign the head.
	ctx := context.Background()
	db, err := sqlite.Open(ctx, dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.PublishTransparencyReport(storetest.Staff(), "2025"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if code, out, errs := run(t, env, "", "audit", "checkpoint", "--signing-key", keyPath); code != 0 || !strings.HasPrefix(out, "checkpoint ") {
		t.Fatalf("checkpoint: %d %q %q", code, out, errs)
	}
	db, err = sqlite.Open(ctx, dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	cps, _, err := db.FindAuditCheckpoints(ctx, ksp.Page{})
	db.Close()
	if err != nil || len(cps) != 1 {
		t.Fatalf("checkpoints: %v %v", cps, err)
	}
	witness := filepath.Join(dir, "witness.json")
	js, _ := json.Marshal(map[string]any{"items": cps})
	os.WriteFile(witness, js, 0o644)
	code, out, errs = run(t, env, "", "audit", "verify", "--checkpoint", witness, "--trusted-key", cps[0].PublicKey)
	if code != 0 || !strings.HasPrefix(out, "ok ") || !strings.Contains(errs, "ok 1 published reports") || !strings.Contains(errs, "ok 1 checkpoints") {
		t.Fatalf("verify: %d %q %q", code, out, errs)
	}

	// A witness whose hash was edited fails on its signature.
	forged := *cps[0]
	forged.Hash = strings.Repeat("0", 64)
	js, _ = json.Marshal(forged)
	os.WriteFile(witness, js, 0o644)
	if code, out, _ := run(t, env, "", "audit", "verify", "--checkpoint", witness); code != 1 || !strings.Contains(out, "signature") {
		t.Fatalf("forged witness: %d %q", code, out)
	}
	// The published report's bytes edited: verify names it.
	sq, err := sqlite.Open(ctx, dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sq.SQL().Exec(`UPDATE transparency_reports SET body = body || ' '`); err != nil {
		t.Fatal(err)
	}
	sq.Close()
	if code, out, _ := run(t, env, "", "audit", "verify"); code != 1 || !strings.Contains(out, "published report 2025") {
		t.Fatalf("edited report: %d %q", code, out)
	}

	// Reports in each format; bad input named.
	for _, c := range []struct {
		format, want string
	}{{"json", `"period": {`}, {"csv", "figure,value,note\n"}, {"html", "<!doctype html>"}} {
		code, out, errs := run(t, env, "", "report", "transparency", "--from", "2025-01-01", "--to", "2025-12-31", "--format", c.format)
		if code != 0 || !strings.Contains(out, c.want) {
			t.Errorf("report --format %s: %d %q %q", c.format, code, out[:min(len(out), 200)], errs)
		}
	}
	for _, args := range [][]string{
		{"report", "transparency", "--from", "2025-02-30", "--to", "2025-12-31"},
		{"report", "transparency", "--from", "2025-01-01", "--to", "2025-12-31", "--format", "pdf"},
		{"report", "transparency", "--from", "2025-01-01", "--to", "2025-12-31", "--org", "no-such-org"},
		{"report", "transparency", "--from", "2025-01-02", "--to", "2025-12-31", "--public"},
		{"report", "other"},
	} {
		if code, _, _ := run(t, env, "", args...); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
}
