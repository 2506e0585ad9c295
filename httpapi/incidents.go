package httpapi

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	"github.com/kspplatform/ksp"
)

func init() { RegisterEnum(ksp.IncidentStatuses) }

// IncidentInput is the body of drafting an incident: only type and title
// are required; the checklist is recorded, not a gate.
type IncidentInput struct {
	Type         string                  `json:"type"`
	Title        string                  `json:"title"`
	Description  string                  `json:"description,omitempty"`
	Criteria     []ksp.IncidentCriterion `json:"activation_criteria,omitempty"`
	Distribution ksp.Distribution        `json:"distribution,omitempty"`
	Audience     []string                `json:"audience,omitempty"`
	TLP          ksp.TLP                 `json:"tlp,omitempty"`
}

func (s *Server) incidentRoutes() []*Route {
	return []*Route{
		{Method: "GET", Path: "/api/v1/incidents", Summary: "Incidents the caller may see (members see activated ones shared with them); status, type filter; review_as_of (staff) lists emergency activations unconfirmed after 24 hours",
			Role: ksp.RoleViewer, Scope: ksp.ScopeRead, Resp: ksp.Incident{}, List: true, Query: []string{"status", "type", "review_as_of", "limit", "cursor"}, handler: s.listIncidents},
		{Method: "GET", Path: "/api/v1/incidents/{id}", Summary: "One incident with its timeline", Role: ksp.RoleViewer, Scope: ksp.ScopeRead, Resp: ksp.Incident{}, handler: s.getIncident},
		{Method: "POST", Path: "/api/v1/incidents", Summary: "Draft an incident", Staff: true, Scope: ksp.ScopeSubmit, Req: IncidentInput{}, Resp: ksp.Incident{}, Status: 201, handler: s.createIncident},
		{Method: "POST", Path: "/api/v1/incidents/{id}/activate", Summary: "Activate: the first staff member requests, a second confirms; emergency=true activates at once, to be confirmed by a second within 24 hours",
			Staff: true, Scope: ksp.ScopeSubmit, Req: ksp.ActivateIncidentInput{}, Resp: ksp.Incident{}, handler: s.activateIncident},
		{Method: "POST", Path: "/api/v1/incidents/{id}/updates", Summary: "Add a timestamped update to the timeline", Staff: true, Scope: ksp.ScopeSubmit, Req: ksp.IncidentUpdateInput{}, Resp: ksp.Incident{}, handler: s.addIncidentUpdate},
		{Method: "POST", Path: "/api/v1/incidents/{id}/close", Summary: "Close with end criteria and a debrief; signals shared under it that no second org confirmed are retracted",
			Staff: true, Scope: ksp.ScopeSubmit, Req: ksp.CloseIncidentInput{}, Resp: ksp.Incident{}, handler: s.closeIncident},
	}
}

func (s *Server) listIncidents(r *http.Request) (any, error) {
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	f := ksp.IncidentFilter{Page: p}
	q := r.URL.Query()
	if v := q.Get("status"); v != "" {
		st := ksp.IncidentStatus(v)
		f.Status = &st
	}
	if v := q.Get("type"); v != "" {
		f.Type = &v
	}
	if v := q.Get("review_as_of"); v != "" {
		var t ksp.Time
		if err := t.UnmarshalJSON([]byte(`"` + v + `"`)); err != nil {
			return nil, invalid("review_as_of", "an RFC 3339 time")
		}
		f.ReviewAsOf = &t.Time
	}
	items, next, err := s.store.FindIncidents(r.Context(), f)
	return list(items, next), err
}

func (s *Server) getIncident(r *http.Request) (any, error) {
	return s.store.FindIncidentByID(r.Context(), r.PathValue("id"))
}

func (s *Server) createIncident(r *http.Request) (any, error) {
	var in IncidentInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	i := &ksp.Incident{Type: in.Type, Title: in.Title, Description: in.Description, Criteria: in.Criteria,
		Sharing: ksp.Sharing{Distribution: in.Distribution, Audience: in.Audience, TLP: in.TLP}}
	if err := s.store.CreateIncident(r.Context(), i); err != nil {
		return nil, err
	}
	return i, nil
}

func (s *Server) activateIncident(r *http.Request) (any, error) {
	// The body is optional: a bare POST is an ordinary (two-person)
	// activation.
	body, err := io.ReadAll(r.Body)
	if isTooLarge(err) {
		return nil, tooLarge()
	}
	if err != nil {
		return nil, fmt.Errorf("read activation body: %w", err)
	}
	var in ksp.ActivateIncidentInput
	if len(bytes.TrimSpace(body)) > 0 {
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err := decodeJSON(r, &in); err != nil {
			return nil, err
		}
	}
	return s.store.ActivateIncident(r.Context(), r.PathValue("id"), in)
}

func (s *Server) addIncidentUpdate(r *http.Request) (any, error) {
	var in ksp.IncidentUpdateInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	return s.store.AddIncidentUpdate(r.Context(), r.PathValue("id"), in)
}

func (s *Server) closeIncident(r *http.Request) (any, error) {
	var in ksp.CloseIncidentInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	i, err := s.store.CloseIncident(r.Context(), r.PathValue("id"), in)
	if err != nil {
		return nil, err
	}
	// Closing may have retracted signals: matching must not find them.
	s.synced(r)
	return i, nil
}
