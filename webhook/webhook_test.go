package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/postgres"
	"github.com/kspplatform/ksp/postgres/pgtest"
	"github.com/kspplatform/ksp/sqlite"
	"github.com/kspplatform/ksp/storetest"
	"github.com/kspplatform/ksp/webhook"
)

// The reference vector published with the Standard Webhooks specification.
func TestSignStandardWebhooksVector(t *testing.T) {
	got, err := webhook.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	if _, err := webhook.Sign("whsec_not base64!", "m", time.Now(), nil); err == nil {
		t.Fatal("a malformed secret signed")
	}
}

// hookVerify is an independent implementation of the Standard Webhooks
// receiver's check, written from the specification: it shares no code with
// the package's signer. It accepts a message when any v1 signature of the
// header matches HMAC-SHA256(secret bytes, id.timestamp.body) and the
// timestamp is within five minutes of now.
func hookVerify(secret string, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook headers")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("bad timestamp")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return errors.New("timestamp outside tolerance")
	}
	key, err := base64.StdEncoding.DecodeString(secret[len("whsec_"):])
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		version, b64, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no signature matches")
}

func TestHookVerifyAgainstVector(t *testing.T) {
	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,bm9ub25l v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	if err := hookVerify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", h, []byte(`{"test": 2432232314}`), time.Unix(1614265330, 0)); err != nil {
		t.Fatalf("the test's verifier rejects the specification's vector: %v", err)
	}
	if err := hookVerify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", h, []byte(`{"test": 2432232315}`), time.Unix(1614265330, 0)); err == nil {
		t.Fatal("the test's verifier accepts a changed body")
	}
}

// hookReceiver is a local webhook endpoint that verifies each request with
// hookVerify and counts messages by webhook-id.
type hookReceiver struct {
	*httptest.Server
	secret atomic.Value // string
	down   atomic.Bool
	hang   atomic.Pointer[chan struct{}] // when set, requests wait for it to close
	mu     sync.Mutex
	got    map[string]int
	bodies map[string][]byte
	bad    []string
	hits   atomic.Int64
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{got: map[string]int{}, bodies: map[string][]byte{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.hits.Add(1)
		if h := r.hang.Load(); h != nil {
			select {
			case <-*h:
			case <-req.Context().Done():
				return
			}
		}
		if r.down.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		body, _ := io.ReadAll(req.Body)
		sec, _ := r.secret.Load().(string)
		err := hookVerify(sec, req.Header, body, time.Now())
		r.mu.Lock()
		defer r.mu.Unlock()
		if err != nil {
			r.bad = append(r.bad, err.Error())
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		id := req.Header.Get("webhook-id")
		r.got[id]++
		r.bodies[id] = body
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *hookReceiver) counts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.got))
	for k, v := range r.got {
		out[k] = v
	}
	return out
}

// waitHooks polls until cond holds or the test's patience runs out.
func waitHooks(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func hookSQLite(t testing.TB, path string) storetest.Store {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func hookPostgres(t testing.TB, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// startHookWorker runs a worker until the returned stop is called (or
// the test ends).
func startHookWorker(t testing.TB, w *webhook.Worker) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

var hookMembers = ksp.Sharing{OwnerOrgID: ksp.StaffOrgID, Distribution: ksp.DistMembers, TLP: ksp.TLPGreen}

func appendHookEvents(t *testing.T, db storetest.Store, n int) []string {
	t.Helper()
	var ids []string
	for i := 0; i < n; i++ {
		e, err := db.AppendEvent(storetest.Staff(), ksp.EventIncidentUpdated, ksp.NewID(), hookMembers, map[string]any{"id": "inc", "n": i})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	return ids
}

func hookInputAll(url string) ksp.WebhookInput {
	return ksp.WebhookInput{URL: url, Events: ksp.WebhookEventTypes}
}

func registerHook(t *testing.T, db storetest.Store, f *storetest.Fixture, url string) *ksp.Webhook {
	t.Helper()
	w, err := db.CreateWebhook(storetest.As(f.Platform, f.PlatAdmin), ksp.WebhookInput{URL: url, Events: ksp.WebhookEventTypes})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestDeliverSigned: events reach a local receiver (allowed with the
// private-network flag), signed so that an independent verifier accepts
// them, woken at commit (the worker's poll is an hour, so only the wake-up
// can start the attempts).
func TestDeliverSigned(t *testing.T) {
	db := hookSQLite(t, filepath.Join(t.TempDir(), "ksp.db"))
	f := storetest.NewFixture(t, db)
	rcv := newHookReceiver(t)
	hook := registerHook(t, db, f, rcv.URL+"/ksp")
	rcv.secret.Store(hook.Secret)
	startHookWorker(t, &webhook.Worker{Store: db, Client: webhook.NewClient(true), Poll: time.Hour, Log: slog.New(slog.DiscardHandler)})
	time.Sleep(50 * time.Millisecond) // the worker is waiting
	ids := appendHookEvents(t, db, 5)
	waitHooks(t, "5 deliveries", func() bool { return len(rcv.counts()) == 5 })
	for _, id := range ids {
		var body struct {
			ID, Type  string
			Timestamp ksp.Time
			Data      map[string]any
		}
		rcv.mu.Lock()
		err := json.Unmarshal(rcv.bodies[id], &body)
		rcv.mu.Unlock()
		if err != nil || body.ID != id || body.Type != ksp.EventIncidentUpdated || body.Timestamp.IsZero() || body.Data["id"] != "inc" {
			t.Fatalf("body of %s: %+v (%v)", id, body, err)
		}
	}
	if len(rcv.bad) > 0 {
		t.Fatalf("receiver rejected: %v", rcv.bad)
	}
	// After a rotation the receiver may verify with either secret.
	r, err := db.RotateWebhookSecret(storetest.As(f.Platform, f.PlatAdmin), hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, sec := range []string{hook.Secret, r.Secret} {
		rcv.secret.Store(sec)
		id := appendHookEvents(t, db, 1)[0]
		waitHooks(t, "delivery after rotation", func() bool { return rcv.counts()[id] == 1 })
	}
	// The test event goes out too.
	d, err := db.SendTestWebhook(storetest.As(f.Platform, f.PlatAdmin), hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	waitHooks(t, "the test event", func() bool { return rcv.counts()[d.EventID] == 1 })
}

// TestRefusePrivateTargets: without the flag a receiver on loopback is
// never reached, whether named by address or by a name that resolves to
// it; the delivery log says why.
func TestRefusePrivateTargets(t *testing.T) {
	db := hookSQLite(t, filepath.Join(t.TempDir(), "ksp.db"))
	f := storetest.NewFixture(t, db)
	rcv := newHookReceiver(t)
	_, port, _ := strings.Cut(strings.TrimPrefix(rcv.URL, "http://"), ":")
	for _, target := range []string{rcv.URL + "/x", "http://localhost:" + port + "/x"} {
		registerHook(t, db, f, target)
	}
	startHookWorker(t, &webhook.Worker{Store: db, Client: webhook.NewClient(false), Backoff: func(int) time.Duration { return time.Hour }, Log: slog.New(slog.DiscardHandler)})
	appendHookEvents(t, db, 1)
	admin := storetest.As(f.Platform, f.PlatAdmin)
	hooks, err := db.FindWebhooks(admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hooks {
		waitHooks(t, "a refused attempt on "+h.URL, func() bool {
			log, _, err := db.FindWebhookDeliveries(admin, h.ID, ksp.Page{})
			return err == nil && len(log) == 1 && log[0].Attempts == 1
		})
		log, _, _ := db.FindWebhookDeliveries(admin, h.ID, ksp.Page{})
		// The log says why, without naming the address the name resolved
		// to (a member must not learn the deployment's own network).
		if !strings.Contains(log[0].LastError, "non-public") || strings.Contains(log[0].LastError, "127.0.0.1") || strings.Contains(log[0].LastError, "::1") ||
			log[0].Status != ksp.DeliveryPending {
			t.Fatalf("%s: delivery log %+v", h.URL, log[0])
		}
	}
	if n := rcv.hits.Load(); n != 0 {
		t.Fatalf("the loopback receiver was reached %d times", n)
	}
}

// TestReceiverDownThenBack: a receiver that is down for a while, then
// back, gets every event at least once.
func TestReceiverDownThenBack(t *testing.T) {
	db := hookSQLite(t, filepath.Join(t.TempDir(), "ksp.db"))
	f := storetest.NewFixture(t, db)
	rcv := newHookReceiver(t)
	rcv.down.Store(true)
	hook := registerHook(t, db, f, rcv.URL)
	rcv.secret.Store(hook.Secret)
	startHookWorker(t, &webhook.Worker{Store: db, Client: webhook.NewClient(true), Backoff: func(int) time.Duration { return 20 * time.Millisecond }, Log: slog.New(slog.DiscardHandler)})
	ids := appendHookEvents(t, db, 10)
	waitHooks(t, "failed attempts while down", func() bool { return rcv.hits.Load() >= 30 })
	rcv.down.Store(false)
	waitHooks(t, "every event once the receiver is back", func() bool {
		c := rcv.counts()
		for _, id := range ids {
			if c[id] == 0 {
				return false
			}
		}
		return true
	})
	// The log records each success once the attempt's outcome is written,
	// a moment after the receiver answered.
	var log []*ksp.Delivery
	waitHooks(t, "the delivery log to record every success", func() bool {
		var err error
		log, _, err = db.FindWebhookDeliveries(storetest.As(f.Platform, f.PlatAdmin), hook.ID, ksp.Page{})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range log {
			if d.Status != ksp.DeliveryDelivered {
				return false
			}
		}
		return true
	})
	for _, d := range log {
		if d.Status != ksp.DeliveryDelivered || d.Attempts < 2 {
			t.Fatalf("delivery %+v: want delivered after retries", d)
		}
	}
}

// TestGiveUpAfterWindow: attempts stop once the retry window has passed;
// the delivery is marked failed.
func TestGiveUpAfterWindow(t *testing.T) {
	db := hookSQLite(t, filepath.Join(t.TempDir(), "ksp.db"))
	f := storetest.NewFixture(t, db)
	rcv := newHookReceiver(t)
	rcv.down.Store(true)
	hook := registerHook(t, db, f, rcv.URL)
	startHookWorker(t, &webhook.Worker{Store: db, Client: webhook.NewClient(true), RetryWindow: 200 * time.Millisecond,
		Backoff: func(int) time.Duration { return 30 * time.Millisecond }, Log: slog.New(slog.DiscardHandler)})
	appendHookEvents(t, db, 1)
	admin := storetest.As(f.Platform, f.PlatAdmin)
	waitHooks(t, "the delivery to be given up", func() bool {
		log, _, err := db.FindWebhookDeliveries(admin, hook.ID, ksp.Page{})
		return err == nil && len(log) == 1 && log[0].Status == ksp.DeliveryFailed
	})
	n := rcv.hits.Load()
	time.Sleep(150 * time.Millisecond)
	if rcv.hits.Load() != n {
		t.Fatal("attempts went on after giving up")
	}
}

// TestRestartMidRetry: a server stopped in the middle of an attempt and
// with retries pending still delivers everything once a new worker (a
// restarted server) runs over the same database.
func TestRestartMidRetry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ksp.db")
	db := hookSQLite(t, path)
	f := storetest.NewFixture(t, db)
	rcv := newHookReceiver(t)
	rcv.down.Store(true)
	hook := registerHook(t, db, f, rcv.URL)
	rcv.secret.Store(hook.Secret)
	stop := startHookWorker(t, &webhook.Worker{Store: db, Client: webhook.NewClient(true), Lease: 300 * time.Millisecond,
		Backoff: func(int) time.Duration { return 50 * time.Millisecond }, Log: slog.New(slog.DiscardHandler)})
	ids := appendHookEvents(t, db, 5)
	waitHooks(t, "failed attempts", func() bool { return rcv.hits.Load() >= 10 })
	// The next attempts hang; the server stops while they are in flight.
	hang := make(chan struct{})
	rcv.hang.Store(&hang)
	time.Sleep(200 * time.Millisecond)
	stop()
	db.Close()
	close(hang)
	rcv.hang.Store(nil)
	rcv.down.Store(false)

	db2 := hookSQLite(t, path)
	startHookWorker(t, &webhook.Worker{Store: db2, Client: webhook.NewClient(true), Log: slog.New(slog.DiscardHandler)})
	waitHooks(t, "every event after the restart", func() bool {
		c := rcv.counts()
		for _, id := range ids {
			if c[id] == 0 {
				return false
			}
		}
		return true
	})
}

// TestTwoReplicasExactlyOnce: two workers on two replicas over one
// PostgreSQL database deliver each event exactly once; a worker on a
// replica that wrote nothing is woken by the other's notification.
func TestTwoReplicasExactlyOnce(t *testing.T) {
	url := pgtest.Schema(t)
	a := hookPostgres(t, url)
	b := hookPostgres(t, url)
	f := storetest.NewFixture(t, a)
	rcv := newHookReceiver(t)
	hook := registerHook(t, a, f, rcv.URL)
	rcv.secret.Store(hook.Secret)

	// Only replica b works, and never polls: a's events must wake it.
	stopB := startHookWorker(t, &webhook.Worker{Store: b, Client: webhook.NewClient(true), Poll: time.Hour, Log: slog.New(slog.DiscardHandler)})
	time.Sleep(200 * time.Millisecond)
	first := appendHookEvents(t, a, 1)
	waitHooks(t, "replica b's delivery of replica a's event", func() bool { return rcv.counts()[first[0]] == 1 })
	stopB()

	for _, s := range []*postgres.DB{a, b} {
		startHookWorker(t, &webhook.Worker{Store: s, Client: webhook.NewClient(true), Concurrency: 4, Log: slog.New(slog.DiscardHandler)})
	}
	ids := appendHookEvents(t, a, 60)
	ids = append(ids, appendHookEvents(t, b, 60)...)
	waitHooks(t, "every event", func() bool { return len(rcv.counts()) == len(ids)+1 })
	time.Sleep(300 * time.Millisecond) // a duplicate would arrive now
	for id, n := range rcv.counts() {
		if n != 1 {
			t.Fatalf("event %s delivered %d times", id, n)
		}
	}
}
