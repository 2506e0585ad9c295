package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

// alertWorld is the fixture plus the orgs the alert tests route to.
type alertWorld struct {
	*Fixture
	Sub, IDN, Unverified, Police *ksp.Org
	PoliceAdmin                  *ksp.User
}

func newAlertWorld(t *testing.T, db Store) *alertWorld {
	t.Helper()
	w := &alertWorld{Fixture: NewFixture(t, db)}
	mk := func(name string, kind ksp.OrgKind, size, domain string, verified bool) *ksp.Org {
		o := &ksp.Org{Name: name, Kind: kind, Size: size}
		if domain != "" {
			o.Domains = []ksp.Domain{{Domain: domain, Verified: verified}}
		}
		must(t, db.CreateOrg(Staff(), o))
		return o
	}
	w.Sub = mk("Sub Host", ksp.KindPlatform, ksp.SizeSmall, "sub.big-platform.example", true)
	w.IDN = mk("Buecher Host", ksp.KindPlatform, ksp.SizeSmall, "xn--bcher-kva.example", true)
	w.Unverified = mk("Claimer", ksp.KindPlatform, ksp.SizeSmall, "unverified.example", false)
	w.Police = mk("Federal Police", ksp.KindGovernment, "", "", false)
	u, _, err := db.CreateUser(Staff(), w.Police.ID, ksp.NewUser{Email: "le@police.example", Name: "LE", Role: ksp.RoleAdmin, Password: "a long enough password"})
	must(t, err)
	w.PoliceAdmin = u
	return w
}

func (w *alertWorld) gov() context.Context      { return As(w.Gov, w.GovAdmin) }
func (w *alertWorld) platform() context.Context { return As(w.Platform, w.PlatAdmin) }
func (w *alertWorld) startup() context.Context  { return As(w.Startup, w.StartAdm) }
func (w *alertWorld) police() context.Context   { return As(w.Police, w.PoliceAdmin) }

func referral(u, tier string) ksp.AlertInput {
	in := ksp.AlertInput{URL: u, Kind: ksp.AlertReferral, Tier: tier, Labels: []string{"propaganda"}}
	if tier == ksp.TierThreatToLife {
		in.ThreatLevel = "high_specific"
	}
	return in
}

func removalOrder(u string, received time.Time) ksp.AlertInput {
	r := ksp.T(received)
	return ksp.AlertInput{URL: u, Kind: ksp.AlertTCORemovalOrder, Order: &ksp.RemovalOrder{
		IssuingAuthority: "Bundeskriminalamt", MemberState: "DE", LegalBasis: "Regulation (EU) 2021/784 Art. 3", ReceivedAt: &r}}
}

func testAlertRouting(t *testing.T, open Opener) {
	db := open(t)
	w := newAlertWorld(t, db)
	cases := []struct {
		url  string
		want *ksp.Org
	}{
		{"https://big-platform.example/a", w.Platform},
		{"HTTPS://WWW.Big-Platform.EXAMPLE:8443/b", w.Platform},
		{"http://big-platform.example:80/c", w.Platform},
		{"https://a.sub.big-platform.example/d", w.Sub},
		{"https://SUB.big-platform.example./e", w.Sub},
		{"https://evil-big-platform.example/f", nil},
		{"https://big-platform.example.evil.example/g", nil},
		{"https://bücher.example/h", w.IDN},
		{"https://www.BÜCHER.example/i", w.IDN},
		{"https://unverified.example/j", nil},
		{"https://x.unverified.example/k", nil},
		{"http://192.0.2.1/l", nil},
		{"http://[2001:db8::1]/m", nil},
	}
	for _, c := range cases {
		a, merged, err := db.CreateAlert(w.gov(), referral(c.url, ksp.TierDesignation))
		if err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		want := ""
		if c.want != nil {
			want = c.want.ID
		}
		if merged || a.ReceiverOrgID != want {
			t.Errorf("%s: routed to %q (merged %v), want %q", c.url, a.ReceiverOrgID, merged, want)
		}
		delivered := false
		for _, e := range a.Timeline {
			delivered = delivered || e.Type == ksp.TimelineDelivered
		}
		if delivered != (want != "") {
			t.Errorf("%s: delivered on timeline %v, want %v", c.url, delivered, want != "")
		}
	}
	// Unrouted alerts wait with staff, who forward them.
	un, _, err := db.FindAlerts(Staff(), ksp.AlertFilter{Box: ksp.BoxUnrouted})
	must(t, err)
	if len(un) != 6 {
		t.Fatalf("staff see %d unrouted alerts, want 6", len(un))
	}
	_, _, err = db.FindAlerts(w.platform(), ksp.AlertFilter{Box: ksp.BoxUnrouted})
	wantCode(t, err, ksp.EFORBIDDEN)
	_, err = db.ForwardAlert(w.platform(), un[0].ID, w.Startup.ID)
	wantCode(t, err, ksp.EFORBIDDEN)
	_, err = db.ForwardAlert(Staff(), un[0].ID, ksp.StaffOrgID)
	wantCode(t, err, ksp.EINVALID)
	_, err = db.FindAlertByID(w.startup(), un[0].ID)
	wantCode(t, err, ksp.ENOTFOUND)
	fw, err := db.ForwardAlert(Staff(), un[0].ID, w.Startup.ID)
	must(t, err)
	if fw.ReceiverOrgID != w.Startup.ID || fw.Timeline[len(fw.Timeline)-1].Type != ksp.TimelineForwarded {
		t.Fatalf("forwarded alert: %+v", fw)
	}
	_, err = db.ForwardAlert(Staff(), un[0].ID, w.Platform.ID)
	wantCode(t, err, ksp.ECONFLICT)
	got, err := db.FindAlertByID(w.startup(), un[0].ID)
	must(t, err)
	if got.ViewerRole != ksp.AlertRoleReceiver {
		t.Fatalf("startup role %q", got.ViewerRole)
	}
	// An internationalised domain added by its org's admin is stored in
	// punycode and routes once staff verify it.
	o, err := db.AddDomain(As(w.Platform, w.PlatAdmin), w.Platform.ID, "Bücher-Zwei.example")
	must(t, err)
	if !slices.Contains(o.Domains, ksp.Domain{Domain: "xn--bcher-zwei-9db.example"}) {
		t.Fatalf("IDN domain stored as %v", o.Domains)
	}
	_, err = db.VerifyDomain(Staff(), w.Platform.ID, "bücher-zwei.example")
	must(t, err)
	idn, _, err := db.CreateAlert(w.gov(), referral("https://WWW.BÜCHER-zwei.example/n", ksp.TierDesignation))
	must(t, err)
	if idn.ReceiverOrgID != w.Platform.ID {
		t.Fatalf("IDN domain routed to %q", idn.ReceiverOrgID)
	}
	// A verified domain routes only once verified.
	_, err = db.VerifyDomain(Staff(), w.Unverified.ID, "unverified.example")
	must(t, err)
	a, _, err := db.CreateAlert(w.gov(), referral("https://unverified.example/later", ksp.TierDesignation))
	must(t, err)
	if a.ReceiverOrgID != w.Unverified.ID {
		t.Fatalf("after verification routed to %q", a.ReceiverOrgID)
	}
}

func testAlertMerge(t *testing.T, open Opener) {
	db := open(t)
	w := newAlertWorld(t, db)
	const u = "https://big-platform.example/video/1?utm_source=x"
	first, merged, err := db.CreateAlert(w.gov(), referral(u, ksp.TierCrisis))
	must(t, err)
	if merged {
		t.Fatal("first alert merged")
	}
	until := ksp.T(time.Now().Add(72 * time.Hour))
	in := referral("HTTPS://WWW.big-platform.example/video/1", ksp.TierThreatToLife)
	in.URL = "https://big-platform.example/video/1"
	in.DoNotNotifyUntil = &until
	in.Note = "startup's own note"
	second, merged, err := db.CreateAlert(w.startup(), in)
	must(t, err)
	if !merged || second.ID != first.ID {
		t.Fatalf("second request: merged %v, id %s, want merge into %s", merged, second.ID, first.ID)
	}
	if second.Tier != ksp.TierThreatToLife || !second.Deadline.Before(first.Deadline.Time) {
		t.Fatalf("merged tier %s deadline %v, want threat_to_life and earlier than %v", second.Tier, second.Deadline, first.Deadline)
	}
	recv, err := db.FindAlertByID(w.platform(), first.ID)
	must(t, err)
	if len(recv.Requests) != 2 || recv.OtherRequests != 0 || recv.SenderOrgID != w.Gov.ID {
		t.Fatalf("receiver sees %d requests, %d others, sender %q", len(recv.Requests), recv.OtherRequests, recv.SenderOrgID)
	}
	staff, err := db.FindAlertByID(Staff(), first.ID)
	must(t, err)
	if len(staff.Requests) != 2 {
		t.Fatalf("staff see %d requests", len(staff.Requests))
	}
	for _, c := range []struct {
		ctx    context.Context
		org    *ksp.Org
		sender string
	}{{w.gov(), w.Gov, w.Gov.ID}, {w.startup(), w.Startup, ""}} {
		a, err := db.FindAlertByID(c.ctx, first.ID)
		must(t, err)
		if len(a.Requests) != 1 || a.Requests[0].OrgID != c.org.ID || a.OtherRequests != 1 || a.SenderOrgID != c.sender {
			t.Fatalf("%s sees %d requests (%v), %d others, sender %q", c.org.Name, len(a.Requests), a.Requests, a.OtherRequests, a.SenderOrgID)
		}
		for _, e := range a.Timeline {
			if (e.Type == ksp.TimelineCreated || e.Type == ksp.TimelineRequested) && e.OrgID != "" && e.OrgID != c.org.ID {
				t.Fatalf("%s sees another requester on the timeline: %+v", c.org.Name, e)
			}
		}
	}
	st, err := db.FindAlertByID(w.startup(), first.ID)
	must(t, err)
	if st.Requests[0].DoNotNotifyUntil == nil || !st.Requests[0].DoNotNotifyUntil.Equal(until.Time) || st.Requests[0].Note != "startup's own note" {
		t.Fatalf("startup's request: %+v", st.Requests[0])
	}
	gv, err := db.FindAlertByID(w.gov(), first.ID)
	must(t, err)
	if gv.Requests[0].Note == "startup's own note" {
		t.Fatal("gov sees the startup's note")
	}
	// The same org asking again adds nothing.
	again, merged, err := db.CreateAlert(w.startup(), in)
	must(t, err)
	if !merged || again.ID != first.ID || len(again.Requests) != 1 {
		t.Fatalf("repeat request: %+v", again)
	}
	// A removal order is never merged into the referral: it links to it.
	received := time.Now().Add(-10 * time.Minute)
	order, merged, err := db.CreateAlert(w.gov(), removalOrder(u, received))
	must(t, err)
	if merged || order.ID == first.ID || order.LinkedAlertID != first.ID {
		t.Fatalf("removal order merged %v id %s linked %q", merged, order.ID, order.LinkedAlertID)
	}
	if want := ksp.T(received.Add(time.Hour)); !order.Deadline.Equal(want.Time) || order.ReceiverOrgID != w.Platform.ID {
		t.Fatalf("removal order deadline %v (want %v), receiver %s", order.Deadline, want, order.ReceiverOrgID)
	}
	if order.Order == nil || order.Order.IssuingAuthority != "Bundeskriminalamt" || order.Order.MemberState != "DE" {
		t.Fatalf("order details %+v", order.Order)
	}
	// A platform does not issue legal orders.
	_, _, err = db.CreateAlert(w.startup(), removalOrder("https://big-platform.example/other", received))
	wantField(t, err, "kind")
	// A referral outside the window is a new alert.
	_, err = db.SQL().Exec(db.Rebind(`UPDATE alerts SET created_at = created_at - ? WHERE id = ?`), int64(8*24*time.Hour/time.Microsecond), first.ID)
	must(t, err)
	late, merged, err := db.CreateAlert(w.startup(), referral(u, ksp.TierDesignation))
	must(t, err)
	if merged || late.ID == first.ID {
		t.Fatal("a referral eight days later merged")
	}
}

func testAlertEscalation(t *testing.T, open Opener) {
	db := open(t)
	w := newAlertWorld(t, db)
	if s, ok := db.(interface{ SetAlertDeadline(time.Duration) }); ok {
		s.SetAlertDeadline(48 * time.Hour)
		defer s.SetAlertDeadline(0)
	}
	now := time.Now()
	slow, _, err := db.CreateAlert(w.gov(), referral("https://big-platform.example/slow", ksp.TierDesignation))
	must(t, err)
	if d := slow.Deadline.Sub(slow.Created.Time); d != 48*time.Hour {
		t.Fatalf("configured deadline %v, want 48h", d)
	}
	ttl, _, err := db.CreateAlert(w.gov(), referral("https://big-platform.example/ttl", ksp.TierThreatToLife))
	must(t, err)
	answered, _, err := db.CreateAlert(w.gov(), referral("https://big-platform.example/answered", ksp.TierThreatToLife))
	must(t, err)
	_, err = db.RespondToAlert(w.platform(), answered.ID, ksp.ResponseInput{Action: ksp.ResponseRestricted})
	must(t, err)
	order, _, err := db.CreateAlert(w.gov(), removalOrder("https://big-platform.example/order", now.Add(-2*time.Hour)))
	must(t, err)

	_, err = db.EscalateOverdue(w.platform(), now)
	wantCode(t, err, ksp.EFORBIDDEN)
	steps := []struct {
		at   time.Time
		want int
		ids  []string
	}{
		{now, 1, []string{order.ID}},
		{now.Add(30 * time.Minute), 0, nil},
		{now.Add(61 * time.Minute), 1, []string{ttl.ID}},
		{now.Add(47 * time.Hour), 0, nil},
		{now.Add(49 * time.Hour), 1, []string{slow.ID}},
		{now.Add(100 * time.Hour), 0, nil},
	}
	for _, s := range steps {
		n, err := db.EscalateOverdue(Staff(), s.at)
		must(t, err)
		if n != s.want {
			t.Fatalf("at +%v: escalated %d, want %d", s.at.Sub(now), n, s.want)
		}
		for _, id := range s.ids {
			a, err := db.FindAlertByID(w.gov(), id)
			must(t, err)
			last := a.Timeline[len(a.Timeline)-1]
			if !a.Escalated || last.Type != ksp.TimelineEscalated || !last.Time.Equal(ksp.T(s.at).Time) {
				t.Fatalf("alert %s after escalation: escalated %v, last entry %+v", id, a.Escalated, last)
			}
		}
	}
	a, err := db.FindAlertByID(w.gov(), answered.ID)
	must(t, err)
	if a.Escalated {
		t.Fatal("an answered alert was escalated")
	}
	evs, err := db.FindEventsAfter(w.platform(), 0, 1000)
	must(t, err)
	count := map[string]int{}
	for _, e := range evs {
		count[e.Type]++
	}
	if count[ksp.EventAlertEscalated] != 3 || count[ksp.EventAlertCreated] != 4 || count[ksp.EventAlertResponded] != 1 {
		t.Fatalf("receiver's alert events %v", count)
	}
}

func testAlertVisibility(t *testing.T, open Opener) {
	db := open(t)
	w := newAlertWorld(t, db)
	_, err := db.SetLEContact(w.gov(), w.Police.ID, []string{"DE"})
	wantCode(t, err, ksp.EFORBIDDEN)
	_, err = db.SetLEContact(Staff(), w.Platform.ID, []string{"DE"})
	wantField(t, err, "org_id")
	_, err = db.SetLEContact(Staff(), w.Police.ID, []string{"Germany"})
	wantField(t, err, "jurisdictions")
	le, err := db.SetLEContact(Staff(), w.Police.ID, []string{"de", "AT"})
	must(t, err)
	if len(le.Jurisdictions) != 2 {
		t.Fatalf("contact %+v", le)
	}
	in := referral("https://big-platform.example/threat", ksp.TierThreatToLife)
	in.Jurisdiction = "DE"
	a, _, err := db.CreateAlert(w.gov(), in)
	must(t, err)
	other, _, err := db.CreateAlert(w.gov(), func() ksp.AlertInput {
		x := referral("https://big-platform.example/threat-fr", ksp.TierThreatToLife)
		x.Jurisdiction = "FR"
		return x
	}())
	must(t, err)
	roles := []struct {
		name string
		ctx  context.Context
		role string
	}{
		{"sender", w.gov(), ksp.AlertRoleSender},
		{"receiver", w.platform(), ksp.AlertRoleReceiver},
		{"receiver's viewer", As(w.Platform, w.PlatView), ksp.AlertRoleReceiver},
		{"staff", Staff(), ksp.AlertRoleStaff},
		{"law enforcement", w.police(), ksp.AlertRoleLE},
	}
	for _, r := range roles {
		got, err := db.FindAlertByID(r.ctx, a.ID)
		if err != nil || got.ViewerRole != r.role {
			t.Fatalf("%s: %v role %q", r.name, err, got.ViewerRole)
		}
	}
	pol, err := db.FindAlertByID(w.police(), a.ID)
	must(t, err)
	notified := false
	for _, e := range pol.Timeline {
		notified = notified || e.Type == ksp.TimelineLENotified
	}
	if !notified || len(pol.Requests) != 0 || pol.OtherRequests != 1 {
		t.Fatalf("law enforcement view: notified %v, requests %d, others %d", notified, len(pol.Requests), pol.OtherRequests)
	}
	_, err = db.FindAlertByID(w.police(), other.ID)
	wantCode(t, err, ksp.ENOTFOUND)
	box, _, err := db.FindAlerts(w.police(), ksp.AlertFilter{Box: ksp.BoxReceived})
	must(t, err)
	if len(box) != 1 || box[0].ID != a.ID {
		t.Fatalf("police inbox has %d alerts", len(box))
	}
	// Everyone else: 404, and nothing counted.
	_, err = db.FindAlertByID(w.startup(), a.ID)
	wantCode(t, err, ksp.ENOTFOUND)
	_, err = db.FindAlertByID(w.startup(), "not-an-id")
	wantCode(t, err, ksp.ENOTFOUND)
	for _, b := range []string{ksp.BoxReceived, ksp.BoxSent} {
		got, _, err := db.FindAlerts(w.startup(), ksp.AlertFilter{Box: b})
		must(t, err)
		if len(got) != 0 {
			t.Fatalf("startup's %s box has %d alerts", b, len(got))
		}
	}
	sent, _, err := db.FindAlerts(w.gov(), ksp.AlertFilter{Box: ksp.BoxSent})
	must(t, err)
	if len(sent) != 2 {
		t.Fatalf("gov outbox has %d", len(sent))
	}
	_, _, err = db.FindAlerts(w.gov(), ksp.AlertFilter{Box: "everything"})
	wantField(t, err, "box")
	evs, err := db.FindEventsAfter(w.startup(), 0, 1000)
	must(t, err)
	for _, e := range evs {
		if strings.HasPrefix(e.Type, "alert.") {
			t.Fatalf("startup sees event %s", e.Type)
		}
	}
	// Responses: only the receiver's analysts.
	resp := ksp.ResponseInput{Action: ksp.ResponseRemoved, Note: "gone"}
	_, err = db.RespondToAlert(w.startup(), a.ID, resp)
	wantCode(t, err, ksp.ENOTFOUND)
	_, err = db.RespondToAlert(w.gov(), a.ID, resp)
	wantCode(t, err, ksp.EFORBIDDEN)
	_, err = db.RespondToAlert(w.police(), a.ID, resp)
	wantCode(t, err, ksp.EFORBIDDEN)
	_, err = db.RespondToAlert(As(w.Platform, w.PlatView), a.ID, resp)
	wantCode(t, err, ksp.EFORBIDDEN)
	_, err = db.RespondToAlert(w.platform(), a.ID, ksp.ResponseInput{Action: "deleted"})
	wantField(t, err, "action")
	_, err = db.RespondToAlert(w.platform(), a.ID, ksp.ResponseInput{Action: ksp.ResponseCannotComply})
	wantField(t, err, "reason")
	got, err := db.RespondToAlert(w.platform(), a.ID, resp)
	must(t, err)
	r := got.Response
	if r == nil || r.Action != ksp.ResponseRemoved || r.PreserveUntil == nil || got.Status != ksp.AlertResponded {
		t.Fatalf("response %+v", r)
	}
	if want := r.Time.AddDate(0, 6, 0); !r.PreserveUntil.Equal(want) {
		t.Fatalf("preserve until %v, want %v", r.PreserveUntil, want)
	}
	_, err = db.RespondToAlert(w.platform(), a.ID, resp)
	wantCode(t, err, ksp.ECONFLICT)
	seen, err := db.FindAlertByID(w.gov(), a.ID)
	must(t, err)
	types := []string{}
	for _, e := range seen.Timeline {
		types = append(types, e.Type)
	}
	if j := strings.Join(types, ","); j != "created,delivered,law_enforcement_notified,viewed,responded" {
		t.Fatalf("timeline %s", j)
	}
	// A suspended org sees none of its alerts, and routes nothing.
	st := ksp.OrgStatusSuspended
	susp, err := db.UpdateOrg(Staff(), w.Platform.ID, ksp.OrgUpdate{Status: &st})
	must(t, err)
	_, err = db.FindAlertByID(As(susp, w.PlatAdmin), a.ID)
	wantCode(t, err, ksp.ENOTFOUND)
	box, _, err = db.FindAlerts(As(susp, w.PlatAdmin), ksp.AlertFilter{Box: ksp.BoxReceived})
	must(t, err)
	if len(box) != 0 {
		t.Fatalf("suspended org lists %d alerts", len(box))
	}
	later, _, err := db.CreateAlert(w.gov(), referral("https://big-platform.example/while-suspended", ksp.TierDesignation))
	must(t, err)
	if later.ReceiverOrgID != "" {
		t.Fatalf("alert routed to a suspended org")
	}
}

func testAlertBadInput(t *testing.T, open Opener) {
	db := open(t)
	w := newAlertWorld(t, db)
	head := func() string {
		var s string
		must(t, db.SQL().QueryRow(`SELECT CAST(seq AS TEXT) || ':' || hash FROM audit_head`).Scan(&s))
		var n int
		must(t, db.SQL().QueryRow(`SELECT COUNT(*) FROM alerts`).Scan(&n))
		return fmt.Sprintf("%s/%d", s, n)
	}
	before := head()
	now := time.Now()
	future := ksp.T(now.Add(time.Hour))
	cases := []struct {
		name  string
		ctx   context.Context
		in    ksp.AlertInput
		field string
	}{
		{"no url", w.gov(), referral("", ksp.TierCrisis), "url"},
		{"no host", w.gov(), referral("https:///x", ksp.TierCrisis), "url"},
		{"relative", w.gov(), referral("/just/a/path", ksp.TierCrisis), "url"},
		{"ftp", w.gov(), referral("ftp://big-platform.example/f", ksp.TierCrisis), "url"},
		{"javascript", w.gov(), referral("javascript:alert(1)", ksp.TierCrisis), "url"},
		{"huge url", w.gov(), referral("https://big-platform.example/"+strings.Repeat("a", 5000), ksp.TierCrisis), "url"},
		{"unknown kind", w.gov(), ksp.AlertInput{URL: "https://big-platform.example/", Kind: "warning", Tier: ksp.TierCrisis}, "kind"},
		{"unknown tier", w.gov(), referral("https://big-platform.example/", "urgent"), "tier"},
		{"referral without tier", w.gov(), referral("https://big-platform.example/", ""), "tier"},
		{"threat without level", w.gov(), ksp.AlertInput{URL: "https://big-platform.example/", Kind: ksp.AlertReferral, Tier: ksp.TierThreatToLife}, "threat_level"},
		{"bad level", w.gov(), ksp.AlertInput{URL: "https://big-platform.example/", Kind: ksp.AlertReferral, Tier: ksp.TierThreatToLife, ThreatLevel: "extreme"}, "threat_level"},
		{"order without details", w.gov(), ksp.AlertInput{URL: "https://big-platform.example/", Kind: ksp.AlertTCORemovalOrder}, "order.issuing_authority"},
		{"order without authority", w.gov(), func() ksp.AlertInput {
			x := removalOrder("https://big-platform.example/", now)
			x.Order.IssuingAuthority = "  "
			return x
		}(), "order.issuing_authority"},
		{"order received in the future", w.gov(), func() ksp.AlertInput {
			x := removalOrder("https://big-platform.example/", now)
			x.Order.ReceivedAt = &future
			return x
		}(), "order.received_at"},
		{"public", w.gov(), func() ksp.AlertInput {
			x := referral("https://big-platform.example/", ksp.TierCrisis)
			x.Distribution = string(ksp.DistPublic)
			return x
		}(), "distribution"},
		{"bad tlp", w.gov(), func() ksp.AlertInput {
			x := referral("https://big-platform.example/", ksp.TierCrisis)
			x.TLP = "PURPLE"
			return x
		}(), "tlp"},
		{"unknown entity", w.gov(), func() ksp.AlertInput {
			x := referral("https://big-platform.example/", ksp.TierDesignation)
			x.EntityID = ksp.NewID()
			return x
		}(), "entity_id"},
		{"bad jurisdiction", w.gov(), func() ksp.AlertInput {
			x := referral("https://big-platform.example/", ksp.TierDesignation)
			x.Jurisdiction = "Germany"
			return x
		}(), "jurisdiction"},
		{"bad label", w.gov(), func() ksp.AlertInput {
			x := referral("https://big-platform.example/", ksp.TierDesignation)
			x.Labels = []string{"spam"}
			return x
		}(), "labels"},
		{"huge note", w.gov(), func() ksp.AlertInput {
			x := referral("https://big-platform.example/", ksp.TierDesignation)
			x.Note = strings.Repeat("n", 5000)
			return x
		}(), "note"},
	}
	for _, c := range cases {
		_, _, err := db.CreateAlert(c.ctx, c.in)
		if !hasField(err, c.field) {
			t.Errorf("%s: got %v, want a field error on %s", c.name, err, c.field)
		}
	}
	_, _, err := db.CreateAlert(As(w.Platform, w.PlatView), referral("https://tiny-startup.example/", ksp.TierCrisis))
	wantCode(t, err, ksp.EFORBIDDEN)
	_, _, err = db.CreateAlert(context.Background(), referral("https://tiny-startup.example/", ksp.TierCrisis))
	wantCode(t, err, ksp.EUNAUTHORIZED)
	if after := head(); after != before {
		t.Fatalf("refused alerts wrote something: %s → %s", before, after)
	}
}

func hasField(err error, field string) bool {
	e, ok := err.(*ksp.Error)
	if !ok || e.Code != ksp.EINVALID {
		return false
	}
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}
