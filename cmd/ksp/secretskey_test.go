package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/secret"
	"github.com/kspplatform/ksp/storetest"
)

// TestSecretsKey drives `keygen --secrets` and `serve --secrets-key`: the
// key file is private; a webhook secret stored before the key is sealed
// when the server starts with it; a server without the key refuses a
// database whose secrets are sealed; a key others may read is refused.
func TestSecretsKey(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "ksp.db")
	env := map[string]string{"KSP_DB": dbPath, "KSP_LOG_LEVEL": "error"}
	keyPath := filepath.Join(dir, "secrets.pem")
	if code, out, errs := run(t, env, "", "keygen", "--secrets", "--out", keyPath); code != 0 || !strings.Contains(out, "secrets key written to") {
		t.Fatalf("keygen --secrets: %d %q %q", code, out, errs)
	}
	if st, err := os.Stat(keyPath); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", st, err)
	}
	if code, _, _ := run(t, env, "", "keygen", "--secrets", "--out", keyPath); code == 0 {
		t.Fatal("keygen overwrote a key")
	}

	// A webhook registered while the server ran without the key.
	db, err := openStore(context.Background(), dbPath, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	f := storetest.NewFixture(t, db.(storetest.Store))
	hook, err := db.CreateWebhook(storetest.As(f.Platform, f.PlatAdmin), ksp.WebhookInput{URL: "https://hooks.example/ksp", Events: []string{ksp.EventAlertCreated}})
	if err != nil {
		t.Fatal(err)
	}
	stored := func() string {
		t.Helper()
		var s string
		if err := db.(storetest.Store).SQL().QueryRow(`SELECT secret FROM webhooks WHERE id = ?`, hook.ID).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if stored() != hook.Secret {
		t.Fatal("the secret was sealed without a key")
	}

	ready, stop := replicaStart(t, dbPath, "--secrets-key", keyPath)
	select {
	case <-ready:
	case <-time.After(2 * time.Minute):
		t.Fatal("serve --secrets-key did not start")
	}
	stop()
	if s := stored(); !secret.Sealed(s) || strings.Contains(s, hook.Secret[len(ksp.WebhookSecretPrefix):]) {
		t.Fatalf("after serve --secrets-key the secret is stored as %q", s)
	}
	box, err := loadSecretsKey(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := box.Open(stored(), hook.ID); err != nil || plain != hook.Secret {
		t.Fatalf("the sealed secret opens to %q, %v", plain, err)
	}
	db.Close()

	if code, _, errs := run(t, env, "", "serve", "--addr", "127.0.0.1:0"); code != 2 || !strings.Contains(errs, "sealed with a secrets key") {
		t.Fatalf("serve without the key on sealed secrets: %d %q", code, errs)
	}
	os.Chmod(keyPath, 0o644)
	if code, _, errs := run(t, env, "", "serve", "--addr", "127.0.0.1:0", "--secrets-key", keyPath); code != 2 || !strings.Contains(errs, "chmod 600") {
		t.Fatalf("serve with a world-readable key: %d %q", code, errs)
	}
	os.Chmod(keyPath, 0o600)
	other := filepath.Join(dir, "signing.pem")
	if code, _, errs := run(t, env, "", "keygen", "--out", other); code != 0 {
		t.Fatalf("keygen: %q", errs)
	}
	if code, _, errs := run(t, env, "", "serve", "--addr", "127.0.0.1:0", "--secrets-key", other); code != 2 || !strings.Contains(errs, "not a PEM KSP SECRETS KEY") {
		t.Fatalf("serve with a signing key as secrets key: %d %q", code, errs)
	}
}
