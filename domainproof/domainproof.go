// Package domainproof checks that an org controls a domain it claims: the
// claim's token served over HTTPS at /.well-known/ksp-domain-verification,
// or a DNS TXT record "ksp-domain-verification=<token>" on the domain or on
// _ksp.<domain>.
//
// Fetching a URL a member names is a server-side request on its behalf, so
// the checker refuses loopback, private, link-local and other non-public
// addresses, judged on the address actually connected to (a name that
// resolves to a public address at check time and a private one at connect
// time is still refused), follows no redirect, uses no proxy, and bounds
// the time and the bytes it reads.
package domainproof

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/netguard"
)

// Defaults of Config.
const (
	DefaultTimeout = 10 * time.Second
	DefaultMaxBody = 4 << 10
	// maxRecords bounds the TXT records looked at per name.
	maxRecords = 100
)

// Config sets up a Checker. The zero value is the production setting.
type Config struct {
	// AllowPrivate lets the checker connect to loopback and private
	// addresses (tests, and installations whose members' servers sit on
	// a private network).
	AllowPrivate bool
	// LookupTXT resolves TXT records (default: the system resolver).
	LookupTXT func(ctx context.Context, name string) ([]string, error)
	// DialAddr, when set, says which host:port to connect to instead of
	// the one asked for (tests point every name at a local TLS server).
	// The address connected to is still checked against AllowPrivate.
	DialAddr func(hostport string) string
	// RootCAs are the certificate authorities trusted for HTTPS (default:
	// the system's).
	RootCAs *x509.CertPool
	// Timeout bounds each of the HTTPS fetch and the DNS lookups.
	Timeout time.Duration
	// MaxBody bounds the bytes read from the well-known file.
	MaxBody int64
}

// Checker implements ksp.DomainChecker.
type Checker struct {
	cfg    Config
	client *http.Client
}

var _ ksp.DomainChecker = (*Checker)(nil)

// ErrNotPublic is returned when the domain's server is at an address the
// checker must not connect to.
var ErrNotPublic = errors.New("refused to connect to a loopback, private or otherwise non-public address")

// New returns a checker.
func New(cfg Config) *Checker {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.LookupTXT == nil {
		cfg.LookupTXT = net.DefaultResolver.LookupTXT
	}
	c := &Checker{cfg: cfg}
	dialer := &net.Dialer{Timeout: cfg.Timeout, Control: c.control}
	tr := &http.Transport{
		Proxy: nil, // a proxy would hide the address connected to
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if cfg.DialAddr != nil {
				addr = cfg.DialAddr(addr)
			}
			return dialer.DialContext(ctx, network, addr)
		},
		TLSClientConfig:        &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    cfg.Timeout,
		ResponseHeaderTimeout:  cfg.Timeout,
		MaxResponseHeaderBytes: 16 << 10,
		DisableKeepAlives:      true,
	}
	c.client = &http.Client{
		Transport: tr,
		Timeout:   cfg.Timeout,
		// A redirect may lead anywhere (an open redirect on the domain
		// would prove nothing about it): the file must be at the URL.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c
}

// control runs after name resolution, on the address about to be
// connected to.
func (c *Checker) control(network, address string, _ syscall.RawConn) error {
	if c.cfg.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrNotPublic, address)
	}
	if !netguard.Public(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrNotPublic, ap.Addr())
	}
	return nil
}

// CheckDomain looks for token over HTTPS, then in DNS; the error names
// what each attempt found.
func (c *Checker) CheckDomain(ctx context.Context, domain, token string) (ksp.DomainProof, error) {
	if token == "" {
		return ksp.DomainProof{}, errors.New("the claim has no token")
	}
	herr := c.checkHTTP(ctx, domain, token)
	if herr == nil {
		return ksp.DomainProof{Method: ksp.DomainProofHTTP, Where: "https://" + domain + ksp.DomainWellKnownPath}, nil
	}
	name, derr := c.checkDNS(ctx, domain, token)
	if derr == nil {
		return ksp.DomainProof{Method: ksp.DomainProofDNS, Where: name}, nil
	}
	return ksp.DomainProof{}, fmt.Errorf("https://%s%s: %v; DNS: %v", domain, ksp.DomainWellKnownPath, herr, derr)
}

func (c *Checker) checkHTTP(ctx context.Context, domain, token string) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+domain+ksp.DomainWellKnownPath, nil)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("User-Agent", "KSP-domain-verification")
	req.Header.Set("Accept", "text/plain")
	resp, err := c.client.Do(req)
	if err != nil {
		if errors.Is(err, ErrNotPublic) {
			return ErrNotPublic
		}
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL is already in the message
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		if loc := resp.Header.Get("Location"); loc != "" {
			return fmt.Errorf("status %d, redirect to %.200q not followed: serve the file at this URL", resp.StatusCode, loc)
		}
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBody+1))
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if int64(len(body)) > c.cfg.MaxBody {
		return fmt.Errorf("file larger than %d bytes", c.cfg.MaxBody)
	}
	if !strings.Contains(string(body), token) {
		return errors.New("the file does not contain this claim's token")
	}
	return nil
}

func (c *Checker) checkDNS(ctx context.Context, domain, token string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	want := ksp.DomainTXTPrefix + token
	var errs []string
	for _, name := range []string{domain, ksp.DomainTXTLabel + domain} {
		recs, err := c.cfg.LookupTXT(ctx, name)
		if err != nil {
			var dnsErr *net.DNSError
			if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
				errs = append(errs, name+": no TXT record")
			} else {
				errs = append(errs, name+": "+err.Error())
			}
			continue
		}
		if len(recs) > maxRecords {
			recs = recs[:maxRecords]
		}
		for _, r := range recs {
			if strings.TrimSpace(r) == want {
				return name, nil
			}
		}
		errs = append(errs, name+": no TXT record "+want)
	}
	return "", errors.New(strings.Join(errs, "; "))
}
