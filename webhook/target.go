package webhook

import (
	"context"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/netguard"
)

// Resolver looks up a host's addresses (net.DefaultResolver does).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Targets vets a webhook's target URL when an admin registers it, so that
// a target deliveries could never reach is refused at once with a clear
// error instead of failing attempt after attempt. The zero value refuses
// non-public targets and resolves names with net.DefaultResolver.
//
// The check at registration is a convenience, not the guard: a name may
// resolve differently later (DNS rebinding), so the worker's client still
// checks the address actually connected to on every attempt (NewClient).
type Targets struct {
	// AllowPrivate accepts loopback, private and other non-public targets
	// (serve --webhook-allow-private).
	AllowPrivate bool
	// Resolver looks names up; nil uses net.DefaultResolver.
	Resolver Resolver
}

// lookupTimeout bounds the name lookup at registration.
const lookupTimeout = 3 * time.Second

// Check returns an EINVALID error naming the url field when rawURL's host
// is a non-public address, a localhost name, or a name whose every address
// is non-public. A name that does not resolve (yet) is accepted: its
// deliveries fail and the delivery log says why. The URL's form is checked
// by ksp.WebhookInput.Validate, in the store.
func (c Targets) Check(ctx context.Context, rawURL string) error {
	if c.AllowPrivate {
		return nil
	}
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || u.Hostname() == "" {
		return nil // the store names the form's problem
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	refuse := func(why string) error {
		return &ksp.Error{Code: ksp.EINVALID, Message: "invalid webhook", Fields: []ksp.FieldError{{Field: "url",
			Reason: why + ": webhooks reach only the public internet (an operator may allow private targets with --webhook-allow-private)"}}}
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if !netguard.Public(a) {
			return refuse("a loopback, private or otherwise non-public address")
		}
		return nil
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return refuse("a name of this machine")
	}
	// Names under the reserved test and example domains never resolve on
	// the internet; there is nothing to look up.
	for _, tld := range []string{".example", ".test", ".invalid"} {
		if strings.HasSuffix(host, tld) {
			return nil
		}
	}
	r := c.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	addrs, err := r.LookupNetIP(lctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return nil
	}
	for _, a := range addrs {
		if netguard.Public(a) {
			return nil
		}
	}
	// The addresses are not named: the server's resolver may know names
	// of the deployment's own network that members must not learn.
	return refuse("the name resolves only to non-public addresses")
}
