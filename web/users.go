package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
)

// This file holds what an org's admins (and staff) do for a user who is
// stuck: re-send an invitation that was lost or expired, reset a second
// factor whose device was lost.

// inviterName says who sends an invitation or resets a factor, as the mail
// to the user names them.
func (s *Server) inviterName(r *http.Request, u *ksp.User) string {
	ctx := r.Context()
	a := ksp.ActorFrom(ctx)
	if a.Staff && u.OrgID != ksp.StaffOrgID {
		return "The KSP secretariat"
	}
	if me, err := s.store.FindUserByID(ctx, a.UserID); err == nil && me.Name != "" {
		return me.Name
	}
	return "An admin"
}

func (s *Server) resendInvitation(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := ksp.ActorFrom(ctx)
	u, err := s.store.FindUserByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	back := usersPath(a, u.OrgID)
	inv, err := s.store.ResendInvitation(ctx, u.ID)
	if ksp.ErrorCode(err) == ksp.ECONFLICT {
		s.flash(w, r, "warning", ksp.ErrorMessage(err)+": there is no invitation to re-send.")
		return redirect(w, r, back)
	}
	if err != nil {
		return err
	}
	o, err := s.store.FindOrgByID(ctx, u.OrgID)
	if err != nil {
		return err
	}
	until := inv.Expires.UTC().Format("2 January 2006")
	if link, err := s.sendInvitation(r, inv, o.Name, s.inviterName(r, u)); err != nil {
		s.flash(w, r, "warning", "A new invitation for "+u.Email+" was made, but we could not mail it. Give them this link yourself; it works once, until "+until+": "+link)
	} else {
		s.flash(w, r, "success", "A new invitation was sent to "+u.Email+". It works until "+until+"; the link sent before no longer works.")
	}
	return redirect(w, r, back)
}

// ResetFactorData is the content of the page that resets a user's second
// factor.
type ResetFactorData struct {
	Target   *ksp.User
	Back     string
	Required bool
}

func (s *Server) resetFactorPage(w http.ResponseWriter, r *http.Request, status int, u *ksp.User, p *Page) error {
	a := ksp.ActorFrom(r.Context())
	if u.ID == a.UserID {
		return ksp.Errorf(ksp.EFORBIDDEN, "You cannot reset your own second factor. If you lost your device, sign in with a recovery code, or ask another admin or the programme's staff.")
	}
	p.Title = "Reset the second factor of " + u.Email
	p.Data = ResetFactorData{Target: u, Back: usersPath(a, u.OrgID), Required: ksp.SecondFactorRequired(u.OrgID == ksp.StaffOrgID, u.Role)}
	return s.render(w, r, status, "reset_factor.html", p)
}

func (s *Server) resetFactorForm(w http.ResponseWriter, r *http.Request) error {
	u, err := s.store.FindUserByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.resetFactorPage(w, r, http.StatusOK, u, &Page{})
}

var resetFactorLabels = map[string]string{"reason": "Reason"}

func (s *Server) resetFactor(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := ksp.ActorFrom(ctx)
	u, err := s.store.FindUserByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	p := &Page{Form: r.PostForm}
	if strings.TrimSpace(r.PostFormValue("reason")) == "" {
		p.Errors = []FormError{{"reason", "Enter why you are resetting this second factor, and how you checked who asked"}}
		return s.resetFactorPage(w, r, http.StatusBadRequest, u, p)
	}
	_, err = s.store.ResetSecondFactor(ctx, u.ID, r.PostFormValue("reason"))
	switch ksp.ErrorCode(err) {
	case "":
	case ksp.EINVALID:
		p.Errors = formErrors(err, resetFactorLabels, "reason")
		return s.resetFactorPage(w, r, http.StatusBadRequest, u, p)
	case ksp.ECONFLICT:
		s.flash(w, r, "warning", ksp.ErrorMessage(err)+".")
		return redirect(w, r, usersPath(a, u.OrgID))
	default:
		return err
	}
	required := ksp.SecondFactorRequired(u.OrgID == ksp.StaffOrgID, u.Role)
	next := "They can set up a second factor again from their account page."
	if required {
		next = "The next time they sign in, they must set up a new one before they can go on."
	}
	text := s.inviterName(r, u) + " reset the second factor of your KSP account " + u.Email + " on " + time.Now().UTC().Format("2 January 2006 at 15:04 UTC") + ".\n\n" +
		"The codes of your authenticator app and your recovery codes no longer work, and every session of your account was signed out. " + next + "\n\n" +
		"Sign in here: " + s.link(r, "/login", nil) + "\n\n" +
		"If you did not ask for this, tell your organisation's admin or the programme's staff at once, and change your password.\n"
	msg := "The second factor of " + u.Email + " was reset and their sessions were signed out. " + next
	if err := s.cfg.Mailer.Send(ctx, ksp.Mail{To: u.Email, Subject: "Your KSP second factor was reset", Text: text}); err != nil {
		s.log.Error("send second factor reset notice", "to_user", u.ID, "err", err)
		s.flash(w, r, "warning", msg+" We could not mail them about it: tell them yourself.")
	} else {
		s.flash(w, r, "success", msg+" They were told by mail.")
	}
	return redirect(w, r, usersPath(a, u.OrgID))
}
