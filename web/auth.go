package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
)

func (s *Server) registerAuth() {
	s.Handle("GET /login", Public, s.loginForm)
	s.Handle("POST /login", Public, s.login)
	s.Handle("GET /login/code", Public, s.codeForm)
	s.Handle("POST /login/code", Public, s.code)
	s.Handle("POST /logout", Public, s.logout)
	s.Handle("GET /password/forgot", Public, s.forgotForm)
	s.Handle("POST /password/forgot", Public, s.forgot)
	s.Handle("GET /password/reset", Public, s.resetForm)
	s.Handle("POST /password/reset", Public, s.reset)
	s.Handle("GET /invitation", Public, s.invitationForm)
	s.Handle("POST /invitation", Public, s.acceptInvitation)
}

var passwordLabels = map[string]string{"password": "Password", "confirm": "Confirm password", "token": "Link"}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) error {
	if state(r).active() != nil {
		return redirect(w, r, safeNext(r.URL.Query().Get("next")))
	}
	return s.render(w, r, http.StatusOK, "login.html", &Page{Title: "Sign in", Form: url.Values{"next": {r.URL.Query().Get("next")}}})
}

// throttled returns a form error when any of keys is locked.
func (s *Server) throttled(ctx context.Context, field string, keys ...string) (*FormError, error) {
	var until time.Time
	for _, k := range keys {
		u, err := s.store.ThrottleCheck(ctx, k)
		if err != nil {
			return nil, err
		}
		if u.After(until) {
			until = u
		}
	}
	if until.IsZero() {
		return nil, nil
	}
	mins := int(time.Until(until).Minutes()) + 1
	return &FormError{Field: field, Message: fmt.Sprintf("Too many failed attempts. For your security, try again in %d minutes, or reset your password.", mins)}, nil
}

// accountKey is the throttle key of an account, by its email address as
// typed at sign-in or as stored.
func accountKey(email string) string { return "email:" + normEmail(email) }

// failed counts a failed sign-in step (a wrong password or a wrong second
// factor) against the account and the address.
func (s *Server) failed(ctx context.Context, email, ip string) {
	if _, err := s.store.ThrottleFailure(ctx, accountKey(email), s.cfg.AccountThrottle); err != nil {
		s.log.Error("throttle", "err", err)
	}
	if _, err := s.store.ThrottleFailure(ctx, "ip:"+ip, s.cfg.AddressThrottle); err != nil {
		s.log.Error("throttle", "err", err)
	}
}

func (s *Server) clientIP(r *http.Request) string { return s.cfg.ClientIP(r).String() }

func normEmail(e string) string {
	if n, ok := ksp.NormalizeEmail(e); ok {
		return n
	}
	return strings.ToLower(strings.TrimSpace(e))
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	email, pw := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("password")
	p := &Page{Title: "Sign in", Form: r.PostForm}
	if email == "" {
		p.Errors = append(p.Errors, FormError{"email", "Enter your email address"})
	}
	if pw == "" {
		p.Errors = append(p.Errors, FormError{"password", "Enter your password"})
	}
	if len(p.Errors) > 0 {
		return s.render(w, r, http.StatusBadRequest, "login.html", p)
	}
	ip := s.clientIP(r)
	fe, err := s.throttled(ctx, "email", accountKey(email), "ip:"+ip)
	if err != nil {
		return err
	}
	if fe != nil {
		p.Errors = []FormError{*fe}
		return s.render(w, r, http.StatusTooManyRequests, "login.html", p)
	}
	u, err := s.store.Authenticate(ctx, email, pw)
	if ksp.ErrorCode(err) == ksp.EUNAUTHORIZED {
		s.failed(ctx, email, ip)
		p.Errors = []FormError{{"email", "The email address or the password is wrong"}}
		return s.render(w, r, http.StatusUnauthorized, "login.html", p)
	}
	if err != nil {
		return err
	}
	next := r.PostFormValue("next")
	st := ksp.SessionActive
	switch {
	case u.TOTP:
		st = ksp.SessionSecondFactor
	case ksp.SecondFactorRequired(u.OrgID == ksp.StaffOrgID, u.Role):
		st = ksp.SessionEnrol
	}
	// Only a full sign-in forgets the account's failures. Were the right
	// password enough, whoever has it could guess second-factor codes
	// without end, a few between each sign-in.
	if st == ksp.SessionActive {
		if err := s.store.ThrottleReset(ctx, accountKey(u.Email)); err != nil {
			return err
		}
	}
	token, _, err := s.store.CreateSession(ctx, ksp.NewSession{UserID: u.ID, State: st, IP: ip, UserAgent: r.UserAgent()})
	if err != nil {
		return err
	}
	s.setSession(w, token)
	switch st {
	case ksp.SessionSecondFactor:
		return redirect(w, r, "/login/code?next="+url.QueryEscape(next))
	case ksp.SessionEnrol:
		s.flash(w, r, "info", "Staff and organisation admins protect their accounts with a second factor. Set yours up to continue.")
		return redirect(w, r, "/account/two-factor")
	}
	return redirect(w, r, safeNext(next))
}

func (s *Server) pendingSecondFactor(r *http.Request) bool {
	st := state(r)
	return st.sess != nil && st.sess.State == ksp.SessionSecondFactor
}

func (s *Server) codeForm(w http.ResponseWriter, r *http.Request) error {
	if !s.pendingSecondFactor(r) {
		return redirect(w, r, "/login")
	}
	return s.render(w, r, http.StatusOK, "login_code.html", &Page{Title: "Enter your security code", Form: url.Values{"next": {r.URL.Query().Get("next")}}})
}

func (s *Server) code(w http.ResponseWriter, r *http.Request) error {
	if !s.pendingSecondFactor(r) {
		return redirect(w, r, "/login")
	}
	st := state(r)
	ctx := r.Context()
	p := &Page{Title: "Enter your security code", Form: r.PostForm}
	code := strings.TrimSpace(r.PostFormValue("code"))
	if code == "" {
		p.Errors = []FormError{{"code", "Enter the code from your authenticator app"}}
		return s.render(w, r, http.StatusBadRequest, "login_code.html", p)
	}
	u, err := s.store.FindUserByID(st.asUser(ctx), st.actor.UserID)
	if err != nil {
		return err
	}
	ip := s.clientIP(r)
	fe, err := s.throttled(ctx, "code", accountKey(u.Email), "ip:"+ip)
	if err != nil {
		return err
	}
	if fe != nil {
		p.Errors = []FormError{*fe}
		return s.render(w, r, http.StatusTooManyRequests, "login_code.html", p)
	}
	method, err := s.store.CheckSecondFactor(ctx, u.ID, code)
	if ksp.ErrorCode(err) == ksp.EUNAUTHORIZED {
		s.failed(ctx, u.Email, ip)
		p.Errors = []FormError{{"code", "The code is wrong or was already used. Enter the current code from your app"}}
		return s.render(w, r, http.StatusUnauthorized, "login_code.html", p)
	}
	if err != nil {
		return err
	}
	if err := s.store.ThrottleReset(ctx, accountKey(u.Email)); err != nil {
		return err
	}
	token, _, err := s.store.PromoteSession(ctx, st.sess.ID)
	if err != nil {
		return err
	}
	s.setSession(w, token)
	if method == ksp.FactorRecovery {
		left, err := s.store.RecoveryCodesLeft(st.asUser(ctx), u.ID)
		if err != nil {
			return err
		}
		s.flash(w, r, "warning", fmt.Sprintf("You signed in with a recovery code, which now no longer works. You have %d left: make new ones from your account page if you are running low.", left))
	}
	return redirect(w, r, safeNext(r.PostFormValue("next")))
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	st := state(r)
	if st.sess != nil {
		if err := s.store.RevokeSession(st.asUser(r.Context()), st.sess.ID); err != nil && ksp.ErrorCode(err) != ksp.ENOTFOUND {
			return err
		}
	}
	s.clearCookie(w, SessionCookie)
	s.flash(w, r, "success", "You have signed out.")
	return redirect(w, r, "/")
}

// ForgotData is the content of the forgotten-password page.
type ForgotData struct{ Sent bool }

func (s *Server) forgotForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "forgot.html", &Page{Title: "Reset your password", Data: ForgotData{}})
}

// Reset requests are throttled so that nobody floods a mailbox through us.
var (
	resetPerAddress = ksp.ThrottleRule{Max: 10, Window: time.Hour, Lock: time.Hour}
	resetPerAccount = ksp.ThrottleRule{Max: 3, Window: time.Hour, Lock: time.Hour}
)

func (s *Server) forgot(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	email := strings.TrimSpace(r.PostFormValue("email"))
	p := &Page{Title: "Reset your password", Form: r.PostForm, Data: ForgotData{}}
	norm, ok := ksp.NormalizeEmail(email)
	if !ok {
		p.Errors = []FormError{{"email", "Enter an email address in the correct format, like name@example.org"}}
		return s.render(w, r, http.StatusBadRequest, "forgot.html", p)
	}
	ipKey := "reset-ip:" + s.clientIP(r)
	fe, err := s.throttled(ctx, "email", ipKey)
	if err != nil {
		return err
	}
	if fe != nil {
		p.Errors = []FormError{*fe}
		return s.render(w, r, http.StatusTooManyRequests, "forgot.html", p)
	}
	if _, err := s.store.ThrottleFailure(ctx, ipKey, resetPerAddress); err != nil {
		return err
	}
	// Whatever happens next, the answer is the same: it must not tell
	// whether the address has an account.
	p.Data = ForgotData{Sent: true}
	until, err := s.store.ThrottleCheck(ctx, "reset:"+norm)
	if err != nil {
		return err
	}
	if until.IsZero() {
		if _, err := s.store.ThrottleFailure(ctx, "reset:"+norm, resetPerAccount); err != nil {
			return err
		}
		pr, err := s.store.CreatePasswordReset(ctx, norm)
		switch {
		case ksp.ErrorCode(err) == ksp.ENOTFOUND:
		case err != nil:
			return err
		default:
			link := s.link(r, "/password/reset", url.Values{"token": {pr.Token}})
			text := "Someone, hopefully you, asked to reset the password of the KSP account " + pr.Email + ".\n\n" +
				"Choose a new password here. The link works once, for one hour:\n\n" + link + "\n\n" +
				"If you did not ask for this, ignore this mail: your password stays as it is.\n"
			if err := s.cfg.Mailer.Send(ctx, ksp.Mail{To: pr.Email, Subject: "Reset your KSP password", Text: text}); err != nil {
				s.log.Error("send password reset", "err", err)
			}
		}
	}
	return s.render(w, r, http.StatusOK, "forgot.html", p)
}

// TokenData is the content of pages reached from a link in a mail.
type TokenData struct {
	Token   string
	Email   string
	Invalid bool
}

func (s *Server) resetForm(w http.ResponseWriter, r *http.Request) error {
	tok := r.URL.Query().Get("token")
	pr, err := s.store.FindPasswordReset(r.Context(), tok)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		return s.render(w, r, http.StatusNotFound, "reset.html", &Page{Title: "This link does not work", Data: TokenData{Invalid: true}})
	}
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "reset.html", &Page{Title: "Choose a new password", Data: TokenData{Token: tok, Email: pr.Email}})
}

// checkNewPassword checks a new password and its confirmation.
func checkNewPassword(pw, confirm string) []FormError {
	if reason := ksp.PasswordProblem(pw); reason != "" {
		return []FormError{{"password", "Password " + reason}}
	}
	if pw != confirm {
		return []FormError{{"confirm", "The two passwords are not the same"}}
	}
	return nil
}

func (s *Server) reset(w http.ResponseWriter, r *http.Request) error {
	tok := r.PostFormValue("token")
	pr, err := s.store.FindPasswordReset(r.Context(), tok)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		return s.render(w, r, http.StatusNotFound, "reset.html", &Page{Title: "This link does not work", Data: TokenData{Invalid: true}})
	}
	if err != nil {
		return err
	}
	p := &Page{Title: "Choose a new password", Form: r.PostForm, Data: TokenData{Token: tok, Email: pr.Email}}
	if p.Errors = checkNewPassword(r.PostFormValue("password"), r.PostFormValue("confirm")); p.Errors != nil {
		return s.render(w, r, http.StatusBadRequest, "reset.html", p)
	}
	if _, err := s.store.ResetPassword(r.Context(), tok, r.PostFormValue("password")); err != nil {
		if ksp.ErrorCode(err) == ksp.EINVALID {
			p.Errors = formErrors(err, passwordLabels, "password")
			return s.render(w, r, http.StatusBadRequest, "reset.html", p)
		}
		return err
	}
	s.clearCookie(w, SessionCookie)
	s.flash(w, r, "success", "Your password was changed and every session of your account was signed out. Sign in with your new password.")
	return redirect(w, r, "/login")
}

func (s *Server) invitationForm(w http.ResponseWriter, r *http.Request) error {
	tok := r.URL.Query().Get("token")
	inv, err := s.store.FindInvitation(r.Context(), tok)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		return s.render(w, r, http.StatusNotFound, "invitation.html", &Page{Title: "This invitation does not work", Data: TokenData{Invalid: true}})
	}
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "invitation.html", &Page{Title: "Set up your account", Data: TokenData{Token: tok, Email: inv.Email}})
}

func (s *Server) acceptInvitation(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	tok := r.PostFormValue("token")
	inv, err := s.store.FindInvitation(ctx, tok)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		return s.render(w, r, http.StatusNotFound, "invitation.html", &Page{Title: "This invitation does not work", Data: TokenData{Invalid: true}})
	}
	if err != nil {
		return err
	}
	p := &Page{Title: "Set up your account", Form: r.PostForm, Data: TokenData{Token: tok, Email: inv.Email}}
	if p.Errors = checkNewPassword(r.PostFormValue("password"), r.PostFormValue("confirm")); p.Errors != nil {
		return s.render(w, r, http.StatusBadRequest, "invitation.html", p)
	}
	u, err := s.store.AcceptInvitation(ctx, tok, r.PostFormValue("password"))
	if ksp.ErrorCode(err) == ksp.EINVALID {
		p.Errors = formErrors(err, passwordLabels, "password")
		return s.render(w, r, http.StatusBadRequest, "invitation.html", p)
	}
	if err != nil {
		return err
	}
	// The link proved the mailbox, as a reset link would: sign in now.
	st := ksp.SessionActive
	if ksp.SecondFactorRequired(u.OrgID == ksp.StaffOrgID, u.Role) && !u.TOTP {
		st = ksp.SessionEnrol
	}
	token, _, err := s.store.CreateSession(ctx, ksp.NewSession{UserID: u.ID, State: st, IP: s.clientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		return err
	}
	s.setSession(w, token)
	if st == ksp.SessionEnrol {
		s.flash(w, r, "success", "Your password is set. As an admin, you also protect your account with a second factor: set it up now.")
		return redirect(w, r, "/account/two-factor")
	}
	s.flash(w, r, "success", "Welcome to KSP. Your account is ready.")
	return redirect(w, r, "/dashboard")
}
