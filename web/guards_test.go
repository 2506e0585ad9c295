package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
)

// TestSuspendedOrgAdmin: a suspended org's admin is offered no form to
// create keys or invite users, and a form sent anyway is refused and
// writes nothing.
func TestSuspendedOrgAdmin(t *testing.T) {
	h := newHarness(t, Config{})
	plat := h.org("Vidstream", ksp.KindPlatform, ksp.SizeLarge)
	admin := h.user(plat, "admin@vidstream.example", ksp.RoleAdmin, true)
	awayFromStepEdge()
	c := h.client()
	c.signIn(admin, 0)
	st := ksp.OrgStatusSuspended
	if _, err := h.db.UpdateOrg(h.sys, plat.ID, ksp.OrgUpdate{Status: &st}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, page, action string
		form               url.Values
	}{
		{"own key", "/account/keys", "/account/keys", url.Values{"name": {"scan"}, "scopes": {"read"}, "expires": {"never"}}},
		{"org key", "/admin/keys", "/admin/keys", url.Values{"name": {"scan"}, "scopes": {"read"}, "expires": {"never"}}},
		{"user", "/admin/users", "/admin/users", url.Values{"email": {"new@vidstream.example"}, "role": {"viewer"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.want(c.get(tt.page), 200, "Your organisation is suspended")
			if strings.Contains(c.body, `action="`+tt.action+`" method="post"`) {
				t.Fatalf("%s offers its form to a suspended org", tt.page)
			}
			c.want(c.post(tt.action, tt.form), 403, "suspended")
		})
	}
	keys, _, err := h.db.FindAPIKeys(asUser(admin), ksp.APIKeyFilter{OrgWide: true})
	if err != nil {
		t.Fatal(err)
	}
	users, _, err := h.db.FindUsers(h.sys, plat.ID, ksp.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 || len(users) != 1 {
		t.Fatalf("a suspended org's admin wrote %d keys, %d users", len(keys), len(users)-1)
	}
}

// TestApplyAsSecretariat: an applicant cannot take a name that reads like
// the programme's secretariat; the form says why, beside the name.
func TestApplyAsSecretariat(t *testing.T) {
	h := newHarness(t, Config{})
	c := h.client()
	c.get("/apply")
	res := c.post("/apply", url.Values{"org_name": {"K.S.P.  secretar1at"}, "kind": {"civil_society"}, "website": {"https://ngo.example"},
		"contact_name": {"Ada"}, "contact_email": {"ada@ngo.example"}, "motivation": {"We research extremism."}})
	c.want(res, 400, "There is a problem", `href="#f-org_name"`, "too like the name of the programme")
	apps, _, err := h.db.FindApplications(h.sys, ksp.ApplicationFilter{})
	if err != nil || len(apps) != 0 {
		t.Fatalf("applications %d, %v", len(apps), err)
	}
}
