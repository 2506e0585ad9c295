package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/secret"
)

// eventHub wakes whoever waits for new events or deliveries. The zero
// value is ready: each wait shares one channel, closed by the next wake.
type eventHub struct {
	mu sync.Mutex
	ch chan struct{}
}

func (h *eventHub) wait() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ch == nil {
		h.ch = make(chan struct{})
	}
	return h.ch
}

func (h *eventHub) wake() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ch != nil {
		close(h.ch)
		h.ch = nil
	}
}

// EventsCommitted returns a channel closed the next time a write that
// appended events or queued deliveries commits in this process, or
// WakeEvents is called (the PostgreSQL adapter calls it when another
// replica's notification arrives).
func (db *DB) EventsCommitted() <-chan struct{} { return db.events.wait() }

// WakeEvents wakes the waiters of EventsCommitted.
func (db *DB) WakeEvents() { db.events.wake() }

// EventSeqBefore returns the highest event sequence number whose event is
// older than t, or 0.
func (db *DB) EventSeqBefore(ctx context.Context, t time.Time) (int64, error) {
	var seq int64
	if err := db.queryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM events WHERE time < ?`, t.UnixMicro()).Scan(&seq); err != nil {
		return 0, fmt.Errorf("event sequence before %s: %w", t, err)
	}
	return seq, nil
}

// txOutbox is what a write transaction knows of the outbox: the webhooks
// (loaded once per transaction, at the first event) and whether it queued
// anything to wake workers for.
type txOutbox struct {
	loaded  bool
	targets []webhookTarget
	dirty   bool
}

type webhookTarget struct {
	id     string
	viewer ksp.Viewer
	events []string
}

func (tx *Tx) outboxState() *txOutbox {
	if tx.outbox == nil {
		tx.outbox = &txOutbox{}
	}
	return tx.outbox
}

// wakeAtCommit wakes the waiters of EventsCommitted (the live feed, the
// webhook workers and the staff pager) once this transaction commits, for
// a change they must look at that appends no event of its own. Appending
// an event does it too.
func (tx *Tx) wakeAtCommit() { tx.outboxState().dirty = true }

// queueDeliveries queues e to every webhook whose org may see it (ksp.CanSee,
// the one sharing rule, over the event's own sharing) and that subscribes
// to its type. It runs inside the event's transaction, so an event and its
// deliveries commit together or not at all.
func (tx *Tx) queueDeliveries(e *ksp.Event) error {
	ob := tx.outboxState()
	ob.dirty = true
	if !ob.loaded {
		rows, err := tx.query(`SELECT w.id, w.org_id, o.status, w.events FROM webhooks w JOIN orgs o ON o.id = w.org_id`)
		if err != nil {
			return fmt.Errorf("queue deliveries: %w", err)
		}
		for rows.Next() {
			var t webhookTarget
			var status, evs string
			if err := rows.Scan(&t.id, &t.viewer.OrgID, &status, &evs); err != nil {
				rows.Close()
				return fmt.Errorf("queue deliveries: %w", err)
			}
			t.viewer.Staff = t.viewer.OrgID == ksp.StaffOrgID
			t.viewer.Suspended = status == string(ksp.OrgStatusSuspended)
			if err := json.Unmarshal([]byte(evs), &t.events); err != nil {
				rows.Close()
				return fmt.Errorf("queue deliveries: webhook %s events: %w", t.id, err)
			}
			ob.targets = append(ob.targets, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("queue deliveries: %w", err)
		}
		ob.loaded = true
	}
	var body []byte
	for _, t := range ob.targets {
		if !contains(t.events, e.Type) || !ksp.CanSee(t.viewer, e.Sharing) {
			continue
		}
		if body == nil {
			var err error
			if body, err = webhookBody(e.ID, e.Type, e.Time, e.Data); err != nil {
				return err
			}
		}
		if err := tx.insertDelivery(t.id, e.ID, e.Type, body); err != nil {
			return err
		}
	}
	return nil
}

// webhookBody is the JSON every delivery carries (API.md).
func webhookBody(id, typ string, at ksp.Time, data json.RawMessage) ([]byte, error) {
	if len(data) == 0 {
		data = json.RawMessage("null")
	}
	b, err := json.Marshal(struct {
		ID        string          `json:"id"`
		Type      string          `json:"type"`
		Timestamp ksp.Time        `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}{id, typ, at, data})
	if err != nil {
		return nil, fmt.Errorf("webhook body %s: %w", typ, err)
	}
	return b, nil
}

func (tx *Tx) insertDelivery(webhookID, eventID, eventType string, body []byte) error {
	if _, err := tx.exec(`INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, body, status, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ksp.NewID(), webhookID, eventID, eventType, string(body), ksp.DeliveryPending, micros(tx.now), micros(tx.now)); err != nil {
		return fmt.Errorf("queue delivery of %s: %w", eventType, err)
	}
	tx.outboxState().dirty = true
	return nil
}

// requireWebhookAdmin returns the actor if it may manage its org's
// webhooks: an org admin (or staff, for the secretariat's own).
func requireWebhookAdmin(ctx context.Context) (*ksp.Actor, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	if !a.HasRole(ksp.RoleAdmin) {
		return nil, ksp.Errorf(ksp.EFORBIDDEN, "organisation admins only")
	}
	if a.Suspended {
		return nil, errSuspended("manage webhooks")
	}
	return a, nil
}

const webhookCols = `w.id, w.org_id, w.url, w.events, w.created_at, w.rotated_at, w.previous_until`

func scanWebhook(sc interface{ Scan(...any) error }) (*ksp.Webhook, error) {
	var w ksp.Webhook
	var evs string
	var created int64
	var rotated, until sql.NullInt64
	if err := sc.Scan(&w.ID, &w.OrgID, &w.URL, &evs, &created, &rotated, &until); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(evs), &w.Events); err != nil {
		return nil, fmt.Errorf("webhook %s events: %w", w.ID, err)
	}
	w.Created, w.Rotated, w.PreviousUntil = fromMicros(created), ptrTime(rotated), ptrTime(until)
	return &w, nil
}

// FindWebhooks lists the actor's org's webhooks, newest first.
func (db *DB) FindWebhooks(ctx context.Context) ([]*ksp.Webhook, error) {
	a, err := requireWebhookAdmin(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.query(ctx, `SELECT `+webhookCols+` FROM webhooks w WHERE w.org_id = ? ORDER BY w.id DESC`, a.OrgID)
	if err != nil {
		return nil, fmt.Errorf("find webhooks: %w", err)
	}
	defer rows.Close()
	out := []*ksp.Webhook{}
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("find webhooks: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// FindWebhookByID returns one of the actor's org's webhooks; another org's
// does not exist for it.
func (db *DB) FindWebhookByID(ctx context.Context, id string) (*ksp.Webhook, error) {
	a, err := requireWebhookAdmin(ctx)
	if err != nil {
		return nil, err
	}
	return db.findWebhook(ctx, db.sql, a.OrgID, id)
}

func (db *DB) findWebhook(ctx context.Context, q querier, orgID, id string) (*ksp.Webhook, error) {
	if !ksp.ValidID(id) {
		return nil, ksp.NotFound("webhook")
	}
	w, err := scanWebhook(q.QueryRowContext(ctx, db.rebind(`SELECT `+webhookCols+` FROM webhooks w WHERE w.id = ? AND w.org_id = ?`), id, orgID))
	if isNoRows(err) {
		return nil, ksp.NotFound("webhook")
	}
	if err != nil {
		return nil, fmt.Errorf("find webhook: %w", err)
	}
	return w, nil
}

// CreateWebhook registers a webhook for the actor's org and returns it
// with its secret, the only time the secret is shown.
func (db *DB) CreateWebhook(ctx context.Context, in ksp.WebhookInput) (*ksp.Webhook, error) {
	a, err := requireWebhookAdmin(ctx)
	if err != nil {
		return nil, err
	}
	in, err = in.Validate()
	if err != nil {
		return nil, err
	}
	var w *ksp.Webhook
	err = db.write(ctx, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM webhooks WHERE org_id = ?`, a.OrgID).Scan(&n); err != nil {
			return fmt.Errorf("create webhook: %w", err)
		}
		if n >= ksp.MaxWebhooksPerOrg {
			return &ksp.Error{Code: ksp.ECONFLICT, Message: fmt.Sprintf("an organisation may register at most %d webhooks; delete one first", ksp.MaxWebhooksPerOrg)}
		}
		w = &ksp.Webhook{ID: ksp.NewID(), OrgID: a.OrgID, URL: in.URL, Events: in.Events, Secret: ksp.NewWebhookSecret(), Created: tx.now}
		if _, err := tx.exec(`INSERT INTO webhooks (id, org_id, url, events, secret, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			w.ID, w.OrgID, w.URL, jsonList(w.Events), db.box.Seal(w.Secret, w.ID), a.AuditName(), micros(tx.now)); err != nil {
			return fmt.Errorf("create webhook: %w", err)
		}
		return tx.audit("webhook.create", "webhook:"+w.ID, a.OrgID, map[string]any{"url": w.URL, "events": w.Events})
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// DeleteWebhook removes one of the actor's org's webhooks with its
// deliveries.
func (db *DB) DeleteWebhook(ctx context.Context, id string) error {
	a, err := requireWebhookAdmin(ctx)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		if _, err := db.findWebhook(ctx, tx, a.OrgID, id); err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM webhook_deliveries WHERE webhook_id = ?`, id); err != nil {
			return fmt.Errorf("delete webhook: %w", err)
		}
		if _, err := tx.exec(`DELETE FROM webhooks WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete webhook: %w", err)
		}
		return tx.audit("webhook.delete", "webhook:"+id, a.OrgID, nil)
	})
}

// RotateWebhookSecret issues a new secret; the one it replaces keeps
// signing beside it for ksp.WebhookSecretOverlap (a secret older than
// that, from an earlier rotation, stops at once).
func (db *DB) RotateWebhookSecret(ctx context.Context, id string) (*ksp.Webhook, error) {
	a, err := requireWebhookAdmin(ctx)
	if err != nil {
		return nil, err
	}
	var w *ksp.Webhook
	err = db.write(ctx, func(tx *Tx) error {
		if _, err := db.findWebhook(ctx, tx, a.OrgID, id); err != nil {
			return err
		}
		fresh := ksp.NewWebhookSecret()
		until := tx.now.Add(ksp.WebhookSecretOverlap)
		if _, err := tx.exec(`UPDATE webhooks SET previous_secret = secret, previous_until = ?, secret = ?, rotated_at = ? WHERE id = ?`,
			until.UnixMicro(), db.box.Seal(fresh, id), micros(tx.now), id); err != nil {
			return fmt.Errorf("rotate webhook secret: %w", err)
		}
		var err error
		if w, err = db.findWebhook(ctx, tx, a.OrgID, id); err != nil {
			return err
		}
		w.Secret = fresh
		return tx.audit("webhook.rotate_secret", "webhook:"+id, a.OrgID, nil)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// SendTestWebhook queues a webhook.test event to one webhook, whatever
// types it subscribes to.
func (db *DB) SendTestWebhook(ctx context.Context, id string) (*ksp.Delivery, error) {
	a, err := requireWebhookAdmin(ctx)
	if err != nil {
		return nil, err
	}
	var d *ksp.Delivery
	err = db.write(ctx, func(tx *Tx) error {
		if _, err := db.findWebhook(ctx, tx, a.OrgID, id); err != nil {
			return err
		}
		evID := ksp.NewID()
		data, err := json.Marshal(map[string]string{"webhook_id": id, "message": "A test event from KSP: your endpoint receives and verifies webhooks."})
		if err != nil {
			return fmt.Errorf("test webhook: %w", err)
		}
		body, err := webhookBody(evID, ksp.EventWebhookTest, tx.now, data)
		if err != nil {
			return err
		}
		if err := tx.insertDelivery(id, evID, ksp.EventWebhookTest, body); err != nil {
			return err
		}
		if err := tx.audit("webhook.test", "webhook:"+id, a.OrgID, nil); err != nil {
			return err
		}
		d, err = db.findDelivery(ctx, tx, id, evID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

const deliveryCols = `d.id, d.webhook_id, d.event_id, d.event_type, d.status, d.attempts, d.created_at, d.next_at, d.last_at, d.last_status, d.last_error, d.delivered_at`

func scanDelivery(sc interface{ Scan(...any) error }) (*ksp.Delivery, error) {
	var d ksp.Delivery
	var created, next int64
	var last, delivered sql.NullInt64
	if err := sc.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.EventType, &d.Status, &d.Attempts, &created, &next, &last, &d.LastStatus, &d.LastError, &delivered); err != nil {
		return nil, err
	}
	d.Created, d.LastAttempt, d.Delivered = fromMicros(created), ptrTime(last), ptrTime(delivered)
	if d.Status == ksp.DeliveryPending {
		t := fromMicros(next)
		d.NextAttempt = &t
	}
	return &d, nil
}

func (db *DB) findDelivery(ctx context.Context, q querier, webhookID, eventID string) (*ksp.Delivery, error) {
	d, err := scanDelivery(q.QueryRowContext(ctx, db.rebind(`SELECT `+deliveryCols+` FROM webhook_deliveries d WHERE d.webhook_id = ? AND d.event_id = ?`), webhookID, eventID))
	if err != nil {
		return nil, fmt.Errorf("find delivery: %w", err)
	}
	return d, nil
}

// FindWebhookDeliveries is the delivery log of one of the actor's org's
// webhooks, newest first.
func (db *DB) FindWebhookDeliveries(ctx context.Context, id string, p ksp.Page) ([]*ksp.Delivery, string, error) {
	a, err := requireWebhookAdmin(ctx)
	if err != nil {
		return nil, "", err
	}
	if _, err := db.findWebhook(ctx, db.sql, a.OrgID, id); err != nil {
		return nil, "", err
	}
	pw, pargs, limit, err := pageQuery(p, "d.id")
	if err != nil {
		return nil, "", err
	}
	rows, err := db.query(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries d WHERE d.webhook_id = ? AND `+pw+` ORDER BY d.id DESC LIMIT `+fmt.Sprint(limit), append([]any{id}, pargs...)...)
	if err != nil {
		return nil, "", fmt.Errorf("find deliveries: %w", err)
	}
	defer rows.Close()
	out := []*ksp.Delivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, "", fmt.Errorf("find deliveries: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find deliveries: %w", err)
	}
	out, next := cut(out, p, func(d *ksp.Delivery) string { return d.ID })
	return out, next, nil
}

// outboxTx runs fn in a transaction for the workers' own bookkeeping. On
// SQLite it is the store's single writer; on PostgreSQL it is a plain
// transaction whose row locks (FOR UPDATE SKIP LOCKED) keep workers on
// every replica apart, without the global write lock that event writes
// take.
func (db *DB) outboxTx(ctx context.Context, fn func(tx *Tx) error) error {
	if db.d.WriteLock == "" {
		return db.write(ctx, fn)
	}
	stx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{Tx: stx, db: db, ctx: ctx, now: ksp.T(ksp.Now())}
	if err := fn(tx); err != nil {
		stx.Rollback()
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// ClaimWebhookDeliveries claims up to n pending deliveries due at now: each
// gets a fresh claim token and is not due again until the lease ends.
func (db *DB) ClaimWebhookDeliveries(ctx context.Context, now time.Time, n int, lease time.Duration) ([]*ksp.DeliveryJob, error) {
	if n <= 0 {
		return nil, nil
	}
	lock := ""
	if db.d.WriteLock != "" {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var jobs []*ksp.DeliveryJob
	err := db.outboxTx(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_at <= ? ORDER BY next_at LIMIT `+fmt.Sprint(n)+lock, now.UnixMicro())
		if err != nil {
			return fmt.Errorf("claim deliveries: %w", err)
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("claim deliveries: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("claim deliveries: %w", err)
		}
		for _, id := range ids {
			claim := ksp.NewID()
			if _, err := tx.exec(`UPDATE webhook_deliveries SET claim_token = ?, next_at = ? WHERE id = ?`, claim, now.Add(lease).UnixMicro(), id); err != nil {
				return fmt.Errorf("claim delivery: %w", err)
			}
			var j ksp.DeliveryJob
			var body, cur, prev, status string
			var created int64
			var until sql.NullInt64
			if err := tx.queryRow(`SELECT d.id, d.webhook_id, w.org_id, w.url, d.event_id, d.body, d.attempts, d.created_at, d.claim_token, w.secret, w.previous_secret, w.previous_until, o.status
				FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN orgs o ON o.id = w.org_id WHERE d.id = ?`, id).
				Scan(&j.ID, &j.WebhookID, &j.OrgID, &j.URL, &j.MessageID, &body, &j.Attempts, &created, &j.Claim, &cur, &prev, &until, &status); err != nil {
				return fmt.Errorf("claim delivery: %w", err)
			}
			if status == string(ksp.OrgStatusSuspended) {
				// A suspended org receives nothing more; its queue is
				// closed rather than left to age out.
				if _, err := tx.exec(`UPDATE webhook_deliveries SET status = 'failed', claim_token = '', last_error = ? WHERE id = ?`, "organisation suspended", id); err != nil {
					return fmt.Errorf("claim delivery: %w", err)
				}
				continue
			}
			j.Body, j.Created = []byte(body), time.UnixMicro(created).UTC()
			keep := prev != "" && until.Valid && now.Before(time.UnixMicro(until.Int64))
			if j.Secrets, err = db.openSecrets(j.WebhookID, cur, prev, keep); err != nil {
				// Not sent unsigned: the attempt is logged, and the
				// delivery is retried when the lease ends (an operator
				// may restart with the right key).
				db.log.Error("webhook secret", "webhook", j.WebhookID, "err", err)
				if _, err := tx.exec(`UPDATE webhook_deliveries SET last_error = ? WHERE id = ?`, "the server cannot read this webhook's signing secret: "+err.Error(), id); err != nil {
					return fmt.Errorf("claim delivery: %w", err)
				}
				continue
			}
			jobs = append(jobs, &j)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return jobs, nil
}

// FinishWebhookDelivery records the outcome of an attempt on a claimed
// delivery. A claim that has lapsed and been taken by another worker
// records nothing: that worker's attempt is the one logged.
func (db *DB) FinishWebhookDelivery(ctx context.Context, job *ksp.DeliveryJob, at time.Time, res ksp.DeliveryResult) error {
	status, next := ksp.DeliveryPending, res.RetryAt
	var delivered any
	switch {
	case res.OK:
		status, next, delivered = ksp.DeliveryDelivered, at, at.UnixMicro()
	case res.RetryAt.IsZero():
		status, next = ksp.DeliveryFailed, at
	}
	msg := res.Error
	if len(msg) > 500 {
		msg = msg[:500]
	}
	return db.outboxTx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, next_at = ?, claim_token = '', last_at = ?, last_status = ?, last_error = ?, delivered_at = ?
			WHERE id = ? AND claim_token = ?`, status, next.UnixMicro(), at.UnixMicro(), res.Status, msg, delivered, job.ID, job.Claim); err != nil {
			return fmt.Errorf("finish delivery: %w", err)
		}
		return nil
	})
}

// NextWebhookDelivery returns when the earliest pending delivery is due,
// or the zero time when none is pending.
func (db *DB) NextWebhookDelivery(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	if err := db.queryRow(ctx, `SELECT MIN(next_at) FROM webhook_deliveries WHERE status = 'pending'`).Scan(&next); err != nil {
		return time.Time{}, fmt.Errorf("next delivery: %w", err)
	}
	if !next.Valid {
		return time.Time{}, nil
	}
	return time.UnixMicro(next.Int64).UTC(), nil
}

// SetSecretBox seals the webhook signing secrets written from now on with
// box (nil: stored as issued). SealWebhookSecrets seals those already
// stored.
func (db *DB) SetSecretBox(box *secret.Box) { db.box = box }

// openSecrets returns the secrets a delivery is signed with: the current
// one, and the previous one while keep and it opens (a secret rotated
// after the secrets key was replaced was sealed with the lost key: the
// new one signs alone).
func (db *DB) openSecrets(webhookID, current, previous string, keep bool) ([]string, error) {
	cur, err := db.box.Open(current, webhookID)
	if err != nil {
		return nil, err
	}
	out := []string{cur}
	if keep {
		if prev, err := db.box.Open(previous, webhookID); err == nil {
			out = append(out, prev)
		}
	}
	return out, nil
}

// SealWebhookSecrets seals, with the box SetSecretBox installed, every
// webhook secret still stored as issued (a database from before the key
// was configured), and returns how many webhooks it sealed. Without a
// box it seals nothing.
func (db *DB) SealWebhookSecrets(ctx context.Context) (int, error) {
	if db.box == nil {
		return 0, nil
	}
	n := 0
	err := db.write(ctx, func(tx *Tx) error {
		n = 0
		rows, err := tx.query(`SELECT id, secret, previous_secret FROM webhooks WHERE secret NOT LIKE 'enc1:%' OR (previous_secret <> '' AND previous_secret NOT LIKE 'enc1:%')`)
		if err != nil {
			return fmt.Errorf("seal webhook secrets: %w", err)
		}
		type row struct{ id, cur, prev string }
		var rs []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.cur, &r.prev); err != nil {
				rows.Close()
				return fmt.Errorf("seal webhook secrets: %w", err)
			}
			rs = append(rs, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("seal webhook secrets: %w", err)
		}
		for _, r := range rs {
			cur, prev := r.cur, r.prev
			if !secret.Sealed(cur) {
				cur = db.box.Seal(cur, r.id)
			}
			if prev != "" && !secret.Sealed(prev) {
				prev = db.box.Seal(prev, r.id)
			}
			if _, err := tx.exec(`UPDATE webhooks SET secret = ?, previous_secret = ? WHERE id = ?`, cur, prev, r.id); err != nil {
				return fmt.Errorf("seal webhook secrets: %w", err)
			}
			n++
		}
		if n > 0 {
			return tx.audit("webhook.seal_secrets", "webhooks", "", map[string]any{"webhooks": n})
		}
		return nil
	})
	return n, err
}

// SealedWebhookSecrets counts the webhooks whose secret is sealed: a
// server started without the key could not sign their deliveries.
func (db *DB) SealedWebhookSecrets(ctx context.Context) (int, error) {
	var n int
	if err := db.queryRow(ctx, `SELECT COUNT(*) FROM webhooks WHERE secret LIKE 'enc1:%'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count sealed webhook secrets: %w", err)
	}
	return n, nil
}
