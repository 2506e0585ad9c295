package httpapi

import (
	"net/http"
	"strings"

	"github.com/kspplatform/ksp"
)

func (s *Server) searchRoutes() []*Route {
	return []*Route{
		// Anonymous callers search public resources; a caller with a
		// credential needs the read scope and sees what the sharing rule
		// lets it see, entities included.
		{Method: "GET", Path: "/api/v1/search", Summary: "Search the library and designated entities, best first, with snippets (escaped text, <mark> only); anonymous callers search public resources",
			Anonymous: true, Role: ksp.RoleViewer, Scope: ksp.ScopeRead, Resp: ksp.SearchResult{}, List: true,
			Query: []string{"q", "type", "kind", "tag", "jurisdiction", "regime", "limit", "cursor"}, handler: s.search},
	}
}

// search reads the query parameters into a ksp.SearchQuery: type may be
// given once, repeated, or comma-separated.
func (s *Server) search(r *http.Request) (any, error) {
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	sq := ksp.SearchQuery{Q: q.Get("q"), Page: p}
	for _, v := range q["type"] {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				sq.Types = append(sq.Types, t)
			}
		}
	}
	if v := q.Get("kind"); v != "" {
		k := ksp.ResourceKind(v)
		sq.Kind = &k
	}
	for name, into := range map[string]**string{"tag": &sq.Tag, "jurisdiction": &sq.Jurisdiction, "regime": &sq.Regime} {
		if v := q.Get(name); v != "" {
			*into = &v
		}
	}
	items, next, err := s.store.Search(r.Context(), sq)
	return list(items, next), err
}
