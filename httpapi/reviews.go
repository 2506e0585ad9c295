package httpapi

import (
	"net/http"

	"github.com/kspplatform/ksp"
)

// ReviewResolveInput is the body of clearing a review flag.
type ReviewResolveInput struct {
	// Note says what staff found (at most 2000 bytes).
	Note string `json:"note,omitempty"`
}

// reviewRoutes are staff's queue of signals flagged for review (an entity
// they are attributed to was delisted). Staff only: a flag tells that a
// signal exists, whoever may see it.
func (s *Server) reviewRoutes() []*Route {
	return []*Route{
		{Method: "GET", Path: "/api/v1/signals/reviews", Summary: "Signals flagged for review because an entity they are attributed to was delisted (state=open, the default, resolved or all; entity_id: one entity's)", Staff: true, Scope: ksp.ScopeRead,
			Resp: ksp.SignalReview{}, List: true, Query: []string{"state", "entity_id", "limit", "cursor"}, handler: s.listReviews},
		{Method: "POST", Path: "/api/v1/signals/reviews/{id}/resolve", Summary: "Clear a review flag, with a note of what was found", Staff: true, Scope: ksp.ScopeSubmit,
			Req: ReviewResolveInput{}, Resp: ksp.SignalReview{}, handler: s.resolveReview},
	}
}

func (s *Server) listReviews(r *http.Request) (any, error) {
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	f := ksp.SignalReviewFilter{State: q.Get("state"), Page: p}
	if v := q.Get("entity_id"); v != "" {
		f.EntityID = &v
	}
	items, next, err := s.store.FindSignalReviews(r.Context(), f)
	return list(items, next), err
}

func (s *Server) resolveReview(r *http.Request) (any, error) {
	var in ReviewResolveInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	return s.store.ResolveSignalReview(r.Context(), r.PathValue("id"), in.Note)
}
