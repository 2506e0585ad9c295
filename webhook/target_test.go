package webhook_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/webhook"
)

// zone is a fixed DNS answer table: what a name resolves to.
type zone map[string][]string

func (z zone) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	as, ok := z[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	var out []netip.Addr
	for _, a := range as {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

func TestTargetsCheck(t *testing.T) {
	z := zone{
		"hooks.vidstream.org":  {"93.184.215.14"},
		"inside.vidstream.org": {"10.0.0.7"},
		"both.vidstream.org":   {"10.0.0.7", "93.184.215.14"},
		"mapped.vidstream.org": {"::ffff:127.0.0.1"},
		"nat64.vidstream.org":  {"64:ff9b::a00:7"},
	}
	for _, c := range []struct {
		url     string
		refused bool
	}{
		{"https://hooks.vidstream.org/ksp", false},
		{"https://93.184.215.14/ksp", false},
		{"https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/ksp", false},
		{"https://unknown.vidstream.org/ksp", false}, // not resolvable yet: deliveries fail and say why
		{"https://hooks.partner.example/ksp", false}, // reserved names are not looked up
		{"https://both.vidstream.org/ksp", false},    // the dialer skips the private address
		{"http://127.0.0.1:8080/hook", true},
		{"http://[::1]/hook", true},
		{"http://[::ffff:10.0.0.1]/hook", true},
		{"http://169.254.169.254/latest/meta-data/", true},
		{"http://100.64.0.1/", true},
		{"http://0.0.0.0/", true},
		{"https://localhost/hook", true},
		{"https://LocalHost./hook", true},
		{"https://api.localhost/hook", true},
		{"https://inside.vidstream.org/ksp", true},
		{"https://mapped.vidstream.org/ksp", true},
		{"https://nat64.vidstream.org/ksp", true},
	} {
		err := webhook.Targets{Resolver: z}.Check(context.Background(), c.url)
		if got := err != nil; got != c.refused {
			t.Errorf("%s: refused %v (%v), want %v", c.url, got, err, c.refused)
			continue
		}
		if err != nil {
			var e *ksp.Error
			if !errors.As(err, &e) || e.Code != ksp.EINVALID || len(e.Fields) != 1 || e.Fields[0].Field != "url" {
				t.Errorf("%s: error %#v does not name the url field", c.url, err)
			}
			// The answer never tells a member what an internal name
			// resolves to.
			if strings.Contains(err.Error(), "10.0.0.7") || strings.Contains(err.Error(), "ffff") || strings.Contains(err.Error(), "ff9b") {
				t.Errorf("%s: the error names a resolved address: %v", c.url, err)
			}
		}
		if err := (webhook.Targets{AllowPrivate: true, Resolver: z}).Check(context.Background(), c.url); err != nil {
			t.Errorf("%s with --webhook-allow-private: %v", c.url, err)
		}
	}
}
