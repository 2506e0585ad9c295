package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kspplatform/ksp/internal/sqlstore"
	"github.com/kspplatform/ksp/postgres"
	"github.com/kspplatform/ksp/postgres/pgtest"
)

// TestMigrateDryRun lists pending migrations on both databases, fresh,
// part-migrated (as an older release left them) and up to date, and
// checks that listing applies nothing and creates no SQLite file.
func TestMigrateDryRun(t *testing.T) {
	dir := t.TempDir()
	pg := pgtest.Schema(t)
	partPG := func(t *testing.T) string {
		u := pgtest.Schema(t)
		sdb, err := sql.Open("pgx", u) // registered by pgx's stdlib, which migrate.go imports
		if err != nil {
			t.Fatal(err)
		}
		defer sdb.Close()
		if err := sqlstore.New(sdb, postgres.Dialect, nil, nil).MigrateTo(context.Background(), "016"); err != nil {
			t.Fatal(err)
		}
		return u
	}
	tests := []struct {
		name      string
		db        func(t *testing.T) string
		first     string // first pending migration ("": none)
		contains  []string
		excludes  []string
		migrateOK bool // migrate, then expect none pending
	}{
		{"SQLite file absent", func(*testing.T) string { return filepath.Join(dir, "absent.db") }, "001_core",
			[]string{"011_search.sqlite", "017_incidents"}, []string{"011_search.postgres", "024_replicas.postgres"}, false},
		{"SQLite up to date", func(t *testing.T) string {
			db := filepath.Join(dir, "ok.db")
			if code, _, errs := run(t, nil, "", "migrate", "--db", db); code != 0 {
				t.Fatalf("migrate: %s", errs)
			}
			return db
		}, "", nil, nil, false},
		{"PostgreSQL fresh", func(*testing.T) string { return pg }, "001_core",
			[]string{"011_search.postgres", "024_replicas.postgres"}, []string{"011_search.sqlite"}, true},
		{"PostgreSQL left by an older release", partPG, "017_incidents", []string{"024_replicas.postgres"}, []string{"016_alerts"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := tt.db(t)
			code, out, errs := run(t, nil, "", "migrate", "--dry-run", "--db", db)
			if code != 0 {
				t.Fatalf("dry run: %d %s", code, errs)
			}
			lines := strings.Fields(out)
			if first := ""; len(lines) > 0 {
				first = lines[0]
				if first != tt.first {
					t.Fatalf("first pending %q, want %q (%v)", first, tt.first, lines)
				}
			} else if tt.first != "" {
				t.Fatalf("nothing pending, want %q first", tt.first)
			}
			for _, c := range tt.contains {
				if !slices.Contains(lines, c) {
					t.Errorf("%s not listed: %v", c, lines)
				}
			}
			for _, c := range tt.excludes {
				if slices.Contains(lines, c) {
					t.Errorf("%s listed: %v", c, lines)
				}
			}
			if !strings.Contains(errs, "pending migrations (none applied") {
				t.Errorf("no summary on stderr: %q", errs)
			}
			if _, err := os.Stat(filepath.Join(dir, "absent.db")); err == nil {
				t.Fatal("the dry run created the SQLite file")
			}
			// Listing applied nothing: the same list again.
			if _, again, _ := run(t, nil, "", "migrate", "--dry-run", "--db", db); again != out {
				t.Fatalf("second dry run differs: %q then %q", out, again)
			}
			if !tt.migrateOK {
				return
			}
			if code, _, errs := run(t, nil, "", "migrate", "--db", db); code != 0 {
				t.Fatalf("migrate: %s", errs)
			}
			if _, out, _ := run(t, nil, "", "migrate", "--dry-run", "--json", "--db", db); out != "" {
				t.Fatalf("pending after migrate: %q", out)
			}
		})
	}
	if code, _, errs := run(t, nil, "", "migrate", "--dry-run", "--db", filepath.Join(dir, "no-such-dir", "ksp.db")); code != 1 || !strings.Contains(errs, "database directory") {
		t.Fatalf("missing directory: %d %q", code, errs)
	}
	if code, out, _ := run(t, nil, "", "migrate", "--dry-run", "--json", "--db", filepath.Join(dir, "absent.db")); code != 0 || !strings.HasPrefix(out, `{"pending":"001_core"}`+"\n") {
		t.Fatalf("json: %d %q", code, out)
	}
}
