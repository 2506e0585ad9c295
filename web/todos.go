package web

import (
	"html/template"
	"math"
	"net/http"
	"time"

	"github.com/kspplatform/ksp"
)

// The dashboard's to-dos: what waits for the signed-in person, each
// linking to where to act. Everything is read as the viewer: a dispute is
// listed when the viewer's organisation shares the signal and sees it
// disputed.

// keyWarning is how long before its expiry a key shows as a to-do.
const keyWarning = 14 * 24 * time.Hour

// TodosData is the to-dos' content (templates/dashboard_todos.html).
type TodosData struct {
	// Disputed are signals the viewer's org shares that it sees disputed.
	Disputed     []*ksp.Signal
	DisputedMore bool
	// StaffDisputes is set for staff when the disputes queue is not empty.
	StaffDisputes bool
	// Invited are the org's invitations not yet accepted (admins).
	Invited []*ksp.User
	// Keys expire within keyWarning: Own is false for another user's key
	// (admins, /admin/keys).
	Keys []ExpiringKey
}

// ExpiringKey is an API key about to expire.
type ExpiringKey struct {
	Key  *ksp.APIKey
	Own  bool
	Days int
}

// Empty reports whether nothing waits.
func (d TodosData) Empty() bool {
	return len(d.Disputed) == 0 && !d.StaffDisputes && len(d.Invited) == 0 && len(d.Keys) == 0
}

// todos renders the to-dos for the dashboard.
func (s *Server) todos(r *http.Request) (template.HTML, error) {
	ctx := r.Context()
	a := ksp.ActorFrom(ctx)
	var d TodosData
	st := ksp.StatusDisputed
	disputed, next, err := s.store.FindSignals(ctx, ksp.SignalFilter{Own: true, Status: &st, Page: ksp.Page{Limit: 5}})
	if err != nil {
		return "", err
	}
	d.Disputed, d.DisputedMore = disputed, next != ""
	if a.Staff {
		queue, _, err := s.store.FindSignals(ctx, ksp.SignalFilter{Status: &st, Page: ksp.Page{Limit: 1}})
		if err != nil {
			return "", err
		}
		d.StaffDisputes = len(queue) > 0
	}
	if a.HasRole(ksp.RoleAdmin) {
		users, _, err := s.store.FindUsers(ctx, a.OrgID, ksp.Page{Limit: ksp.MaxLimit})
		if err != nil {
			return "", err
		}
		for _, u := range users {
			if u.Status == ksp.UserInvited {
				d.Invited = append(d.Invited, u)
			}
		}
	}
	if d.Keys, err = s.expiringKeys(r, a); err != nil {
		return "", err
	}
	return s.Fragment("dashboard_todos.html", "todos", d)
}

// expiringKeys lists the viewer's keys, and for admins the org's, that
// expire within keyWarning and have not expired or been revoked.
func (s *Server) expiringKeys(r *http.Request, a *ksp.Actor) ([]ExpiringKey, error) {
	now := time.Now()
	var out []ExpiringKey
	seen := map[string]bool{}
	scopes := []bool{false}
	if a.HasRole(ksp.RoleAdmin) {
		scopes = append(scopes, true)
	}
	for _, orgWide := range scopes {
		keys, _, err := s.store.FindAPIKeys(r.Context(), ksp.APIKeyFilter{OrgWide: orgWide, Page: ksp.Page{Limit: ksp.MaxLimit}})
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if seen[k.ID] || k.Revoked != nil || k.Expires == nil || k.Expires.Before(now) || k.Expires.Sub(now) > keyWarning {
				continue
			}
			seen[k.ID] = true
			out = append(out, ExpiringKey{Key: k, Own: k.UserID == a.UserID, Days: int(math.Ceil(k.Expires.Sub(now).Hours() / 24))})
		}
	}
	return out, nil
}
