// Package web is KSP's HTML interface: server-rendered html/template pages
// that work without JavaScript, one small stylesheet, assets embedded in the
// binary.
//
// Adding a page: write web/templates/NAME.html defining "content" (the
// layout adds header, navigation, notices and the error summary), a handler
// func(w, r) error in a web/*.go file, and register it in a registerX
// method called from registerCore (pages.go):
//
//	s.Handle("GET /signals", SignedIn, s.signals)
//	s.AddNav(NavItem{Label: "Signals", Path: "/signals", Show: SignedIn})
//
// and in the handler:
//
//	return s.render(w, r, http.StatusOK, "signals.html", &Page{Title: "Signals", Data: data})
//
// The layout fills in the signed-in user, navigation, notices and the CSRF
// token; every POST form must carry {{template "csrf" .}}. Form fields use
// {{template "field" (field . "name" "Label" "type=email" "hint=…")}}, which
// keeps the input and shows the field's error from Page.Errors. Errors
// returned by handlers become error pages (a ksp.Error's code picks the
// status). Dashboard blocks are added with AddPanel.
package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/filehash"
	"github.com/kspplatform/ksp/webhook"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Cookie names.
const (
	SessionCookie = "ksp_session"
	csrfCookie    = "ksp_csrf"
	flashCookie   = "ksp_flash"
	csrfField     = "csrf"
)

// Config holds the web interface's settings.
type Config struct {
	// PublicURL is where members reach the server ("https://ksp.example");
	// links in mail use it, and an https URL makes cookies Secure.
	PublicURL string
	// Mailer delivers invitations and password resets.
	Mailer ksp.Mailer
	// ClientIP returns a request's client address (httpapi's, which
	// believes X-Forwarded-For only from --trusted-proxy addresses).
	ClientIP func(r *http.Request) netip.Addr
	// AccountThrottle and AddressThrottle limit failed sign-ins per account
	// and per client address (defaults: 5 and 30 in 15 minutes).
	AccountThrottle, AddressThrottle ksp.ThrottleRule
	// ApplyThrottle limits applications per client address (10 an hour).
	ApplyThrottle ksp.ThrottleRule
	// Matcher answers "check an image" and is synced after every write to
	// the hash bank, so that matching reflects it at once. Without one the
	// check page says matching is unavailable.
	Matcher ksp.Matcher
	// MaxImageBytes bounds an image uploaded to "check an image" (default
	// 32 MiB); MaxPixels bounds its width × height (default filehash's 100
	// megapixels), checked before decoding.
	MaxImageBytes int64
	MaxPixels     int64
	// DecodeBudget bounds the memory of concurrent image decodes (share
	// the API's); a check that waits out its wait for a share is told to
	// try again. Nil: a budget of filehash.DefaultDecodeMemory for this
	// server alone.
	DecodeBudget *filehash.MemoryBudget
	// DomainChecker proves control of the domains an org claims; without
	// it the admin page leaves verification to staff.
	DomainChecker ksp.DomainChecker
	// WebhookTargets vets a webhook's target at registration; the zero
	// value refuses non-public targets.
	WebhookTargets webhook.Targets
}

// Access says who may open a page.
type Access int

// Access levels of pages.
const (
	// Public pages are for anyone.
	Public Access = iota
	// SignedIn pages need an active session.
	SignedIn
	// AdminOnly pages need an org admin (or staff).
	AdminOnly
	// StaffOnly pages are for the secretariat.
	StaffOnly
)

// HandlerFunc is a page handler. A returned error is shown as an error page.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// NavItem is one entry of the header's navigation.
type NavItem struct {
	Label string
	Path  string
	Show  Access
}

// navOrder is the order of UX.md's sections; items added later slot in.
var navOrder = []string{"Dashboard", "Library", "Entities", "Signals", "Check an image", "Cases", "Alerts", "Incidents", "Community", "Events", "Self-assessment", "Transparency", "Admin", "Staff"}

// Server serves the HTML interface.
type Server struct {
	store  ksp.Store
	cfg    Config
	log    *slog.Logger
	mux    *http.ServeMux
	pages  map[string]*template.Template
	assets map[string]string // file name → "?v=hash" URL
	nav    []NavItem
	panels []Panel
	secure bool
	cop    *http.CrossOriginProtection

	keyMu sync.Mutex
	keys  map[string][]byte
}

// Panel is a block on the dashboard that a later feature adds (alerts to
// answer, incidents…). Render returns its HTML (see Fragment), or "" to
// hide the panel.
type Panel struct {
	Title  string
	Render func(r *http.Request) (template.HTML, error)
}

// New builds the web interface.
func New(store ksp.Store, cfg Config, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.Default()
	}
	if cfg.ClientIP == nil {
		cfg.ClientIP = remoteAddr
	}
	if cfg.AccountThrottle.Max == 0 {
		cfg.AccountThrottle = ksp.ThrottleRule{Max: 5, Window: 15 * time.Minute, Lock: 15 * time.Minute}
	}
	if cfg.AddressThrottle.Max == 0 {
		cfg.AddressThrottle = ksp.ThrottleRule{Max: 30, Window: 15 * time.Minute, Lock: 15 * time.Minute}
	}
	if cfg.ApplyThrottle.Max == 0 {
		cfg.ApplyThrottle = ksp.ThrottleRule{Max: 10, Window: time.Hour, Lock: time.Hour}
	}
	if cfg.MaxImageBytes == 0 {
		cfg.MaxImageBytes = 32 << 20
	}
	if cfg.DecodeBudget == nil {
		cfg.DecodeBudget = filehash.NewMemoryBudget(filehash.DefaultDecodeMemory, filehash.DefaultDecodeWait)
	}
	if cfg.Mailer == nil {
		return nil, errors.New("web: a mailer is required")
	}
	cfg.PublicURL = strings.TrimSuffix(cfg.PublicURL, "/")
	s := &Server{store: store, cfg: cfg, log: log, mux: http.NewServeMux(), keys: map[string][]byte{},
		secure: strings.HasPrefix(cfg.PublicURL, "https://"), cop: http.NewCrossOriginProtection()}
	if err := s.loadAssets(); err != nil {
		return nil, err
	}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	s.mux.Handle("GET /static/", http.HandlerFunc(s.serveStatic))
	s.registerCore()
	return s, nil
}

func remoteAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// Handle registers a page. Unsafe methods are checked for CSRF before h
// runs; access is checked against the session.
func (s *Server) Handle(pattern string, access Access, h HandlerFunc) {
	s.mux.Handle(pattern, s.wrap(access, h))
}

// AddNav adds an item to the header's navigation, in UX.md's order.
func (s *Server) AddNav(it NavItem) {
	s.nav = append(s.nav, it)
	rank := func(l string) int {
		if i := slices.Index(navOrder, l); i >= 0 {
			return i
		}
		return len(navOrder)
	}
	slices.SortStableFunc(s.nav, func(a, b NavItem) int { return rank(a.Label) - rank(b.Label) })
}

// AddPanel adds a dashboard panel.
func (s *Server) AddPanel(p Panel) { s.panels = append(s.panels, p) }

// HasPage reports whether a GET page is registered at path (the home page
// links to the library and transparency reports once they exist).
func (s *Server) HasPage(p string) bool {
	for _, it := range s.nav {
		if it.Path == p {
			return true
		}
	}
	return false
}

// ServeHTTP serves the interface.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
	if s.secure {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	s.mux.ServeHTTP(w, r)
}

// reqState is what the middleware learnt about a request.
type reqState struct {
	sess    *ksp.Session
	actor   *ksp.Actor // the session's user, whatever the session's state
	user    *ksp.User
	token   string // the session cookie's value, even when it is stale
	nonce   string // the CSRF cookie's value
	flashes []Notice
}

type stateKey struct{}

func state(r *http.Request) *reqState {
	if st, ok := r.Context().Value(stateKey{}).(*reqState); ok {
		return st
	}
	return &reqState{}
}

// active returns the actor of an active session, or nil.
func (st *reqState) active() *ksp.Actor {
	if st.sess != nil && st.sess.State == ksp.SessionActive {
		return st.actor
	}
	return nil
}

// asUser returns ctx acting for the session's user, whatever its state
// (enrolment and second-factor pages act before the session is active).
func (st *reqState) asUser(ctx context.Context) context.Context {
	return ksp.NewContext(ctx, st.actor)
}

func (s *Server) wrap(access Access, h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		st := &reqState{}
		stale := false
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			st.token = c.Value
			sess, a, err := s.store.SessionByToken(r.Context(), c.Value)
			switch {
			case err == nil:
				st.sess, st.actor = sess, a
			case ksp.ErrorCode(err) == ksp.EUNAUTHORIZED:
				s.clearCookie(w, SessionCookie)
				stale = true
			default:
				s.fail(w, r, err)
				return
			}
		}
		if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 32 {
			st.nonce = c.Value
		}
		ctx := context.WithValue(r.Context(), stateKey{}, st)
		if a := st.active(); a != nil {
			ctx = ksp.NewContext(ctx, a)
		}
		r = r.WithContext(ctx)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := s.checkCSRF(r); err != nil {
				s.log.Warn("csrf check failed", "path", r.URL.Path, "err", err, "ip", s.cfg.ClientIP(r).String())
				s.errorPage(w, r, http.StatusForbidden, "This form has expired",
					"For your security, forms only work for a while and only from this site. Go back, reload the page and try again.")
				return
			}
		}
		if stale {
			// The form that brought a stale cookie was checked against it;
			// forms rendered now must match the browser without it.
			st.token = ""
		}
		if st.nonce == "" {
			st.nonce = ksp.RandomToken(16)
			http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: st.nonce, Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
		}
		st.flashes = s.readFlash(w, r)
		if !s.allowed(w, r, st, access) {
			return
		}
		if st.active() != nil {
			w.Header().Set("Cache-Control", "no-store")
		}
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
		s.log.Debug("page", "method", r.Method, "path", r.URL.Path, "duration_ms", float64(time.Since(start).Microseconds())/1000, "actor", st.active().AuditName())
	})
}

// allowed applies access, redirecting to sign-in (or to the pending step of
// a sign-in) when needed.
func (s *Server) allowed(w http.ResponseWriter, r *http.Request, st *reqState, access Access) bool {
	if access == Public {
		return true
	}
	if st.sess != nil {
		switch st.sess.State {
		case ksp.SessionEnrol:
			http.Redirect(w, r, "/account/two-factor", http.StatusSeeOther)
			return false
		case ksp.SessionSecondFactor:
			http.Redirect(w, r, "/login/code", http.StatusSeeOther)
			return false
		}
	}
	a := st.active()
	if a == nil {
		next := ""
		if r.Method == http.MethodGet {
			next = "?next=" + url.QueryEscape(r.URL.RequestURI())
		}
		http.Redirect(w, r, "/login"+next, http.StatusSeeOther)
		return false
	}
	switch {
	case access == StaffOnly && !a.Staff:
		s.errorPage(w, r, http.StatusNotFound, "Page not found", "There is no page at this address.")
		return false
	case access == AdminOnly && !a.HasRole(ksp.RoleAdmin):
		s.errorPage(w, r, http.StatusForbidden, "Organisation admins only", "Ask an admin of your organisation to do this.")
		return false
	}
	return true
}

// key returns a named secret shared by all replicas (cached: it never
// changes once created).
func (s *Server) key(ctx context.Context, name string) ([]byte, error) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if k, ok := s.keys[name]; ok {
		return k, nil
	}
	k, err := s.store.Secret(ctx, "web-"+name)
	if err != nil {
		return nil, fmt.Errorf("web: %s key: %w", name, err)
	}
	s.keys[name] = k
	return k, nil
}

func (s *Server) mac(ctx context.Context, name string, parts ...string) (string, error) {
	k, err := s.key(ctx, name)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, k)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)), nil
}

// csrfToken is the form token: an HMAC, under a key kept in the database,
// of the CSRF cookie's nonce and the session cookie. A token is worth
// nothing to anyone without both cookies, and stops working at sign-in and
// sign-out.
func (s *Server) csrfToken(r *http.Request) (string, error) {
	st := state(r)
	return s.mac(r.Context(), "csrf", st.nonce, st.token)
}

func (s *Server) checkCSRF(r *http.Request) error {
	if err := s.cop.Check(r); err != nil {
		return fmt.Errorf("cross-origin: %w", err)
	}
	st := state(r)
	if st.nonce == "" {
		return errors.New("no csrf cookie")
	}
	want, err := s.csrfToken(r)
	if err != nil {
		return err
	}
	got := r.PostFormValue(csrfField)
	if !hmac.Equal([]byte(got), []byte(want)) {
		return errors.New("csrf token mismatch")
	}
	return nil
}

// Notice is a banner: a confirmation, a warning, or an incident.
type Notice struct {
	Kind string `json:"k"` // success, info, warning
	Text string `json:"t"`
}

// flash queues a notice for the next page (after a redirect).
func (s *Server) flash(w http.ResponseWriter, r *http.Request, kind, text string) {
	js, _ := json.Marshal([]Notice{{Kind: kind, Text: text}})
	v := base64.RawURLEncoding.EncodeToString(js)
	sig, err := s.mac(r.Context(), "cookie", "flash", v)
	if err != nil {
		s.log.Error("flash", "err", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: v + "." + sig, Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: 300})
}

func (s *Server) readFlash(w http.ResponseWriter, r *http.Request) []Notice {
	c, err := r.Cookie(flashCookie)
	if err != nil || r.Method != http.MethodGet {
		return nil
	}
	s.clearCookie(w, flashCookie)
	v, sig, ok := strings.Cut(c.Value, ".")
	if !ok {
		return nil
	}
	want, err := s.mac(r.Context(), "cookie", "flash", v)
	if err != nil || !hmac.Equal([]byte(sig), []byte(want)) {
		return nil
	}
	js, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil
	}
	var out []Notice
	if json.Unmarshal(js, &out) != nil {
		return nil
	}
	return out
}

func (s *Server) setSession(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
		MaxAge: int(ksp.SessionLifetime.Seconds())})
}

func (s *Server) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// AuthenticateAPI is httpapi.Server's Authenticate hook: the JSON API and
// the live feed accept an active session cookie. Unsafe methods must come
// from this site (the API takes no CSRF token; browsers tell us the origin).
func (s *Server) AuthenticateAPI(r *http.Request) (*ksp.Actor, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	sess, a, err := s.store.SessionByToken(r.Context(), c.Value)
	if ksp.ErrorCode(err) == ksp.EUNAUTHORIZED || (err == nil && sess.State != ksp.SessionActive) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := s.cop.Check(r); err != nil {
		return nil, ksp.Errorf(ksp.EFORBIDDEN, "cross-origin request refused")
	}
	return a, nil
}

// link makes an absolute link for mail.
func (s *Server) link(r *http.Request, p string, q url.Values) string {
	base := s.cfg.PublicURL
	if base == "" {
		base = "http://localhost"
	}
	u := base + p
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

func (s *Server) loadAssets() error {
	s.assets = map[string]string{}
	return fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		name := strings.TrimPrefix(p, "static/")
		s.assets[name] = "/static/" + name + "?v=" + base64.RawURLEncoding.EncodeToString(sum[:6])
		return nil
	})
}

func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request) {
	name := path.Clean(strings.TrimPrefix(r.URL.Path, "/static/"))
	if _, ok := s.assets[name]; !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.URL.Query().Get("v") != "" {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	http.ServeFileFS(w, r, staticFS, "static/"+name)
}

// Stylesheet returns the embedded stylesheet (the accessibility check reads
// its colours).
func Stylesheet() string {
	b, _ := staticFS.ReadFile("static/style.css")
	return string(b)
}

// SetPublicURL sets the URL links in mail point to, once the server knows
// it (serve learns its address only when it starts listening). Call it
// before serving.
func (s *Server) SetPublicURL(u string) {
	s.cfg.PublicURL = strings.TrimSuffix(u, "/")
	s.secure = strings.HasPrefix(s.cfg.PublicURL, "https://")
}
