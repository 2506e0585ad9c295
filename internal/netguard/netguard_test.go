package netguard_test

import (
	"net/netip"
	"testing"

	"github.com/kspplatform/ksp/internal/netguard"
)

func TestPublic(t *testing.T) {
	for _, c := range []struct {
		addr string
		want bool
	}{
		{"93.184.216.34", true}, {"93.184.215.14", true}, {"8.8.8.8", true},
		{"2606:4700::1111", true}, {"2606:2800:21f:cb07:6820:80da:af6b:8b2c", true},
		{"127.0.0.1", false}, {"::1", false}, {"10.1.2.3", false}, {"172.16.0.1", false}, {"192.168.1.1", false},
		{"169.254.169.254", false}, // cloud metadata
		{"0.0.0.0", false}, {"::", false}, {"fe80::1", false}, {"fc00::1", false}, {"fd00::1", false},
		{"100.64.0.1", false}, {"::ffff:127.0.0.1", false}, {"::ffff:10.0.0.1", false},
		{"224.0.0.1", false}, {"255.255.255.255", false}, {"ff02::1", false},
		{"64:ff9b::7f00:1", false}, {"64:ff9b::a00:1", false}, {"2002:7f00:1::", false}, {"2001:0:4136::1", false},
		{"192.0.2.1", false}, {"198.51.100.7", false}, {"203.0.113.9", false}, {"2001:db8::1", false},
	} {
		if got := netguard.Public(netip.MustParseAddr(c.addr)); got != c.want {
			t.Errorf("Public(%s) = %v, want %v", c.addr, got, c.want)
		}
	}
}
