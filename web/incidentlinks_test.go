package web

import (
	"context"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
)

// TestIncidentLinksPage: the incident page lists the alerts sent under the
// incident to those who are party to them, and not to anyone else.
func TestIncidentLinksPage(t *testing.T) {
	h := newHarness(t, Config{})
	plat := &ksp.Org{Name: "Vidstream", Kind: ksp.KindPlatform, Size: ksp.SizeLarge, Domains: []ksp.Domain{{Domain: "vidstream.example", Verified: true}}}
	if err := h.db.CreateOrg(h.sys, plat); err != nil {
		t.Fatal(err)
	}
	gov := h.org("Ministry", ksp.KindGovernment, "")
	other := h.org("Bystander", ksp.KindPlatform, ksp.SizeSmall)
	staffA := h.user(h.staffOrg(), "a@ksp.example", ksp.RoleAdmin, true)
	staffB := h.user(h.staffOrg(), "b@ksp.example", ksp.RoleAdmin, true)
	govUser := h.user(gov, "analyst@ministry.example", ksp.RoleAnalyst, true)
	platUser := h.user(plat, "viewer@vidstream.example", ksp.RoleViewer, true)
	otherUser := h.user(other, "viewer@bystander.example", ksp.RoleViewer, true)
	as := func(a *account) context.Context {
		return ksp.NewContext(context.Background(), &ksp.Actor{UserID: a.user.ID, OrgID: a.org.ID, OrgKind: a.org.Kind, Role: a.user.Role, Staff: a.org.ID == ksp.StaffOrgID})
	}
	inc := &ksp.Incident{Type: ksp.IncidentTypeContentIncident, Title: "Attack streamed", Sharing: ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen}}
	if err := h.db.CreateIncident(as(staffA), inc); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*account{staffA, staffB} {
		if _, err := h.db.ActivateIncident(as(s), inc.ID, ksp.ActivateIncidentInput{}); err != nil {
			t.Fatal(err)
		}
	}
	in := ksp.AlertInput{URL: "https://vidstream.example/live/1", Kind: ksp.AlertReferral, Tier: ksp.TierCrisis, Labels: []string{"attack_content"}, IncidentID: inc.ID}
	a, _, err := h.db.CreateAlert(as(govUser), in)
	if err != nil {
		t.Fatal(err)
	}
	awayFromStepEdge()
	pc := h.client()
	pc.signIn(platUser, 0)
	pc.want(pc.get("/incidents/"+inc.ID), 200, "Alerts sent under this incident", `href="/alerts/`+a.ID+`"`, "https://vidstream.example/live/1", "No signals you may see.")
	pc.want(pc.get("/alerts/"+a.ID), 200, `href="/incidents/`+inc.ID+`"`)
	oc := h.client()
	oc.signIn(otherUser, 1)
	oc.want(oc.get("/incidents/"+inc.ID), 200, "No alerts you may see.")
	if strings.Contains(oc.body, "vidstream.example/live") {
		t.Fatal("a bystander sees the alert's URL on the incident page")
	}
}
