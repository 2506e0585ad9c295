package httpapi

import (
	"net/http"
	"strconv"

	"github.com/kspplatform/ksp"
)

// ResourceBodyLimit bounds the body of a resource write: the largest
// Markdown body (ksp.MaxResourceBody) with room for JSON escaping.
const ResourceBodyLimit = 2 << 20

// ResourceInput is the body of creating a resource. Distribution and TLP
// default to members and GREEN, as for every shared item.
type ResourceInput struct {
	Kind          ksp.ResourceKind `json:"kind"`
	Title         string           `json:"title"`
	Summary       string           `json:"summary,omitempty"`
	Body          string           `json:"body,omitempty"`
	Tags          []string         `json:"tags,omitempty"`
	Jurisdictions []string         `json:"jurisdictions,omitempty"`
	Language      string           `json:"language,omitempty"`
	Distribution  ksp.Distribution `json:"distribution,omitempty"`
	Audience      []string         `json:"audience,omitempty"`
	TLP           ksp.TLP          `json:"tlp,omitempty"`
}

// The library's reads are Anonymous: without credentials they show public
// resources; a credential, when presented, needs the viewer role and the
// read scope as on any member route.
func (s *Server) resourceRoutes() []*Route {
	read := func(method, path, summary string, resp any, list bool, query []string, h func(*http.Request) (any, error)) *Route {
		return &Route{Method: method, Path: path, Summary: summary, Anonymous: true, Role: ksp.RoleViewer, Scope: ksp.ScopeRead,
			Resp: resp, List: list, Query: query, handler: h}
	}
	return []*Route{
		read("GET", "/api/v1/resources", "The library as the caller may see it (no credentials: public resources), most recently updated first", ksp.Resource{}, true,
			[]string{"kind", "tag", "jurisdiction", "language", "limit", "cursor"}, s.listResources),
		read("GET", "/api/v1/resources/{id}", "One resource", ksp.Resource{}, false, nil, s.getResource),
		read("GET", "/api/v1/resources/{id}/revisions", "A resource's revisions, newest first, without their bodies", ksp.ResourceRevision{}, true, nil, s.listRevisions),
		read("GET", "/api/v1/resources/{id}/revisions/{n}", "One revision of a resource in full", ksp.ResourceRevision{}, false, nil, s.getRevision),
		{Method: "POST", Path: "/api/v1/resources", Summary: "Add a resource to the library, owned by your organisation", Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit,
			Req: ResourceInput{}, Resp: ksp.Resource{}, Status: 201, BodyLimit: ResourceBodyLimit, handler: s.createResource},
		{Method: "PATCH", Path: "/api/v1/resources/{id}", Summary: "Change a resource (its organisation or staff); each change is kept as a revision", Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit,
			Req: ksp.ResourceUpdate{}, Resp: ksp.Resource{}, BodyLimit: ResourceBodyLimit, handler: s.patchResource},
		{Method: "DELETE", Path: "/api/v1/resources/{id}", Summary: "Delete a resource and its revisions (its organisation or staff)", Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit,
			Status: 204, handler: s.deleteResource},
	}
}

func (s *Server) listResources(r *http.Request) (any, error) {
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	f := ksp.ResourceFilter{Page: p}
	q := r.URL.Query()
	if v := q.Get("kind"); v != "" {
		k := ksp.ResourceKind(v)
		f.Kind = &k
	}
	for name, dst := range map[string]**string{"tag": &f.Tag, "jurisdiction": &f.Jurisdiction, "language": &f.Language} {
		if v := q.Get(name); v != "" {
			*dst = &v
		}
	}
	items, next, err := s.store.FindResources(r.Context(), f)
	return list(items, next), err
}

func (s *Server) getResource(r *http.Request) (any, error) {
	return s.store.FindResourceByID(r.Context(), r.PathValue("id"))
}

func (s *Server) listRevisions(r *http.Request) (any, error) {
	items, err := s.store.FindResourceRevisions(r.Context(), r.PathValue("id"))
	return list(items, ""), err
}

func (s *Server) getRevision(r *http.Request) (any, error) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		return nil, ksp.NotFound("revision")
	}
	return s.store.FindResourceRevision(r.Context(), r.PathValue("id"), n)
}

func (s *Server) createResource(r *http.Request) (any, error) {
	var in ResourceInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	if in.Distribution == "" {
		in.Distribution = ksp.DefaultDistribution
	}
	if in.TLP == "" {
		in.TLP = ksp.DefaultTLP
	}
	res := &ksp.Resource{Kind: in.Kind, Title: in.Title, Summary: in.Summary, Body: in.Body, Tags: in.Tags, Jurisdictions: in.Jurisdictions,
		Language: in.Language, Sharing: ksp.Sharing{Distribution: in.Distribution, Audience: in.Audience, TLP: in.TLP}}
	if err := s.store.CreateResource(r.Context(), res); err != nil {
		return nil, err
	}
	return res, nil
}

func (s *Server) patchResource(r *http.Request) (any, error) {
	var upd ksp.ResourceUpdate
	if err := decodeJSON(r, &upd); err != nil {
		return nil, err
	}
	return s.store.UpdateResource(r.Context(), r.PathValue("id"), upd)
}

func (s *Server) deleteResource(r *http.Request) (any, error) {
	return nil, s.store.DeleteResource(r.Context(), r.PathValue("id"))
}
