package ksp

import (
	"context"
	"strings"
)

// How a domain claim was proven.
const (
	// DomainProofHTTP: the token was served at
	// https://<domain>/.well-known/ksp-domain-verification.
	DomainProofHTTP = "http"
	// DomainProofDNS: a TXT record "ksp-domain-verification=<token>" on the
	// domain or on _ksp.<domain>.
	DomainProofDNS = "dns"
	// DomainProofStaff: the programme's staff confirmed the claim by hand.
	DomainProofStaff = "staff"
)

// DomainWellKnownPath is where a domain's web server serves its claim token.
const DomainWellKnownPath = "/.well-known/ksp-domain-verification"

// DomainTXTPrefix starts the TXT record that carries a claim token.
const DomainTXTPrefix = "ksp-domain-verification="

// DomainTXTLabel is the label under a domain that may carry the TXT record
// instead of the domain itself (for zones whose apex is crowded or managed
// elsewhere).
const DomainTXTLabel = "_ksp."

// MaxDomainsPerOrg bounds an org's claims, verified or not.
const MaxDomainsPerOrg = 100

// DomainClaim is an org's claim to a domain with what it needs to prove
// control. Its token is a secret of the org's admins and staff: a claim is
// shown to no one else.
//
// Several orgs may claim one domain, each with its own token, but only one
// holds it verified; a domain verified by one org cannot be claimed by
// another, nor can a name under it (staff may still add one by hand).
type DomainClaim struct {
	Domain     string `json:"domain"`
	OrgID      string `json:"org_id"`
	Verified   bool   `json:"verified"`
	Token      string `json:"token"`
	Method     string `json:"method,omitempty"`
	VerifiedAt *Time  `json:"verified_at,omitempty"`
	CheckedAt  *Time  `json:"checked_at,omitempty"`
	// CheckError says why the last check found no proof.
	CheckError string `json:"check_error,omitempty"`
	Created    Time   `json:"created_at"`
	// WellKnownURL, TXTRecord and TXTNames tell the admin where to put the
	// token: a file at WellKnownURL containing it, or the TXT record on
	// one of TXTNames.
	WellKnownURL string   `json:"well_known_url"`
	TXTRecord    string   `json:"txt_record"`
	TXTNames     []string `json:"txt_names"`
}

// FillInstructions sets the claim's proof instructions from its domain and
// token.
func (c *DomainClaim) FillInstructions() {
	c.WellKnownURL = "https://" + c.Domain + DomainWellKnownPath
	c.TXTRecord = DomainTXTPrefix + c.Token
	c.TXTNames = []string{c.Domain, DomainTXTLabel + c.Domain}
}

// DomainProof is what a checker found: how, and where (the URL fetched or
// the name whose TXT record held the token).
type DomainProof struct {
	Method string `json:"method"`
	Where  string `json:"where"`
}

// DomainChecker looks for a claim's token where only the domain's operator
// can put it. Adapter: package domainproof (HTTPS and DNS, refusing private
// addresses).
type DomainChecker interface {
	CheckDomain(ctx context.Context, domain, token string) (DomainProof, error)
}

// DomainService manages domain claims and their proof. Every method needs an
// admin of the org (or staff).
type DomainService interface {
	// FindDomainClaims lists the org's claims, verified or not.
	FindDomainClaims(ctx context.Context, orgID string) ([]*DomainClaim, error)
	// ProveDomain runs the checker against the claim (outside any
	// transaction) and records the outcome: verified with the proof, or
	// the failure, which is also returned as an invalid error naming the
	// domain. A claim already verified is returned as it is.
	ProveDomain(ctx context.Context, orgID, domain string, c DomainChecker) (*DomainClaim, error)
	// RemoveDomain drops the org's claim; a verified domain stops routing.
	RemoveDomain(ctx context.Context, orgID, domain string) error
}

// DomainCovers says whether domain is host or a parent of it at a label
// boundary (example.com covers a.example.com, not badexample.com).
func DomainCovers(domain, host string) bool {
	return host == domain || strings.HasSuffix(host, "."+domain)
}
