package httpapi_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/domainproof"
	"github.com/kspplatform/ksp/httpapi"
)

// domainWeb is a real HTTPS server answering for every name under
// example.com, serving per-host well-known files, and the TXT records of a
// test resolver.
type domainWeb struct {
	mu    sync.Mutex
	files map[string]string
	txt   map[string][]string
}

func (d *domainWeb) set(host, body string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.files[host] = body
}

func newDomainEnv(t *testing.T, allowPrivate bool) (*env, *domainWeb) {
	t.Helper()
	web := &domainWeb{files: map[string]string{}, txt: map[string][]string{}}
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		web.mu.Lock()
		body, ok := web.files[strings.Split(r.Host, ":")[0]]
		web.mu.Unlock()
		if !ok || r.URL.Path != ksp.DomainWellKnownPath {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(body))
	}))
	t.Cleanup(ts.Close)
	checker := domainproof.New(domainproof.Config{
		AllowPrivate: allowPrivate,
		RootCAs:      ts.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs,
		DialAddr:     func(string) string { return ts.Listener.Addr().String() },
		LookupTXT: func(_ context.Context, name string) ([]string, error) {
			web.mu.Lock()
			defer web.mu.Unlock()
			if r, ok := web.txt[name]; ok {
				return r, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
		},
	})
	return newEnv(t, httpapi.Config{DomainChecker: checker}), web
}

type claimList struct {
	Items []ksp.DomainClaim `json:"items"`
}

func (e *env) domainToken(t *testing.T, orgID, key, domain string) string {
	t.Helper()
	r := e.do("GET", "/api/v1/orgs/"+orgID+"/domains", e.keys[key], nil)
	if r.status != 200 {
		t.Fatalf("list domains: %d %s", r.status, r.body)
	}
	var l claimList
	if err := json.Unmarshal(r.body, &l); err != nil {
		t.Fatal(err)
	}
	for _, c := range l.Items {
		if c.Domain == domain {
			return c.Token
		}
	}
	t.Fatalf("no claim of %s in %s", domain, r.body)
	return ""
}

func TestDomainsProveOverHTTPS(t *testing.T) {
	e, web := newDomainEnv(t, true)
	plat, start := e.fx.Platform.ID, e.fx.Startup.ID
	if r := e.do("POST", "/api/v1/orgs/"+plat+"/domains", e.keys["admin"], map[string]any{"domain": "Video.Example.COM"}); r.status != 201 {
		t.Fatalf("claim: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/orgs/"+start+"/domains", e.keys["startup"], map[string]any{"domain": "video.example.com"}); r.status != 201 {
		t.Fatalf("second claim before verification: %d %s", r.status, r.body)
	}
	tok := e.domainToken(t, plat, "admin", "video.example.com")
	startTok := e.domainToken(t, start, "startup", "video.example.com")

	// Nothing served yet: a clear failure naming both ways.
	r := e.do("POST", "/api/v1/orgs/"+plat+"/domains/video.example.com/verify", e.keys["admin"], nil)
	if r.status != 400 || !strings.Contains(string(r.body), "status 404") || !strings.Contains(string(r.body), "_ksp.video.example.com") {
		t.Fatalf("unproven verify: %d %s", r.status, r.body)
	}
	web.set("video.example.com", "ksp-domain-verification="+tok+"\n")

	// Attacks: the start-up's admin verifying the platform's claim, or
	// its own claim with the platform's token on the site; a viewer; a
	// key without the admin scope; a member asking for staff confirmation.
	for _, c := range []struct {
		path, key string
		body      any
		status    int
	}{
		{"/api/v1/orgs/" + plat + "/domains/video.example.com/verify", "startup", nil, 404},
		{"/api/v1/orgs/" + start + "/domains/video.example.com/verify", "startup", nil, 400},
		{"/api/v1/orgs/" + plat + "/domains/video.example.com/verify", "viewer", nil, 403},
		{"/api/v1/orgs/" + plat + "/domains/video.example.com/verify", "admin-readonly", nil, 403},
		{"/api/v1/orgs/" + plat + "/domains/video.example.com/verify", "admin", map[string]any{"method": "staff"}, 403},
		{"/api/v1/orgs/" + plat + "/domains/video.example.com/verify", "admin", map[string]any{"method": "guess"}, 400},
		{"/api/v1/orgs/" + plat + "/domains", "startup", nil, 404},
	} {
		method := "POST"
		if !strings.HasSuffix(c.path, "/verify") {
			method = "GET"
		}
		if r := e.do(method, c.path, e.keys[c.key], c.body); r.status != c.status {
			t.Errorf("%s %s as %s: %d %s, want %d", method, c.path, c.key, r.status, r.body, c.status)
		}
	}
	r = e.do("POST", "/api/v1/orgs/"+plat+"/domains/video.example.com/verify", e.keys["admin"], nil)
	if r.status != 200 || !strings.Contains(string(r.body), `{"domain":"video.example.com","verified":true}`) {
		t.Fatalf("verify: %d %s", r.status, r.body)
	}
	// GET /orgs/{id} lists domains as [{"domain","verified"}], to others too.
	r = e.do("GET", "/api/v1/orgs/"+plat, e.keys["gov"], nil)
	if !strings.Contains(string(r.body), `"domains":[{"domain":"big-platform.example","verified":true},{"domain":"video.example.com","verified":true}]`) {
		t.Fatalf("org as others see it: %s", r.body)
	}
	// A verified domain belongs to one org.
	web.set("video.example.com", startTok)
	if r := e.do("POST", "/api/v1/orgs/"+start+"/domains/video.example.com/verify", e.keys["startup"], nil); r.status != 409 {
		t.Fatalf("second org proving a verified domain: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/orgs/"+e.fx.Gov.ID+"/domains", e.keys["gov"], map[string]any{"domain": "video.example.com"}); r.status != 409 || !strings.Contains(string(r.body), "verified by another organisation") {
		t.Fatalf("claim of a verified domain: %d %s", r.status, r.body)
	}
	// DNS works too.
	if r := e.do("POST", "/api/v1/orgs/"+e.fx.Gov.ID+"/domains", e.keys["gov"], map[string]any{"domain": "ministry.example.com"}); r.status != 201 {
		t.Fatalf("claim: %d %s", r.status, r.body)
	}
	web.mu.Lock()
	web.txt["_ksp.ministry.example.com"] = []string{"ksp-domain-verification=" + e.domainToken(t, e.fx.Gov.ID, "gov", "ministry.example.com")}
	web.mu.Unlock()
	if r := e.do("POST", "/api/v1/orgs/"+e.fx.Gov.ID+"/domains/ministry.example.com/verify", e.keys["gov"], map[string]any{"method": "check"}); r.status != 200 {
		t.Fatalf("DNS verify: %d %s", r.status, r.body)
	}
	// Removal.
	if r := e.do("DELETE", "/api/v1/orgs/"+plat+"/domains/video.example.com", e.keys["startup"], nil); r.status != 404 {
		t.Fatalf("other org removing: %d %s", r.status, r.body)
	}
	if r := e.do("DELETE", "/api/v1/orgs/"+plat+"/domains/video.example.com", e.keys["admin"], nil); r.status != 204 {
		t.Fatalf("remove: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/orgs/"+start+"/domains/video.example.com/verify", e.keys["startup"], nil); r.status != 200 {
		t.Fatalf("start-up proving the freed domain: %d %s", r.status, r.body)
	}
}

// In production the checker refuses the loopback server: the member's
// domain would otherwise be a way to make KSP fetch from its own network.
func TestDomainsPrivateTargetRefused(t *testing.T) {
	e, web := newDomainEnv(t, false)
	plat := e.fx.Platform.ID
	if r := e.do("POST", "/api/v1/orgs/"+plat+"/domains", e.keys["admin"], map[string]any{"domain": "intranet.example.com"}); r.status != 201 {
		t.Fatalf("claim: %d %s", r.status, r.body)
	}
	web.set("intranet.example.com", e.domainToken(t, plat, "admin", "intranet.example.com"))
	r := e.do("POST", "/api/v1/orgs/"+plat+"/domains/intranet.example.com/verify", e.keys["admin"], nil)
	if r.status != 400 || !strings.Contains(string(r.body), "non-public address") {
		t.Fatalf("verify against loopback: %d %s", r.status, r.body)
	}
	// Staff may still confirm by hand.
	if r := e.do("POST", "/api/v1/orgs/"+plat+"/domains/intranet.example.com/verify", e.keys["staff"], nil); r.status != 200 || !strings.Contains(string(r.body), `{"domain":"intranet.example.com","verified":true}`) {
		t.Fatalf("staff confirm: %d %s", r.status, r.body)
	}
}
