package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/domainproof"
)

// TestDomainsAdminPage: an admin claims a domain, reads the token
// instructions, fails to verify until the file is served, verifies, and
// removes it; another org's admin cannot act on it.
func TestDomainsAdminPage(t *testing.T) {
	var mu sync.Mutex
	served := ""
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path != ksp.DomainWellKnownPath || served == "" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(served))
	}))
	defer ts.Close()
	checker := domainproof.New(domainproof.Config{AllowPrivate: true,
		RootCAs:  ts.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs,
		DialAddr: func(string) string { return ts.Listener.Addr().String() }})
	h := newHarness(t, Config{DomainChecker: checker})
	plat := h.org("Vidstream", ksp.KindPlatform, ksp.SizeLarge)
	other := h.org("Otherhost", ksp.KindPlatform, ksp.SizeSmall)
	admin := h.user(plat, "admin@vidstream.example", ksp.RoleAdmin, true)
	intruder := h.user(other, "admin@otherhost.example", ksp.RoleAdmin, true)

	c := h.client()
	c.signIn(admin, 0)
	c.get("/admin")
	c.want(c.post("/admin/domains", url.Values{"domain": {"Video.example.com"}}), 200, "video.example.com", "Not verified",
		"https://video.example.com/.well-known/ksp-domain-verification", "_ksp.video.example.com")
	m := regexp.MustCompile(`ksp-domain-verification=([0-9a-f]{32})`).FindStringSubmatch(c.body)
	if m == nil {
		t.Fatalf("no token on the page:\n%s", excerpt(c.body))
	}
	c.want(c.post("/admin/domains/video.example.com/verify", nil), 200, "is not verified yet", "status 404", "Last check: ")

	// Another org's admin: its verify and remove act on its own org, where
	// there is no such claim.
	ic := h.client()
	ic.signIn(intruder, 1)
	ic.get("/admin")
	mu.Lock()
	served = m[0]
	mu.Unlock()
	if res := ic.post("/admin/domains/video.example.com/verify", nil); res.StatusCode != 404 {
		t.Fatalf("intruder verify: %d", res.StatusCode)
	}
	ic.get("/admin")
	if res := ic.post("/admin/domains/video.example.com/remove", nil); res.StatusCode != 404 {
		t.Fatalf("intruder remove: %d", res.StatusCode)
	}

	c.get("/admin")
	c.want(c.post("/admin/domains/video.example.com/verify", nil), 200, "Domain video.example.com verified (file on its web server)", "Verified")
	if strings.Contains(c.body, "Prove you control video.example.com") {
		t.Fatal("instructions still shown for a verified domain")
	}
	c.want(c.post("/admin/domains/video.example.com/remove", nil), 200, "Domain video.example.com removed")
	if strings.Contains(c.body, "<td>video.example.com</td>") {
		t.Fatal("removed domain still listed")
	}
}

// TestDomainsStaffConfirm: staff confirm a claim by hand from the
// organisations list; a domain another org verified is refused.
func TestDomainsStaffConfirm(t *testing.T) {
	h := newHarness(t, Config{})
	plat := h.org("Vidstream", ksp.KindPlatform, ksp.SizeLarge)
	other := h.org("Otherhost", ksp.KindPlatform, ksp.SizeSmall)
	staff := h.user(h.staffOrg(), "staff@ksp.example", ksp.RoleAdmin, true)
	member := h.user(plat, "admin@vidstream.example", ksp.RoleAdmin, true)
	for _, o := range []*ksp.Org{plat, other} {
		if _, err := h.db.AddDomain(h.sys, o.ID, "contested.example"); err != nil {
			t.Fatal(err)
		}
	}
	sc := h.client()
	sc.signIn(staff, 0)
	sc.want(sc.get("/staff/orgs"), 200, "contested.example", "Not verified", "Confirm")
	sc.want(sc.post("/staff/orgs/"+plat.ID+"/domains/contested.example/confirm", nil), 200, "Domain contested.example confirmed for Vidstream")
	sc.want(sc.post("/staff/orgs/"+other.ID+"/domains/contested.example/confirm", nil), 200, "cannot be confirmed", "verified by another organisation")
	mc := h.client()
	mc.signIn(member, 1)
	mc.get("/admin")
	if res := mc.post("/staff/orgs/"+plat.ID+"/domains/contested.example/confirm", nil); res.StatusCode != 403 && res.StatusCode != 404 {
		t.Fatalf("member confirming: %d", res.StatusCode)
	}
}
