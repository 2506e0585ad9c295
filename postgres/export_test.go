package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// OpenGated is Open, except that the key listener connects only when gate
// lets it: one receive for each connection, the first included.
func OpenGated(ctx context.Context, url string, gate <-chan struct{}) (*DB, error) {
	return open(ctx, url, nil, func(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return pgx.ConnectConfig(ctx, cfg)
	})
}

// KeyCacheLive tells whether the key cache is in use (its listener is
// connected).
func (db *DB) KeyCacheLive() bool {
	_, live := db.keys.generation()
	return live
}

// KeyCacheHits counts the lookups the cache answered.
func (db *DB) KeyCacheHits() int64 { return db.keys.hits.Load() }

// KeyCacheLen is the number of cached keys.
func (db *DB) KeyCacheLen() int {
	db.keys.mu.RLock()
	defer db.keys.mu.RUnlock()
	return len(db.keys.entries)
}

// KeyListenerPID is the backend process of the listener's connection (0
// while it is down).
func (db *DB) KeyListenerPID() uint32 { return db.listener.pid.Load() }
