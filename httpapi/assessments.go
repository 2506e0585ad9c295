package httpapi

import (
	"net/http"

	"github.com/kspplatform/ksp"
)

func init() { RegisterEnum(ksp.AssessmentAreas) }

// Self-assessments are read by their own organisation only: the store
// filters on the caller's org whoever calls, so a staff key fetching an
// org's assessment gets 404 like anyone else; staff read the aggregate.
func (s *Server) assessmentRoutes() []*Route {
	return []*Route{
		{Method: "GET", Path: "/api/v1/assessments/template", Summary: "The self-assessment questionnaire: areas, questions, scored options",
			Role: ksp.RoleViewer, Scope: ksp.ScopeRead, Resp: ksp.AssessmentTemplate{}, handler: s.assessmentTemplate},
		{Method: "POST", Path: "/api/v1/assessments", Summary: "Submit answers ({\"answers\":{question id: option id}}, every question answered): scores per area, recommendations and a reading list",
			Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit, Req: ksp.AssessmentInput{}, Resp: ksp.Assessment{}, Status: 201, handler: s.submitAssessment},
		{Method: "GET", Path: "/api/v1/assessments", Summary: "Your organisation's assessments, newest first (progress over time)",
			Role: ksp.RoleViewer, Scope: ksp.ScopeRead, Resp: ksp.Assessment{}, List: true, Query: []string{"limit", "cursor"}, handler: s.listAssessments},
		{Method: "GET", Path: "/api/v1/assessments/{id}", Summary: "One of your organisation's assessments with its reading list",
			Role: ksp.RoleViewer, Scope: ksp.ScopeRead, Resp: ksp.Assessment{}, handler: s.getAssessment},
		{Method: "GET", Path: "/api/v1/assessments/aggregate", Summary: "Means over each organisation's latest assessment; figures over fewer than 3 organisations are null and listed in suppressed",
			Staff: true, Scope: ksp.ScopeRead, Resp: ksp.AssessmentAggregate{}, handler: s.assessmentAggregate},
	}
}

func (s *Server) assessmentTemplate(*http.Request) (any, error) {
	return ksp.CurrentAssessmentTemplate, nil
}

func (s *Server) submitAssessment(r *http.Request) (any, error) {
	var in ksp.AssessmentInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	return s.store.SubmitAssessment(r.Context(), in)
}

func (s *Server) listAssessments(r *http.Request) (any, error) {
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	items, next, err := s.store.FindAssessments(r.Context(), p)
	return list(items, next), err
}

func (s *Server) getAssessment(r *http.Request) (any, error) {
	return s.store.FindAssessmentByID(r.Context(), r.PathValue("id"))
}

func (s *Server) assessmentAggregate(r *http.Request) (any, error) {
	return s.store.AssessmentAggregate(r.Context())
}
