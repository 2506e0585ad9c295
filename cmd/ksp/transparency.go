package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/jobs"
	"github.com/kspplatform/ksp/report"
)

// reportCmd runs `ksp report transparency`.
func (m *Main) reportCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "transparency" {
		return exitError{code: 2, msg: "usage: ksp report transparency --from D --to D [--org ORG] [--public] --format html|json|csv"}
	}
	var c common
	fset := m.flags("report transparency", "report transparency --from D --to D [--org ORG] [--public] --format html|json|csv", &c)
	from := fset.String("from", "", "first day, YYYY-MM-DD (UTC)")
	to := fset.String("to", "", "last day, YYYY-MM-DD (UTC, included)")
	org := fset.String("org", "", "an organisation's own report (id, slug or name); default: platform-wide")
	public := fset.Bool("public", false, "the figures as the public sees them (calendar years and quarters only; small cells suppressed)")
	format := fset.String("format", "json", "html, json or csv")
	if err := m.parse(fset, args[1:]); err != nil {
		return err
	}
	if *format != "html" && *format != "json" && *format != "csv" {
		return exitError{code: 2, msg: "--format: html, json or csv"}
	}
	p, err := ksp.ParsePeriodDays(*from, *to)
	if err != nil {
		return exitError{code: 2, msg: "--from/--to: " + ksp.ErrorMessage(err) + fieldsOf(err)}
	}
	db, err := m.open(ctx, &c)
	if err != nil {
		return err
	}
	defer db.Close()
	actx := ksp.NewContext(ctx, cliActor())
	q := ksp.TransparencyQuery{Period: p, Public: *public}
	orgName := ""
	if *org != "" {
		o, err := findOrg(actx, db, *org)
		if err != nil {
			return err
		}
		q.OrgID, orgName = o.ID, o.Name
	}
	r, err := db.TransparencyReport(actx, q)
	if err != nil {
		return err
	}
	switch *format {
	case "html":
		return report.HTML(m.Stdout, r, orgName, "")
	case "csv":
		return report.CSV(m.Stdout, r)
	}
	b, err := ksp.MarshalReport(r)
	if err != nil {
		return err
	}
	_, err = m.Stdout.Write(b)
	return err
}

func fieldsOf(err error) string {
	var e *ksp.Error
	if !errors.As(err, &e) {
		return ""
	}
	s := ""
	for _, f := range e.Fields {
		s += fmt.Sprintf(" (%s: %s)", f.Field, f.Reason)
	}
	return s
}

// keygen runs `ksp keygen`: a new Ed25519 signing key for the audit
// checkpoints (its public key goes to stdout), or with --secrets a key that
// seals webhook signing secrets at rest; written mode 0600.
func (m *Main) keygen(_ context.Context, args []string) error {
	var c common
	fset := m.flags("keygen", "keygen [--secrets] --out FILE", &c)
	out := fset.String("out", "", "where to write the private key (PEM, mode 0600); refuses to overwrite")
	secrets := fset.Bool("secrets", false, "make a key for serve --secrets-key (seals webhook signing secrets) instead of a checkpoint signing key")
	if err := m.parse(fset, args); err != nil {
		return err
	}
	if *out == "" {
		return exitError{code: 2, msg: "--out FILE is required"}
	}
	if *secrets {
		if err := writeSecretsKey(*out); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "secrets key written to %s: give it to every replica with --secrets-key, and keep a copy apart from the database backups\n", *out)
		return nil
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	if err := writeKeyFile(*out, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		return err
	}
	pub := base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey))
	fmt.Fprintf(m.Stdout, "public key %s fingerprint %s\n", pub, ksp.KeyFingerprint(pub))
	return nil
}

// loadSigningKey reads the checkpoint signing key. The file must be
// readable by its owner only: a key others can read could sign a
// rewritten history.
func loadSigningKey(path string) (ed25519.PrivateKey, error) {
	der, err := readKeyFile(path, "signing key", "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key %s: not an Ed25519 key", path)
	}
	return priv, nil
}

// verifyWitness checks a witness file of checkpoints and the published
// reports' pins; it is the extra work of `ksp audit verify --checkpoint`.
func (m *Main) verifyWitness(ctx context.Context, db ksp.Store, file, trusted string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return exitError{code: 2, msg: fmt.Sprintf("--checkpoint: %v", err)}
	}
	cps, err := ksp.ParseCheckpoints(b)
	if err != nil {
		return exitError{code: 2, msg: err.Error()}
	}
	if _, _, err := ksp.VerifyWitness(ctx, db, cps, trusted); err != nil {
		fmt.Fprintf(m.Stdout, "FAIL %s\n", err)
		return exitError{code: 1, msg: err.Error()}
	}
	fmt.Fprintf(m.Stderr, "ok %d checkpoints signed by %s\n", len(cps), ksp.KeyFingerprint(cps[0].PublicKey))
	return nil
}

// verifyPublished checks every published report against its pin. Success
// goes to stderr: stdout keeps the one line API.md fixes.
func (m *Main) verifyPublished(ctx context.Context, db ksp.Store) error {
	n, err := ksp.VerifyPublished(ksp.NewContext(ctx, cliActor()), db, db)
	if err != nil {
		fmt.Fprintf(m.Stdout, "FAIL %s\n", err)
		return exitError{code: 1, msg: err.Error()}
	}
	if n > 0 {
		fmt.Fprintf(m.Stderr, "ok %d published reports match their pins\n", n)
	}
	return nil
}

// auditCheckpoint runs `ksp audit checkpoint`: sign today's head now.
func (m *Main) auditCheckpoint(ctx context.Context, args []string) error {
	var c common
	fset := m.flags("audit checkpoint", "audit checkpoint --signing-key FILE", &c)
	keyFile := fset.String("signing-key", m.Getenv("KSP_SIGNING_KEY"), "Ed25519 key from ksp keygen (mode 0600; env KSP_SIGNING_KEY)")
	if err := m.parse(fset, args); err != nil {
		return err
	}
	key, err := loadSigningKey(*keyFile)
	if err != nil {
		return exitError{code: 2, msg: err.Error()}
	}
	db, err := m.open(ctx, &c)
	if err != nil {
		return err
	}
	defer db.Close()
	cp, _, err := db.CheckpointAudit(ksp.NewContext(ctx, cliActor()), key)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "checkpoint %s seq %d hash %s\n", cp.Day, cp.Seq, cp.Hash)
	return nil
}

// checkpointAudit signs the audit chain's head once now and then every
// interval until ctx ends. A checkpoint is made once a day whichever
// replica comes first; the others find it made. It runs as a periodic
// job, once across the replicas of one database (internal/jobs).
func checkpointAudit(ctx context.Context, s ksp.CheckpointService, key ed25519.PrivateKey, every time.Duration, log *slog.Logger) {
	jobs.New(s, log).Run(ctx, "audit.checkpoint", every, func(ctx context.Context) error {
		sys := ksp.NewContext(ctx, ksp.SystemActor("system:checkpoint"))
		cp, created, err := s.CheckpointAudit(sys, key)
		if created {
			log.Info("signed audit checkpoint", "day", cp.Day, "seq", cp.Seq)
		}
		return err
	})
}
