package domainproof_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/domainproof"
)

const token = "0123456789abcdef0123456789abcdef"

// tlsSite is a real HTTPS server answering for every name under
// example.com (the certificate httptest serves covers *.example.com), and a
// checker whose connections all go to it.
func tlsSite(t *testing.T, allowPrivate bool, h http.HandlerFunc, txt map[string][]string) *domainproof.Checker {
	t.Helper()
	ts := httptest.NewTLSServer(h)
	t.Cleanup(ts.Close)
	roots := ts.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	return domainproof.New(domainproof.Config{
		AllowPrivate: allowPrivate,
		RootCAs:      roots,
		DialAddr:     func(string) string { return ts.Listener.Addr().String() },
		Timeout:      2 * time.Second,
		LookupTXT: func(_ context.Context, name string) ([]string, error) {
			if r, ok := txt[name]; ok {
				return r, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
		},
	})
}

func serveBody(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != ksp.DomainWellKnownPath {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(body))
	}
}

func TestDomainproofCheck(t *testing.T) {
	redirect := func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://elsewhere.example.com"+ksp.DomainWellKnownPath, http.StatusFound)
	}
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		txt       map[string][]string
		private   bool
		method    string
		where     string
		errSubstr string
	}{
		{name: "well-known file", handler: serveBody("ksp-domain-verification=" + token + "\n"), private: true,
			method: ksp.DomainProofHTTP, where: "https://shop.example.com" + ksp.DomainWellKnownPath},
		{name: "bare token in file", handler: serveBody(token), private: true, method: ksp.DomainProofHTTP},
		{name: "TXT on the domain", handler: http.NotFound, private: true,
			txt:    map[string][]string{"shop.example.com": {"v=spf1 -all", "ksp-domain-verification=" + token}},
			method: ksp.DomainProofDNS, where: "shop.example.com"},
		{name: "TXT on _ksp", handler: http.NotFound, private: true,
			txt:    map[string][]string{"_ksp.shop.example.com": {"ksp-domain-verification=" + token}},
			method: ksp.DomainProofDNS, where: "_ksp.shop.example.com"},
		{name: "wrong token everywhere", handler: serveBody("ksp-domain-verification=fedcba"), private: true,
			txt:       map[string][]string{"shop.example.com": {"ksp-domain-verification=fedcba"}},
			errSubstr: "does not contain this claim's token"},
		{name: "TXT must be the whole record", handler: http.NotFound, private: true,
			txt:       map[string][]string{"shop.example.com": {"x ksp-domain-verification=" + token + " y"}},
			errSubstr: "no TXT record ksp-domain-verification="},
		{name: "redirect not followed", handler: redirect, private: true, errSubstr: "not followed"},
		{name: "404", handler: http.NotFound, private: true, errSubstr: "status 404"},
		{name: "oversized file", handler: serveBody(strings.Repeat("x", domainproof.DefaultMaxBody) + token), private: true,
			errSubstr: "larger than"},
		{name: "loopback refused in production", handler: serveBody(token), private: false, errSubstr: "non-public address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tlsSite(t, tt.private, tt.handler, tt.txt)
			p, err := c.CheckDomain(context.Background(), "shop.example.com", token)
			if tt.errSubstr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errSubstr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.errSubstr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Method != tt.method || (tt.where != "" && p.Where != tt.where) {
				t.Fatalf("proof %+v, want method %s where %q", p, tt.method, tt.where)
			}
		})
	}
}

// A server that never answers is given up on within the timeout.
func TestDomainproofTimeout(t *testing.T) {
	release := make(chan struct{})
	c := tlsSite(t, true, func(w http.ResponseWriter, r *http.Request) { <-release }, nil)
	defer close(release)
	start := time.Now()
	_, err := c.CheckDomain(context.Background(), "slow.example.com", token)
	if err == nil {
		t.Fatal("a server that never answers proved control")
	}
	if time.Since(start) > time.Minute {
		t.Fatalf("check did not give up: %v", time.Since(start))
	}
}

// A certificate not valid for the name proves nothing: the file must come
// from the domain itself.
func TestDomainproofCertificateName(t *testing.T) {
	c := tlsSite(t, true, serveBody(token), nil)
	_, err := c.CheckDomain(context.Background(), "shop.example.org", token)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("err = %v, want a certificate error", err)
	}
}

func TestDomainproofEmptyToken(t *testing.T) {
	c := tlsSite(t, true, serveBody(""), map[string][]string{"shop.example.com": {"ksp-domain-verification="}})
	if _, err := c.CheckDomain(context.Background(), "shop.example.com", ""); err == nil {
		t.Fatal("an empty token proved control")
	}
	if _, err := c.CheckDomain(context.Background(), "shop.example.com", token); err == nil {
		t.Fatal("a file without the token proved control")
	}
}

// BenchmarkDomainproofCheck measures one proof over HTTPS against a local
// TLS server (a new connection and handshake each time: the checker keeps
// no connection alive).
func BenchmarkDomainproofCheck(b *testing.B) {
	ts := httptest.NewTLSServer(serveBody(token))
	defer ts.Close()
	c := domainproof.New(domainproof.Config{AllowPrivate: true,
		RootCAs:  ts.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs,
		DialAddr: func(string) string { return ts.Listener.Addr().String() }})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.CheckDomain(context.Background(), "shop.example.com", token); err != nil {
			b.Fatal(err)
		}
	}
}
