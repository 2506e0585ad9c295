package storetest

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

// testStaffPages: an open threat-to-life alert or removal order that
// routes to no member pages every active staff user, once, even with two
// servers taking pages at the same moment, and an unrouted alert made a
// threat to life by a merged request pages too; routed, forwarded and
// other unrouted alerts page nobody, and members may not take pages.
func testStaffPages(t *testing.T, open Opener) {
	db := open(t)
	w := newIncidentWorld(t, db)
	now := time.Now()
	_, err := db.TakeStaffPages(As(w.Platform, w.PlatAdmin), now)
	wantCode(t, err, ksp.EFORBIDDEN)
	ns, err := db.TakeStaffPages(Staff(), now)
	must(t, err)
	if len(ns) != 0 {
		t.Fatalf("pages with no alert: %+v", ns)
	}

	gov := As(w.Gov, w.GovAdmin)
	create := func(in ksp.AlertInput) *ksp.Alert {
		t.Helper()
		a, _, err := db.CreateAlert(gov, in)
		must(t, err)
		return a
	}
	life := create(referral("https://nobody.example/live", ksp.TierThreatToLife))
	order := create(removalOrder("https://nobody-else.example/video", now))
	create(referral("https://nobody.example/designation", ksp.TierDesignation))
	create(referral("https://big-platform.example/live", ksp.TierThreatToLife))
	forwarded := create(referral("https://third.example/live", ksp.TierThreatToLife))
	_, err = db.ForwardAlert(w.staffA, forwarded.ID, w.Platform.ID)
	must(t, err)

	ns, err = db.TakeStaffPages(Staff(), now)
	must(t, err)
	staff := []string{"second@ksp.example", "staff@ksp.example"}
	for _, a := range []*ksp.Alert{life, order} {
		n := noticeFor(ns, ksp.NoticeAlertPage, a.ID)
		if n == nil || !slices.Equal(n.To, staff) {
			t.Fatalf("page for %s: %+v in %+v", a.URL, n, ns)
		}
		got, err := db.FindAlertByID(w.staffA, a.ID)
		must(t, err)
		if !slices.ContainsFunc(got.Timeline, func(e *ksp.TimelineEntry) bool { return e.Type == ksp.TimelineStaffPaged }) {
			t.Errorf("timeline of %s lacks staff_paged: %+v", a.URL, got.Timeline)
		}
	}
	if len(ns) != 2 {
		t.Fatalf("%d pages, want 2: %+v", len(ns), ns)
	}
	// The mail names the alert's page, never its URL.
	for _, m := range ns[0].Mails("https://ksp.example") {
		if !strings.HasPrefix(m.Subject, "KSP URGENT") || !strings.Contains(m.Text, "https://ksp.example/alerts/"+ns[0].ObjectID) || strings.Contains(m.Text, "nobody") {
			t.Fatalf("page mail %+v", m)
		}
	}
	ns, err = db.TakeStaffPages(Staff(), now)
	must(t, err)
	if len(ns) != 0 {
		t.Fatalf("paged twice: %+v", ns)
	}

	// A designation alert waiting with staff pages once a merged request
	// makes it a threat to life.
	calm := create(referral("https://nobody.example/merge", ksp.TierDesignation))
	ns, err = db.TakeStaffPages(Staff(), now)
	must(t, err)
	if len(ns) != 0 {
		t.Fatalf("a designation alert paged staff: %+v", ns)
	}
	urgent, merged, err := db.CreateAlert(As(w.Startup, w.StartAdm), referral("https://www.nobody.example/merge", ksp.TierThreatToLife))
	must(t, err)
	if !merged || urgent.ID != calm.ID {
		t.Fatalf("not merged: %v %s", merged, urgent.ID)
	}
	ns, err = db.TakeStaffPages(Staff(), now)
	must(t, err)
	if len(ns) != 1 || ns[0].ObjectID != calm.ID || ns[0].Tier != ksp.TierThreatToLife {
		t.Fatalf("pages after the merge: %+v", ns)
	}

	// Two servers taking pages at once: each alert is paged by one.
	var alerts []*ksp.Alert
	for _, u := range []string{"https://nobody.example/a", "https://nobody.example/b", "https://nobody.example/c"} {
		alerts = append(alerts, create(referral(u, ksp.TierThreatToLife)))
	}
	var mu sync.Mutex
	paged := map[string]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			ns, err := db.TakeStaffPages(Staff(), now)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, n := range ns {
				paged[n.ObjectID]++
			}
		})
	}
	wg.Wait()
	for _, a := range alerts {
		if paged[a.ID] != 1 {
			t.Errorf("alert %s paged %d times", a.URL, paged[a.ID])
		}
	}
	if len(paged) != len(alerts) {
		t.Errorf("paged %v, want the %d new alerts", paged, len(alerts))
	}
}
