package web

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/qr"
	"github.com/kspplatform/ksp/internal/totp"
)

func (s *Server) registerAccount() {
	s.Handle("GET /account", SignedIn, s.account)
	s.Handle("POST /account/password", SignedIn, s.changePassword)
	// The second factor's setup is reachable from an enrolment session, so
	// these check the session themselves.
	s.Handle("GET /account/two-factor", Public, s.totpForm)
	s.Handle("POST /account/two-factor", Public, s.totpEnable)
	s.Handle("POST /account/two-factor/disable", SignedIn, s.totpDisable)
	s.Handle("POST /account/recovery-codes", SignedIn, s.recoveryCodes)
	s.Handle("POST /account/sessions/{id}/revoke", SignedIn, s.revokeSession)
	s.Handle("POST /account/sessions/revoke-others", SignedIn, s.revokeOtherSessions)
	s.Handle("GET /account/keys", SignedIn, s.ownKeys)
	s.Handle("POST /account/keys", SignedIn, s.createKey)
	s.Handle("POST /account/keys/{id}/revoke", SignedIn, s.revokeKey)
}

// AccountData is the account page's content.
type AccountData struct {
	Sessions     []SessionView
	Required     bool
	RecoveryLeft int
}

// SessionView is a session as the account page lists it.
type SessionView struct {
	*ksp.Session
	Current bool
	Device  string
}

// device names a browser from its User-Agent, roughly: enough to recognise
// one's own sessions.
func device(ua string) string {
	if ua == "" {
		return "Unknown device"
	}
	var b, os string
	switch {
	case strings.Contains(ua, "Edg/"):
		b = "Edge"
	case strings.Contains(ua, "Firefox/"):
		b = "Firefox"
	case strings.Contains(ua, "Chrome/"), strings.Contains(ua, "Chromium/"), strings.Contains(ua, "HeadlessChrome/"):
		b = "Chrome"
	case strings.Contains(ua, "Safari/"):
		b = "Safari"
	default:
		b = "Browser"
	}
	switch {
	case strings.Contains(ua, "Android"):
		os = "Android"
	case strings.Contains(ua, "iPhone"), strings.Contains(ua, "iPad"):
		os = "iOS"
	case strings.Contains(ua, "Windows"):
		os = "Windows"
	case strings.Contains(ua, "Mac OS"):
		os = "macOS"
	case strings.Contains(ua, "Linux"):
		os = "Linux"
	}
	if os == "" {
		return b
	}
	return b + " on " + os
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, status int, p *Page) error {
	ctx := r.Context()
	a := ksp.ActorFrom(ctx)
	st := state(r)
	sessions, err := s.store.FindSessions(ctx, a.UserID)
	if err != nil {
		return err
	}
	d := AccountData{Required: ksp.SecondFactorRequired(a.Staff, a.Role)}
	for _, x := range sessions {
		d.Sessions = append(d.Sessions, SessionView{Session: x, Current: x.ID == st.sess.ID, Device: device(x.UserAgent)})
	}
	if d.RecoveryLeft, err = s.store.RecoveryCodesLeft(ctx, a.UserID); err != nil {
		return err
	}
	p.Title = "Your account"
	p.Data = d
	return s.render(w, r, status, "account.html", p)
}

func (s *Server) account(w http.ResponseWriter, r *http.Request) error {
	return s.accountPage(w, r, http.StatusOK, &Page{})
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := ksp.ActorFrom(ctx)
	u, err := s.store.FindUserByID(ctx, a.UserID)
	if err != nil {
		return err
	}
	p := &Page{Form: r.PostForm}
	cur := r.PostFormValue("current")
	if cur == "" {
		p.Errors = []FormError{{"current", "Enter your current password"}}
		return s.accountPage(w, r, http.StatusBadRequest, p)
	}
	ip := s.clientIP(r)
	fe, err := s.throttled(ctx, "current", accountKey(u.Email), "ip:"+ip)
	if err != nil {
		return err
	}
	if fe != nil {
		p.Errors = []FormError{*fe}
		return s.accountPage(w, r, http.StatusTooManyRequests, p)
	}
	if _, err := s.store.Authenticate(ctx, u.Email, cur); err != nil {
		if ksp.ErrorCode(err) != ksp.EUNAUTHORIZED {
			return err
		}
		s.failed(ctx, u.Email, ip)
		p.Errors = []FormError{{"current", "Your current password is wrong"}}
		return s.accountPage(w, r, http.StatusBadRequest, p)
	}
	if p.Errors = checkNewPassword(r.PostFormValue("password"), r.PostFormValue("confirm")); p.Errors != nil {
		return s.accountPage(w, r, http.StatusBadRequest, p)
	}
	if err := s.store.SetPassword(ctx, u.ID, r.PostFormValue("password")); err != nil {
		return err
	}
	if err := s.store.RevokeSessions(ctx, u.ID, state(r).sess.ID); err != nil {
		return err
	}
	s.flash(w, r, "success", "Your password was changed. Your other sessions were signed out.")
	return redirect(w, r, "/account")
}

// TOTPData is the content of the second-factor setup page.
type TOTPData struct {
	Secret  string
	Grouped string
	URI     template.URL // otpauth:, which html/template would otherwise refuse
	// QR is the URI as a QR code, inline SVG drawn here (no script, no
	// outside request); empty when the URI is too long for one.
	QR    template.HTML
	Email string
	Codes []string
	Enrol bool
}

// totpUser returns the session's user for the setup pages, which an
// enrolment session may open too.
func (s *Server) totpUser(r *http.Request) (*ksp.User, bool, error) {
	st := state(r)
	if st.sess == nil || (st.sess.State != ksp.SessionActive && st.sess.State != ksp.SessionEnrol) {
		return nil, false, nil
	}
	u, err := s.store.FindUserByID(st.asUser(r.Context()), st.actor.UserID)
	return u, err == nil, err
}

func (s *Server) totpForm(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.totpUser(r)
	if err != nil {
		return err
	}
	if !ok {
		return redirect(w, r, "/login?next=/account/two-factor")
	}
	if u.TOTP {
		s.flash(w, r, "info", "Your second factor is already on.")
		return redirect(w, r, "/account")
	}
	sec := totp.NewSecret()
	return s.render(w, r, http.StatusOK, "totp.html", &Page{Title: "Set up your second factor", Data: s.totpData(r, u, sec)})
}

// totpIssuer names KSP in authenticator apps.
const totpIssuer = "KSP"

func (s *Server) totpData(r *http.Request, u *ksp.User, sec string) TOTPData {
	uri := totp.URI(totpIssuer, u.Email, sec)
	d := TOTPData{Secret: sec, Grouped: totp.Group(sec), URI: template.URL(uri), Email: u.Email, Enrol: state(r).sess.State == ksp.SessionEnrol}
	code, err := qr.Encode([]byte(uri))
	if err != nil {
		// A very long email address: the key is still there to type.
		s.log.Info("second factor setup without a QR code", "user", u.ID, "err", err)
		return d
	}
	// The SVG is built here from escaped text, so it is safe as HTML.
	d.QR = template.HTML(code.SVG("QR code to scan with your authenticator app. It holds the same setup key as the text below, for the account " + u.Email + "."))
	return d
}

func (s *Server) totpEnable(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.totpUser(r)
	if err != nil {
		return err
	}
	if !ok {
		return redirect(w, r, "/login")
	}
	st := state(r)
	sec := r.PostFormValue("secret")
	if _, err := totp.CodeAt(sec, 0); err != nil {
		sec = totp.NewSecret()
	}
	p := &Page{Title: "Set up your second factor", Form: r.PostForm, Data: s.totpData(r, u, sec)}
	if strings.TrimSpace(r.PostFormValue("code")) == "" {
		p.Errors = []FormError{{"code", "Enter the 6-digit code your app shows"}}
		return s.render(w, r, http.StatusBadRequest, "totp.html", p)
	}
	codes, err := s.store.EnableTOTP(st.asUser(r.Context()), u.ID, sec, r.PostFormValue("code"))
	if ksp.ErrorCode(err) == ksp.EINVALID {
		p.Errors = []FormError{{"code", "The code does not match. Check that your device's clock is right and enter the code your app shows now"}}
		return s.render(w, r, http.StatusBadRequest, "totp.html", p)
	}
	if err != nil {
		return err
	}
	if st.sess.State == ksp.SessionEnrol {
		token, _, err := s.store.PromoteSession(r.Context(), st.sess.ID)
		if err != nil {
			return err
		}
		// Password and a working second factor: the sign-in is complete.
		if err := s.store.ThrottleReset(r.Context(), accountKey(u.Email)); err != nil {
			return err
		}
		s.setSession(w, token)
		sess, a, err := s.store.SessionByToken(r.Context(), token)
		if err != nil {
			return err
		}
		st.sess, st.actor, st.token = sess, a, token
		r = r.WithContext(ksp.NewContext(r.Context(), a))
	}
	return s.render(w, r, http.StatusOK, "recovery.html", &Page{Title: "Save your recovery codes",
		Notices: []Notice{{Kind: "success", Text: "Your second factor is on. From now on, signing in asks for a code from your app."}},
		Data:    TOTPData{Codes: codes, Email: u.Email}})
}

func (s *Server) totpDisable(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := ksp.ActorFrom(ctx)
	u, err := s.store.FindUserByID(ctx, a.UserID)
	if err != nil {
		return err
	}
	p := &Page{Form: r.PostForm}
	if _, err := s.store.Authenticate(ctx, u.Email, r.PostFormValue("disable_password")); err != nil {
		if ksp.ErrorCode(err) != ksp.EUNAUTHORIZED {
			return err
		}
		s.failed(ctx, u.Email, s.clientIP(r))
		p.Errors = []FormError{{"disable_password", "Your password is wrong"}}
		return s.accountPage(w, r, http.StatusBadRequest, p)
	}
	if err := s.store.DisableTOTP(ctx, u.ID); err != nil {
		return err
	}
	s.flash(w, r, "success", "Your second factor is off. Signing in now needs your password only.")
	return redirect(w, r, "/account")
}

func (s *Server) recoveryCodes(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := ksp.ActorFrom(ctx)
	codes, err := s.store.NewRecoveryCodes(ctx, a.UserID)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "recovery.html", &Page{Title: "Save your recovery codes",
		Notices: []Notice{{Kind: "success", Text: "New recovery codes made. Your old ones no longer work."}},
		Data:    TOTPData{Codes: codes}})
}

func (s *Server) revokeSession(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.store.RevokeSession(r.Context(), id); err != nil {
		return err
	}
	if id == state(r).sess.ID {
		s.clearCookie(w, SessionCookie)
		s.flash(w, r, "success", "You have signed out.")
		return redirect(w, r, "/")
	}
	s.flash(w, r, "success", "That session was signed out.")
	return redirect(w, r, "/account")
}

func (s *Server) revokeOtherSessions(w http.ResponseWriter, r *http.Request) error {
	a := ksp.ActorFrom(r.Context())
	if err := s.store.RevokeSessions(r.Context(), a.UserID, state(r).sess.ID); err != nil {
		return err
	}
	s.flash(w, r, "success", "Every other session of your account was signed out.")
	return redirect(w, r, "/account")
}

// KeysData is the API keys page's content.
type KeysData struct {
	Keys    []KeyView
	Pager   Pager
	Allowed []ksp.Scope
	New     *ksp.APIKey
	OrgWide bool
	Action  string
	// Suspended hides the form: a suspended org's people create no keys
	// (they may still revoke them).
	Suspended bool
}

// KeyView is a key as listed.
type KeyView struct {
	*ksp.APIKey
	Owner string
}

var keyLabels = map[string]string{"name": "Name", "scopes": "Permissions", "expires": "Expires", "expires_at": "Expires"}

func (s *Server) keysPage(w http.ResponseWriter, r *http.Request, status int, orgWide bool, p *Page) error {
	ctx := r.Context()
	a := ksp.ActorFrom(ctx)
	pg := ksp.Page{Limit: 50, Cursor: r.URL.Query().Get("cursor")}
	keys, next, err := s.store.FindAPIKeys(ctx, ksp.APIKeyFilter{OrgWide: orgWide, Page: pg})
	if err != nil {
		return err
	}
	owners := map[string]string{}
	if orgWide {
		users, _, err := s.store.FindUsers(ctx, a.OrgID, ksp.Page{Limit: ksp.MaxLimit})
		if err != nil {
			return err
		}
		for _, u := range users {
			owners[u.ID] = u.Email
		}
	}
	d, _ := p.Data.(KeysData)
	d.OrgWide, d.Pager, d.Allowed, d.Suspended = orgWide, pagerFor(r, next), ksp.AllowedScopes(a.Staff, a.OrgKind, a.Role), a.Suspended
	d.Action = "/account/keys"
	if orgWide {
		d.Action = "/admin/keys"
	}
	for _, k := range keys {
		owner := owners[k.UserID]
		if owner == "" {
			owner = "removed user"
		}
		d.Keys = append(d.Keys, KeyView{APIKey: k, Owner: owner})
	}
	p.Data = d
	p.Title = "API keys"
	if orgWide {
		p.Title = "Your organisation's API keys"
	}
	return s.render(w, r, status, "keys.html", p)
}

func (s *Server) ownKeys(w http.ResponseWriter, r *http.Request) error {
	return s.keysPage(w, r, http.StatusOK, false, &Page{})
}

func (s *Server) createKeyFor(w http.ResponseWriter, r *http.Request, orgWide bool) error {
	ctx := r.Context()
	a := ksp.ActorFrom(ctx)
	if err := r.ParseForm(); err != nil {
		return ksp.Errorf(ksp.EINVALID, "unreadable form")
	}
	nk := ksp.NewAPIKey{Name: r.PostFormValue("name")}
	allowed := ksp.AllowedScopes(a.Staff, a.OrgKind, a.Role)
	for _, v := range r.PostForm["scopes"] {
		if sc := ksp.Scope(v); slices.Contains(allowed, sc) {
			nk.Scopes = append(nk.Scopes, sc)
		}
	}
	p := &Page{Form: r.PostForm}
	if strings.TrimSpace(nk.Name) == "" {
		p.Errors = append(p.Errors, FormError{"name", "Enter a name that says what the key is for"})
	}
	if len(nk.Scopes) == 0 {
		p.Errors = append(p.Errors, FormError{"scopes", "Choose at least one permission"})
	}
	if d := r.PostFormValue("expires"); d != "" && d != "never" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 3650 {
			p.Errors = append(p.Errors, FormError{"expires", "Choose when the key expires"})
		} else {
			t := ksp.T(ksp.Now().Add(time.Duration(n) * 24 * time.Hour))
			nk.Expires = &t
		}
	}
	if len(p.Errors) > 0 {
		return s.keysPage(w, r, http.StatusBadRequest, orgWide, p)
	}
	k, err := s.store.CreateAPIKey(ctx, nk)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		p.Errors = formErrors(err, keyLabels, "name")
		return s.keysPage(w, r, http.StatusBadRequest, orgWide, p)
	}
	if err != nil {
		return err
	}
	p.Form = nil
	p.Notices = []Notice{{Kind: "success", Text: fmt.Sprintf("API key %q created with the permissions %s.", k.Name, joinScopes(k.Scopes))}}
	p.Data = KeysData{New: k}
	return s.keysPage(w, r, http.StatusOK, orgWide, p)
}

func joinScopes(sc []ksp.Scope) string {
	out := make([]string, len(sc))
	for i, x := range sc {
		out[i] = string(x)
	}
	return strings.Join(out, ", ")
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request) error {
	return s.createKeyFor(w, r, false)
}

func (s *Server) revokeKeyFor(w http.ResponseWriter, r *http.Request, back string) error {
	if err := s.store.RevokeAPIKey(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	s.flash(w, r, "success", "The key was revoked. Programs using it are refused from now on.")
	return redirect(w, r, back)
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) error {
	return s.revokeKeyFor(w, r, "/account/keys")
}
