package httpapi

import (
	"net/http"
	"strings"

	"github.com/kspplatform/ksp"
)

// MentorshipInput is the body of requesting mentoring or offering it.
type MentorshipInput struct {
	Topics []string `json:"topics"`
	Note   string   `json:"note,omitempty"`
}

// MatchInput names the mentor organisation staff give a request.
type MatchInput struct {
	MentorOrgID string `json:"mentor_org_id"`
}

// StatusInput moves a mentorship on.
type StatusInput struct {
	Status string `json:"status"`
}

// SessionInput logs a mentoring session.
type SessionInput struct {
	HeldOn  string `json:"held_on"`
	Minutes int    `json:"minutes"`
	Notes   string `json:"notes,omitempty"`
}

// Mentorship is seen by the two organisations and staff only: every route
// needs a credential.
func (s *Server) mentorshipRoutes() []*Route {
	return []*Route{
		{Method: "POST", Path: "/api/v1/mentorship", Summary: "Request mentoring for your organisation on topics: " + strings.Join(ksp.MentorshipTopics, ", "), Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit,
			Req: MentorshipInput{}, Resp: ksp.MentorshipRequest{}, Status: 201, handler: s.createMentorship},
		{Method: "GET", Path: "/api/v1/mentorship", Summary: "Mentorship requests your organisation is party to (staff: all), newest first", Role: ksp.RoleViewer, Scope: ksp.ScopeRead,
			Resp: ksp.MentorshipRequest{}, List: true, Query: []string{"status", "limit", "cursor"}, handler: s.listMentorship},
		{Method: "GET", Path: "/api/v1/mentorship/offers", Summary: "Mentoring offers (staff: all; members: their own)", Role: ksp.RoleViewer, Scope: ksp.ScopeRead,
			Resp: ksp.MentorshipOffer{}, List: true, handler: s.listMentorshipOffers},
		{Method: "POST", Path: "/api/v1/mentorship/offers", Summary: "Offer to mentor on topics (no topics withdraws the offer)", Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit,
			Req: MentorshipInput{}, Resp: ksp.MentorshipOffer{}, handler: s.offerMentorship},
		{Method: "GET", Path: "/api/v1/mentorship/{id}", Summary: "One mentorship request with its sessions", Role: ksp.RoleViewer, Scope: ksp.ScopeRead,
			Resp: ksp.MentorshipRequest{}, handler: s.getMentorship},
		{Method: "POST", Path: "/api/v1/mentorship/{id}/match", Summary: "Match an open request with a mentor organisation that offered its topics", Staff: true, Scope: ksp.ScopeSubmit,
			Req: MatchInput{}, Resp: ksp.MentorshipRequest{}, handler: s.matchMentorship},
		{Method: "POST", Path: "/api/v1/mentorship/{id}/status", Summary: "Move a mentorship on: matched → active → completed (either side or staff)", Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit,
			Req: StatusInput{}, Resp: ksp.MentorshipRequest{}, handler: s.mentorshipStatus},
		{Method: "POST", Path: "/api/v1/mentorship/{id}/sessions", Summary: "Log a session of a matched or active mentorship (either side)", Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit,
			Req: SessionInput{}, Resp: ksp.MentorshipSession{}, Status: 201, handler: s.logMentorshipSession},
	}
}

func (s *Server) createMentorship(r *http.Request) (any, error) {
	var in MentorshipInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	m := &ksp.MentorshipRequest{Topics: in.Topics, Note: in.Note}
	if err := s.store.CreateMentorshipRequest(r.Context(), m); err != nil {
		return nil, err
	}
	return m, nil
}

func (s *Server) listMentorship(r *http.Request) (any, error) {
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	f := ksp.MentorshipFilter{Page: p}
	if v := r.URL.Query().Get("status"); v != "" {
		f.Status = &v
	}
	items, next, err := s.store.FindMentorshipRequests(r.Context(), f)
	return list(items, next), err
}

func (s *Server) getMentorship(r *http.Request) (any, error) {
	return s.store.FindMentorshipRequestByID(r.Context(), r.PathValue("id"))
}

func (s *Server) listMentorshipOffers(r *http.Request) (any, error) {
	items, err := s.store.FindMentorshipOffers(r.Context())
	return list(items, ""), err
}

func (s *Server) offerMentorship(r *http.Request) (any, error) {
	var in MentorshipInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	return s.store.SetMentorshipOffer(r.Context(), in.Topics, in.Note)
}

func (s *Server) matchMentorship(r *http.Request) (any, error) {
	var in MatchInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	return s.store.MatchMentorship(r.Context(), r.PathValue("id"), in.MentorOrgID)
}

func (s *Server) mentorshipStatus(r *http.Request) (any, error) {
	var in StatusInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	return s.store.SetMentorshipStatus(r.Context(), r.PathValue("id"), in.Status)
}

func (s *Server) logMentorshipSession(r *http.Request) (any, error) {
	var in SessionInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	return s.store.LogMentorshipSession(r.Context(), r.PathValue("id"), &ksp.MentorshipSession{Held: in.HeldOn, Minutes: in.Minutes, Notes: in.Notes})
}
