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
	// 512 MiB for a bulk load's connection (the id indexes of 1M signals
	// are about 150 MB), back to Open's 64 MiB after it.
	BulkCache:     "PRAGMA cache_size = -524288",
	BulkCacheDone: "PRAGMA cache_size = -65536",
	IsUniqueViolation: func(err error) bool {
		return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
	},
}

// Open opens (creating if needed) the database file at path and applies the
// migrations.
//
// The process never closes a descriptor of the database file while the
// store is open: SQLite's locks are POSIX record locks, which the kernel
// drops, all of them, at the close of any descriptor of the file in the
// process. Without them another program that opens the file (sqlite3
// ksp.db) takes it for unused, checkpoints and deletes the write-ahead
// log, and what the server writes next goes into the deleted log and is
// lost. The read-ahead therefore reads through a descriptor opened once
// and closed by Close after the driver's connections.
func Open(ctx context.Context, path string, log *slog.Logger) (*sqlstore.DB, error) {
	if log == nil {
		log = slog.Default()
	}
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
	var held *heldFile
	db := sqlstore.New(sdb, Dialect, log, func() error {
		if held == nil {
			return nil
		}
		if err := held.f.Close(); err != nil {
			return fmt.Errorf("close %s: %w", path, err)
		}
		return nil
	})
	if err := db.SQL().PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	var mode string
	if err := db.SQL().QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: journal mode: %w", path, err)
	}
	// Opened only now, after the driver has the file: this descriptor is
	// closed by db.Close, after the driver's.
	f, err := os.Open(path)
	if err != nil {
		log.Debug("database file not readable beside the driver: no read-ahead", "path", path, "err", err)
		return db, nil
	}
	held = &heldFile{path: path, f: f, wal: strings.EqualFold(mode, "wal")}
	db.SetReadAhead(held.readAhead)
	db.SetCheck(held.check)
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

// heldFile is a descriptor of the database file that stays open from
// Open to Close (see Open for why it must never be closed earlier).
type heldFile struct {
	path string
	f    *os.File
	wal  bool // the database is in WAL mode
}

// readAhead reads the file from start to end, discarding what it reads,
// until ctx ends, so that the operating system caches it. The bank's load
// at start scans two tables whose pages lie interleaved in the file: from
// a cold cache, reading them page by page in the scans' order took 108 s
// for 10M signals, and 34 s with this sequential read beside it; with the
// file already cached it costs one copy of it.
func (h *heldFile) readAhead(ctx context.Context) {
	buf := make([]byte, 1<<20)
	for off := int64(0); ctx.Err() == nil; {
		n, err := h.f.ReadAt(buf, off)
		if err != nil {
			return // the end, or an error the scans will report if it matters
		}
		off += int64(n)
	}
}

// check fails when the files the store's connections write are no longer
// the ones on disk at path: the database file was removed or replaced, or
// its write-ahead log or shared-memory index was deleted (as another
// program does when it finds the file unlocked). Writes from then on are
// lost when the process ends, so the store must not report ready. Ping
// runs it while holding a connection that has just read the database, so
// in WAL mode both files exist unless removed from outside.
func (h *heldFile) check(context.Context) error {
	held, err := h.f.Stat()
	if err != nil {
		return fmt.Errorf("stat open database file %s: %w", h.path, err)
	}
	onDisk, err := os.Stat(h.path)
	if err != nil {
		return fmt.Errorf("database file %s is gone while open: %w", h.path, err)
	}
	if !os.SameFile(held, onDisk) {
		return fmt.Errorf("database file %s was replaced while open: the server writes to the previous file", h.path)
	}
	if !h.wal {
		return nil
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(h.path + suffix); err != nil {
			return fmt.Errorf("%s%s was deleted while the database is open: writes since then are not durable: %w", h.path, suffix, err)
		}
	}
	return nil
}
