package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/kspplatform/ksp/internal/sqlstore"
	"github.com/kspplatform/ksp/postgres"
	"github.com/kspplatform/ksp/sqlite"
)

// migrateDryRun prints the migrations `ksp migrate` would apply to the
// database at dsn, one per line (or one JSON object per line), and applies
// none: the database is opened without migrating, and a SQLite file that
// does not exist is not created.
func (m *Main) migrateDryRun(ctx context.Context, dsn string, asJSON bool, log *slog.Logger) error {
	var db *sqlstore.DB
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return fmt.Errorf("postgres: parse URL: %w", err)
		}
		db = sqlstore.New(stdlib.OpenDB(*cfg), postgres.Dialect, log, nil)
	} else {
		if dir := filepath.Dir(dsn); dir != "." {
			if _, err := os.Stat(dir); err != nil {
				return fmt.Errorf("database directory %s: %w", dir, err)
			}
		}
		if _, err := os.Stat(dsn); errors.Is(err, fs.ErrNotExist) {
			// Nothing applied yet: list every migration against an
			// empty in-memory database of the same dialect.
			dsn = ":memory:"
		} else if err != nil {
			return fmt.Errorf("database %s: %w", dsn, err)
		}
		sdb, err := sql.Open("sqlite", "file:"+dsn+"?mode=ro")
		if err != nil {
			return fmt.Errorf("open %s: %w", dsn, err)
		}
		db = sqlstore.New(sdb, sqlite.Dialect, log, nil)
	}
	defer db.Close()
	pending, err := db.PendingMigrations(ctx)
	if err != nil {
		return err
	}
	for _, p := range pending {
		if asJSON {
			b, _ := json.Marshal(map[string]string{"pending": p})
			fmt.Fprintln(m.Stdout, string(b))
			continue
		}
		fmt.Fprintln(m.Stdout, p)
	}
	if !asJSON {
		fmt.Fprintf(m.Stderr, "%d pending migrations (none applied: --dry-run)\n", len(pending))
	}
	return nil
}
