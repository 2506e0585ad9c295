package httpapi

import (
	"net/http"

	"github.com/kspplatform/ksp"
)

func (s *Server) incidentLinkRoutes() []*Route {
	return []*Route{
		{Method: "GET", Path: "/api/v1/incidents/{id}/links", Summary: "The alerts and signals sent under an incident that you may see", Role: ksp.RoleViewer, Scope: ksp.ScopeRead, Resp: ksp.IncidentLinks{}, handler: s.incidentLinks},
	}
}

func (s *Server) incidentLinks(r *http.Request) (any, error) {
	return s.store.FindIncidentLinks(r.Context(), r.PathValue("id"))
}
