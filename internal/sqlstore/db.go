// Package sqlstore implements ksp.Store once, in SQL that both SQLite and
// PostgreSQL accept. The sqlite and postgres packages open the connection and
// supply a Dialect; everything a member relies on (the sharing rule in SQL,
// the audit chain, the commit-ordered sequences) is written here, once.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/secret"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialect is what differs between the databases.
type Dialect struct {
	// Name is "sqlite" or "postgres"; a migration file NNN_x.NAME.sql is
	// used only by that dialect.
	Name string
	// Numbered placeholders ($1) instead of ?.
	Numbered bool
	// WriteLock is run first in every write transaction to serialise
	// writers across connections and replicas ("" where the database
	// already serialises writers, as SQLite does).
	WriteLock string
	// MigrationLock and MigrationUnlock bracket migrations so that replicas
	// starting together apply them once.
	MigrationLock, MigrationUnlock string
	// IsUniqueViolation recognises a unique-constraint error.
	IsUniqueViolation func(error) bool
	// ShrinkMemory, when set, makes a connection give back the cache a
	// one-off scan filled (SQLite keeps each connection's page cache).
	ShrinkMemory string
	// BulkCache and BulkCacheDone, when set, enlarge the page cache of the
	// connection a bulk load runs on, and restore it afterwards (then
	// ShrinkMemory gives the pages back). Signal ids are random, so a
	// large load writes its id indexes all over: with the indexes in the
	// cache it touches memory instead of the file.
	BulkCache, BulkCacheDone string
}

// DB is the shared store.
type DB struct {
	sql    *sql.DB
	d      Dialect
	log    *slog.Logger
	closer func() error
	// stmts caches prepared statements of hot read paths (key lookups
	// run on every API request), so SQL is not parsed again each time.
	stmts sync.Map // query → *sql.Stmt
	// batchSize overrides DefaultBatchSize (tests use small batches).
	batchSize int
	// beforeCommit, when set by a test, runs just before each write
	// commits, to widen the window in which transactions interleave.
	beforeCommit func()
	// onAuthChange, when set by an adapter, runs after each write that
	// can change what ActorForKey answers (see Tx.authChanged).
	onAuthChange func()
	// readAhead, when set by an adapter, runs beside ScanIndex's passes
	// until they end (see SetReadAhead).
	readAhead func(context.Context)
	// check, when set by an adapter, is run by Ping (see SetCheck).
	check func(context.Context) error
	// alertDeadline is the deadline of alerts without a fixed one (0:
	// ksp.DefaultAlertDeadline); see SetAlertDeadline.
	alertDeadline time.Duration
	// events wakes the live feed and webhook workers (webhooks.go).
	events eventHub
	// publicReports caches computed public transparency reports by period
	// label (transparency.go).
	publicReports sync.Map // period label → cachedReport
	// box seals webhook signing secrets (nil: stored as issued); see
	// SetSecretBox.
	box *secret.Box
}

// SetBatchSize sets how many bulk records go in one transaction (0: the
// default).
func (db *DB) SetBatchSize(n int) { db.batchSize = n }

// SetBeforeCommit installs a hook run before every write commits (tests use
// it to make transactions interleave).
func (db *DB) SetBeforeCommit(fn func()) { db.beforeCommit = fn }

// SetOnAuthChange installs fn, run after every write transaction that can
// change what ActorForKey answers for some key (revocation, scopes, a
// user's role or removal, an org's status), once it has committed — or
// failed to commit, since a failed COMMIT may still have committed. An
// adapter that caches resolved keys flushes them there. Call it before the
// store is used.
func (db *DB) SetOnAuthChange(fn func()) { db.onAuthChange = fn }

// SetReadAhead installs a function run beside ScanIndex's passes, and
// cancelled when they end: the SQLite adapter reads the database file
// through once, in order, so that a load at start after a reboot reads
// the disk sequentially instead of page by page in the passes' order.
// Call it before the store is used.
func (db *DB) SetReadAhead(fn func(context.Context)) { db.readAhead = fn }

// SetCheck installs an adapter's own readiness check, run by Ping after
// its query while the query's connection is still held: the SQLite adapter
// checks that the files its connections write are still the ones on disk.
// Call it before the store is used.
func (db *DB) SetCheck(fn func(context.Context) error) { db.check = fn }

var _ ksp.Store = (*DB)(nil)

// New wraps an open database. closer, if not nil, runs on Close after the
// pool is closed.
func New(db *sql.DB, d Dialect, log *slog.Logger, closer func() error) *DB {
	if log == nil {
		log = slog.Default()
	}
	return &DB{sql: db, d: d, log: log, closer: closer}
}

// SQL returns the underlying pool, for adapters' own queries and tests.
func (db *DB) SQL() *sql.DB { return db.sql }

// Dialect returns the dialect.
func (db *DB) Dialect() Dialect { return db.d }

// prepared returns a cached prepared statement for q (placeholders
// rebound). Only fixed query strings of hot paths belong here.
func (db *DB) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := db.stmts.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.sql.PrepareContext(ctx, db.rebind(q))
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// Close closes the pool.
func (db *DB) Close() error {
	db.stmts.Range(func(_, st any) bool { st.(*sql.Stmt).Close(); return true })
	err := db.sql.Close()
	if db.closer != nil {
		if cerr := db.closer(); err == nil {
			err = cerr
		}
	}
	return err
}

// Ping checks that the database answers a query that reads it, which a
// bare connection check ("SELECT 1" touches no table) does not: it reads
// schema_migrations on one connection and, with that connection still
// held, runs the adapter's check (SetCheck). It needs the migrations
// applied; adapters check a fresh connection with SQL().PingContext.
func (db *DB) Ping(ctx context.Context) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		return fmt.Errorf("ping database: read schema_migrations: %w", err)
	}
	if db.check != nil {
		if err := db.check(ctx); err != nil {
			return fmt.Errorf("ping database: %w", err)
		}
	}
	return nil
}

// Migrate applies the embedded migrations not yet applied, in order, each in
// its own transaction. Applying them again is a no-op.
func (db *DB) Migrate(ctx context.Context) error {
	return db.MigrateTo(ctx, "")
}

// MigrateTo applies the migrations not yet applied up to and including the
// one whose name starts with last ("" for all): upgrade tests build a
// database as an older release left it.
func (db *DB) MigrateTo(ctx context.Context, last string) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if db.d.MigrationLock != "" {
		if _, err := conn.ExecContext(ctx, db.d.MigrationLock); err != nil {
			return fmt.Errorf("migrate: take lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), db.d.MigrationUnlock) //nolint:errcheck // released with the session anyway
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "migrations/"), ".sql")
		_, dialect, hasDialect := strings.Cut(base, ".")
		if hasDialect && dialect != db.d.Name {
			continue
		}
		if last != "" && base > last && !strings.HasPrefix(base, last) {
			break
		}
		var n int
		if err := conn.QueryRowContext(ctx, db.rebind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), base).Scan(&n); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", base, err)
		}
		for _, stmt := range splitStatements(string(body)) {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				tx.Rollback()
				return fmt.Errorf("migrate %s: %w\n%s", base, err, stmt)
			}
		}
		if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), base, micros(ksp.Now())); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate %s: %w", base, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate %s: %w", base, err)
		}
		db.log.Info("applied migration", "version", base, "dialect", db.d.Name)
	}
	return nil
}

// splitStatements splits a migration into statements at lines ending in
// ";", after removing -- comments. A block opened by a line ending in BEGIN
// (a trigger body) runs until a line "END;".
func splitStatements(s string) []string {
	var out []string
	var cur strings.Builder
	inBlock := false
	flush := func() {
		if st := strings.TrimSpace(cur.String()); st != "" {
			out = append(out, st)
		}
		cur.Reset()
	}
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, "--"); i >= 0 && !strings.Contains(line[:i], "'") {
			line = line[:i]
		}
		t := strings.ToUpper(strings.TrimSpace(line))
		if t == "" {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		switch {
		case strings.HasSuffix(t, "BEGIN"):
			inBlock = true
		case inBlock:
			if t == "END;" {
				inBlock = false
				flush()
			}
		case strings.HasSuffix(t, ";"):
			flush()
		}
	}
	flush()
	return out
}

// rebind turns ? placeholders into $n for dialects that number them. KSP's
// queries never put a literal ? inside a string.
func (db *DB) rebind(q string) string {
	if !db.d.Numbered {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// Tx is a transaction with the dialect's placeholders and KSP's write
// helpers.
type Tx struct {
	*sql.Tx
	db  *DB
	ctx context.Context
	now ksp.Time
	// authDirty is set by authChanged.
	authDirty bool
	// outbox tracks the webhook deliveries this transaction queues.
	outbox *txOutbox
}

// authChanged marks the transaction as one that can change what
// ActorForKey answers for some key: the hook of SetOnAuthChange runs after
// it commits. Every write to api_keys.revoked_at, scopes, expires_at or
// user_id, users.role, orgs.status or kind, and every removal of a user,
// calls it.
func (tx *Tx) authChanged() { tx.authDirty = true }

func (tx *Tx) exec(q string, args ...any) (sql.Result, error) {
	return tx.ExecContext(tx.ctx, tx.db.rebind(q), args...)
}

func (tx *Tx) queryRow(q string, args ...any) *sql.Row {
	return tx.QueryRowContext(tx.ctx, tx.db.rebind(q), args...)
}

func (tx *Tx) query(q string, args ...any) (*sql.Rows, error) {
	return tx.QueryContext(tx.ctx, tx.db.rebind(q), args...)
}

// write runs fn in a write transaction, serialised with every other writer,
// and commits when fn returns nil.
func (db *DB) write(ctx context.Context, fn func(tx *Tx) error) error {
	return db.writeOn(ctx, false, func(_ *sql.Conn, tx *Tx) error { return fn(tx) })
}

// writeOn is write, optionally on a connection of its own that fn receives
// (adapters reach the driver's connection through it, e.g. for COPY in the
// same transaction).
func (db *DB) writeOn(ctx context.Context, dedicated bool, fn func(conn *sql.Conn, tx *Tx) error) error {
	if !dedicated {
		return db.writeConn(ctx, nil, fn)
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer conn.Close()
	return db.writeConn(ctx, conn, fn)
}

// writeConn is writeOn on the connection conn (nil: any of the pool's).
func (db *DB) writeConn(ctx context.Context, conn *sql.Conn, fn func(conn *sql.Conn, tx *Tx) error) error {
	var stx *sql.Tx
	var err error
	if conn != nil {
		stx, err = conn.BeginTx(ctx, nil)
	} else {
		stx, err = db.sql.BeginTx(ctx, nil)
	}
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{Tx: stx, db: db, ctx: ctx, now: ksp.T(ksp.Now())}
	if db.d.WriteLock != "" {
		if _, err := stx.ExecContext(ctx, db.d.WriteLock); err != nil {
			stx.Rollback()
			return fmt.Errorf("write lock: %w", err)
		}
	}
	if err := fn(conn, tx); err != nil {
		stx.Rollback()
		return err
	}
	if db.beforeCommit != nil {
		db.beforeCommit()
	}
	err = stx.Commit()
	if tx.authDirty && db.onAuthChange != nil {
		db.onAuthChange()
	}
	if tx.outbox != nil && tx.outbox.dirty {
		db.events.wake()
	}
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// WriteTx runs fn in a write transaction exactly like the store's own
// writes: serialised with every other writer (the dialect's WriteLock runs
// first), committed when fn returns nil. audit appends an event to the
// tamper-evident chain inside the transaction. It is for adapters' own
// writes and for benchmarks; queries on tx need Rebind.
func (db *DB) WriteTx(ctx context.Context, fn func(tx *sql.Tx, audit func(action, object, orgID string, details map[string]any) error) error) error {
	return db.write(ctx, func(tx *Tx) error { return fn(tx.Tx, tx.audit) })
}

func (db *DB) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return db.sql.QueryRowContext(ctx, db.rebind(q), args...)
}

func (db *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return db.sql.QueryContext(ctx, db.rebind(q), args...)
}

func (db *DB) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return db.sql.ExecContext(ctx, db.rebind(q), args...)
}

// audit appends one event to the chain inside tx. details holds what may be
// personal (emails, names, free text): it is stored beside the chain under
// its digest.
func (tx *Tx) audit(action, object string, orgID string, details map[string]any) error {
	actor := ksp.ActorFrom(tx.ctx)
	if orgID == "" && actor != nil {
		orgID = actor.OrgID
	}
	e, details, err := ksp.NewAuditEvent(tx.now, actor.AuditName(), orgID, action, object, details)
	if err != nil {
		return err
	}
	digest := e.DetailsDigest
	if err := tx.queryRow(`UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash`).Scan(&e.Seq, &e.PrevHash); err != nil {
		return fmt.Errorf("audit %s: advance head: %w", action, err)
	}
	if e.Hash, err = e.ComputeHash(); err != nil {
		return err
	}
	if _, err := tx.exec(`UPDATE audit_head SET hash = ? WHERE id = 1`, e.Hash); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	if _, err := tx.exec(`INSERT INTO audit_events (seq, time, actor, org_id, action, object, details_digest, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, micros(e.Time), e.Actor, e.OrgID, e.Action, e.Object, e.DetailsDigest, e.PrevHash, e.Hash); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	if digest != "" {
		js, err := json.Marshal(details)
		if err != nil {
			return fmt.Errorf("audit %s: %w", action, err)
		}
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM audit_details WHERE digest = ?`, digest).Scan(&n); err != nil {
			return fmt.Errorf("audit %s: %w", action, err)
		}
		if n == 0 {
			if _, err := tx.exec(`INSERT INTO audit_details (digest, details) VALUES (?, ?)`, digest, string(js)); err != nil {
				return fmt.Errorf("audit %s: %w", action, err)
			}
		}
	}
	return nil
}

// nextSeq takes the next value of a commit-ordered counter. The row stays
// locked until tx ends, so values become visible in the order they were
// taken.
func (tx *Tx) nextSeq(name string) (int64, error) {
	var v int64
	if err := tx.queryRow(`UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value`, name).Scan(&v); err != nil {
		return 0, fmt.Errorf("next %s sequence: %w", name, err)
	}
	return v, nil
}

// setAudience replaces the audience rows of an item.
func (tx *Tx) setAudience(itemID string, orgs []string) error {
	if _, err := tx.exec(`DELETE FROM audiences WHERE item_id = ?`, itemID); err != nil {
		return fmt.Errorf("set audience: %w", err)
	}
	for _, o := range orgs {
		if _, err := tx.exec(`INSERT INTO audiences (item_id, org_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, itemID, o); err != nil {
			return fmt.Errorf("set audience: %w", err)
		}
	}
	return nil
}

// appendEvent adds a notification to the event table, shared like its object.
func (tx *Tx) appendEvent(typ, objectID string, s ksp.Sharing, data any) (*ksp.Event, error) {
	seq, err := tx.nextSeq("events")
	if err != nil {
		return nil, err
	}
	js, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", typ, err)
	}
	e := &ksp.Event{Seq: seq, ID: ksp.NewID(), Type: typ, Time: tx.now, ObjectID: objectID, Sharing: s, Data: js}
	if _, err := tx.exec(`INSERT INTO events (seq, id, type, time, object_id, owner_org_id, distribution, tlp, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, e.ID, e.Type, micros(e.Time), e.ObjectID, s.OwnerOrgID, string(s.Distribution), string(s.TLP), string(js)); err != nil {
		return nil, fmt.Errorf("event %s: %w", typ, err)
	}
	if s.Distribution == ksp.DistAudience {
		if err := tx.setAudience(e.ID, s.Audience); err != nil {
			return nil, err
		}
	}
	if err := tx.queueDeliveries(e); err != nil {
		return nil, err
	}
	return e, nil
}

// Visible returns the SQL form of ksp.CanSee for a table aliased alias with
// columns owner_org_id and distribution, whose audience rows are keyed by
// idCol. The conformance suite checks it against ksp.CanSee over every
// combination, so there is still one rule.
func Visible(v ksp.Viewer, alias, idCol string) (string, []any) {
	switch {
	case v.Staff:
		return "1 = 1", nil
	case v.Anonymous() || v.Suspended:
		return alias + ".distribution = 'public'", nil
	}
	return "(" + alias + ".distribution IN ('public', 'members') OR " + alias + ".owner_org_id = ? OR (" + alias +
			".distribution = 'audience' AND EXISTS (SELECT 1 FROM audiences au WHERE au.item_id = " + alias + "." + idCol + " AND au.org_id = ?)))",
		[]any{v.OrgID, v.OrgID}
}

func micros[T interface{ UnixMicro() int64 }](t T) int64 { return t.UnixMicro() }

func fromMicros(n int64) ksp.Time { return ksp.T(time.UnixMicro(n)) }

func nullMicros(t *ksp.Time) any {
	if t == nil {
		return nil
	}
	return micros(*t)
}

func ptrTime(n sql.NullInt64) *ksp.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}

// encodeCursor and decodeCursor make the opaque next_cursor of lists keyed by
// a string (an ID: UUIDv7 sorts by creation).
func encodeCursor(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

func decodeCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) == 0 || len(b) > 200 {
		return "", &ksp.Error{Code: ksp.EINVALID, Message: "invalid cursor", Fields: []ksp.FieldError{{Field: "cursor", Reason: "not a cursor returned by this list"}}}
	}
	return string(b), nil
}

// pageQuery adds cursor and limit to a query over items ordered by key
// descending. It returns the additional WHERE clause, its args and the LIMIT
// to use (one more than the page, to know whether another follows).
func pageQuery(p ksp.Page, keyCol string) (string, []any, int, error) {
	p = p.Normalize()
	if p.Cursor == "" {
		return "1 = 1", nil, p.Limit + 1, nil
	}
	k, err := decodeCursor(p.Cursor)
	if err != nil {
		return "", nil, 0, err
	}
	return keyCol + " < ?", []any{k}, p.Limit + 1, nil
}

// cut trims a page fetched with pageQuery and returns the next cursor.
func cut[T any](items []T, p ksp.Page, key func(T) string) ([]T, string) {
	p = p.Normalize()
	if len(items) <= p.Limit {
		return items, ""
	}
	items = items[:p.Limit]
	return items, encodeCursor(key(items[len(items)-1]))
}

func jsonList(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	if string(b) == "null" {
		return "[]"
	}
	return string(b)
}

func (db *DB) conflictOr(err error, field, msg string) error {
	if err != nil && db.d.IsUniqueViolation != nil && db.d.IsUniqueViolation(err) {
		return &ksp.Error{Code: ksp.ECONFLICT, Message: msg, Fields: []ksp.FieldError{{Field: field, Reason: msg}}}
	}
	return err
}

// requireActor returns the actor in ctx, or EUNAUTHORIZED.
func requireActor(ctx context.Context) (*ksp.Actor, error) {
	a := ksp.ActorFrom(ctx)
	if a == nil || a.OrgID == "" {
		return nil, ksp.Errorf(ksp.EUNAUTHORIZED, "authentication required")
	}
	return a, nil
}

// requireStaff returns the actor if it is staff, else EFORBIDDEN.
func requireStaff(ctx context.Context) (*ksp.Actor, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	if !a.Staff {
		return nil, ksp.Errorf(ksp.EFORBIDDEN, "staff only")
	}
	return a, nil
}

// requireOrgAdmin returns the actor if it is staff or an admin of orgID.
// Others of orgID get EFORBIDDEN; outsiders get ENOTFOUND, as if the org's
// people did not exist for them.
func requireOrgAdmin(ctx context.Context, orgID string) (*ksp.Actor, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case a.Staff:
		return a, nil
	case a.OrgID != orgID:
		return nil, ksp.NotFound("organisation")
	case !a.HasRole(ksp.RoleAdmin):
		return nil, ksp.Errorf(ksp.EFORBIDDEN, "organisation admins only")
	}
	return a, nil
}

// errSuspended refuses what a suspended org's people may not do (what
// names the refused act) until staff reinstate the org.
func errSuspended(what string) error {
	return ksp.Errorf(ksp.EFORBIDDEN, "your organisation is suspended: it cannot %s until the programme's staff reinstate it", what)
}

var errNoRows = sql.ErrNoRows

func isNoRows(err error) bool { return errors.Is(err, errNoRows) }

// Rebind rewrites ? placeholders for the dialect (for tests and adapters
// that run their own SQL).
func (db *DB) Rebind(q string) string { return db.rebind(q) }

// columnStrings reads the one text column of a query's rows; it takes the
// query's results as they are, so a call can wrap the query. Callers add
// what they read to the error.
func columnStrings(rows *sql.Rows, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// placeholders returns n comma-separated ? placeholders, for an IN list.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
