package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/kspplatform/ksp"
)

// domainSites models what each domain serves where its operator can put a
// token: a checker that finds a claim's token only if the domain serves it.
// It stands in for the network (package domainproof checks the real thing).
type domainSites map[string][]string

func (s domainSites) CheckDomain(_ context.Context, domain, token string) (ksp.DomainProof, error) {
	if slices.Contains(s[domain], token) {
		return ksp.DomainProof{Method: ksp.DomainProofHTTP, Where: "https://" + domain + ksp.DomainWellKnownPath}, nil
	}
	return ksp.DomainProof{}, fmt.Errorf("status 404")
}

func domainClaim(t *testing.T, db Store, ctx context.Context, orgID, domain string) *ksp.DomainClaim {
	t.Helper()
	cs, err := db.FindDomainClaims(ctx, orgID)
	must(t, err)
	for _, c := range cs {
		if c.Domain == domain {
			return c
		}
	}
	t.Fatalf("no claim of %s by %s in %+v", domain, orgID, cs)
	return nil
}

func routedTo(t *testing.T, db Store, ctx context.Context, url string) string {
	t.Helper()
	a, _, err := db.CreateAlert(ctx, ksp.AlertInput{URL: url, Kind: ksp.AlertReferral, Tier: ksp.TierDesignation, Labels: []string{"propaganda"}})
	must(t, err)
	return a.ReceiverOrgID
}

func testDomainClaims(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	plat, start := As(f.Platform, f.PlatAdmin), As(f.Startup, f.StartAdm)
	gov := As(f.Gov, f.GovAdmin)
	sites := domainSites{}

	// Two orgs may claim one domain while neither has proven it; each
	// gets its own token, and neither claim routes anything.
	_, err := db.AddDomain(plat, f.Platform.ID, "Shared.Example.")
	must(t, err)
	_, err = db.AddDomain(start, f.Startup.ID, "shared.example")
	must(t, err)
	pc := domainClaim(t, db, plat, f.Platform.ID, "shared.example")
	sc := domainClaim(t, db, start, f.Startup.ID, "shared.example")
	if pc.Token == "" || pc.Token == sc.Token || pc.Verified || pc.TXTRecord != ksp.DomainTXTPrefix+pc.Token ||
		pc.WellKnownURL != "https://shared.example/.well-known/ksp-domain-verification" || len(pc.TXTNames) != 2 || pc.TXTNames[1] != "_ksp.shared.example" {
		t.Fatalf("claims %+v %+v", pc, sc)
	}
	if got := routedTo(t, db, gov, "https://shared.example/a"); got != "" {
		t.Fatalf("an unverified domain routed to %s", got)
	}
	// Unproven claims are the claimant's business: others do not see them.
	o, err := db.FindOrgByID(gov, f.Platform.ID)
	must(t, err)
	if len(o.Domains) != 1 || o.Domains[0].Domain != "big-platform.example" {
		t.Fatalf("another org sees domains %+v", o.Domains)
	}
	o, err = db.FindOrgByID(plat, f.Platform.ID)
	must(t, err)
	if !slices.Contains(o.Domains, ksp.Domain{Domain: "shared.example"}) {
		t.Fatalf("the claimant sees domains %+v", o.Domains)
	}

	// Attacks: another org's admin cannot read, prove or remove the
	// claim; a viewer of the org cannot either.
	_, err = db.FindDomainClaims(start, f.Platform.ID)
	wantCode(t, err, ksp.ENOTFOUND)
	sites["shared.example"] = []string{pc.Token}
	_, err = db.ProveDomain(start, f.Platform.ID, "shared.example", sites)
	wantCode(t, err, ksp.ENOTFOUND)
	wantCode(t, db.RemoveDomain(start, f.Platform.ID, "shared.example"), ksp.ENOTFOUND)
	_, err = db.ProveDomain(As(f.Platform, f.PlatView), f.Platform.ID, "shared.example", sites)
	wantCode(t, err, ksp.EFORBIDDEN)
	_, err = db.VerifyDomain(plat, f.Platform.ID, "shared.example")
	wantCode(t, err, ksp.EFORBIDDEN)

	// The domain serves the platform's token: the start-up's claim is not
	// proven by it (the failure is kept), the platform's is.
	c, err := db.ProveDomain(start, f.Startup.ID, "shared.example", sites)
	wantCode(t, err, ksp.EINVALID)
	if c == nil || c.Verified || c.CheckError != "status 404" || c.CheckedAt == nil {
		t.Fatalf("failed check recorded as %+v", c)
	}
	c, err = db.ProveDomain(plat, f.Platform.ID, "SHARED.example", sites)
	must(t, err)
	if !c.Verified || c.Method != ksp.DomainProofHTTP || c.VerifiedAt == nil || c.CheckError != "" {
		t.Fatalf("proven claim %+v", c)
	}
	if got := routedTo(t, db, gov, "https://www.shared.example/b"); got != f.Platform.ID {
		t.Fatalf("verified domain routed to %q", got)
	}
	o, err = db.FindOrgByID(gov, f.Platform.ID)
	must(t, err)
	if !slices.Contains(o.Domains, ksp.Domain{Domain: "shared.example", Verified: true}) {
		t.Fatalf("verified domain not listed to others: %+v", o.Domains)
	}

	// A verified domain belongs to one org: no one else claims it, a name
	// under it, or proves an older claim; staff cannot confirm a second
	// holder either.
	sites["shared.example"] = append(sites["shared.example"], sc.Token)
	_, err = db.ProveDomain(start, f.Startup.ID, "shared.example", sites)
	wantCode(t, err, ksp.ECONFLICT)
	_, err = db.VerifyDomain(Staff(), f.Startup.ID, "shared.example")
	wantCode(t, err, ksp.ECONFLICT)
	_, err = db.AddDomain(gov, f.Gov.ID, "shared.example")
	wantCode(t, err, ksp.ECONFLICT)
	_, err = db.AddDomain(gov, f.Gov.ID, "cdn.Shared.example")
	wantCode(t, err, ksp.ECONFLICT)
	_, err = db.AddDomain(gov, f.Gov.ID, "notshared.example")
	must(t, err) // a label boundary, not a string suffix
	_, err = db.AddDomain(Staff(), f.Gov.ID, "cdn.shared.example")
	must(t, err) // staff may place a name under another org's domain

	// Bad input writes nothing.
	for _, d := range []string{"", "not a domain", "localhost", "a..example", "-a.example", "http://x.example/"} {
		_, err = db.AddDomain(plat, f.Platform.ID, d)
		wantCode(t, err, ksp.EINVALID)
	}
	_, err = db.ProveDomain(plat, f.Platform.ID, "never-claimed.example", sites)
	wantCode(t, err, ksp.ENOTFOUND)
	wantCode(t, db.RemoveDomain(plat, f.Platform.ID, "never-claimed.example"), ksp.ENOTFOUND)

	// Removing the domain stops its routing and frees it: the start-up
	// proves its own claim now.
	must(t, db.RemoveDomain(plat, f.Platform.ID, "shared.example"))
	if got := routedTo(t, db, gov, "https://shared.example/c"); got != "" {
		t.Fatalf("a removed domain routed to %s", got)
	}
	c, err = db.ProveDomain(start, f.Startup.ID, "shared.example", sites)
	must(t, err)
	if !c.Verified {
		t.Fatalf("claim %+v", c)
	}
	if got := routedTo(t, db, gov, "https://shared.example/d"); got != f.Startup.ID {
		t.Fatalf("routed to %q after the start-up proved the domain", got)
	}

	// Staff confirm by hand, audited with the method.
	_, err = db.AddDomain(gov, f.Gov.ID, "ministry.example")
	must(t, err)
	o, err = db.VerifyDomain(Staff(), f.Gov.ID, "ministry.example")
	must(t, err)
	if !slices.Contains(o.Domains, ksp.Domain{Domain: "ministry.example", Verified: true}) {
		t.Fatalf("staff-confirmed domains %+v", o.Domains)
	}
	if c := domainClaim(t, db, Staff(), f.Gov.ID, "ministry.example"); c.Method != ksp.DomainProofStaff {
		t.Fatalf("staff confirmation recorded as %q", c.Method)
	}
	for _, action := range []string{"domain.add", "domain.verify", "domain.check_failed", "domain.remove"} {
		evs, _, err := db.FindAuditEvents(Staff(), ksp.AuditFilter{Action: &action})
		must(t, err)
		if len(evs) == 0 {
			t.Errorf("no %s in the audit log", action)
		}
	}

	// A suspended org claims nothing.
	st := ksp.OrgStatusSuspended
	_, err = db.UpdateOrg(Staff(), f.Startup.ID, ksp.OrgUpdate{Status: &st})
	must(t, err)
	f.Startup.Status = st
	_, err = db.AddDomain(As(f.Startup, f.StartAdm), f.Startup.ID, "later.example")
	wantCode(t, err, ksp.EFORBIDDEN)
}
