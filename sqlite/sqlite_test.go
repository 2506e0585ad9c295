package sqlite_test

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/sqlstore"
	"github.com/kspplatform/ksp/sqlite"
	"github.com/kspplatform/ksp/storetest"
)

func open(t testing.TB) *sqlstore.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ksp.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return open(t) })
}

func TestBackup(t *testing.T) {
	db := open(t)
	storetest.NewFixture(t, db)
	dst := filepath.Join(t.TempDir(), "copy.db")
	if err := sqlite.Backup(context.Background(), db, dst); err != nil {
		t.Fatal(err)
	}
	cp, err := sqlite.Open(context.Background(), dst, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if _, _, err := ksp.VerifyChain(context.Background(), cp, ""); err != nil {
		t.Fatalf("backup chain: %v", err)
	}
}

// TestModel drives the store and the matcher with random operations and
// compares every viewer's reads with the reference model (storetest).
func TestModel(t *testing.T) {
	storetest.RunModel(t, func(t *testing.T) storetest.Store { return open(t) }, 2000)
}

// TestPing checks that Ping fails whenever the database stops being what
// the store's connections read and write, not only when no connection
// can be had.
func TestPing(t *testing.T) {
	tests := []struct {
		name   string
		breaks func(t *testing.T, db *sqlstore.DB, path string)
		want   string // in the error; "" for none
	}{
		{"healthy", func(*testing.T, *sqlstore.DB, string) {}, ""},
		{"closed", func(t *testing.T, db *sqlstore.DB, _ string) { db.Close() }, "closed"},
		{"unreadable table", func(t *testing.T, db *sqlstore.DB, path string) {
			raw, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			if _, err := raw.Exec(`DROP TABLE schema_migrations`); err != nil {
				t.Fatal(err)
			}
		}, "schema_migrations"},
		{"write-ahead log deleted", func(t *testing.T, _ *sqlstore.DB, path string) {
			for _, f := range []string{path + "-wal", path + "-shm"} {
				if err := os.Remove(f); err != nil {
					t.Fatal(err)
				}
			}
		}, "-wal was deleted"},
		{"database file removed", func(t *testing.T, _ *sqlstore.DB, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}, "is gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "ksp.db")
			db, err := sqlite.Open(ctx, path, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Ping(ctx); err != nil {
				t.Fatalf("ping before: %v", err)
			}
			tt.breaks(t, db, path)
			err = db.Ping(ctx)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("ping: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("ping: %v, want an error naming %q", err, tt.want)
			}
		})
	}
}

// TestUpgrade applies the migrations to a database the previous release
// left, with data in it (storetest.RunUpgrade).
func TestUpgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	sdb, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	sdb.SetMaxOpenConns(1)
	db := sqlstore.New(sdb, sqlite.Dialect, nil, nil)
	t.Cleanup(func() { db.Close() })
	storetest.RunUpgrade(t, db)
}
