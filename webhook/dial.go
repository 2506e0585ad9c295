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

	"github.com/kspplatform/ksp/internal/netguard"
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
			if !netguard.Public(ap.Addr()) {
				// The worker keeps this address out of the delivery log
				// (Worker.send): members read the log.
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
