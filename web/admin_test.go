package web

import (
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

func TestMemberSinceFunc(t *testing.T) {
	joined := ksp.T(time.Date(2026, 3, 4, 15, 4, 5, 0, time.UTC))
	tests := []struct {
		name string
		org  *ksp.Org
		want string
	}{
		{"member", &ksp.Org{Kind: ksp.KindPlatform, Created: joined}, `<time datetime="2026-03-04T15:04:05.000000Z">4 Mar 2026</time>`},
		{"secretariat", &ksp.Org{Kind: ksp.KindStaff, Created: ksp.T(time.UnixMicro(0))}, ""},
		{"secretariat with a date", &ksp.Org{Kind: ksp.KindStaff, Created: joined}, ""},
		{"no date", &ksp.Org{Kind: ksp.KindGovernment, Created: ksp.T(time.UnixMicro(0))}, ""},
		{"zero time", &ksp.Org{Kind: ksp.KindAcademia}, ""},
		{"no org", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(memberSince(tt.org)); got != tt.want {
				t.Errorf("memberSince = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestMemberSincePages: the secretariat, whose row dates from the first
// migration at time 0, is never shown as a member since 1 Jan 1970; member
// organisations show the day they joined.
func TestMemberSincePages(t *testing.T) {
	h := newHarness(t, Config{})
	plat := h.org("Vidstream", ksp.KindPlatform, ksp.SizeLarge)
	staff := h.user(h.staffOrg(), "staff@ksp.example", ksp.RoleAdmin, true)
	admin := h.user(plat, "admin@vidstream.example", ksp.RoleAdmin, true)
	joined := plat.Created.UTC().Format("2 Jan 2006")

	sc := h.client()
	sc.signIn(staff, 0)
	sc.want(sc.get("/staff/orgs"), 200, "KSP Secretariat", "Vidstream", joined, "the secretariat is not a member")
	if strings.Contains(sc.body, "1970") {
		t.Fatalf("the organisations list dates the secretariat from 1970:\n%s", excerpt(sc.body))
	}
	sc.want(sc.get("/admin"), 200, "KSP Secretariat")
	if strings.Contains(sc.body, "1970") || strings.Contains(sc.body, "Member since") {
		t.Fatalf("the secretariat's page shows a membership date:\n%s", excerpt(sc.body))
	}

	ac := h.client()
	ac.signIn(admin, 1)
	ac.want(ac.get("/admin"), 200, "Member since", joined)
}
