package filehash

import (
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitUntil polls cond, failing the test if it does not hold within 5 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

func TestMemoryBudgetAccounting(t *testing.T) {
	b := NewMemoryBudget(100, 0)
	if err := b.acquire(60); err != nil {
		t.Fatal(err)
	}
	if err := b.acquire(40); err != nil {
		t.Fatal(err)
	}
	if err := b.acquire(1); !errors.Is(err, ErrBusy) {
		t.Fatalf("acquire beyond the budget without waiting: %v, want ErrBusy", err)
	}
	b.release(60)
	if b.InUse() != 40 || b.Peak() != 100 {
		t.Fatalf("in use %d, peak %d; want 40, 100", b.InUse(), b.Peak())
	}
	if err := b.acquire(101); !errors.Is(err, ErrOverBudget) {
		t.Fatalf("acquire more than the whole budget: %v, want ErrOverBudget", err)
	}
	b.release(40)
	if b.InUse() != 0 {
		t.Fatalf("in use %d after releasing everything", b.InUse())
	}
	if NewMemoryBudget(0, 0).Limit() != DefaultDecodeMemory {
		t.Error("a zero limit is not the default")
	}
}

// TestMemoryBudgetWaits: a waiter gets its share when it is released within
// the wait, and gives up with ErrBusy when it is not.
func TestMemoryBudgetWaits(t *testing.T) {
	b := NewMemoryBudget(100, 5*time.Second)
	if err := b.acquire(80); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- b.acquire(50) }()
	waitUntil(t, "the waiter queues", func() bool { return b.waiting() == 1 })
	b.release(80)
	if err := <-done; err != nil {
		t.Fatalf("waiter: %v", err)
	}

	short := NewMemoryBudget(100, 20*time.Millisecond)
	if err := short.acquire(100); err != nil {
		t.Fatal(err)
	}
	if err := short.acquire(1); !errors.Is(err, ErrBusy) {
		t.Fatalf("wait ran out: %v, want ErrBusy", err)
	}
	if short.waiting() != 0 {
		t.Fatal("a waiter that gave up is still queued")
	}
}

// TestMemoryBudgetOrder: waiters are served in arrival order, so a large
// one is not overtaken by small ones that would fit; and when the head of
// the queue gives up, those behind it that fit are let in.
func TestMemoryBudgetOrder(t *testing.T) {
	b := NewMemoryBudget(100, time.Hour)
	if err := b.acquire(60); err != nil {
		t.Fatal(err)
	}
	large := make(chan error)
	go func() { large <- b.acquire(70) }()
	waitUntil(t, "the large waiter queues", func() bool { return b.waiting() == 1 })
	small := make(chan error)
	go func() { small <- b.acquire(10) }() // fits, but arrives after the large one
	waitUntil(t, "the small waiter queues behind it", func() bool { return b.waiting() == 2 })
	select {
	case err := <-small:
		t.Fatalf("a small waiter overtook the large one: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	b.release(60)
	if err := <-large; err != nil {
		t.Fatal(err)
	}
	if err := <-small; err != nil {
		t.Fatal(err)
	}
	if b.InUse() != 80 {
		t.Fatalf("in use %d, want 80", b.InUse())
	}

	// A head that gives up lets in the waiter behind it, which fits: it is
	// served then, not left to time out.
	// The next waiter queues half a wait after the head, so that its own
	// wait cannot run out first, however late the head's timer is served
	// on a loaded machine.
	c := NewMemoryBudget(100, 1500*time.Millisecond)
	if err := c.acquire(60); err != nil {
		t.Fatal(err)
	}
	head := make(chan error)
	go func() { head <- c.acquire(70) }()
	waitUntil(t, "the head queues", func() bool { return c.waiting() == 1 })
	time.Sleep(c.Wait() / 2)
	next := make(chan error)
	go func() { next <- c.acquire(30) }()
	waitUntil(t, "the next waiter queues", func() bool { return c.waiting() == 2 })
	if err := <-head; !errors.Is(err, ErrBusy) {
		t.Fatalf("head: %v, want ErrBusy", err)
	}
	if err := <-next; err != nil {
		t.Fatalf("the waiter behind a head that gave up: %v", err)
	}
}

// TestMemoryBudgetConcurrent takes and gives back random shares from many
// goroutines: what is held at once, counted independently, never exceeds
// the budget, and everything is given back.
func TestMemoryBudgetConcurrent(t *testing.T) {
	const limit = 1000
	b := NewMemoryBudget(limit, time.Millisecond)
	var held, most atomic.Int64
	var wg sync.WaitGroup
	var granted, busy atomic.Int64
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 1))
			for i := 0; i < 300; i++ {
				n := 1 + r.Int64N(400)
				if err := b.acquire(n); err != nil {
					if !errors.Is(err, ErrBusy) {
						t.Errorf("acquire %d: %v", n, err)
					}
					busy.Add(1)
					continue
				}
				granted.Add(1)
				h := held.Add(n)
				for m := most.Load(); h > m && !most.CompareAndSwap(m, h); m = most.Load() {
				}
				time.Sleep(time.Duration(r.IntN(50)) * time.Microsecond)
				held.Add(-n)
				b.release(n)
			}
		}(uint64(g))
	}
	wg.Wait()
	if most.Load() > limit || b.Peak() > limit {
		t.Fatalf("held %d at once (budget's own count %d), over the budget of %d", most.Load(), b.Peak(), limit)
	}
	if b.InUse() != 0 || b.waiting() != 0 {
		t.Fatalf("in use %d, %d waiting after everyone finished", b.InUse(), b.waiting())
	}
	t.Logf("%d granted, %d busy, peak %d", granted.Load(), busy.Load(), b.Peak())
}

// TestHashWithMemoryBudget hashes through a budget: an image takes its
// DecodeCost while it is decoded, finds the budget busy while someone else
// holds it, and is refused when it needs more than all of it.
func TestHashWithMemoryBudget(t *testing.T) {
	imgs := syntheticImages(t, 700, 600)
	for _, e := range imgs {
		if e.name != "png-rgba16" && e.name != "jpeg-color" {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			cost, err := DecodeCost(e.data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			b := NewMemoryBudget(cost, 10*time.Millisecond)
			res, err := HashBytes(e.data, Options{Memory: b})
			if err != nil || !res.IsImage {
				t.Fatalf("hash within the budget: %v %+v", err, res)
			}
			if b.InUse() != 0 || b.Peak() == 0 || b.Peak() > cost {
				t.Fatalf("in use %d, peak %d, cost %d", b.InUse(), b.Peak(), cost)
			}

			// Someone else holds part of the budget for longer than the wait.
			if err := b.acquire(cost / 2); err != nil {
				t.Fatal(err)
			}
			res, err = HashBytes(e.data, Options{Memory: b})
			if !errors.Is(err, ErrBusy) || res.IsImage || res.Width != 700 || res.MD5 == "" {
				t.Fatalf("hash while the budget is busy: %v, %+v", err, res)
			}
			b.release(cost / 2)

			small := NewMemoryBudget(cost/4, time.Second)
			res, err = HashBytes(e.data, Options{Memory: small})
			if !errors.Is(err, ErrOverBudget) || res.IsImage || small.Peak() != 0 {
				t.Fatalf("hash over the whole budget: %v, %+v, peak %d", err, res, small.Peak())
			}
		})
	}
}
