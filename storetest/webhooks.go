package storetest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

// testWebhookAdmin checks registration, validation (nothing written on
// bad input), the admin-only rule, and that another org's webhooks do not
// exist for a caller.
func testWebhookAdmin(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	admin := As(f.Platform, f.PlatAdmin)
	other := As(f.Startup, f.StartAdm)

	bad := []struct {
		name  string
		in    ksp.WebhookInput
		field string
	}{
		{"no url", ksp.WebhookInput{Events: []string{ksp.EventAlertCreated}}, "url"},
		{"ftp", ksp.WebhookInput{URL: "ftp://hooks.example/x", Events: []string{ksp.EventAlertCreated}}, "url"},
		{"no host", ksp.WebhookInput{URL: "https:///x", Events: []string{ksp.EventAlertCreated}}, "url"},
		{"userinfo", ksp.WebhookInput{URL: "https://u:p@hooks.example/x", Events: []string{ksp.EventAlertCreated}}, "url"},
		{"too long", ksp.WebhookInput{URL: "https://hooks.example/" + strings.Repeat("a", 2001), Events: []string{ksp.EventAlertCreated}}, "url"},
		{"no events", ksp.WebhookInput{URL: "https://hooks.example/x"}, "events"},
		{"unknown event", ksp.WebhookInput{URL: "https://hooks.example/x", Events: []string{"alert.created", "signal.exploded"}}, "events"},
	}
	for _, c := range bad {
		_, err := db.CreateWebhook(admin, c.in)
		wantCode(t, err, ksp.EINVALID)
		var e *ksp.Error
		if !errors.As(err, &e) || len(e.Fields) == 0 || e.Fields[0].Field != c.field {
			t.Errorf("%s: error %v does not name field %s", c.name, err, c.field)
		}
	}
	hooks, err := db.FindWebhooks(admin)
	must(t, err)
	if len(hooks) != 0 {
		t.Fatalf("bad input wrote %d webhooks", len(hooks))
	}
	// Viewers may not manage webhooks.
	_, err = db.CreateWebhook(As(f.Platform, f.PlatView), ksp.WebhookInput{URL: "https://hooks.example/x", Events: []string{ksp.EventAlertCreated}})
	wantCode(t, err, ksp.EFORBIDDEN)
	_, err = db.FindWebhooks(As(f.Platform, f.PlatView))
	wantCode(t, err, ksp.EFORBIDDEN)

	w, err := db.CreateWebhook(admin, ksp.WebhookInput{URL: " https://hooks.big.example/ksp ", Events: []string{ksp.EventSignalCreated, ksp.EventAlertCreated, ksp.EventAlertCreated}})
	must(t, err)
	if !strings.HasPrefix(w.Secret, "whsec_") {
		t.Fatalf("secret %q lacks whsec_", w.Secret)
	}
	if key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(w.Secret, "whsec_")); err != nil || len(key) != 32 {
		t.Fatalf("secret decodes to %d bytes (%v), want 32", len(key), err)
	}
	if w.URL != "https://hooks.big.example/ksp" || !slices.Equal(w.Events, []string{ksp.EventAlertCreated, ksp.EventSignalCreated}) || w.OrgID != f.Platform.ID {
		t.Fatalf("created %+v", w)
	}
	got, err := db.FindWebhookByID(admin, w.ID)
	must(t, err)
	if got.Secret != "" {
		t.Fatal("a read shows the secret again")
	}
	// Another org's admin: the webhook does not exist.
	_, err = db.FindWebhookByID(other, w.ID)
	wantCode(t, err, ksp.ENOTFOUND)
	wantCode(t, db.DeleteWebhook(other, w.ID), ksp.ENOTFOUND)
	_, err = db.RotateWebhookSecret(other, w.ID)
	wantCode(t, err, ksp.ENOTFOUND)
	_, err = db.SendTestWebhook(other, w.ID)
	wantCode(t, err, ksp.ENOTFOUND)
	_, _, err = db.FindWebhookDeliveries(other, w.ID, ksp.Page{})
	wantCode(t, err, ksp.ENOTFOUND)
	oh, err := db.FindWebhooks(other)
	must(t, err)
	if len(oh) != 0 {
		t.Fatalf("another org lists %d webhooks", len(oh))
	}

	// Rotation: the new secret signs, the previous one beside it.
	r, err := db.RotateWebhookSecret(admin, w.ID)
	must(t, err)
	if r.Secret == "" || r.Secret == w.Secret || r.PreviousUntil == nil || r.Rotated == nil {
		t.Fatalf("rotated %+v", r)
	}
	if d := r.PreviousUntil.Sub(r.Rotated.Time); d != ksp.WebhookSecretOverlap {
		t.Fatalf("previous secret signs for %s, want %s", d, ksp.WebhookSecretOverlap)
	}
	d, err := db.SendTestWebhook(admin, w.ID)
	must(t, err)
	if d.EventType != ksp.EventWebhookTest || d.Status != ksp.DeliveryPending {
		t.Fatalf("test delivery %+v", d)
	}
	jobs, err := db.ClaimWebhookDeliveries(Staff(), time.Now().Add(time.Second), 10, time.Minute)
	must(t, err)
	if len(jobs) != 1 || !slices.Equal(jobs[0].Secrets, []string{r.Secret, w.Secret}) {
		t.Fatalf("claimed %d jobs; secrets %v, want new then old", len(jobs), jobs[0].Secrets)
	}
	var body struct {
		ID, Type  string
		Timestamp ksp.Time
		Data      map[string]any
	}
	must(t, json.Unmarshal(jobs[0].Body, &body))
	if body.Type != ksp.EventWebhookTest || body.ID != jobs[0].MessageID || body.Data["webhook_id"] != w.ID {
		t.Fatalf("test body %s", jobs[0].Body)
	}
	// After the overlap only the new secret signs.
	must(t, db.FinishWebhookDelivery(Staff(), jobs[0], time.Now(), ksp.DeliveryResult{Status: 500, Error: "down", RetryAt: time.Now().Add(ksp.WebhookSecretOverlap + time.Hour)}))
	jobs, err = db.ClaimWebhookDeliveries(Staff(), time.Now().Add(ksp.WebhookSecretOverlap+2*time.Hour), 10, time.Minute)
	must(t, err)
	if len(jobs) != 1 || !slices.Equal(jobs[0].Secrets, []string{r.Secret}) {
		t.Fatalf("after the overlap: %d jobs, secrets %v", len(jobs), jobs[0].Secrets)
	}

	// Every write is audited.
	var actions []string
	for _, e := range mustEvents(t, db) {
		if strings.HasPrefix(e.Action, "webhook.") {
			actions = append(actions, e.Action)
		}
	}
	if !slices.Equal(actions, []string{"webhook.create", "webhook.rotate_secret", "webhook.test"}) {
		t.Fatalf("audited %v", actions)
	}
	must(t, db.DeleteWebhook(admin, w.ID))
	_, err = db.FindWebhookByID(admin, w.ID)
	wantCode(t, err, ksp.ENOTFOUND)
	// The claimed delivery went with it: recording its outcome is a no-op.
	must(t, db.FinishWebhookDelivery(Staff(), jobs[0], time.Now(), ksp.DeliveryResult{OK: true, Status: 200}))
	next, err := db.NextWebhookDelivery(Staff())
	must(t, err)
	if !next.IsZero() {
		t.Fatalf("a delivery is still pending at %s", next)
	}
}

// testWebhookVisibility checks that an event is queued to a webhook only
// when the webhook's org may see it (ksp.CanSee over every valid sharing)
// and subscribes to its type: another org's restricted event is never
// queued to my hook.
func testWebhookVisibility(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	all := ksp.WebhookInput{URL: "https://hooks.example/all", Events: ksp.WebhookEventTypes}
	plat, err := db.CreateWebhook(As(f.Platform, f.PlatAdmin), all)
	must(t, err)
	gov, err := db.CreateWebhook(As(f.Gov, f.GovAdmin), all)
	must(t, err)
	staff, err := db.CreateWebhook(Staff(), all)
	must(t, err)
	alertsOnly, err := db.CreateWebhook(As(f.Platform, f.PlatAdmin), ksp.WebhookInput{URL: "https://hooks.example/alerts", Events: []string{ksp.EventAlertCreated}})
	must(t, err)

	want := map[string][]string{}
	for _, s := range validSharings(f.Startup.ID, f.Gov.ID) {
		e, err := db.AppendEvent(Staff(), ksp.EventIncidentUpdated, ksp.NewID(), s, map[string]string{"title": "x"})
		must(t, err)
		for _, h := range []struct {
			hook string
			v    ksp.Viewer
		}{{plat.ID, ksp.Viewer{OrgID: f.Platform.ID}}, {gov.ID, ksp.Viewer{OrgID: f.Gov.ID}}, {staff.ID, ksp.Viewer{OrgID: ksp.StaffOrgID, Staff: true}}} {
			if ksp.CanSee(h.v, s) {
				want[h.hook] = append(want[h.hook], e.ID)
			}
		}
	}
	jobs, err := db.ClaimWebhookDeliveries(Staff(), time.Now().Add(time.Second), 1000, time.Minute)
	must(t, err)
	got := map[string][]string{}
	for _, j := range jobs {
		got[j.WebhookID] = append(got[j.WebhookID], j.MessageID)
	}
	for _, h := range []string{plat.ID, gov.ID, staff.ID} {
		slices.Sort(want[h])
		slices.Sort(got[h])
		if !slices.Equal(got[h], want[h]) {
			t.Errorf("webhook %s: queued %d events, want %d (the sharing rule)", h, len(got[h]), len(want[h]))
		}
	}
	if n := len(got[alertsOnly.ID]); n != 0 {
		t.Errorf("a webhook subscribed to alert.created got %d incident events", n)
	}
	// An owner-only event of another org, in particular, never reaches
	// the platform's hook.
	e, err := db.AppendEvent(Staff(), ksp.EventAlertCreated, ksp.NewID(), ksp.Sharing{OwnerOrgID: f.Startup.ID, Distribution: ksp.DistOwner, TLP: ksp.TLPRed}, nil)
	must(t, err)
	jobs, err = db.ClaimWebhookDeliveries(Staff(), time.Now().Add(time.Second), 1000, time.Minute)
	must(t, err)
	for _, j := range jobs {
		if j.MessageID == e.ID && j.OrgID != ksp.StaffOrgID {
			t.Fatalf("the startup's owner-only event was queued to %s's webhook", j.OrgID)
		}
	}
	// The delivery log of a webhook shows only its own deliveries.
	log, _, err := db.FindWebhookDeliveries(As(f.Platform, f.PlatAdmin), plat.ID, ksp.Page{Limit: 1000})
	must(t, err)
	if len(log) != len(want[plat.ID]) {
		t.Fatalf("delivery log has %d entries, want %d", len(log), len(want[plat.ID]))
	}
}

// testWebhookOutbox checks claims (exclusive, leased), retries, giving up
// and the wake-up at commit.
func testWebhookOutbox(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	admin := As(f.Platform, f.PlatAdmin)
	w, err := db.CreateWebhook(admin, ksp.WebhookInput{URL: "https://hooks.example/x", Events: []string{ksp.EventIncidentUpdated}})
	must(t, err)
	wake := db.EventsCommitted()
	members := ksp.Sharing{OwnerOrgID: ksp.StaffOrgID, Distribution: ksp.DistMembers, TLP: ksp.TLPGreen}
	const n = 40
	for i := 0; i < n; i++ {
		_, err := db.AppendEvent(Staff(), ksp.EventIncidentUpdated, ksp.NewID(), members, map[string]int{"i": i})
		must(t, err)
	}
	select {
	case <-wake:
	default:
		t.Fatal("appending events did not wake the waiters of EventsCommitted")
	}
	if seq, err := db.EventSeqBefore(Staff(), time.Now().Add(time.Hour)); err != nil || seq < n {
		t.Fatalf("EventSeqBefore(now) = %d, %v; want the last of %d events", seq, err, n)
	}
	if seq, err := db.EventSeqBefore(Staff(), time.Now().Add(-time.Hour)); err != nil || seq != 0 {
		t.Fatalf("EventSeqBefore(an hour ago) = %d, %v; want 0", seq, err)
	}

	// Four claimers at once: each delivery is claimed exactly once.
	now := time.Now().Add(time.Second)
	var mu sync.Mutex
	seen := map[string]int{}
	var all []*ksp.DeliveryJob
	var wg sync.WaitGroup
	for c := 0; c < 4; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				jobs, err := db.ClaimWebhookDeliveries(Staff(), now, 3, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(jobs) == 0 {
					return
				}
				mu.Lock()
				for _, j := range jobs {
					seen[j.ID]++
					all = append(all, j)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("claimed %d distinct deliveries, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Fatalf("delivery %s claimed %d times", id, c)
		}
	}
	// A lapsed lease makes a delivery claimable again, under a new claim;
	// the old claim's outcome is then ignored.
	again, err := db.ClaimWebhookDeliveries(Staff(), now.Add(2*time.Minute), 1, time.Minute)
	must(t, err)
	if len(again) != 1 || again[0].Claim == "" {
		t.Fatalf("after the lease: %d claimed", len(again))
	}
	var stale *ksp.DeliveryJob
	for _, j := range all {
		if j.ID == again[0].ID {
			stale = j
		}
	}
	must(t, db.FinishWebhookDelivery(Staff(), stale, now, ksp.DeliveryResult{OK: true, Status: 200}))
	must(t, db.FinishWebhookDelivery(Staff(), again[0], now, ksp.DeliveryResult{Status: 503, Error: "receiver answered 503", RetryAt: now.Add(time.Hour)}))
	log, _, err := db.FindWebhookDeliveries(admin, w.ID, ksp.Page{Limit: 1000})
	must(t, err)
	byID := map[string]*ksp.Delivery{}
	for _, d := range log {
		byID[d.ID] = d
	}
	d := byID[again[0].ID]
	if d.Status != ksp.DeliveryPending || d.Attempts != 1 || d.LastStatus != 503 || d.NextAttempt == nil || !d.NextAttempt.Equal(now.Add(time.Hour).Truncate(time.Microsecond)) {
		t.Fatalf("after a failed attempt: %+v", d)
	}
	// Give up: failed, never claimed again; success: delivered.
	j := all[0]
	if j.ID == again[0].ID {
		j = all[1]
	}
	must(t, db.FinishWebhookDelivery(Staff(), j, now, ksp.DeliveryResult{Error: "connection refused"}))
	k := all[2]
	if k.ID == again[0].ID {
		k = all[3]
	}
	must(t, db.FinishWebhookDelivery(Staff(), k, now, ksp.DeliveryResult{OK: true, Status: 204}))
	log, _, err = db.FindWebhookDeliveries(admin, w.ID, ksp.Page{Limit: 1000})
	must(t, err)
	for _, d := range log {
		switch d.ID {
		case j.ID:
			if d.Status != ksp.DeliveryFailed || d.LastError != "connection refused" || d.NextAttempt != nil {
				t.Fatalf("given up: %+v", d)
			}
		case k.ID:
			if d.Status != ksp.DeliveryDelivered || d.Delivered == nil || d.LastStatus != 204 {
				t.Fatalf("delivered: %+v", d)
			}
		}
	}
	late, err := db.ClaimWebhookDeliveries(Staff(), now.Add(48*time.Hour), 1000, time.Minute)
	must(t, err)
	for _, l := range late {
		if l.ID == j.ID || l.ID == k.ID {
			t.Fatalf("a finished delivery was claimed again")
		}
	}
	// Paging the delivery log.
	p1, next, err := db.FindWebhookDeliveries(admin, w.ID, ksp.Page{Limit: 15})
	must(t, err)
	p2, _, err := db.FindWebhookDeliveries(admin, w.ID, ksp.Page{Limit: 1000, Cursor: next})
	must(t, err)
	if len(p1) != 15 || len(p1)+len(p2) != n || p1[14].ID <= p2[0].ID {
		t.Fatalf("pages of %d and %d, want 15 and %d, newest first", len(p1), len(p2), n-15)
	}
}
