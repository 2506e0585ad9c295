// Package netguard decides which addresses the server may connect to on a
// member's behalf (webhook deliveries, domain-proof fetches): only the
// public internet, never loopback, private, link-local, shared, reserved,
// documentation or translation ranges that could reach inside the
// deployment's own network. Callers check the address actually being
// connected to (a net.Dialer Control hook), so a name that resolves
// differently when used (DNS rebinding) is still refused.
package netguard

import "net/netip"

// nonPublic lists the ranges that netip's IsPrivate, IsGlobalUnicast and
// friends do not exclude but that are not the public internet either.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("169.254.0.0/16"),  // link-local (cloud metadata)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, broadcast
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64, which can embed any IPv4
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001::/32"),       // Teredo
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("2002::/16"),       // 6to4, which can embed any IPv4
	netip.MustParsePrefix("::ffff:0:0/96"),   // IPv4-mapped (checked unmapped too)
	netip.MustParsePrefix("fc00::/7"),        // unique local
	netip.MustParsePrefix("fec0::/10"),       // deprecated site-local
	netip.MustParsePrefix("ff00::/8"),        // multicast
}

// Public reports whether a is a global unicast address outside every
// private, shared, reserved, documentation and translation range.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || !a.IsGlobalUnicast() || a.IsPrivate() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}
