package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/kspplatform/ksp"
)

// Store is what a worker needs of the store: the outbox and its wake-up.
type Store interface {
	ClaimWebhookDeliveries(ctx context.Context, now time.Time, n int, lease time.Duration) ([]*ksp.DeliveryJob, error)
	FinishWebhookDelivery(ctx context.Context, job *ksp.DeliveryJob, at time.Time, res ksp.DeliveryResult) error
	NextWebhookDelivery(ctx context.Context) (time.Time, error)
	EventsCommitted() <-chan struct{}
}

// Worker delivers due deliveries. Several workers, in one process or on
// several replicas over one database, may run side by side: each claim is
// exclusive until its lease ends, and a worker that dies mid-attempt
// leaves its deliveries to be claimed again after the lease.
type Worker struct {
	Store  Store
	Client *http.Client
	Log    *slog.Logger
	// Concurrency is how many attempts run at once (default 8).
	Concurrency int
	// Lease is how long a claim keeps others off (default 1 minute; it
	// must exceed the client's timeout).
	Lease time.Duration
	// Poll is the longest wait between looks at the outbox when nothing
	// wakes the worker (default 5 s): the fallback if a wake-up is lost.
	Poll time.Duration
	// Backoff is the wait after the nth failed attempt (default:
	// DefaultBackoff).
	Backoff func(n int) time.Duration
	// RetryWindow is how long after queueing a delivery is retried
	// (default ksp.WebhookRetryWindow).
	RetryWindow time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// DefaultBackoff doubles from 5 seconds up to 2 hours: about 17 attempts
// over the 24-hour window.
func DefaultBackoff(n int) time.Duration {
	d := 5 * time.Second
	for i := 1; i < n && d < 2*time.Hour; i++ {
		d *= 2
	}
	return min(d, 2*time.Hour)
}

func (w *Worker) defaults() {
	if w.Concurrency <= 0 {
		w.Concurrency = 8
	}
	if w.Lease <= 0 {
		w.Lease = time.Minute
	}
	if w.Poll <= 0 {
		w.Poll = 5 * time.Second
	}
	if w.Backoff == nil {
		w.Backoff = DefaultBackoff
	}
	if w.RetryWindow <= 0 {
		w.RetryWindow = ksp.WebhookRetryWindow
	}
	if w.Now == nil {
		w.Now = time.Now
	}
	if w.Log == nil {
		w.Log = slog.Default()
	}
	if w.Client == nil {
		w.Client = NewClient(false)
	}
}

// Run delivers until ctx ends, then waits for the attempts in flight.
func (w *Worker) Run(ctx context.Context) {
	w.defaults()
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, w.Concurrency)
	done := make(chan struct{}, w.Concurrency)
	for ctx.Err() == nil {
		wake := w.Store.EventsCommitted()
		free := w.Concurrency - len(slots)
		var jobs []*ksp.DeliveryJob
		if free > 0 {
			var err error
			jobs, err = w.Store.ClaimWebhookDeliveries(ctx, w.Now(), free, w.Lease)
			if err != nil && ctx.Err() == nil {
				w.Log.Error("claim webhook deliveries", "err", err)
			}
		}
		for _, j := range jobs {
			slots <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.attempt(ctx, j)
				<-slots
				select {
				case done <- struct{}{}:
				default: // the loop is awake already
				}
			}()
		}
		if len(jobs) == free && free > 0 {
			continue // there may be more due
		}
		wait := w.Poll
		if len(slots) < w.Concurrency {
			if next, err := w.Store.NextWebhookDelivery(ctx); err == nil && !next.IsZero() {
				wait = min(wait, max(next.Sub(w.Now()), 0))
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-wake:
		case <-done:
		case <-t.C:
		}
		t.Stop()
	}
}

// attempt sends one delivery and records the outcome.
func (w *Worker) attempt(ctx context.Context, j *ksp.DeliveryJob) {
	now := w.Now()
	res := w.send(ctx, j, now)
	if ctx.Err() != nil && !res.OK {
		return // shutting down: the lease lapses and another attempt follows
	}
	if !res.OK {
		next := now.Add(w.Backoff(j.Attempts + 1))
		if next.Before(j.Created.Add(w.RetryWindow)) {
			res.RetryAt = next
		} else {
			w.Log.Warn("webhook delivery given up after its retry window", "delivery", j.ID, "webhook", j.WebhookID, "org", j.OrgID,
				"attempts", j.Attempts+1, "status", res.Status, "err", res.Error)
		}
	}
	if err := w.Store.FinishWebhookDelivery(context.WithoutCancel(ctx), j, w.Now(), res); err != nil {
		w.Log.Error("record webhook delivery", "delivery", j.ID, "err", err)
	}
}

// send makes one signed request.
func (w *Worker) send(ctx context.Context, j *ksp.DeliveryJob, now time.Time) ksp.DeliveryResult {
	if len(j.Body) > MaxBodyBytes {
		return ksp.DeliveryResult{Error: fmt.Sprintf("event body of %d bytes exceeds the %d-byte limit", len(j.Body), MaxBodyBytes)}
	}
	sig, err := SignatureHeader(j.Secrets, j.MessageID, now, j.Body)
	if err != nil {
		return ksp.DeliveryResult{Error: err.Error()}
	}
	rctx, cancel := context.WithTimeout(ctx, RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, j.URL, bytes.NewReader(j.Body))
	if err != nil {
		return ksp.DeliveryResult{Error: "bad target URL: " + err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "KSP-Webhooks/1")
	req.Header.Set("webhook-id", j.MessageID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := w.Client.Do(req)
	if errors.Is(err, ErrPrivateAddress) {
		// The dial error names the address the target resolved to; the
		// log is the member's to read, and a name may resolve (through a
		// CNAME, say) to an address of the deployment's own network that
		// members must not learn.
		return ksp.DeliveryResult{Error: "refused: the target resolved to an " + ErrPrivateAddress.Error()}
	}
	if err != nil {
		return ksp.DeliveryResult{Error: err.Error()}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponseBytes))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return ksp.DeliveryResult{Status: resp.StatusCode, Error: "receiver answered " + resp.Status}
	}
	return ksp.DeliveryResult{OK: true, Status: resp.StatusCode}
}
