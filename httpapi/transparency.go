package httpapi

import (
	"net/http"
	"strconv"

	"github.com/kspplatform/ksp"
)

// PublishBody is the body of publishing a report.
type PublishBody struct {
	Period string `json:"period"`
}

func (s *Server) transparencyRoutes() []*Route {
	return []*Route{
		{Method: "GET", Path: "/api/v1/transparency", Summary: "Transparency report: ?period=YYYY|YYYY-Qn gives the public platform-wide figures (the published report's bytes once published) to anyone; ?from=D&to=D[&org=ID] any period, for staff and for an org's admins about their own org",
			Anonymous: true, Role: ksp.RoleViewer, Scope: ksp.ScopeRead, Resp: ksp.TransparencyReport{}, Query: []string{"period", "from", "to", "org"}, raw: s.getTransparency},
		{Method: "POST", Path: "/api/v1/transparency/publish", Summary: "Publish the public report of a calendar period that has ended: its JSON is frozen and its SHA-256 pinned in the audit chain",
			Staff: true, Scope: ksp.ScopeAdmin, Req: PublishBody{}, Resp: ksp.PublishedReport{}, Status: 201, handler: s.publishTransparency},
		{Method: "GET", Path: "/api/v1/transparency/published", Summary: "Published reports with their SHA-256 and the audit event that pins each",
			Public: true, Resp: ksp.PublishedReport{}, List: true, handler: s.listPublished},
		{Method: "GET", Path: "/api/v1/transparency/published/{period}", Summary: "A published report, byte for byte as published (its SHA-256 in the KSP-Report-SHA256 header)",
			Public: true, Resp: ksp.TransparencyReport{}, raw: s.getPublished},
		{Method: "GET", Path: "/api/v1/audit/checkpoints", Summary: "Signed daily checkpoints of the audit chain's head (Ed25519), newest first, for witnesses",
			Public: true, Resp: ksp.AuditCheckpoint{}, List: true, Query: []string{"limit", "cursor"}, handler: s.listCheckpoints},
	}
}

func (s *Server) getTransparency(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var tq ksp.TransparencyQuery
	switch {
	case q.Get("period") != "" && (q.Has("from") || q.Has("to") || q.Has("org")):
		writeError(w, r, s.log, invalid("period", "either period, or from and to (and org), not both"))
		return
	case q.Get("period") != "":
		p, err := ksp.ParseCalendarPeriod(q.Get("period"))
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		if pub, err := s.store.FindPublishedReport(r.Context(), p.Label); err == nil {
			writePublished(w, pub)
			return
		} else if ksp.ErrorCode(err) != ksp.ENOTFOUND {
			writeError(w, r, s.log, err)
			return
		}
		tq = ksp.TransparencyQuery{Period: p, Public: true}
	case q.Has("from") || q.Has("to"):
		p, err := ksp.ParsePeriodDays(q.Get("from"), q.Get("to"))
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		tq = ksp.TransparencyQuery{Period: p, OrgID: q.Get("org")}
		if q.Has("org") && !ksp.ValidID(tq.OrgID) {
			writeError(w, r, s.log, invalid("org", "an organisation id"))
			return
		}
	default:
		writeError(w, r, s.log, invalid("period", "give period=YYYY or YYYY-Qn, or from and to as YYYY-MM-DD"))
		return
	}
	rep, err := s.store.TransparencyReport(r.Context(), tq)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	body, err := ksp.MarshalReport(rep)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writePublished(w, &ksp.PublishedReport{Body: body})
}

func writePublished(w http.ResponseWriter, p *ksp.PublishedReport) {
	noStoreNoSniff(w.Header())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(p.Body)))
	if p.SHA256 != "" {
		w.Header().Set("KSP-Report-SHA256", p.SHA256)
	}
	w.WriteHeader(http.StatusOK)
	w.Write(p.Body)
}

func (s *Server) getPublished(w http.ResponseWriter, r *http.Request) {
	p, err := s.store.FindPublishedReport(r.Context(), r.PathValue("period"))
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writePublished(w, p)
}

func (s *Server) publishTransparency(r *http.Request) (any, error) {
	var in PublishBody
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	return s.store.PublishTransparencyReport(r.Context(), in.Period)
}

func (s *Server) listPublished(r *http.Request) (any, error) {
	items, err := s.store.FindPublishedReports(r.Context())
	if err != nil {
		return nil, err
	}
	for _, p := range items {
		p.URL = "/api/v1/transparency/published/" + p.Period
	}
	return list(items, ""), nil
}

func (s *Server) listCheckpoints(r *http.Request) (any, error) {
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	items, next, err := s.store.FindAuditCheckpoints(r.Context(), p)
	if err != nil {
		return nil, err
	}
	return list(items, next), nil
}
