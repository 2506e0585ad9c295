package postgres_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/kspplatform/ksp/internal/sqlstore"
	"github.com/kspplatform/ksp/postgres"
	"github.com/kspplatform/ksp/postgres/pgtest"
	"github.com/kspplatform/ksp/storetest"
)

// open gives each test its own schema, dropped afterwards.
func open(t testing.TB) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), pgtest.Schema(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestConformance runs the suite on *postgres.DB itself, so that its own
// methods (the COPY bulk path) are the ones tested.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return open(t) })
}

// TestModel drives the store and the matcher with random operations and
// compares every viewer's reads with the reference model (storetest).
func TestModel(t *testing.T) {
	storetest.RunModel(t, func(t *testing.T) storetest.Store { return open(t) }, 300)
}

// TestPing checks that Ping (behind /readyz) reads the database: it fails
// when a table it reads is gone, which a bare connection check misses,
// and when the store is closed.
func TestPing(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if _, err := db.SQL().ExecContext(ctx, `ALTER TABLE schema_migrations RENAME TO schema_migrations_gone`); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(ctx); err == nil || !strings.Contains(err.Error(), "schema_migrations") {
		t.Fatalf("ping without schema_migrations: %v", err)
	}
	if _, err := db.SQL().ExecContext(ctx, `ALTER TABLE schema_migrations_gone RENAME TO schema_migrations`); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("ping after restoring: %v", err)
	}
	db.Close()
	if err := db.Ping(ctx); err == nil {
		t.Fatal("ping of a closed store succeeded")
	}
}

// TestUpgrade applies the migrations to a database the previous release
// left, with data in it (storetest.RunUpgrade).
func TestUpgrade(t *testing.T) {
	sdb, err := sql.Open("pgx", pgtest.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	db := sqlstore.New(sdb, postgres.Dialect, nil, nil)
	t.Cleanup(func() { db.Close() })
	storetest.RunUpgrade(t, db)
}
