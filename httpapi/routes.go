package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/kspplatform/ksp"
)

// ListBody is the shape of every list answer.
type ListBody[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func list[T any](items []T, next string) ListBody[T] {
	if items == nil {
		items = []T{}
	}
	return ListBody[T]{Items: items, NextCursor: next}
}

// MeBody answers GET /api/v1/me.
type MeBody struct {
	User   *ksp.User   `json:"user"`
	Org    MeOrg       `json:"org"`
	Role   ksp.Role    `json:"role"`
	Scopes []ksp.Scope `json:"scopes"`
}

// MeOrg is the org part of MeBody.
type MeOrg struct {
	ID     string      `json:"id"`
	Name   string      `json:"name"`
	Kind   ksp.OrgKind `json:"kind"`
	Size   string      `json:"size,omitempty"`
	Status string      `json:"status"`
}

// DomainBody is the input of adding a domain.
type DomainBody struct {
	Domain string `json:"domain"`
}

// pageParams reads ?limit= and ?cursor=.
func pageParams(r *http.Request) (ksp.Page, error) {
	p := ksp.Page{Cursor: r.URL.Query().Get("cursor")}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil || n < 1:
			return p, invalid("limit", "must be a whole number from 1 to 1000")
		case n > ksp.MaxLimit:
			return p, invalid("limit", "at most 1000")
		}
		p.Limit = n
	}
	return p, nil
}

func (s *Server) routeTable() []*Route {
	return []*Route{
		{Method: "GET", Path: "/api/v1/openapi.json", Summary: "This OpenAPI document", Public: true, raw: s.serveOpenAPI},
		{Method: "POST", Path: "/api/v1/applications", Summary: "Apply for membership", Public: true, Req: ksp.NewApplication{}, Resp: ksp.Application{}, Status: 201, handler: s.createApplication},
		{Method: "GET", Path: "/api/v1/applications", Summary: "List applications", Staff: true, Scope: ksp.ScopeRead, Resp: ksp.Application{}, List: true, Query: []string{"status", "limit", "cursor"}, handler: s.listApplications},
		{Method: "GET", Path: "/api/v1/applications/{id}", Summary: "One application", Staff: true, Scope: ksp.ScopeRead, Resp: ksp.Application{}, handler: s.getApplication},
		{Method: "POST", Path: "/api/v1/applications/{id}/approve", Summary: "Approve: creates the org, its admin and an invitation; the body (a reason and the checklist) is optional", Staff: true, Scope: ksp.ScopeAdmin, Req: ksp.Decision{}, Resp: ksp.Approval{}, handler: s.approveApplication},
		{Method: "POST", Path: "/api/v1/applications/{id}/reject", Summary: "Reject with a reason (sent to the applicant) and optionally the checklist", Staff: true, Scope: ksp.ScopeAdmin, Req: ksp.Decision{}, Resp: ksp.Application{}, handler: s.rejectApplication},
		{Method: "GET", Path: "/api/v1/applications/{id}/notes", Summary: "Staff's review notes on an application", Staff: true, Scope: ksp.ScopeRead, Resp: ksp.ApplicationNote{}, List: true, handler: s.listApplicationNotes},
		{Method: "POST", Path: "/api/v1/applications/{id}/notes", Summary: "Keep a review note with an application", Staff: true, Scope: ksp.ScopeAdmin, Req: NoteBody{}, Resp: ksp.ApplicationNote{}, Status: 201, handler: s.addApplicationNote},
		{Method: "GET", Path: "/api/v1/me", Summary: "Who am I", Role: ksp.RoleViewer, Scope: ksp.ScopeRead, Resp: MeBody{}, handler: s.me},
		{Method: "GET", Path: "/api/v1/orgs", Summary: "Member organisations", Role: ksp.RoleViewer, Scope: ksp.ScopeRead, Resp: ksp.Org{}, List: true, Query: []string{"kind", "status", "limit", "cursor"}, handler: s.listOrgs},
		{Method: "GET", Path: "/api/v1/orgs/{id}", Summary: "One organisation", Role: ksp.RoleViewer, Scope: ksp.ScopeRead, Resp: ksp.Org{}, handler: s.getOrg},
		{Method: "PATCH", Path: "/api/v1/orgs/{id}", Summary: "Change an organisation (status: staff)", Role: ksp.RoleAdmin, Scope: ksp.ScopeAdmin, Req: ksp.OrgUpdate{}, Resp: ksp.Org{}, handler: s.patchOrg},
		{Method: "GET", Path: "/api/v1/orgs/{id}/users", Summary: "An organisation's users", Role: ksp.RoleAdmin, Scope: ksp.ScopeAdmin, Resp: ksp.User{}, List: true, Query: []string{"limit", "cursor"}, handler: s.listUsers},
		{Method: "POST", Path: "/api/v1/orgs/{id}/users", Summary: "Add a user (invited unless a password is given)", Role: ksp.RoleAdmin, Scope: ksp.ScopeAdmin, Req: ksp.NewUser{}, Resp: CreatedUser{}, Status: 201, handler: s.createUser},
		{Method: "PATCH", Path: "/api/v1/orgs/{id}/users/{uid}", Summary: "Change a user's name or role", Role: ksp.RoleAdmin, Scope: ksp.ScopeAdmin, Req: ksp.UserUpdate{}, Resp: ksp.User{}, handler: s.patchUser},
		{Method: "DELETE", Path: "/api/v1/orgs/{id}/users/{uid}", Summary: "Remove a user; revokes its keys and sessions", Role: ksp.RoleAdmin, Scope: ksp.ScopeAdmin, Status: 204, handler: s.deleteUser},
		{Method: "GET", Path: "/api/v1/apikeys", Summary: "API keys: your own, or ?org=1 the organisation's (admins, admin scope)", Role: ksp.RoleViewer, Scope: ksp.ScopeRead, Resp: ksp.APIKey{}, List: true, Query: []string{"org", "limit", "cursor"}, handler: s.listKeys},
		{Method: "POST", Path: "/api/v1/apikeys", Summary: "Create a key with scopes within your key's; the secret is shown once (others: the web session)", Role: ksp.RoleAdmin, Scope: ksp.ScopeAdmin, Req: ksp.NewAPIKey{}, Resp: ksp.APIKey{}, Status: 201, handler: s.createKey},
		{Method: "DELETE", Path: "/api/v1/apikeys/{id}", Summary: "Revoke a key (others: the web session)", Role: ksp.RoleAdmin, Scope: ksp.ScopeAdmin, Status: 204, handler: s.revokeKey},
		{Method: "GET", Path: "/api/v1/audit", Summary: "Audit log (staff: all; admins: their organisation's)", Role: ksp.RoleAdmin, Scope: ksp.ScopeAdmin, Resp: ksp.AuditEvent{}, List: true, Query: []string{"org", "action", "actor", "from", "to", "limit", "cursor"}, handler: s.listAudit},
	}
}

func (s *Server) createApplication(r *http.Request) (any, error) {
	if !s.applyRL.allow(s.ClientIP(r).String()) {
		return nil, ksp.Errorf(ksp.ERATELIMITED, "too many applications from this address; try again later")
	}
	var na ksp.NewApplication
	if err := decodeJSON(r, &na); err != nil {
		return nil, err
	}
	return s.store.CreateApplication(r.Context(), na)
}

func (s *Server) listApplications(r *http.Request) (any, error) {
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	f := ksp.ApplicationFilter{Page: p}
	if st := r.URL.Query().Get("status"); st != "" {
		if st != ksp.AppPending && st != ksp.AppApproved && st != ksp.AppRejected {
			return nil, invalid("status", "must be pending, approved or rejected")
		}
		f.Status = &st
	}
	items, next, err := s.store.FindApplications(r.Context(), f)
	return list(items, next), err
}

func (s *Server) getApplication(r *http.Request) (any, error) {
	return s.store.FindApplicationByID(r.Context(), r.PathValue("id"))
}

func (s *Server) me(r *http.Request) (any, error) {
	a := ksp.ActorFrom(r.Context())
	u, err := s.store.FindUserByID(r.Context(), a.UserID)
	if err != nil {
		return nil, err
	}
	o, err := s.store.FindOrgByID(r.Context(), a.OrgID)
	if err != nil {
		return nil, err
	}
	scopes := a.Scopes
	if scopes == nil {
		scopes = ksp.AllowedScopes(a.Staff, a.OrgKind, a.Role)
	}
	return MeBody{User: u, Org: MeOrg{ID: o.ID, Name: o.Name, Kind: o.Kind, Size: o.Size, Status: o.Status}, Role: a.Role, Scopes: scopes}, nil
}

func (s *Server) listOrgs(r *http.Request) (any, error) {
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	f := ksp.OrgFilter{Page: p}
	q := r.URL.Query()
	if k := q.Get("kind"); k != "" {
		kind := ksp.OrgKind(k)
		f.Kind = &kind
	}
	if st := q.Get("status"); st != "" {
		f.Status = &st
	}
	items, next, err := s.store.FindOrgs(r.Context(), f)
	return list(items, next), err
}

func (s *Server) getOrg(r *http.Request) (any, error) {
	return s.store.FindOrgByID(r.Context(), r.PathValue("id"))
}

func (s *Server) patchOrg(r *http.Request) (any, error) {
	var upd ksp.OrgUpdate
	if err := decodeJSON(r, &upd); err != nil {
		return nil, err
	}
	return s.store.UpdateOrg(r.Context(), r.PathValue("id"), upd)
}

func (s *Server) listUsers(r *http.Request) (any, error) {
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	items, next, err := s.store.FindUsers(r.Context(), r.PathValue("id"), p)
	return list(items, next), err
}

// CreatedUser answers POST …/users: the user and, when invited, the
// one-time invitation (until mail delivers it, staff hand it over).
type CreatedUser struct {
	*ksp.User
	Invitation *ksp.Invitation `json:"invitation,omitempty"`
}

func (s *Server) createUser(r *http.Request) (any, error) {
	var nu ksp.NewUser
	if err := decodeJSON(r, &nu); err != nil {
		return nil, err
	}
	u, inv, err := s.store.CreateUser(r.Context(), r.PathValue("id"), nu)
	if err != nil {
		return nil, err
	}
	return CreatedUser{User: u, Invitation: inv}, nil
}

// userInOrg checks that the user of the path belongs to the org of the path.
func (s *Server) userInOrg(r *http.Request) error {
	u, err := s.store.FindUserByID(r.Context(), r.PathValue("uid"))
	if err != nil {
		return err
	}
	if u.OrgID != r.PathValue("id") {
		return ksp.NotFound("user")
	}
	return nil
}

func (s *Server) patchUser(r *http.Request) (any, error) {
	var upd ksp.UserUpdate
	if err := decodeJSON(r, &upd); err != nil {
		return nil, err
	}
	if err := s.userInOrg(r); err != nil {
		return nil, err
	}
	return s.store.UpdateUser(r.Context(), r.PathValue("uid"), upd)
}

func (s *Server) deleteUser(r *http.Request) (any, error) {
	if err := s.userInOrg(r); err != nil {
		return nil, err
	}
	return nil, s.store.DeleteUser(r.Context(), r.PathValue("uid"))
}

func (s *Server) listKeys(r *http.Request) (any, error) {
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	f := ksp.APIKeyFilter{Page: p}
	switch r.URL.Query().Get("org") {
	case "", "0", "false":
	case "1", "true":
		// The organisation's keys are an admin's view: a key needs the
		// admin scope for it, as for the routes that manage keys.
		if err := needScope(ksp.ActorFrom(r.Context()), ksp.ScopeAdmin); err != nil {
			return nil, err
		}
		f.OrgWide = true
	default:
		return nil, invalid("org", "must be true or false")
	}
	items, next, err := s.store.FindAPIKeys(r.Context(), f)
	return list(items, next), err
}

func (s *Server) createKey(r *http.Request) (any, error) {
	var nk ksp.NewAPIKey
	if err := decodeJSON(r, &nk); err != nil {
		return nil, err
	}
	return s.store.CreateAPIKey(r.Context(), nk)
}

func (s *Server) revokeKey(r *http.Request) (any, error) {
	return nil, s.store.RevokeAPIKey(r.Context(), r.PathValue("id"))
}

func (s *Server) listAudit(r *http.Request) (any, error) {
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	f := ksp.AuditFilter{Page: p}
	q := r.URL.Query()
	if o := q.Get("org"); o != "" {
		f.OrgID = &o
	}
	if a := strings.TrimSpace(q.Get("action")); a != "" {
		f.Action = &a
	}
	for _, p := range []struct {
		name string
		dst  **string
	}{{"actor", &f.Actor}, {"from", &f.From}, {"to", &f.To}} {
		if v := strings.TrimSpace(q.Get(p.name)); v != "" {
			*p.dst = &v
		}
	}
	items, next, err := s.store.FindAuditEvents(r.Context(), f)
	return list(items, next), err
}
