package bank

import (
	"sync"
	"time"
)

// syncFailures remembers since when every Sync has failed, for readiness:
// a replica whose follower cannot read the change sequence serves matches
// that grow staler by the second, even while its database answers a ping.
// It has a lock of its own, since Sync holds syncMu for as long as a large
// sync takes and readiness must not wait for it.
type syncFailures struct {
	mu    sync.Mutex
	since time.Time // first failure of the current run; zero: the last sync succeeded
	last  error
}

// record notes the outcome of one Sync; a sync cut short by its context
// ending (shutdown, a request gone) counts as neither.
func (f *syncFailures) record(err error, cancelled bool) {
	if err != nil && cancelled {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case err == nil:
		f.since, f.last = time.Time{}, nil
	case f.since.IsZero():
		f.since, f.last = time.Now(), err
	default:
		f.last = err
	}
}

// SyncFailing reports since when every sync has failed and the last
// error, or a zero time when the last sync succeeded. A slow sync is not
// a failure: readiness built on this does not take every replica out of
// the balancer at once while they apply a large import.
func (b *Bank) SyncFailing() (since time.Time, err error) {
	b.failing.mu.Lock()
	defer b.failing.mu.Unlock()
	return b.failing.since, b.failing.last
}
