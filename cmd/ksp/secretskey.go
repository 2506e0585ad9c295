package main

import (
	"context"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"log/slog"
	"os"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/secret"
)

// secretsKeyPEM is the PEM type of a secrets key file.
const secretsKeyPEM = "KSP SECRETS KEY"

// secretSealer is what serve needs of the store to keep webhook signing
// secrets sealed at rest.
type secretSealer interface {
	SetSecretBox(box *secret.Box)
	SealWebhookSecrets(ctx context.Context) (int, error)
	SealedWebhookSecrets(ctx context.Context) (int, error)
}

// writeSecretsKey writes a new random secrets key to path (mode 0600,
// never over an existing file).
func writeSecretsKey(path string) error {
	key := make([]byte, secret.BoxKeySize)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	return writeKeyFile(path, &pem.Block{Type: secretsKeyPEM, Bytes: key})
}

// writeKeyFile writes one PEM block to a new file readable by its owner
// only.
func writeKeyFile(path string, blk *pem.Block) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	if err := pem.Encode(f, blk); err != nil {
		f.Close()
		return fmt.Errorf("keygen: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	return nil
}

// readKeyFile reads the PEM block of type typ from a key file, which must
// be a regular file readable by its owner only: a key others can read is
// no secret.
func readKeyFile(path, what, typ string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s %s: mode %04o lets others read it; chmod 600 it", what, path, st.Mode().Perm())
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s %s: not a regular file", what, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != typ {
		return nil, fmt.Errorf("%s %s: not a PEM %s (make one with ksp keygen)", what, path, typ)
	}
	return blk.Bytes, nil
}

// loadSecretsKey reads a secrets key file (ksp keygen --secrets).
func loadSecretsKey(path string) (*secret.Box, error) {
	key, err := readKeyFile(path, "secrets key", secretsKeyPEM)
	if err != nil {
		return nil, err
	}
	box, err := secret.NewBox(key)
	if err != nil {
		return nil, fmt.Errorf("secrets key %s: %w", path, err)
	}
	return box, nil
}

// useSecretsKey seals webhook signing secrets with box from now on, and
// those still stored as issued at once. Without a box it refuses to serve
// a database whose secrets are sealed: its deliveries could not be signed.
func useSecretsKey(ctx context.Context, db any, box *secret.Box, log *slog.Logger) error {
	s, ok := db.(secretSealer)
	if !ok {
		if box != nil {
			return exitError{code: 2, msg: fmt.Sprintf("--secrets-key: the %T store cannot seal webhook secrets", db)}
		}
		return nil
	}
	if box == nil {
		n, err := s.SealedWebhookSecrets(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return exitError{code: 2, msg: fmt.Sprintf("%d webhook signing secrets are sealed with a secrets key: start with --secrets-key (the file replicas share; if it is lost, a new one from ksp keygen --secrets, after which each org rotates its webhook secrets)", n)}
		}
		return nil
	}
	s.SetSecretBox(box)
	n, err := s.SealWebhookSecrets(ksp.NewContext(ctx, ksp.SystemActor("system:secrets")))
	if err != nil {
		return err
	}
	if n > 0 {
		log.Info("sealed webhook signing secrets stored before the secrets key", "webhooks", n)
	}
	return nil
}
