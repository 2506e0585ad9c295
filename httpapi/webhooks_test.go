package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/httpapi"
	"github.com/kspplatform/ksp/storetest"
)

// TestWebhooksAPI drives the webhook routes: an org admin registers,
// lists, rotates, tests and deletes; viewers, keys without the admin scope
// and other orgs are refused (another org's webhook is 404); bad input
// names its field and writes nothing.
func TestWebhooksAPI(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	body := map[string]any{"url": "https://hooks.big.example/ksp", "events": []string{"alert.created", "incident.activated"}}
	for _, key := range []string{"viewer", "admin-readonly", ""} {
		want := 403
		if key == "" {
			want = 401
		}
		if r := e.do("POST", "/api/v1/webhooks", e.keys[key], body); r.status != want {
			t.Fatalf("%q registering: %d %s", key, r.status, r.body)
		}
		if r := e.do("GET", "/api/v1/webhooks", e.keys[key], nil); r.status != want {
			t.Fatalf("%q listing: %d", key, r.status)
		}
	}
	for _, c := range []struct {
		body  any
		field string
	}{
		{map[string]any{"url": "javascript:alert(1)", "events": []string{"alert.created"}}, "url"},
		{map[string]any{"url": "https://x.example", "events": []string{"everything"}}, "events"},
		{map[string]any{"url": "https://x.example"}, "events"},
		{map[string]any{"url": "https://x.example", "events": []string{"alert.created"}, "secret": "mine"}, "secret"},
		{`{"url": 5}`, "url"},
		// Targets inside the deployment's network are refused at
		// registration (the server runs without --webhook-allow-private).
		{map[string]any{"url": "http://127.0.0.1:8080/hook", "events": []string{"alert.created"}}, "url"},
		{map[string]any{"url": "http://[::1]/hook", "events": []string{"alert.created"}}, "url"},
		{map[string]any{"url": "http://169.254.169.254/latest/meta-data", "events": []string{"alert.created"}}, "url"},
		{map[string]any{"url": "https://LOCALHOST./hook", "events": []string{"alert.created"}}, "url"},
		{map[string]any{"url": "http://10.1.2.3/hook", "events": []string{"alert.created"}}, "url"},
	} {
		r := e.do("POST", "/api/v1/webhooks", e.keys["admin"], c.body)
		if r.status != 400 || !hasField(r.json(t), c.field) {
			t.Fatalf("bad input %v: %d %s", c.body, r.status, r.body)
		}
	}
	if r := e.do("POST", "/api/v1/webhooks", e.keys["admin"], `{"url":"https://x.example/`+strings.Repeat("a", 2<<20)+`","events":["alert.created"]}`); r.status != 413 {
		t.Fatalf("oversized body: %d", r.status)
	}
	if r := e.do("GET", "/api/v1/webhooks", e.keys["admin"], nil); r.status != 200 || len(r.json(t)["items"].([]any)) != 0 {
		t.Fatalf("bad input wrote something: %s", r.body)
	}

	r := e.do("POST", "/api/v1/webhooks", e.keys["admin"], body)
	if r.status != 201 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	created := r.json(t)
	id, secret := created["id"].(string), created["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") || created["url"] != body["url"] {
		t.Fatalf("registered %s", r.body)
	}
	r = e.do("GET", "/api/v1/webhooks", e.keys["admin"], nil)
	if r.status != 200 || strings.Contains(string(r.body), secret) || !strings.Contains(string(r.body), id) {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	base := "/api/v1/webhooks/" + id
	// Another org's admin: 404 on every route; a viewer: 403.
	for _, c := range []struct{ method, path string }{{"DELETE", base}, {"POST", base + "/rotate-secret"}, {"POST", base + "/test"}, {"GET", base + "/deliveries"}} {
		if r := e.do(c.method, c.path, e.keys["startup"], nil); r.status != 404 {
			t.Fatalf("another org %s %s: %d %s", c.method, c.path, r.status, r.body)
		}
		if r := e.do(c.method, c.path, e.keys["viewer"], nil); r.status != 403 {
			t.Fatalf("viewer %s %s: %d", c.method, c.path, r.status)
		}
	}
	if r := e.do("GET", "/api/v1/webhooks", e.keys["startup"], nil); strings.Contains(string(r.body), id) {
		t.Fatal("another org lists the webhook")
	}
	r = e.do("POST", base+"/rotate-secret", e.keys["admin"], nil)
	if r.status != 200 || r.json(t)["secret"] == secret || !strings.HasPrefix(r.json(t)["secret"].(string), "whsec_") {
		t.Fatalf("rotate: %d %s", r.status, r.body)
	}
	r = e.do("POST", base+"/test", e.keys["admin"], nil)
	if r.status != 202 || r.json(t)["event_type"] != "webhook.test" {
		t.Fatalf("test event: %d %s", r.status, r.body)
	}
	r = e.do("GET", base+"/deliveries?limit=5", e.keys["admin"], nil)
	if r.status != 200 || len(r.json(t)["items"].([]any)) != 1 {
		t.Fatalf("deliveries: %d %s", r.status, r.body)
	}
	if r := e.do("GET", base+"/deliveries?limit=5000", e.keys["admin"], nil); r.status != 400 {
		t.Fatalf("limit above 1000: %d", r.status)
	}
	if r := e.do("DELETE", base, e.keys["admin"], nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := e.do("GET", base+"/deliveries", e.keys["admin"], nil); r.status != 404 {
		t.Fatalf("deleted webhook's log: %d", r.status)
	}
}

// sseMessage is one parsed live-feed message.
type sseMessage struct {
	id, event, data string
}

// sseStream reads a live feed until it has n messages (comments are
// counted in comments).
type sseStream struct {
	resp     *http.Response
	rd       *bufio.Reader
	comments int
	cancel   context.CancelFunc
}

func openSSE(t *testing.T, e *env, key, lastID string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		t.Fatalf("live feed: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &sseStream{resp: resp, rd: bufio.NewReader(resp.Body), cancel: cancel}
	t.Cleanup(s.close)
	return s
}

func (s *sseStream) close() { s.cancel(); s.resp.Body.Close() }

// next reads the next message, failing the test after 20 s.
func (s *sseStream) next(t *testing.T) sseMessage {
	t.Helper()
	timer := time.AfterFunc(20*time.Second, s.cancel)
	defer timer.Stop()
	var m sseMessage
	for {
		line, err := s.rd.ReadString('\n')
		if err != nil {
			t.Fatalf("live feed ended: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if m.data != "" {
				return m
			}
		case strings.HasPrefix(line, ":"):
			s.comments++
		case strings.HasPrefix(line, "id: "):
			m.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			m.event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			m.data = strings.TrimPrefix(line, "data: ")
		}
	}
}

// TestEventsFeed: the live feed shows only what the caller may see, with
// the global sequence as id, resumes after a disconnection without losing
// an event, sends keep-alive comments, and refuses bad resumption ids and
// missing credentials.
func TestEventsFeed(t *testing.T) {
	e := newEnv(t, httpapi.Config{EventsKeepAlive: 50 * time.Millisecond})
	db := e.fx.DB
	members := ksp.Sharing{OwnerOrgID: ksp.StaffOrgID, Distribution: ksp.DistMembers, TLP: ksp.TLPGreen}
	hidden := ksp.Sharing{OwnerOrgID: e.fx.Startup.ID, Distribution: ksp.DistOwner, TLP: ksp.TLPRed}
	appendEv := func(s ksp.Sharing, n int) *ksp.Event {
		ev, err := db.AppendEvent(storetest.Staff(), ksp.EventIncidentUpdated, ksp.NewID(), s, map[string]any{"n": n})
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	if r := e.do("GET", "/api/v1/events", "", nil); r.status != 401 {
		t.Fatalf("anonymous feed: %d", r.status)
	}
	if r := e.do("GET", "/api/v1/events", e.keys["admin-matchonly"], nil); r.status != 403 {
		t.Fatalf("feed without the read scope: %d", r.status)
	}
	for _, bad := range []string{"abc", "-1"} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/events", nil)
		req.Header.Set("Authorization", "Bearer "+e.keys["viewer"])
		req.Header.Set("Last-Event-ID", bad)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Fatalf("Last-Event-ID %q: %d", bad, resp.StatusCode)
		}
	}
	before := appendEv(members, -1) // before connecting: not part of a fresh feed
	s := openSSE(t, e, e.keys["viewer"], "")
	var want []int64
	for i := 0; i < 3; i++ {
		appendEv(hidden, i)
		want = append(want, appendEv(members, i).Seq)
	}
	var got []int64
	for len(got) < 3 {
		m := s.next(t)
		seq, _ := strconv.ParseInt(m.id, 10, 64)
		var body httpapi.EventMessage
		if err := json.Unmarshal([]byte(m.data), &body); err != nil || body.Type != m.event || m.event != ksp.EventIncidentUpdated || body.ID == "" {
			t.Fatalf("message %+v (%v)", m, err)
		}
		got = append(got, seq)
	}
	if !slicesEqual(got, want) || got[0] == before.Seq {
		t.Fatalf("feed ids %v, want %v (the startup's owner-only events never shown)", got, want)
	}
	s.close()

	// Disconnected: events go on; resuming loses none of them.
	var missed []int64
	for i := 0; i < 5; i++ {
		missed = append(missed, appendEv(members, 10+i).Seq)
		appendEv(hidden, 10+i)
	}
	r := openSSE(t, e, e.keys["viewer"], strconv.FormatInt(got[len(got)-1], 10))
	var resumed []int64
	for len(resumed) < len(missed) {
		seq, _ := strconv.ParseInt(r.next(t).id, 10, 64)
		resumed = append(resumed, seq)
	}
	if !slicesEqual(resumed, missed) {
		t.Fatalf("resumed %v, want %v", resumed, missed)
	}
	// Without asking for a stream, a client gets what it missed and the
	// end of the answer.
	catchUp := e.do("GET", "/api/v1/events?last_event_id="+strconv.FormatInt(got[len(got)-1], 10), e.keys["viewer"], nil)
	if catchUp.status != 200 || strings.Count(string(catchUp.body), "\nid: ") != len(missed) {
		t.Fatalf("catch-up: %d %s", catchUp.status, catchUp.body)
	}
	// Keep-alive comments while nothing happens, then the next event.
	time.Sleep(200 * time.Millisecond)
	live := appendEv(members, 50)
	m := r.next(t)
	if m.id != strconv.FormatInt(live.Seq, 10) {
		t.Fatalf("after resuming, live event %s, want %d", m.id, live.Seq)
	}
	if r.comments == 0 {
		t.Fatal("no keep-alive comments in 200 ms at a 50 ms interval")
	}
}

func slicesEqual(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
