package filehash

import (
	"container/list"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultDecodeMemory is a decode budget for a small machine: 1 GiB, enough
// for any image within DefaultMaxPixels in the common formats (a 16-bit RGBA
// PNG of 100 megapixels decodes to 800 MB).
const DefaultDecodeMemory = 1 << 30

// DefaultDecodeWait is how long a decode waits for its share of the budget
// before it gives up with ErrBusy.
const DefaultDecodeWait = 2 * time.Second

// ErrBusy is wrapped by the error returned when the decode budget stayed in
// use by other decodes for the whole wait: the caller may try again later.
var ErrBusy = errors.New("image decoding is busy")

// ErrOverBudget is wrapped by the error returned for an image whose decode
// alone would need more memory than the whole budget.
var ErrOverBudget = errors.New("image needs more memory to decode than the decode budget")

// MemoryBudget bounds the memory that concurrent image decodes allocate. It
// is a weighted semaphore over bytes: a decode takes what its decoder and
// the hasher will allocate for the image's declared dimensions and format
// (see DecodeCost) before decoding, and gives it back when the hash is done.
// Waiters are served in arrival order, so a large image is not starved by a
// stream of small ones. It is safe for concurrent use.
type MemoryBudget struct {
	limit int64
	wait  time.Duration

	mu      sync.Mutex
	used    int64
	peak    int64
	waiters list.List // of *budgetWaiter, oldest first
}

type budgetWaiter struct {
	n     int64
	ready chan struct{} // closed when the bytes were granted
}

// NewMemoryBudget returns a budget of limit bytes whose decodes wait at most
// wait for their share (0: they do not wait). limit <= 0 means
// DefaultDecodeMemory.
func NewMemoryBudget(limit int64, wait time.Duration) *MemoryBudget {
	if limit <= 0 {
		limit = DefaultDecodeMemory
	}
	return &MemoryBudget{limit: limit, wait: max(wait, 0)}
}

// Limit returns the budget's size in bytes.
func (b *MemoryBudget) Limit() int64 { return b.limit }

// Wait returns how long a decode waits for its share.
func (b *MemoryBudget) Wait() time.Duration { return b.wait }

// InUse returns the bytes held by decodes now.
func (b *MemoryBudget) InUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// Peak returns the most bytes ever held at once.
func (b *MemoryBudget) Peak() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.peak
}

// waiting returns the number of decodes waiting for their share.
func (b *MemoryBudget) waiting() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waiters.Len()
}

// acquire takes n bytes, waiting up to the budget's wait for them. It
// returns an error wrapping ErrOverBudget when n exceeds the whole budget,
// and one wrapping ErrBusy when the wait ran out.
func (b *MemoryBudget) acquire(n int64) error {
	if n > b.limit {
		return fmt.Errorf("%w: %s needed, the budget is %s", ErrOverBudget, mib(n), mib(b.limit))
	}
	b.mu.Lock()
	if b.waiters.Len() == 0 && b.used+n <= b.limit {
		b.take(n)
		b.mu.Unlock()
		return nil
	}
	if b.wait == 0 {
		used := b.used
		b.mu.Unlock()
		return b.busy(n, used)
	}
	w := &budgetWaiter{n: n, ready: make(chan struct{})}
	elem := b.waiters.PushBack(w)
	b.mu.Unlock()

	timer := time.NewTimer(b.wait)
	defer timer.Stop()
	select {
	case <-w.ready:
		return nil
	case <-timer.C:
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-w.ready: // granted while the timer fired
		return nil
	default:
	}
	b.waiters.Remove(elem)
	// Leaving the head of the queue may let the next ones in.
	b.grant()
	return b.busy(n, b.used)
}

func (b *MemoryBudget) busy(n, used int64) error {
	return fmt.Errorf("%w: %s needed, %s of %s in use", ErrBusy, mib(n), mib(used), mib(b.limit))
}

// Reserve takes n bytes from the budget, waiting as a decode does, and
// returns the function that gives them back (call it once). Decodes reserve
// their DecodeCost this way; other memory-hungry work on the same machine
// can share the budget through it too. A nil budget bounds nothing.
func (b *MemoryBudget) Reserve(n int64) (release func(), err error) {
	if b == nil {
		return func() {}, nil
	}
	if err := b.acquire(n); err != nil {
		return nil, err
	}
	var once sync.Once
	return func() { once.Do(func() { b.release(n) }) }, nil
}

// release gives back n bytes taken by acquire.
func (b *MemoryBudget) release(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	if b.used < 0 {
		panic("filehash: MemoryBudget released more than it holds")
	}
	b.grant()
}

// grant serves waiters in order while the oldest fits. b.mu is held.
func (b *MemoryBudget) grant() {
	for e := b.waiters.Front(); e != nil; e = b.waiters.Front() {
		w := e.Value.(*budgetWaiter)
		if b.used+w.n > b.limit {
			return
		}
		b.take(w.n)
		b.waiters.Remove(e)
		close(w.ready)
	}
}

// take records n more bytes in use. b.mu is held.
func (b *MemoryBudget) take(n int64) {
	b.used += n
	b.peak = max(b.peak, b.used)
}

func mib(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
