package storetest

import (
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

// testAlertHostForms: routing and deconfliction across the forms a host is
// written in — www., case, a port, Unicode or punycode — and the longest
// verified suffix winning over a shorter one.
func testAlertHostForms(t *testing.T, open Opener) {
	db := open(t)
	w := newAlertWorld(t, db)
	for _, c := range []struct {
		url  string
		want string
	}{
		{"https://XN--BCHER-KVA.example:8080/p", w.IDN.ID},
		{"https://www.xn--bcher-kva.example/p", w.IDN.ID},
		{"https://deep.a.sub.big-platform.example/p", w.Sub.ID},
		{"https://www.big-platform.example:443/p", w.Platform.ID},
		{"https://subbig-platform.example/p", ""},
	} {
		a, _, err := db.CreateAlert(w.gov(), referral(c.url, ksp.TierDesignation))
		must(t, err)
		if a.ReceiverOrgID != c.want {
			t.Errorf("%s routed to %q, want %q", c.url, a.ReceiverOrgID, c.want)
		}
	}

	// www.example.com and example.com are one URL for deconfliction.
	first, _, err := db.CreateAlert(w.gov(), referral("https://WWW.big-platform.example/v/9", ksp.TierCrisis))
	must(t, err)
	second, merged, err := db.CreateAlert(w.startup(), referral("https://big-platform.example/v/9", ksp.TierCrisis))
	must(t, err)
	if !merged || second.ID != first.ID {
		t.Fatalf("www and bare host did not merge: merged %v, %s vs %s", merged, second.ID, first.ID)
	}
	back, merged, err := db.CreateAlert(w.police(), referral("https://www.big-platform.example/v/9", ksp.TierCrisis))
	must(t, err)
	if !merged || back.ID != first.ID {
		t.Fatalf("third request did not merge")
	}
	// Other hosts, paths and queries are other URLs.
	for _, u := range []string{"https://m.big-platform.example/v/9", "https://big-platform.example/v/9/", "https://big-platform.example/v/9?x=1", "https://big-platform.example:8443/v/9"} {
		a, merged, err := db.CreateAlert(w.startup(), referral(u, ksp.TierCrisis))
		must(t, err)
		if merged || a.ID == first.ID {
			t.Errorf("%s merged into the alert on /v/9", u)
		}
	}
	// A removal order on the www-less form links to the referral and
	// keeps its own clock.
	ord, merged, err := db.CreateAlert(w.gov(), removalOrder("https://big-platform.example/v/9", time.Now()))
	must(t, err)
	if merged || ord.ID == first.ID || ord.LinkedAlertID != first.ID {
		t.Fatalf("removal order: merged %v, linked %q, want a new alert linked to %s", merged, ord.LinkedAlertID, first.ID)
	}
}
