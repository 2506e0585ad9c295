package postgres

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kspplatform/ksp"
)

// The key cache: on PostgreSQL every API request would otherwise resolve
// its bearer key with a round trip to the database. Resolved keys are kept
// in memory for at most keyCacheTTL, and every replica drops all of them
// whenever one of them (or anybody, in SQL) changes something a key
// resolves to:
//
//   - the replica that makes the change flushes its own cache as the write
//     transaction commits (sqlstore's SetOnAuthChange hook), so it never
//     serves a key it has just revoked;
//   - triggers (migration 004_auth_notify.postgres.sql) send a
//     notification on channel authChannel at commit, and every replica
//     listens on a connection of its own and flushes when one arrives;
//   - while that connection is down (at start, after an error, during the
//     reconnection backoff) the cache is off: every lookup reads the
//     database, and the cache starts empty when the connection is back, so
//     a notification missed meanwhile cannot leave a revoked key usable.
//
// Only successful lookups are cached (unknown keys cannot grow it), keyed
// by the SHA-256 of the secret; a hit checks the key's expiry again.

// Cache bounds and the listener's timing.
const (
	// keyCacheTTL is how long an entry lives at most: it bounds how stale
	// last_used gets (written at most once a minute, by lookups that miss)
	// and what a notification lost without the connection noticing costs.
	keyCacheTTL = 30 * time.Second
	// keyCacheSize bounds the entries; a full cache evicts one at random.
	keyCacheSize = 10000
	// authChannel is the notification channel of the triggers.
	authChannel = "ksp_auth"
	// listenRetryMin and listenRetryMax bound the reconnection backoff.
	listenRetryMin = 200 * time.Millisecond
	listenRetryMax = 10 * time.Second
	// listenPingEvery is how long the listener waits without a
	// notification before checking that its connection is alive.
	listenPingEvery = 30 * time.Second
)

// keyCache holds resolved keys. gen counts invalidations: a lookup that
// missed stores its answer only if no invalidation happened while it read
// the database.
type keyCache struct {
	mu      sync.RWMutex
	live    bool // the listener is connected; off: every lookup misses
	gen     uint64
	entries map[[sha256.Size]byte]keyEntry

	hits, misses atomic.Int64
}

type keyEntry struct {
	actor   ksp.Actor
	expires time.Time // when the key expires; zero: never
	until   time.Time // when the entry expires
}

func newKeyCache() *keyCache {
	return &keyCache{entries: make(map[[sha256.Size]byte]keyEntry)}
}

// get returns a copy of the cached actor of the key hashed h, if the cache
// is live and the entry and the key are both unexpired at now.
func (c *keyCache) get(h [sha256.Size]byte, now time.Time) (*ksp.Actor, bool) {
	c.mu.RLock()
	e, ok := c.entries[h]
	live := c.live
	c.mu.RUnlock()
	if !live || !ok {
		c.misses.Add(1)
		return nil, false
	}
	if !now.Before(e.until) || (!e.expires.IsZero() && !now.Before(e.expires)) {
		c.mu.Lock()
		delete(c.entries, h)
		c.mu.Unlock()
		c.misses.Add(1)
		return nil, false
	}
	c.hits.Add(1)
	a := e.actor
	a.Scopes = slices.Clone(e.actor.Scopes)
	return &a, true
}

// generation returns the invalidation count to pass to put, and whether
// the cache is live at all.
func (c *keyCache) generation() (uint64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen, c.live
}

// put stores a copy of a, the actor of the key hashed h (expiring at
// expires, if not nil), unless the cache is off or was invalidated since
// generation returned gen.
func (c *keyCache) put(h [sha256.Size]byte, gen uint64, a *ksp.Actor, expires *ksp.Time, now time.Time) {
	e := keyEntry{actor: *a, until: now.Add(keyCacheTTL)}
	e.actor.Scopes = slices.Clone(a.Scopes)
	if expires != nil {
		e.expires = expires.Time
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || c.gen != gen {
		return
	}
	if _, ok := c.entries[h]; !ok && len(c.entries) >= keyCacheSize {
		for k := range c.entries { // map order: a random victim
			delete(c.entries, k)
			break
		}
	}
	c.entries[h] = e
}

// flush drops every entry and fails the puts of lookups in flight.
func (c *keyCache) flush() {
	c.mu.Lock()
	c.gen++
	clear(c.entries)
	c.mu.Unlock()
}

// setLive turns the cache on or off; either way it starts empty.
func (c *keyCache) setLive(live bool) {
	c.mu.Lock()
	c.live = live
	c.gen++
	clear(c.entries)
	c.mu.Unlock()
}

// ActorForKey is sqlstore's ActorForKey through the key cache (see above):
// a hit costs no round trip; revocation, removal of the key's user,
// suspension of its org and narrowed scopes are still effective for the
// next request on every replica, to within the delivery of one
// notification on the others.
func (db *DB) ActorForKey(ctx context.Context, key string) (*ksp.Actor, error) {
	if !ksp.WellFormedAPIKey(key) {
		return db.DB.ActorForKey(ctx, key) // refused without a query
	}
	h := sha256.Sum256([]byte(key))
	if a, ok := db.keys.get(h, time.Now()); ok {
		return a, nil
	}
	gen, live := db.keys.generation()
	a, expires, err := db.DB.ResolveAPIKey(ctx, key)
	if err != nil {
		return nil, err
	}
	if live {
		db.keys.put(h, gen, a, expires, time.Now())
	}
	return a, nil
}

// FlushKeyCache forgets every resolved key: the next request with each key
// reads the database. Changes made through the store or in SQL flush the
// cache by themselves (the second on other replicas, and on this one for
// SQL, a moment after commit, when the notification arrives); tests that
// change rows in SQL call it to not wait for that.
func (db *DB) FlushKeyCache() { db.keys.flush() }

// keyListener keeps a connection listening on authChannel and flushes the
// cache on each notification for this store's schema. The same connection
// listens on each channel of wake (changesChannel, eventsChannel) and calls
// its function for each of those notifications, and once each time it
// starts listening, for what it missed while down: one listening
// connection per replica (changes.go, events.go).
type keyListener struct {
	cache   *keyCache
	log     *slog.Logger
	connect func(context.Context) (*pgx.Conn, error)
	wake    map[string]func()
	pid     atomic.Uint32 // backend of the live connection, 0 while down
	stop    context.CancelFunc
	done    chan struct{}
}

// startKeyListener starts the listener's goroutine; stopKeyListener ends it.
func startKeyListener(cache *keyCache, log *slog.Logger, connect func(context.Context) (*pgx.Conn, error), wake map[string]func()) *keyListener {
	ctx, cancel := context.WithCancel(context.Background())
	l := &keyListener{cache: cache, log: log, connect: connect, wake: wake, stop: cancel, done: make(chan struct{})}
	go l.run(ctx)
	return l
}

func (l *keyListener) close() {
	l.stop()
	<-l.done
}

func (l *keyListener) run(ctx context.Context) {
	defer close(l.done)
	delay := listenRetryMin
	for {
		listened, err := l.session(ctx)
		l.pid.Store(0)
		l.cache.setLive(false)
		if ctx.Err() != nil {
			return
		}
		if listened {
			delay = listenRetryMin
		}
		l.log.Warn("API key cache off: no connection listening for revocations; keys are read from the database until it is back",
			"channel", authChannel, "err", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, listenRetryMax)
	}
}

// session connects, listens and flushes the cache on notifications until
// the connection fails or ctx ends. listened tells whether it got as far as
// listening.
func (l *keyListener) session(ctx context.Context) (listened bool, err error) {
	conn, err := l.connect(ctx)
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn.Close(cctx)
		cancel()
	}()
	// The triggers name the schema of the table changed; other schemas of
	// the same database (other deployments, parallel tests) are not ours.
	var schema string
	if err := conn.QueryRow(ctx, `SELECT COALESCE(current_schema(), '')`).Scan(&schema); err != nil {
		return false, fmt.Errorf("current schema: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+authChannel); err != nil {
		return false, fmt.Errorf("listen: %w", err)
	}
	for ch := range l.wake {
		if _, err := conn.Exec(ctx, "LISTEN "+ch); err != nil {
			return false, fmt.Errorf("listen on %s: %w", ch, err)
		}
	}
	l.pid.Store(conn.PgConn().PID())
	l.cache.setLive(true)
	for _, wake := range l.wake {
		wake()
	}
	l.log.Debug("API key cache on: listening for revocations", "channel", authChannel, "schema", schema)
	for {
		wctx, cancel := context.WithTimeout(ctx, listenPingEvery)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			if schema != "" && n.Payload != "" && n.Payload != schema {
				break
			}
			if wake, ok := l.wake[n.Channel]; ok {
				wake()
			} else {
				l.cache.flush()
			}
		case ctx.Err() != nil:
			return true, ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			// Quiet for a while: check that the connection still works
			// (one that died silently would otherwise wait forever).
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return true, fmt.Errorf("ping: %w", err)
			}
		default:
			return true, fmt.Errorf("wait for notification: %w", err)
		}
	}
}
