package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Limits of one delivery attempt.
const (
	// RequestTimeout bounds an attempt from dialling to the end of the
	// response headers and the (discarded) body.
	RequestTimeout = 10 * time.Second
	// MaxResponseBytes is how much of a receiver's answer is read.
	MaxResponseBytes = 64 << 10
	// MaxBodyBytes bounds what is sent: an event body beyond it is not
	// delivered (events are small; this guards against a runaway one).
	MaxBodyBytes = 1 << 20
)

// ErrPrivateAddress is returned when a target resolves to an address
// deliveries may not reach.
var ErrPrivateAddress = errors.New("address on a loopback, private, link-local or otherwise non-public network (allowed only with --webhook-allow-private)")

// nonPublic lists the ranges IsPrivate and friends do not cover but that
// are not the public internet either.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, broadcast
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
	netip.MustParsePrefix("::ffff:0:0/96"),  // IPv4-mapped (checked unmapped too)
	netip.MustParsePrefix("fec0::/10"),      // deprecated site-local
	netip.MustParsePrefix("ff00::/8"),       // multicast
	netip.MustParsePrefix("2002::/16"),      // 6to4, which can embed any IPv4
	netip.MustParsePrefix("64:ff9b::/96"),   // NAT64, which can embed any IPv4
	netip.MustParsePrefix("2001::/32"),      // Teredo
	netip.MustParsePrefix("100::/64"),       // discard-only
	netip.MustParsePrefix("169.254.0.0/16"), // link-local (cloud metadata)
	netip.MustParsePrefix("255.255.255.255/32"),
}

// PublicAddress reports whether a delivery may connect to a.
func PublicAddress(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() || a.IsLinkLocalUnicast() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// NewClient returns the HTTP client deliveries go through. Unless
// allowPrivate, every connection is checked in the dialer's Control hook,
// on the address actually being connected to, after name resolution: a
// name that resolves to a public address when checked and to a private one
// when used (DNS rebinding) is still refused, on every attempt. It uses no
// proxy (one would connect on the delivery's behalf, unchecked) and
// follows no redirects (a redirect is the receiver's answer, not a new
// target).
func NewClient(allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("webhook target %s: %w", address, err)
			}
			if !PublicAddress(ap.Addr()) {
				return fmt.Errorf("webhook target %s: %w", ap.Addr(), ErrPrivateAddress)
			}
			return nil
		}
	}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: RequestTimeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       RequestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
