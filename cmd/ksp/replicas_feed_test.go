package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// feedEvent is one Server-Sent Event of the live feed.
type feedEvent struct {
	// Seq is the SSE id (the global sequence), ID the event's own id (a
	// webhook's webhook-id), Object the id of the object it is about.
	Seq, Type, ID, Object string
}

// replicaFeed reads addr's live feed after lastID as key. With n > 0 it
// asks for a stream and hangs up after n events (a client that
// disconnects); with n == 0 it reads the events so far, without a stream.
func replicaFeed(t testing.TB, addr, key, lastID string, n int) []feedEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), replicaPatience)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/api/v1/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Last-Event-ID", lastID)
	if n > 0 {
		req.Header.Set("Accept", "text/event-stream")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("live feed on %s: %v", addr, err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("live feed on %s: %d", addr, res.StatusCode)
	}
	var out []feedEvent
	var cur feedEvent
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			cur.Seq = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			cur.Type = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			var m struct {
				ID   string `json:"id"`
				Data struct {
					ID string `json:"id"`
				} `json:"data"`
			}
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &m); err != nil {
				t.Fatalf("live feed data %q: %v", line, err)
			}
			cur.ID, cur.Object = m.ID, m.Data.ID
		case line == "" && cur.Seq != "":
			out = append(out, cur)
			cur = feedEvent{}
			if n > 0 && len(out) == n {
				return out
			}
		}
	}
	if n > 0 {
		t.Fatalf("live feed on %s ended after %d events, want %d: %v", addr, len(out), n, sc.Err())
	}
	return out
}

// hookCounter is a webhook receiver that counts each delivery by its
// webhook-id (the event's id, the same on every retry).
type hookCounter struct {
	*httptest.Server
	mu   sync.Mutex
	seen map[string]int
}

func newHookCounter(t testing.TB) *hookCounter {
	h := &hookCounter{seen: map[string]int{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.seen[r.Header.Get("webhook-id")]++
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.Close)
	return h
}

// counts returns a copy of the deliveries per event id.
func (h *hookCounter) counts() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]int, len(h.seen))
	for k, v := range h.seen {
		out[k] = v
	}
	return out
}

// waitAll waits until every one of ids was delivered, then a little
// longer for any second delivery, and returns the counts.
func (h *hookCounter) waitAll(t testing.TB, ids []string) map[string]int {
	t.Helper()
	replicaLag(t, "every event delivered to the webhook", func() bool {
		c := h.counts()
		for _, id := range ids {
			if c[id] == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(time.Second)
	return h.counts()
}
