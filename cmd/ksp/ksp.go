package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/filehash"
	"github.com/kspplatform/ksp/internal/sqlstore"
	"github.com/kspplatform/ksp/postgres"
	"github.com/kspplatform/ksp/sqlite"
)

// Main is the program, with its environment made explicit so that tests can
// run it in-process.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Listening, if set, receives the server's address once it accepts
	// connections (tests use it).
	Listening chan<- string
}

// NewMain returns a Main wired to the process's real environment.
func NewMain() *Main {
	return &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

const usage = `ksp — knowledge-sharing platform against terrorist use of the internet

Usage: ksp COMMAND [flags] [arguments]

Commands:
  serve                 run the server (--demo seeds demo data)
  migrate               apply database migrations and exit
  admin create-staff    create a staff account
  hash                  hash files: PDQ for images, MD5 and SHA-256 for all
  scan PATH...          hash every file under the paths and match them against the hash bank
  orgs                  list the organisations (id, slug, kind, status, name)
  import signals FILE   bulk-load signals from CSV or NDJSON
  import unsc FILE      update the designated entities from a UN consolidated list XML
  export signals        write what an organisation may export, as CSV or NDJSON
  audit verify          verify the tamper-evident audit chain (--checkpoint FILE: against signed witness copies)
  audit checkpoint      sign the audit chain's head now (--signing-key FILE)
  report transparency   a transparency report for a period, as html, json or csv
  keygen                make the Ed25519 key that signs audit checkpoints
  backup FILE           consistent online copy of a SQLite database

Common flags: --db (env KSP_DB, default ksp.db; postgres://… selects PostgreSQL), --log-level.
Run "ksp COMMAND --help" for a command's flags.
`

// Run runs one command and returns the exit status.
func (m *Main) Run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(m.Stdout, usage)
		return 0
	case "hash":
		return filehash.Command(ctx, rest, m.Stdout, m.Stderr)
	case "scan":
		err = m.scan(ctx, rest)
	case "serve":
		err = m.serve(ctx, rest)
	case "migrate":
		err = m.migrate(ctx, rest)
	case "admin":
		if len(rest) == 0 || rest[0] != "create-staff" {
			fmt.Fprintln(m.Stderr, "usage: ksp admin create-staff --email E [--name N] [--password-stdin]")
			return 2
		}
		err = m.createStaff(ctx, rest[1:])
	case "audit":
		if len(rest) > 0 && rest[0] == "checkpoint" {
			err = m.auditCheckpoint(ctx, rest[1:])
			break
		}
		if len(rest) == 0 || rest[0] != "verify" {
			fmt.Fprintln(m.Stderr, "usage: ksp audit verify [--expect-head SEQ:HASH] [--checkpoint FILE [--trusted-key KEY]]\n       ksp audit checkpoint --signing-key FILE")
			return 2
		}
		err = m.auditVerify(ctx, rest[1:])
	case "report":
		err = m.reportCmd(ctx, rest)
	case "keygen":
		err = m.keygen(ctx, rest)
	case "backup":
		err = m.backup(ctx, rest)
	case "import":
		err = m.importCmd(ctx, rest)
	case "export":
		err = m.exportCmd(ctx, rest)
	case "orgs":
		err = m.orgsCmd(ctx, rest)
	default:
		fmt.Fprintf(m.Stderr, "ksp: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ee):
		if ee.msg != "" {
			fmt.Fprintln(m.Stderr, "ksp "+cmd+": "+ee.msg)
		}
		return ee.code
	}
	fmt.Fprintf(m.Stderr, "ksp %s: %v\n", cmd, err)
	return 1
}

// exitError carries a specific exit status.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

// common holds the flags every database command shares.
type common struct {
	db       string
	logLevel string
}

func (m *Main) flags(name, synopsis string, c *common) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	def := m.Getenv("KSP_DB")
	if def == "" {
		def = "ksp.db"
	}
	fs.StringVar(&c.db, "db", def, "database: a SQLite file path, or postgres://… (env KSP_DB)")
	lvl := m.Getenv("KSP_LOG_LEVEL")
	if lvl == "" {
		lvl = "info"
	}
	fs.StringVar(&c.logLevel, "log-level", lvl, "debug, info, warn or error (env KSP_LOG_LEVEL)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: ksp %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags; --help prints usage to stdout and ends the command.
func (m *Main) parse(fs *flag.FlagSet, args []string) error {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "--help" || a == "-help" {
			fs.SetOutput(m.Stdout)
			fs.Usage()
			return flag.ErrHelp
		}
	}
	if err := fs.Parse(args); err != nil {
		return exitError{code: 2}
	}
	return nil
}

func (m *Main) logger(c *common) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, exitError{code: 2, msg: fmt.Sprintf("--log-level %q: want debug, info, warn or error", c.logLevel)}
	}
	return slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: lvl})), nil
}

// openStore opens the database named by --db through its migrations. It
// returns the adapter's own type (*postgres.DB, *sqlstore.DB for SQLite),
// so that methods an adapter overrides, such as PostgreSQL's COPY bulk
// load, are the ones commands call.
func openStore(ctx context.Context, dsn string, log *slog.Logger) (ksp.Store, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		db, err := postgres.Open(ctx, dsn, log)
		if err != nil {
			return nil, err
		}
		return db, nil
	}
	if dir := filepath.Dir(dsn); dir != "." {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("database directory %s: %w", dir, err)
		}
	}
	return sqlite.Open(ctx, dsn, log)
}

// cliActor acts for the person at the terminal: staff powers, audited as
// cli:<os user>.
func cliActor() *ksp.Actor {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return ksp.SystemActor("cli:" + name)
}

func (m *Main) migrate(ctx context.Context, args []string) error {
	var c common
	fs := m.flags("migrate", "migrate [--db DB] [--dry-run] [--json]", &c)
	dryRun := fs.Bool("dry-run", false, "list the migrations that would be applied, one per line, and apply none")
	asJSON := fs.Bool("json", false, "with --dry-run: one JSON object per line")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if *dryRun {
		log, err := m.logger(&c)
		if err != nil {
			return err
		}
		return m.migrateDryRun(ctx, c.db, *asJSON, log)
	}
	db, err := m.open(ctx, &c)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintln(m.Stdout, "migrations applied")
	return nil
}

func (m *Main) createStaff(ctx context.Context, args []string) error {
	var c common
	fs := m.flags("admin create-staff", "admin create-staff --email E [--name N] [--password-stdin]", &c)
	email := fs.String("email", "", "the staff member's email (required)")
	name := fs.String("name", "", "display name")
	stdin := fs.Bool("password-stdin", false, "read the password from standard input (otherwise one is generated and printed)")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if *email == "" {
		return exitError{code: 2, msg: "--email is required"}
	}
	password := ""
	if *stdin {
		b, err := io.ReadAll(io.LimitReader(m.Stdin, 4096))
		if err != nil {
			return fmt.Errorf("read password: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	} else {
		password = "ksp-" + ksp.RandomToken(12)
	}
	db, err := m.open(ctx, &c)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := db.CreateStaffUser(ksp.NewContext(ctx, cliActor()), *email, *name, password)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(m.Stdout, "created staff user %s (%s)\n", u.Email, u.ID)
	if !*stdin {
		fmt.Fprintf(m.Stdout, "password: %s\n", password)
	}
	return nil
}

// describe turns a ksp.Error into a message naming its fields.
func describe(err error) error {
	var ke *ksp.Error
	if errors.As(err, &ke) && len(ke.Fields) > 0 {
		parts := make([]string, len(ke.Fields))
		for i, f := range ke.Fields {
			parts[i] = f.Field + ": " + f.Reason
		}
		return exitError{code: 1, msg: strings.Join(parts, "; ")}
	}
	return err
}

func (m *Main) auditVerify(ctx context.Context, args []string) error {
	var c common
	fs := m.flags("audit verify", "audit verify [--expect-head SEQ:HASH]", &c)
	expect := fs.String("expect-head", "", "a head printed by an earlier verify; proves the chain still reaches it (catches truncation)")
	witness := fs.String("checkpoint", "", "a witness copy of signed checkpoints (one, a JSON array, or GET /api/v1/audit/checkpoints saved)")
	trustedKey := fs.String("trusted-key", "", "with --checkpoint: the programme's public key (base64); other signers are refused")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	db, err := m.open(ctx, &c)
	if err != nil {
		return err
	}
	defer db.Close()
	n, head, err := ksp.VerifyChain(ctx, db, *expect)
	if err != nil {
		fmt.Fprintf(m.Stdout, "FAIL %s\n", err)
		return exitError{code: 1, msg: err.Error()}
	}
	fmt.Fprintf(m.Stdout, "ok %d events head %s\n", n, head)
	if err := m.verifyPublished(ctx, db); err != nil {
		return err
	}
	if *witness != "" {
		return m.verifyWitness(ctx, db, *witness, *trustedKey)
	}
	return nil
}

func (m *Main) backup(ctx context.Context, args []string) error {
	var c common
	fs := m.flags("backup", "backup [--db FILE] DEST", &c)
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return exitError{code: 2, msg: "name exactly one destination file"}
	}
	if strings.HasPrefix(c.db, "postgres") {
		return exitError{code: 2, msg: "backup copies SQLite databases; for PostgreSQL use pg_dump"}
	}
	dest := fs.Arg(0)
	if _, err := os.Stat(dest); err == nil {
		return exitError{code: 1, msg: dest + " exists; refusing to overwrite"}
	}
	db, err := m.open(ctx, &c)
	if err != nil {
		return err
	}
	defer db.Close()
	sdb, ok := db.(*sqlstore.DB)
	if !ok {
		return exitError{code: 2, msg: "backup copies SQLite databases; for PostgreSQL use pg_dump"}
	}
	if err := sqlite.Backup(ctx, sdb, dest); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "backup written to %s\n", dest)
	return nil
}

// open makes the logger of --log-level and opens --db through its
// migrations.
func (m *Main) open(ctx context.Context, c *common) (ksp.Store, error) {
	log, err := m.logger(c)
	if err != nil {
		return nil, err
	}
	return openStore(ctx, c.db, log)
}
