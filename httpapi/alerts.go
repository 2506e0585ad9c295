package httpapi

import (
	"net/http"

	"github.com/kspplatform/ksp"
)

// ForwardBody is the input of forwarding an unrouted alert.
type ForwardBody struct {
	OrgID string `json:"org_id"`
}

// LEContactBody is the input of marking a government org as a
// law-enforcement contact.
type LEContactBody struct {
	Jurisdictions []string `json:"jurisdictions"`
}

func (s *Server) alertRoutes() []*Route {
	return []*Route{
		{Method: "POST", Path: "/api/v1/alerts", Summary: "Alert the platform hosting a URL, or send a legal order (governments): 201 new, 200 merged into a recent alert on the same URL", Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit,
			Req: ksp.AlertInput{}, Resp: ksp.Alert{}, Status: 201, handler: s.createAlert},
		{Method: "GET", Path: "/api/v1/alerts", Summary: "Your alerts: box=received (default), sent, or unrouted (staff)", Role: ksp.RoleViewer, Scope: ksp.ScopeRead,
			Resp: ksp.Alert{}, List: true, Query: []string{"box", "limit", "cursor"}, handler: s.listAlerts},
		{Method: "GET", Path: "/api/v1/alerts/{id}", Summary: "One alert with its timeline, as you may see it", Role: ksp.RoleViewer, Scope: ksp.ScopeRead, Resp: ksp.Alert{}, handler: s.getAlert},
		{Method: "POST", Path: "/api/v1/alerts/{id}/response", Summary: "Answer an alert delivered to your organisation", Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit,
			Req: ksp.ResponseInput{}, Resp: ksp.Alert{}, handler: s.respondToAlert},
		{Method: "POST", Path: "/api/v1/alerts/{id}/forward", Summary: "Deliver an unrouted alert to a member (staff)", Staff: true, Scope: ksp.ScopeSubmit,
			Req: ForwardBody{}, Resp: ksp.Alert{}, handler: s.forwardAlert},
		{Method: "GET", Path: "/api/v1/law-enforcement-contacts", Summary: "Government organisations that receive threat-to-life alerts for their jurisdictions (staff)", Staff: true, Scope: ksp.ScopeRead,
			Resp: ksp.LEContact{}, List: true, handler: s.listLEContacts},
		{Method: "POST", Path: "/api/v1/orgs/{id}/law-enforcement", Summary: "Make a government organisation the law-enforcement contact for ISO 3166 jurisdictions (an empty list ends it; staff)", Staff: true, Scope: ksp.ScopeAdmin,
			Req: LEContactBody{}, Resp: ksp.LEContact{}, handler: s.setLEContact},
	}
}

func (s *Server) createAlert(r *http.Request) (any, error) {
	var in ksp.AlertInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	a, merged, err := s.store.CreateAlert(r.Context(), in)
	if err != nil {
		return nil, err
	}
	if merged {
		return withStatus{http.StatusOK, a}, nil
	}
	return withStatus{http.StatusCreated, a}, nil
}

func (s *Server) listAlerts(r *http.Request) (any, error) {
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	items, next, err := s.store.FindAlerts(r.Context(), ksp.AlertFilter{Box: r.URL.Query().Get("box"), Page: p})
	return list(items, next), err
}

func (s *Server) getAlert(r *http.Request) (any, error) {
	return s.store.FindAlertByID(r.Context(), r.PathValue("id"))
}

func (s *Server) respondToAlert(r *http.Request) (any, error) {
	var in ksp.ResponseInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	return s.store.RespondToAlert(r.Context(), r.PathValue("id"), in)
}

func (s *Server) forwardAlert(r *http.Request) (any, error) {
	var b ForwardBody
	if err := decodeJSON(r, &b); err != nil {
		return nil, err
	}
	return s.store.ForwardAlert(r.Context(), r.PathValue("id"), b.OrgID)
}

func (s *Server) listLEContacts(r *http.Request) (any, error) {
	items, err := s.store.FindLEContacts(r.Context())
	return list(items, ""), err
}

func (s *Server) setLEContact(r *http.Request) (any, error) {
	var b LEContactBody
	if err := decodeJSON(r, &b); err != nil {
		return nil, err
	}
	return s.store.SetLEContact(r.Context(), r.PathValue("id"), b.Jurisdictions)
}
