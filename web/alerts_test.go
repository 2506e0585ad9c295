package web

import (
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

func TestDueText(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *ksp.Alert { return &ksp.Alert{Deadline: ksp.T(now.Add(d))} }
	cases := []struct {
		a    *ksp.Alert
		want string
	}{
		{at(43*time.Minute + 20*time.Second), "due in 43 min"},
		{at(0), "due in 0 min"},
		{at(-2*time.Hour - 5*time.Minute), "overdue by 2 h"},
		{at(-90 * time.Minute), "overdue by 90 min"},
		{at(23 * time.Hour), "due in 23 h"},
		{at(72 * time.Hour), "due in 3 days"},
		{&ksp.Alert{Deadline: ksp.T(now.Add(-time.Hour)), Response: &ksp.AlertResponse{Action: ksp.ResponseNoViolation}}, "answered: No violation"},
	}
	for _, c := range cases {
		if got := dueText(c.a, now); got != c.want {
			t.Errorf("%v: %q, want %q", c.a.Deadline.Sub(now), got, c.want)
		}
	}
}

var alertLinkRE = regexp.MustCompile(`/alerts/([0-9a-f-]{36})`)

// TestAlertPages: a government reports a URL, the platform that verified
// its domain sees it in its inbox with a countdown and answers it; another
// platform gets 404; staff forward an unrouted alert; forms need CSRF.
func TestAlertPages(t *testing.T) {
	h := newHarness(t, Config{})
	m := seedMembers(h)
	if _, err := h.db.AddDomain(h.sys, m.a.org.ID, "clipshare.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.VerifyDomain(h.sys, m.a.org.ID, "clipshare.example"); err != nil {
		t.Fatal(err)
	}
	gov := h.client()
	gov.signIn(m.gov, 0)
	gov.want(gov.get("/alerts"), 200, "Report a URL", "No alerts have been sent to your organisation.")
	gov.want(gov.get("/alerts/new"), 200, "Removal order (EU TCO regulation)", "Issuing authority")
	// Bad input: named fields, nothing stored.
	gov.want(gov.post("/alerts", url.Values{"url": {"ftp://clipshare.example/x"}, "kind": {"referral"}, "tier": {"crisis"}}), 400, "must be an http or https URL")
	gov.want(gov.post("/alerts", url.Values{"url": {"https://clipshare.example/x"}, "kind": {"tco_removal_order"}, "order.member_state": {"DE"}}), 400, "Issuing authority: required for a removal order")
	if n, _, _ := h.db.FindAlerts(h.sys, ksp.AlertFilter{Box: ksp.BoxUnrouted}); len(n) != 0 {
		t.Fatal("refused form stored an alert")
	}
	// No CSRF token: refused.
	gov.want(gov.post("/alerts", url.Values{"csrf": {"forged"}, "url": {"https://clipshare.example/v/1"}, "kind": {"referral"}, "tier": {"threat_to_life"}, "threat_level": {"high_specific"}}), 403)
	gov.get("/alerts/new")
	res := gov.post("/alerts", url.Values{"url": {"https://www.clipshare.example/v/1"}, "kind": {"referral"}, "tier": {"threat_to_life"}, "threat_level": {"high_specific"},
		"labels": {"attack_content"}, "tlp": {"AMBER"}, "do_not_notify_until": {"2027-01-15"}})
	gov.want(res, 200, "Alert sent to the platform hosting the URL.", "Clipshare", "due in 59 min", "Do not notify the user before 15 Jan 2027")
	id := alertLinkRE.FindStringSubmatch(gov.url.Path)
	if id == nil {
		t.Fatalf("redirected to %s", gov.url)
	}
	gov.want(gov.get("/alerts?box=sent"), 200, "https://www.clipshare.example/v/1", "due in")

	// The receiver: inbox, page, response.
	pa := h.client()
	pa.signIn(m.a, 0)
	pa.want(pa.get("/alerts"), 200, "https://www.clipshare.example/v/1", "Referral, threat to life (high specific)", "due in 5")
	pa.want(pa.get("/dashboard"), 200, "Alerts to answer", "https://www.clipshare.example/v/1")
	pa.want(pa.get("/alerts/"+id[1]), 200, "Send response", "What your organisation did")
	pa.want(pa.post("/alerts/"+id[1]+"/response", url.Values{"action": {"cannot_comply"}}), 400, "Reason: required when you cannot comply")
	pa.get("/alerts/" + id[1])
	pa.want(pa.post("/alerts/"+id[1]+"/response", url.Values{"action": {"removed"}, "note": {"account closed"}}), 200, "Response recorded.", "Evidence preserved until", "answered: Removed", "Viewed", "Responded (Removed)")
	// The receiver's viewer sees it but has no form.
	pv := h.client()
	pv.signIn(m.aViewer, 0)
	pv.want(pv.get("/alerts/"+id[1]), 200, "Removed")
	// Another platform: not found, not listed.
	pb := h.client()
	pb.signIn(m.b, 0)
	pb.want(pb.get("/alerts/"+id[1]), 404)
	pb.want(pb.get("/alerts"), 200, "No alerts have been sent to your organisation.")
	pb.get("/alerts")
	pb.want(pb.post("/alerts/"+id[1]+"/response", url.Values{"action": {"removed"}}), 404)

	// Unrouted: staff forward it.
	gov.get("/alerts/new")
	gov.want(gov.post("/alerts", url.Values{"url": {"https://nobody.example/p"}, "kind": {"referral"}, "tier": {"designation"}}), 200, "waits with the programme", "Waiting with the programme")
	un := alertLinkRE.FindStringSubmatch(gov.url.Path)[1]
	st := h.client()
	st.signIn(m.staff, 0)
	st.want(st.get("/alerts?box=unrouted"), 200, "https://nobody.example/p")
	st.want(st.get("/alerts/"+un), 200, "Forward alert", "Vidstream")
	st.want(st.post("/alerts/"+un+"/forward", url.Values{"org_id": {m.b.org.ID}}), 200, "Alert forwarded.", "Forwarded")
	pb.want(pb.get("/alerts"), 200, "https://nobody.example/p")
	pa.get("/alerts")
	pa.want(pa.post("/alerts/"+un+"/forward", url.Values{"org_id": {m.a.org.ID}}), 404)
}
