package postgres

import "sync"

// changesChannel is the notification channel of the trigger of migration
// 024_replicas.postgres.sql: it fires, at commit, for every
// transaction that moves the signals change sequence.
const changesChannel = "ksp_changes"

// changeSubscribers are the functions called when another replica (or
// this one, or anybody in SQL) commits a signal change.
type changeSubscribers struct {
	mu  sync.Mutex
	fns []func()
}

// notify calls every subscriber. Subscribers only signal a goroutine of
// their own (the hash bank's follower), so they run on the listener's
// goroutine.
func (c *changeSubscribers) notify() {
	c.mu.Lock()
	fns := c.fns
	c.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// OnSignalChange registers fn to be called soon after each commit that
// moves the signals change sequence, on any replica: the trigger of
// migration 024 notifies channel ksp_changes at commit, and the store's
// listening connection (the one the API key cache listens on) calls fn.
// fn is also called each time that connection starts listening, since
// notifications sent while it was down are lost. fn must not block: the
// hash bank's Wake only signals its follower, which then reads the
// changes past its position. Followers keep polling as well, for the
// moments the connection is down.
func (db *DB) OnSignalChange(fn func()) {
	db.changes.mu.Lock()
	db.changes.fns = append(db.changes.fns, fn)
	db.changes.mu.Unlock()
}
