package httpapi

import (
	"net/http"

	"github.com/kspplatform/ksp"
)

// VerifyDomainBody is the optional input of verifying a domain: method
// "check" looks for the claim's token at the domain (the default for
// members), "staff" is staff confirming by hand (the default for staff).
type VerifyDomainBody struct {
	Method string `json:"method,omitempty"`
}

func (s *Server) domainRoutes() []*Route {
	return []*Route{
		{Method: "POST", Path: "/api/v1/orgs/{id}/domains", Summary: "Claim a domain (unverified until proven; refused when another organisation verified it or a domain above it)", Role: ksp.RoleAdmin, Scope: ksp.ScopeAdmin, Req: DomainBody{}, Resp: ksp.Org{}, Status: 201, handler: s.addDomain},
		{Method: "GET", Path: "/api/v1/orgs/{id}/domains", Summary: "The organisation's domain claims with their tokens and where to put them", Role: ksp.RoleAdmin, Scope: ksp.ScopeAdmin, Resp: ksp.DomainClaim{}, List: true, handler: s.listDomains},
		{Method: "POST", Path: "/api/v1/orgs/{id}/domains/{domain}/verify", Summary: "Prove control: the token at https://DOMAIN/.well-known/ksp-domain-verification or in a TXT record ksp-domain-verification=TOKEN on DOMAIN or _ksp.DOMAIN; staff may confirm by hand (method staff)", Role: ksp.RoleAdmin, Scope: ksp.ScopeAdmin, Req: VerifyDomainBody{}, Resp: ksp.Org{}, handler: s.verifyDomain},
		{Method: "DELETE", Path: "/api/v1/orgs/{id}/domains/{domain}", Summary: "Remove a domain claim; a verified domain stops routing alerts", Role: ksp.RoleAdmin, Scope: ksp.ScopeAdmin, Status: 204, handler: s.removeDomain},
	}
}

func (s *Server) addDomain(r *http.Request) (any, error) {
	var b DomainBody
	if err := decodeJSON(r, &b); err != nil {
		return nil, err
	}
	return s.store.AddDomain(r.Context(), r.PathValue("id"), b.Domain)
}

func (s *Server) listDomains(r *http.Request) (any, error) {
	items, err := s.store.FindDomainClaims(r.Context(), r.PathValue("id"))
	return list(items, ""), err
}

func (s *Server) verifyDomain(r *http.Request) (any, error) {
	var b VerifyDomainBody
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &b); err != nil {
			return nil, err
		}
	}
	ctx, org, domain := r.Context(), r.PathValue("id"), r.PathValue("domain")
	staff := ksp.ActorFrom(ctx).Staff
	switch {
	case b.Method == "staff" || (b.Method == "" && staff):
		return s.store.VerifyDomain(ctx, org, domain)
	case b.Method != "" && b.Method != "check":
		return nil, invalid("method", "must be check or staff")
	case s.cfg.DomainChecker == nil:
		return nil, ksp.Errorf(ksp.EFORBIDDEN, "this server does not check domains; ask the programme's staff to confirm yours")
	}
	if _, err := s.store.ProveDomain(ctx, org, domain, s.cfg.DomainChecker); err != nil {
		return nil, err
	}
	return s.store.FindOrgByID(ctx, org)
}

func (s *Server) removeDomain(r *http.Request) (any, error) {
	return nil, s.store.RemoveDomain(r.Context(), r.PathValue("id"), r.PathValue("domain"))
}
