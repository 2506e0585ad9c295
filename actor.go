package ksp

import (
	"context"
	"slices"
)

// Role is a user's role inside its organisation. Staff users (members of the
// staff org) hold RoleAdmin there and are recognised by their org.
type Role string

// Roles, each including the powers of the ones below it.
const (
	RoleViewer  Role = "viewer"
	RoleAnalyst Role = "analyst"
	RoleAdmin   Role = "admin"
)

// Roles lists every role, weakest first.
var Roles = []Role{RoleViewer, RoleAnalyst, RoleAdmin}

// Rank orders roles: viewer 1, analyst 2, admin 3, anything else 0.
func (r Role) Rank() int { return slices.Index(Roles, r) + 1 }

// Scope limits what an API key may do, within its creator's role.
type Scope string

// Scopes of API keys.
const (
	ScopeRead   Scope = "read"
	ScopeSubmit Scope = "submit"
	ScopeMatch  Scope = "match"
	ScopeAdmin  Scope = "admin"
)

// Scopes lists every scope.
var Scopes = []Scope{ScopeRead, ScopeSubmit, ScopeMatch, ScopeAdmin}

// AllowedScopes returns the scopes a user of this role in an org of this kind
// may give a key. Governments get no match scope: matching is for platforms
// checking their own content, and a government-held oracle over the bank is
// not something members signed up for.
func AllowedScopes(staff bool, kind OrgKind, role Role) []Scope {
	if staff {
		return slices.Clone(Scopes)
	}
	var s []Scope
	switch role {
	case RoleAdmin:
		s = []Scope{ScopeRead, ScopeSubmit, ScopeMatch, ScopeAdmin}
	case RoleAnalyst:
		s = []Scope{ScopeRead, ScopeSubmit, ScopeMatch}
	case RoleViewer:
		s = []Scope{ScopeRead, ScopeMatch}
	}
	if kind == KindGovernment {
		s = slices.DeleteFunc(s, func(x Scope) bool { return x == ScopeMatch })
	}
	return s
}

// Actor is who performs a request: a user through a session or an API key,
// the CLI, or nobody (anonymous). Adapters put it in the context; stores read
// it to decide visibility and to write the audit trail.
type Actor struct {
	UserID    string
	OrgID     string
	OrgKind   OrgKind
	Role      Role
	Staff     bool
	Suspended bool
	// Scopes is nil for a browser session (the role alone decides) and the
	// key's scopes for an API key.
	Scopes   []Scope
	APIKeyID string
	// Name is what the audit trail records: "user:<id>", "key:<id>",
	// "cli:<os user>", "system".
	Name string
}

// Viewer reduces the actor to what the sharing rule reads.
func (a *Actor) Viewer() Viewer {
	if a == nil {
		return Viewer{}
	}
	return Viewer{OrgID: a.OrgID, Staff: a.Staff, Suspended: a.Suspended}
}

// HasRole reports whether the actor holds at least role r (staff hold every
// role).
func (a *Actor) HasRole(r Role) bool {
	if a == nil || a.OrgID == "" {
		return false
	}
	return a.Staff || a.Role.Rank() >= r.Rank()
}

// HasScope reports whether the actor's credentials carry scope s. Sessions
// carry every scope their role allows.
func (a *Actor) HasScope(s Scope) bool {
	if a == nil || a.OrgID == "" {
		return false
	}
	if a.Scopes == nil {
		return slices.Contains(AllowedScopes(a.Staff, a.OrgKind, a.Role), s)
	}
	return slices.Contains(a.Scopes, s)
}

// AuditName is the actor as the audit trail records it.
func (a *Actor) AuditName() string {
	if a == nil {
		return "anonymous"
	}
	switch {
	case a.Name != "":
		return a.Name
	case a.APIKeyID != "":
		return "key:" + a.APIKeyID
	case a.UserID != "":
		return "user:" + a.UserID
	}
	return "anonymous"
}

type actorKey struct{}

// NewContext returns ctx carrying actor a.
func NewContext(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx, or nil (anonymous).
func ActorFrom(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}

// SystemActor acts for the server itself (migrations, the demo seeder,
// background jobs) with staff powers.
func SystemActor(name string) *Actor {
	return &Actor{OrgID: StaffOrgID, OrgKind: KindStaff, Role: RoleAdmin, Staff: true, Name: name}
}
