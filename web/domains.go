package web

import (
	"fmt"
	"net/http"

	"github.com/kspplatform/ksp"
)

func (s *Server) registerDomains() {
	s.Handle("POST /admin/domains/{domain}/verify", AdminOnly, s.verifyDomainPage)
	s.Handle("POST /admin/domains/{domain}/remove", AdminOnly, s.removeDomainPage)
	s.Handle("POST /staff/orgs/{id}/domains/{domain}/confirm", StaffOnly, s.confirmDomainPage)
}

// confirmDomainPage is staff confirming an org's domain by hand (audited
// by the store).
func (s *Server) confirmDomainPage(w http.ResponseWriter, r *http.Request) error {
	o, err := s.store.VerifyDomain(r.Context(), r.PathValue("id"), r.PathValue("domain"))
	switch ksp.ErrorCode(err) {
	case "":
		s.flash(w, r, "success", "Domain "+r.PathValue("domain")+" confirmed for "+o.Name+". It now routes URL alerts to them.")
	case ksp.ECONFLICT:
		s.flash(w, r, "warning", "Domain "+r.PathValue("domain")+" cannot be confirmed: "+domainsConflictWords(err))
	default:
		return err
	}
	return redirect(w, r, "/staff/orgs")
}

// verifyDomainPage looks for the claim's token at the domain and says what
// it found.
func (s *Server) verifyDomainPage(w http.ResponseWriter, r *http.Request) error {
	a := ksp.ActorFrom(r.Context())
	d := r.PathValue("domain")
	if s.cfg.DomainChecker == nil {
		s.flash(w, r, "warning", "This server cannot check domains itself; ask the programme's staff to confirm "+d+".")
		return redirect(w, r, "/admin#domains")
	}
	c, err := s.store.ProveDomain(r.Context(), a.OrgID, d, s.cfg.DomainChecker)
	switch ksp.ErrorCode(err) {
	case "":
		s.flash(w, r, "success", fmt.Sprintf("Domain %s verified (%s). URL alerts about it now reach your organisation.", c.Domain, domainsProofWords(c.Method)))
	case ksp.EINVALID:
		s.flash(w, r, "warning", fmt.Sprintf("Domain %s is not verified yet: %s", c.Domain, c.CheckError))
	case ksp.ECONFLICT:
		s.flash(w, r, "warning", fmt.Sprintf("Domain %s cannot be verified: %s", d, domainsConflictWords(err)))
	default:
		return err
	}
	return redirect(w, r, "/admin#domains")
}

func (s *Server) removeDomainPage(w http.ResponseWriter, r *http.Request) error {
	a := ksp.ActorFrom(r.Context())
	d := r.PathValue("domain")
	if err := s.store.RemoveDomain(r.Context(), a.OrgID, d); err != nil {
		return err
	}
	s.flash(w, r, "success", "Domain "+d+" removed. URL alerts about it no longer reach your organisation.")
	return redirect(w, r, "/admin#domains")
}

func domainsConflictWords(err error) string {
	var e *ksp.Error
	if ke, ok := err.(*ksp.Error); ok {
		e = ke
	}
	if e != nil && len(e.Fields) > 0 {
		return e.Fields[0].Reason
	}
	if e != nil {
		return e.Message
	}
	return "conflict"
}

// domainsProofWords names how a domain was proven.
func domainsProofWords(method string) string {
	switch method {
	case ksp.DomainProofHTTP:
		return "file on its web server"
	case ksp.DomainProofDNS:
		return "DNS TXT record"
	case ksp.DomainProofStaff:
		return "confirmed by the programme's staff"
	}
	return method
}

func init() {
	funcs["domainsProofWords"] = domainsProofWords
}
