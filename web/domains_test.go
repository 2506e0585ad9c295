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
