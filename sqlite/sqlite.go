// Package sqlite opens KSP's default store: one SQLite file through the
// pure-Go modernc.org/sqlite driver, in WAL mode with foreign keys on.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"github.com/kspplatform/ksp/internal/sqlstore"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Dialect is SQLite's flavour of the shared store. SQLite serialises
// writers itself (transactions begin IMMEDIATE), so no extra lock is needed.
var Dialect = sqlstore.Dialect{
	Name:         "sqlite",
	ShrinkMemory: "PRAGMA shrink_memory",
	IsUniqueViolation: func(err error) bool {
		return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
	},
}

// Open opens (creating if needed) the database file at path and applies the
// migrations.
func Open(ctx context.Context, path string, log *slog.Logger) (*sqlstore.DB, error) {
	q := url.Values{}
	// cache_size: 64 MiB of page cache per connection (SQLite's default
	// is 2 MiB), so that bulk loads and index loads keep the B-tree pages
	// they revisit instead of re-reading them: it halves the time of a
	// 300k-row import (docs/bench-stores.md). wal_autocheckpoint: check-
	// point every 64 MiB of WAL instead of 4 MiB, so that a page written by
	// many transactions in a row is copied back once.
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)", "cache_size(-65536)", "wal_autocheckpoint(16384)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// One writer at a time is SQLite's model; a handful of readers run
	// beside it in WAL mode.
	sdb.SetMaxOpenConns(8)
	sdb.SetMaxIdleConns(8)
	db := sqlstore.New(sdb, Dialect, log, nil)
	db.SetReadAhead(func(ctx context.Context) { readAhead(ctx, path) })
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Backup writes a consistent copy of the open database to path while it
// stays online (VACUUM INTO reads one snapshot).
func Backup(ctx context.Context, db *sqlstore.DB, path string) error {
	if _, err := db.SQL().ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}

// readAhead reads the file at path from start to end, discarding what it
// reads, until ctx ends, so that the operating system caches it. The
// bank's load at start scans two tables whose pages lie interleaved in
// the file: from a cold cache, reading them page by page in the scans'
// order took 108 s for 10M signals, and 34 s with this sequential read
// beside it; with the file already cached it costs one copy of it.
func readAhead(ctx context.Context, path string) {
	f, err := os.Open(path)
	if err != nil {
		return // the scans will report anything that matters
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for ctx.Err() == nil {
		if _, err := f.Read(buf); err != nil {
			return
		}
	}
}
