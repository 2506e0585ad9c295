package httpapi

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	"github.com/kspplatform/ksp"
)

// UNSCImportLimit is the largest UN list body the import route reads. The
// real list is about 2 MB; ten times that leaves room for growth while
// bounding what one request may make the server hold.
const UNSCImportLimit = 32 << 20

// EntityInput is the body of creating an entity by hand.
type EntityInput struct {
	Kind         ksp.EntityKind      `json:"kind"`
	Name         string              `json:"name"`
	OriginalName string              `json:"original_name,omitempty"`
	Aliases      []ksp.EntityAlias   `json:"aliases,omitempty"`
	Ideology     ksp.Ideology        `json:"ideology,omitempty"`
	Notes        string              `json:"notes,omitempty"`
	Lists        []ksp.EntityListing `json:"lists,omitempty"`
}

func (s *Server) entityRoutes() []*Route {
	return append([]*Route{
		{Method: "GET", Path: "/api/v1/entities", Summary: "Designated entities; q matches names and aliases, regime a list's regime (UN_LIST_TYPE)", Role: ksp.RoleViewer, Scope: ksp.ScopeRead,
			Resp: ksp.Entity{}, List: true, Query: []string{"q", "regime", "limit", "cursor"}, handler: s.listEntities},
		{Method: "GET", Path: "/api/v1/entities/{id}", Summary: "One entity, by id or list reference number (e.g. QDe.115)", Role: ksp.RoleViewer, Scope: ksp.ScopeRead, Resp: ksp.Entity{}, handler: s.getEntity},
		{Method: "POST", Path: "/api/v1/entities", Summary: "Create an entity", Staff: true, Scope: ksp.ScopeSubmit, Req: EntityInput{}, Resp: ksp.Entity{}, Status: 201, handler: s.createEntity},
		{Method: "PATCH", Path: "/api/v1/entities/{id}", Summary: "Change an entity", Staff: true, Scope: ksp.ScopeSubmit, Req: ksp.EntityUpdate{}, Resp: ksp.Entity{}, handler: s.patchEntity},
		{Method: "POST", Path: "/api/v1/entities/import", Summary: "Import a list (source=unsc: the UN Security Council Consolidated List XML as the body; force=true imports a list older than the last)", Staff: true, Scope: ksp.ScopeSubmit,
			ReqType: "application/xml", Resp: ksp.ImportCounts{}, BodyLimit: UNSCImportLimit, Query: []string{"source", "force"}, handler: s.importEntities},
	}, s.reviewRoutes()...)
}

func (s *Server) listEntities(r *http.Request) (any, error) {
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	f := ksp.EntityFilter{Page: p}
	q := r.URL.Query()
	if v := q.Get("q"); v != "" {
		f.Q = &v
	}
	if v := q.Get("regime"); v != "" {
		f.Regime = &v
	}
	items, next, err := s.store.FindEntities(r.Context(), f)
	return list(items, next), err
}

func (s *Server) getEntity(r *http.Request) (any, error) {
	return s.store.FindEntityByID(r.Context(), r.PathValue("id"))
}

func (s *Server) createEntity(r *http.Request) (any, error) {
	var in EntityInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	e := &ksp.Entity{Kind: in.Kind, Name: in.Name, OriginalName: in.OriginalName, Aliases: in.Aliases, Ideology: in.Ideology, Notes: in.Notes, Lists: in.Lists}
	if err := s.store.CreateEntity(r.Context(), e); err != nil {
		return nil, err
	}
	return e, nil
}

func (s *Server) patchEntity(r *http.Request) (any, error) {
	var upd ksp.EntityUpdate
	if err := decodeJSON(r, &upd); err != nil {
		return nil, err
	}
	return s.store.UpdateEntity(r.Context(), r.PathValue("id"), upd)
}

func (s *Server) importEntities(r *http.Request) (any, error) {
	q := r.URL.Query()
	if src := q.Get("source"); src != "unsc" {
		return nil, invalid("source", "must be unsc (the UN Security Council Consolidated List)")
	}
	force := false
	switch q.Get("force") {
	case "", "false":
	case "true":
		force = true
	default:
		return nil, invalid("force", "must be true or false")
	}
	// The body is read whole first, so that one over the limit is refused as
	// too large rather than as a list cut short.
	body, err := io.ReadAll(r.Body)
	if isTooLarge(err) {
		return nil, tooLarge()
	}
	if err != nil {
		return nil, fmt.Errorf("read import body: %w", err)
	}
	return s.store.ImportUNSC(r.Context(), bytes.NewReader(body), force)
}
