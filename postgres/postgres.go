// Package postgres opens KSP's scale-out store: PostgreSQL through
// github.com/jackc/pgx/v5 (a pgxpool pool, exposed to the shared SQL code
// through pgx's database/sql adapter, and used directly for COPY).
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/kspplatform/ksp/internal/sqlstore"
)

// Advisory lock keys (arbitrary, fixed): one serialises writers across
// replicas, the other migrations.
const (
	writeLockKey     = 0x6b7370_01
	migrationLockKey = 0x6b7370_02
)

// Dialect is PostgreSQL's flavour of the shared store. Every write
// transaction first takes a transaction-scoped advisory lock, so writers on
// all replicas commit one at a time: the audit chain and the commit-ordered
// sequences stay gap-free for readers.
var Dialect = sqlstore.Dialect{
	Name:            "postgres",
	Numbered:        true,
	WriteLock:       fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", writeLockKey),
	MigrationLock:   fmt.Sprintf("SELECT pg_advisory_lock(%d)", migrationLockKey),
	MigrationUnlock: fmt.Sprintf("SELECT pg_advisory_unlock(%d)", migrationLockKey),
	IsUniqueViolation: func(err error) bool {
		var pe *pgconn.PgError
		return errors.As(err, &pe) && pe.Code == "23505"
	},
}

// DB is the PostgreSQL store: the shared SQL store plus the pgx pool.
type DB struct {
	*sqlstore.DB
	Pool *pgxpool.Pool
}

// Open connects to the database at url (postgres://…), applies the
// migrations and returns the store.
func Open(ctx context.Context, url string, log *slog.Logger) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse URL: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	var sdb *sql.DB = stdlib.OpenDBFromPool(pool)
	db := &DB{DB: sqlstore.New(sdb, Dialect, log, func() error { pool.Close(); return nil }), Pool: pool}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}
