package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/kspplatform/ksp"
)

func (s *Server) registerAdmin() {
	s.Handle("GET /admin", AdminOnly, s.admin)
	s.Handle("POST /admin/domains", AdminOnly, s.addDomain)
	s.registerDomains()
	s.Handle("GET /admin/users", AdminOnly, s.users)
	s.Handle("POST /admin/users", AdminOnly, s.inviteUser)
	s.Handle("POST /admin/users/{id}/role", AdminOnly, s.changeRole)
	s.Handle("POST /admin/users/{id}/remove", AdminOnly, s.removeUser)
	s.Handle("POST /admin/users/{id}/invitation", AdminOnly, s.resendInvitation)
	s.Handle("GET /admin/users/{id}/second-factor", AdminOnly, s.resetFactorForm)
	s.Handle("POST /admin/users/{id}/second-factor", AdminOnly, s.resetFactor)
	s.Handle("GET /admin/keys", AdminOnly, s.orgKeys)
	s.Handle("POST /admin/keys", AdminOnly, s.createOrgKey)
	s.Handle("POST /admin/keys/{id}/revoke", AdminOnly, s.revokeOrgKey)
	s.AddNav(NavItem{Label: "Admin", Path: "/admin", Show: AdminOnly})
}

// AdminData is the organisation page's content.
type AdminData struct {
	Org *ksp.Org
	// Claims are the org's domains with their tokens and proof.
	Claims []*ksp.DomainClaim
	// CanCheck is set when the server can check domains itself.
	CanCheck bool
}

// memberSince is the day an organisation became a member, or nothing for
// the secretariat: it runs the programme rather than joining it, and its row,
// made by the first migration, carries no real date (time 0, 1 Jan 1970).
func memberSince(o *ksp.Org) template.HTML {
	if o == nil || o.Kind == ksp.KindStaff || o.Created.Unix() <= 0 {
		return ""
	}
	return template.HTML(`<time datetime="` + ksp.FormatTime(o.Created.Time) + `">` + o.Created.UTC().Format("2 Jan 2006") + `</time>`)
}

func (s *Server) adminPage(w http.ResponseWriter, r *http.Request, status int, p *Page) error {
	a := ksp.ActorFrom(r.Context())
	o, err := s.store.FindOrgByID(r.Context(), a.OrgID)
	if err != nil {
		return err
	}
	claims, err := s.store.FindDomainClaims(r.Context(), a.OrgID)
	if err != nil {
		return err
	}
	p.Title = o.Name
	p.Data = AdminData{Org: o, Claims: claims, CanCheck: s.cfg.DomainChecker != nil}
	return s.render(w, r, status, "admin.html", p)
}

func (s *Server) admin(w http.ResponseWriter, r *http.Request) error {
	return s.adminPage(w, r, http.StatusOK, &Page{})
}

func (s *Server) addDomain(w http.ResponseWriter, r *http.Request) error {
	a := ksp.ActorFrom(r.Context())
	d := strings.TrimSpace(r.PostFormValue("domain"))
	p := &Page{Form: r.PostForm}
	if d == "" {
		p.Errors = []FormError{{"domain", "Enter a domain name, like example.org"}}
		return s.adminPage(w, r, http.StatusBadRequest, p)
	}
	_, err := s.store.AddDomain(r.Context(), a.OrgID, d)
	if c := ksp.ErrorCode(err); c == ksp.EINVALID || c == ksp.ECONFLICT {
		p.Errors = formErrors(err, map[string]string{"domain": "Domain"}, "domain")
		return s.adminPage(w, r, http.StatusBadRequest, p)
	}
	if err != nil {
		return err
	}
	s.flash(w, r, "success", fmt.Sprintf("Domain %s added. It routes URL alerts once verified.", strings.ToLower(d)))
	return redirect(w, r, "/admin")
}

// UsersData is the users page's content.
type UsersData struct {
	Org   *ksp.Org
	Users []*ksp.User
	Pager Pager
	Roles []ksp.Role
	Self  string
	// Own is set when the list is of the viewer's own org (staff also see
	// other orgs' users, from the staff pages).
	Own bool
}

var userLabels = map[string]string{"email": "Email address", "name": "Name", "role": "Role"}

// usersPath is the users list of orgID as the actor reaches it.
func usersPath(a *ksp.Actor, orgID string) string {
	if a.Staff && orgID != a.OrgID {
		return "/staff/orgs/" + orgID + "/users"
	}
	return "/admin/users"
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, status int, orgID string, p *Page) error {
	ctx := r.Context()
	a := ksp.ActorFrom(ctx)
	o, err := s.store.FindOrgByID(ctx, orgID)
	if err != nil {
		return err
	}
	users, next, err := s.store.FindUsers(ctx, orgID, ksp.Page{Limit: 100, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		return err
	}
	d := UsersData{Org: o, Users: users, Pager: pagerFor(r, next), Roles: ksp.Roles, Self: a.UserID, Own: orgID == a.OrgID}
	p.Title = "Users"
	if !d.Own {
		p.Title = "Users of " + o.Name
	}
	p.Data = d
	return s.render(w, r, status, "users.html", p)
}

func (s *Server) users(w http.ResponseWriter, r *http.Request) error {
	return s.usersPage(w, r, http.StatusOK, ksp.ActorFrom(r.Context()).OrgID, &Page{})
}

// sendInvitation mails an invitation link; when mail fails, it says so and
// returns the link for the inviter to pass on.
func (s *Server) sendInvitation(r *http.Request, inv *ksp.Invitation, orgName, inviter string) (string, error) {
	link := s.link(r, "/invitation", url.Values{"token": {inv.Token}})
	text := inviter + " invited you to KSP, the knowledge-sharing platform against terrorist use of the internet, as a member of " + orgName + ".\n\n" +
		"Set up your account here. The link works once, until " + inv.Expires.UTC().Format("2 January 2006 15:04 UTC") + ":\n\n" + link + "\n\n" +
		"If you did not expect this, ignore this mail.\n"
	err := s.cfg.Mailer.Send(r.Context(), ksp.Mail{To: inv.Email, Subject: "Your invitation to KSP", Text: text})
	if err != nil {
		s.log.Error("send invitation", "to_user", inv.UserID, "err", err)
		return link, err
	}
	return "", nil
}

func (s *Server) inviteUser(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := ksp.ActorFrom(ctx)
	nu := ksp.NewUser{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Role: ksp.Role(r.PostFormValue("role"))}
	u, inv, err := s.store.CreateUser(ctx, a.OrgID, nu)
	if c := ksp.ErrorCode(err); c == ksp.EINVALID || c == ksp.ECONFLICT {
		return s.usersPage(w, r, http.StatusBadRequest, a.OrgID, &Page{Form: r.PostForm, Errors: formErrors(err, userLabels, "email")})
	}
	if err != nil {
		return err
	}
	o, err := s.store.FindOrgByID(ctx, a.OrgID)
	if err != nil {
		return err
	}
	if link, err := s.sendInvitation(r, inv, o.Name, s.inviterName(r, u)); err != nil {
		s.flash(w, r, "warning", "We could not send the invitation mail to "+u.Email+". Give them this link yourself; it works once: "+link)
	} else {
		s.flash(w, r, "success", "Invitation sent to "+u.Email+".")
	}
	return redirect(w, r, "/admin/users")
}

func (s *Server) changeRole(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u, err := s.store.FindUserByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	role := ksp.Role(r.PostFormValue("role"))
	orgID := u.OrgID
	u, err = s.store.UpdateUser(ctx, u.ID, ksp.UserUpdate{Role: &role})
	if ksp.ErrorCode(err) == ksp.EINVALID {
		return s.usersPage(w, r, http.StatusBadRequest, orgID, &Page{Errors: formErrors(err, userLabels, "role")})
	}
	if err != nil {
		return err
	}
	s.flash(w, r, "success", fmt.Sprintf("%s is now %s.", u.Email, u.Role))
	return redirect(w, r, usersPath(ksp.ActorFrom(ctx), u.OrgID))
}

func (s *Server) removeUser(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	u, err := s.store.FindUserByID(r.Context(), id)
	if err != nil {
		return err
	}
	if err := s.store.DeleteUser(r.Context(), id); err != nil {
		return err
	}
	s.flash(w, r, "success", u.Email+" was removed; their keys were revoked and their sessions signed out.")
	return redirect(w, r, usersPath(ksp.ActorFrom(r.Context()), u.OrgID))
}

func (s *Server) orgKeys(w http.ResponseWriter, r *http.Request) error {
	return s.keysPage(w, r, http.StatusOK, true, &Page{})
}

func (s *Server) createOrgKey(w http.ResponseWriter, r *http.Request) error {
	return s.createKeyFor(w, r, true)
}

func (s *Server) revokeOrgKey(w http.ResponseWriter, r *http.Request) error {
	return s.revokeKeyFor(w, r, "/admin/keys")
}
