package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
)

// Live feed timings.
const (
	// eventsKeepAlive is the default interval of keep-alive comments.
	eventsKeepAlive = 15 * time.Second
	// eventsResumeWindow is how far back Last-Event-ID may resume.
	eventsResumeWindow = 24 * time.Hour
	// eventsPoll is the longest wait without a wake-up before the feed
	// looks again (the fallback should a wake-up be lost).
	eventsPoll = 5 * time.Second
	// eventsStreamFor bounds one connection: the browser's EventSource
	// reconnects with Last-Event-ID, and the credential is checked again
	// then, so a revoked key or ended session stops within this time.
	eventsStreamFor = 10 * time.Minute
	// eventsPage is how many events one read of the table takes.
	eventsPage = 500
)

// EventMessage is the data of each live-feed message and the body of each
// webhook delivery.
type EventMessage struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Timestamp ksp.Time        `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// DeliveryAccepted answers "send test event": the delivery queued.
type DeliveryAccepted = ksp.Delivery

func (s *Server) webhookRoutes() []*Route {
	return []*Route{
		{Method: "GET", Path: "/api/v1/webhooks", Summary: "The caller's org's webhooks (secrets are never shown again)", Role: ksp.RoleAdmin, Scope: ksp.ScopeAdmin,
			Resp: ksp.Webhook{}, List: true, handler: s.listWebhooks},
		{Method: "POST", Path: "/api/v1/webhooks", Summary: "Register a webhook: {\"url\",\"events\":[…]}; the answer carries the signing secret, shown once",
			Role: ksp.RoleAdmin, Scope: ksp.ScopeAdmin, Req: ksp.WebhookInput{}, Resp: ksp.Webhook{}, Status: 201, handler: s.createWebhook},
		{Method: "DELETE", Path: "/api/v1/webhooks/{id}", Summary: "Delete a webhook and its pending deliveries", Role: ksp.RoleAdmin, Scope: ksp.ScopeAdmin, Status: 204, handler: s.deleteWebhook},
		{Method: "POST", Path: "/api/v1/webhooks/{id}/rotate-secret", Summary: "Issue a new secret, shown once; the previous one keeps signing beside it for 24 hours",
			Role: ksp.RoleAdmin, Scope: ksp.ScopeAdmin, Resp: ksp.Webhook{}, handler: s.rotateWebhook},
		{Method: "GET", Path: "/api/v1/webhooks/{id}/deliveries", Summary: "The delivery log: status, attempts, the receiver's last answer",
			Role: ksp.RoleAdmin, Scope: ksp.ScopeAdmin, Resp: ksp.Delivery{}, List: true, Query: []string{"limit", "cursor"}, handler: s.listDeliveries},
		{Method: "POST", Path: "/api/v1/webhooks/{id}/test", Summary: "Send a webhook.test event to this webhook",
			Role: ksp.RoleAdmin, Scope: ksp.ScopeAdmin, Resp: DeliveryAccepted{}, Status: 202, handler: s.testWebhook},
		{Method: "GET", Path: "/api/v1/events", Summary: "Server-Sent Events: the events the caller may see, id = global sequence; resume with Last-Event-ID (24 hours); keep-alive comments every 15 s. Without Accept: text/event-stream the answer ends after the events so far",
			Role: ksp.RoleViewer, Scope: ksp.ScopeRead, raw: s.streamEvents},
	}
}

func (s *Server) listWebhooks(r *http.Request) (any, error) {
	items, err := s.store.FindWebhooks(r.Context())
	return list(items, ""), err
}

func (s *Server) createWebhook(r *http.Request) (any, error) {
	var in ksp.WebhookInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	if err := s.cfg.WebhookTargets.Check(r.Context(), in.URL); err != nil {
		return nil, err
	}
	return s.store.CreateWebhook(r.Context(), in)
}

func (s *Server) deleteWebhook(r *http.Request) (any, error) {
	return nil, s.store.DeleteWebhook(r.Context(), r.PathValue("id"))
}

func (s *Server) rotateWebhook(r *http.Request) (any, error) {
	return s.store.RotateWebhookSecret(r.Context(), r.PathValue("id"))
}

func (s *Server) testWebhook(r *http.Request) (any, error) {
	return s.store.SendTestWebhook(r.Context(), r.PathValue("id"))
}

func (s *Server) listDeliveries(r *http.Request) (any, error) {
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	items, next, err := s.store.FindWebhookDeliveries(r.Context(), r.PathValue("id"), p)
	return list(items, next), err
}

// streamEvents serves the live feed. It starts at the present, or after
// Last-Event-ID (header, or ?last_event_id= for clients that cannot set
// it) but no further back than 24 hours; every read goes through the
// store's sharing rule as the caller.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("last_event_id")
	}
	var cursor int64
	if last != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(last), 10, 64)
		if err != nil || n < 0 {
			writeError(w, r, s.log, invalid("Last-Event-ID", "must be the id of an earlier event (a whole number)"))
			return
		}
		floor, err := s.store.EventSeqBefore(ctx, time.Now().Add(-eventsResumeWindow))
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		cursor = max(n, floor)
	} else {
		now, err := s.store.EventSeqBefore(ctx, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		cursor = now
	}
	// A client that does not ask for a stream (Accept: text/event-stream,
	// as EventSource sends) gets the events so far and the end of the
	// response: scripts catch up without holding a connection.
	live := strings.Contains(r.Header.Get("Accept"), "text/event-stream")
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // proxies must not hold events back
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, "retry: 2000\n\n")
	if err := rc.Flush(); err != nil {
		return
	}
	every := s.cfg.EventsKeepAlive
	if every <= 0 {
		every = eventsKeepAlive
	}
	keep := time.NewTicker(every)
	defer keep.Stop()
	end := time.NewTimer(eventsStreamFor)
	defer end.Stop()
	for {
		wake := s.store.EventsCommitted()
		evs, err := s.store.FindEventsAfter(ctx, cursor, eventsPage)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("live feed read", "err", err)
			}
			return
		}
		for _, e := range evs {
			data, err := json.Marshal(EventMessage{ID: e.ID, Type: e.Type, Timestamp: e.Time, Data: e.Data})
			if err != nil {
				s.log.Error("live feed encode", "event", e.ID, "err", err)
				return
			}
			if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Type, data); err != nil {
				return
			}
			cursor = e.Seq
			if err := rc.Flush(); err != nil {
				return
			}
		}
		if len(evs) == eventsPage {
			continue
		}
		if !live {
			return
		}
		poll := time.NewTimer(eventsPoll)
		select {
		case <-ctx.Done():
			poll.Stop()
			return
		case <-end.C:
			poll.Stop()
			return
		case <-wake:
		case <-poll.C:
		case <-keep.C:
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
		poll.Stop()
	}
}
