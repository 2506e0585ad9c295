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

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/kspplatform/ksp"
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

// DB is the PostgreSQL store: the shared SQL store plus the pgx pool, and
// a cache of resolved API keys kept by a listener connection of its own
// (keycache.go).
type DB struct {
	*sqlstore.DB
	Pool *pgxpool.Pool

	keys     *keyCache
	listener *keyListener
	changes  changeSubscribers
	log      *slog.Logger
}

// Open connects to the database at url (postgres://…), applies the
// migrations, starts the API key cache's listener and returns the store.
func Open(ctx context.Context, url string, log *slog.Logger) (*DB, error) {
	return open(ctx, url, log, nil)
}

// open is Open; dial, if not nil, replaces how the key listener connects
// (tests hold it off with it).
func open(ctx context.Context, url string, log *slog.Logger, dial func(context.Context, *pgx.ConnConfig) (*pgx.Conn, error)) (*DB, error) {
	if log == nil {
		log = slog.Default()
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse URL: %w", err)
	}
	// JIT compilation pays off for long analytic queries, not for the
	// store's short ones: a signals page whose plan PostgreSQL costs high
	// (it stops at the page, but the estimate does not know) spent 400 ms
	// compiling and 3 ms running. A URL that sets jit keeps its choice.
	if _, set := cfg.ConnConfig.RuntimeParams["jit"]; !set {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	var sdb *sql.DB = stdlib.OpenDBFromPool(pool)
	db := &DB{DB: sqlstore.New(sdb, Dialect, log, func() error { pool.Close(); return nil }), Pool: pool, keys: newKeyCache(), log: log}
	db.SetOnAuthChange(db.keys.flush)
	if err := db.SQL().PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	lcfg := cfg.ConnConfig.Copy()
	if lcfg.RuntimeParams == nil {
		lcfg.RuntimeParams = map[string]string{}
	}
	lcfg.RuntimeParams["application_name"] = "ksp key listener"
	if dial == nil {
		dial = pgx.ConnectConfig
	}
	db.listener = startKeyListener(db.keys, log, func(ctx context.Context) (*pgx.Conn, error) { return dial(ctx, lcfg) },
		map[string]func(){changesChannel: db.changes.notify, eventsChannel: db.WakeEvents})
	return db, nil
}

// Close stops the key listener and closes the pool.
func (db *DB) Close() error {
	if db.listener != nil {
		db.listener.close()
	}
	return db.DB.Close()
}

// SubmitBatch is sqlstore's SubmitBatch with COPY for the bulk of a load:
// the new signals of each batch, their first submissions and audience rows
// are streamed with COPY FROM STDIN instead of INSERT statements.
//
// Everything else is sqlstore's, in sqlstore's transaction: the batch takes
// the advisory write lock first, reserves its change sequences from the
// "changes" counter, sorts records into new, unchanged (same digest) and the
// per-record path (values repeated in the batch, additions to existing
// signals, with the created-versus-merged visibility rule), and appends one
// audit event per batch with the one hashing of the chain. The COPY runs on
// that same connection and transaction, reached through sql.Conn.Raw (the
// driver connection is pgx's stdlib.Conn), so that a batch still commits or
// fails as a whole. That is why it is not a separate pgx transaction from
// Pool: it would have had to repeat the write lock, the sequence
// reservation, the merge path and the audit append, and two copies of the
// audit chain's writing are one too many.
//
// The rows go straight into their tables rather than through a staging
// table: they were classified under the write lock, which every writer
// takes, so no other transaction can insert the same values before commit.
//
// A large load also refreshes the planner's statistics of the tables it
// grows (ANALYZE after 10,000 new rows, then each time the rows loaded
// double): planned on the statistics of a table a hundredth of its size,
// the lookup of a batch's values degrades into scanning the whole index,
// and the load becomes quadratic. Autovacuum would catch up eventually,
// but not within one import, and it may be off.
func (db *DB) SubmitBatch(ctx context.Context, next func() (int, *ksp.SubmissionInput, error), source string) (*ksp.BatchResult, error) {
	loaded, analyzed := 0, 0
	w := func(ctx context.Context, conn *sql.Conn, tx *sql.Tx, orgID string, now int64, rows []sqlstore.BulkRow) error {
		if err := copyNew(ctx, conn, orgID, now, rows); err != nil {
			return err
		}
		if loaded += len(rows); loaded >= analyzeAfter && loaded >= 2*analyzed {
			if _, err := tx.ExecContext(ctx, `ANALYZE signals, submissions`); err != nil {
				return fmt.Errorf("analyze: %w", err)
			}
			analyzed = loaded
		}
		return nil
	}
	return db.DB.SubmitBatchWith(ctx, next, source, w)
}

// analyzeAfter is how many new rows a load adds before it first refreshes
// the tables' statistics.
const analyzeAfter = 10000

// copyNew streams a batch's new signals, submissions and audience rows
// with COPY on conn, inside the transaction open on it.
func copyNew(ctx context.Context, conn *sql.Conn, orgID string, now int64, rows []sqlstore.BulkRow) error {
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("postgres: driver connection is %T, not pgx's", dc)
		}
		pc := sc.Conn()
		sigs := make([][]any, len(rows))
		subs := make([][]any, len(rows))
		var aud [][]any
		for i := range rows {
			r := &rows[i]
			sigs[i] = []any{r.SignalID, r.In.Type, r.In.Value, now}
			subs[i] = sqlstore.SubmissionValues(r, orgID, now)
			if r.In.Distribution == ksp.DistAudience {
				for _, o := range r.In.Audience {
					aud = append(aud, []any{r.SubmissionID, o})
				}
			}
		}
		if _, err := pc.CopyFrom(ctx, pgx.Identifier{"signals"}, []string{"id", "type", "value", "created_at"}, pgx.CopyFromRows(sigs)); err != nil {
			return fmt.Errorf("copy signals: %w", err)
		}
		if _, err := pc.CopyFrom(ctx, pgx.Identifier{"submissions"}, sqlstore.SubmissionColumns, pgx.CopyFromRows(subs)); err != nil {
			return fmt.Errorf("copy submissions: %w", err)
		}
		if len(aud) > 0 {
			if _, err := pc.CopyFrom(ctx, pgx.Identifier{"audiences"}, []string{"item_id", "org_id"}, pgx.CopyFromRows(aud)); err != nil {
				return fmt.Errorf("copy audiences: %w", err)
			}
		}
		return nil
	})
}
