// Package httpapi is KSP's JSON API under /api/v1: one route table (which
// also generates the OpenAPI document), one authentication and authorisation
// middleware, one mapping of errors to statuses.
package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/filehash"
	"github.com/kspplatform/ksp/webhook"
)

// Config holds the API's settings.
type Config struct {
	// BodyLimit bounds request bodies (DefaultBodyLimit when 0).
	BodyLimit int64
	// KeyRate and KeyBurst limit requests per credential per second.
	KeyRate, KeyBurst float64
	// IPRate and IPBurst limit anonymous requests per client address.
	IPRate, IPBurst float64
	// ApplyPerHour limits membership applications per client address.
	ApplyPerHour float64
	// MetricsToken, when set, lets non-loopback clients read /metrics.
	MetricsToken string
	// TrustedProxies are the addresses whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// Ready reports extra readiness conditions (the index loaded…).
	Ready func(ctx context.Context) error
	// Matcher answers match queries; writes to the bank call its Sync so
	// that matches reflect them at once.
	Matcher ksp.Matcher
	// MaxImageBytes bounds uploaded images (default 32 MiB); MaxPixels
	// bounds their decoded size (default 100 megapixels).
	MaxImageBytes int64
	MaxPixels     int64
	// DecodeBudget bounds the memory of concurrent image decodes; an
	// upload that waits out its wait for a share is 503 unavailable. Share
	// one with the web interface. Nil: a budget of
	// filehash.DefaultDecodeMemory for this server alone.
	DecodeBudget *filehash.MemoryBudget
	// BatchBodyLimit bounds bulk submissions (default 256 MiB).
	BatchBodyLimit int64
	// EventsKeepAlive is the live feed's keep-alive interval (default 15 s).
	EventsKeepAlive time.Duration
	// DomainChecker proves control of claimed domains; without it only
	// staff confirm domains.
	DomainChecker ksp.DomainChecker
	// WebhookTargets vets a webhook's target at registration; the zero
	// value refuses non-public targets.
	WebhookTargets webhook.Targets
}

// Server serves the JSON API.
type Server struct {
	store   ksp.Store
	cfg     Config
	log     *slog.Logger
	routes  []*Route
	mux     *http.ServeMux
	keyRL   *limiter
	ipRL    *limiter
	applyRL *limiter
	reg     *prometheus.Registry
	reqs    *prometheus.CounterVec
	dur     *prometheus.HistogramVec
	// Authenticate resolves a request's actor from anything other than an
	// API key (the web package's session cookie). It returns nil, nil when
	// the request carries no such credential.
	Authenticate func(r *http.Request) (*ksp.Actor, error)

	openapiOnce sync.Once
	openapiDoc  []byte
}

// Route is one entry of the route table.
type Route struct {
	Method, Path string
	Summary      string
	// Public routes need no credential; every other route names the
	// minimum role (or Staff) and the key scope it needs, staff routes
	// included (the route table test fails a route without one).
	Public bool
	// Anonymous routes also answer requests without credentials (the
	// store then shows what anyone may see: public items); a credential,
	// when presented, is checked for Role and Scope as on any route.
	Anonymous bool
	Staff     bool
	Role      ksp.Role
	Scope     ksp.Scope
	// Req and Resp are zero values of the request and response bodies, for
	// the OpenAPI document. List marks a paged list of Resp.
	Req, Resp any
	List      bool
	Status    int
	// Query documents accepted query parameters.
	Query []string
	// BodyLimit overrides the server's body limit for this route.
	BodyLimit int64
	// RawBody marks a request body that is not JSON (documented as
	// ReqType).
	ReqType string
	handler func(r *http.Request) (any, error)
	raw     http.HandlerFunc
}

// New builds the API server.
func New(store ksp.Store, cfg Config, log *slog.Logger) *Server {
	if cfg.BodyLimit == 0 {
		cfg.BodyLimit = DefaultBodyLimit
	}
	if cfg.KeyRate == 0 {
		cfg.KeyRate, cfg.KeyBurst = 100, 200
	}
	if cfg.IPRate == 0 {
		cfg.IPRate, cfg.IPBurst = 20, 40
	}
	if cfg.MaxImageBytes == 0 {
		cfg.MaxImageBytes = 32 << 20
	}
	if cfg.BatchBodyLimit == 0 {
		cfg.BatchBodyLimit = 256 << 20
	}
	if cfg.ApplyPerHour == 0 {
		cfg.ApplyPerHour = 10
	}
	if cfg.DecodeBudget == nil {
		cfg.DecodeBudget = filehash.NewMemoryBudget(filehash.DefaultDecodeMemory, filehash.DefaultDecodeWait)
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Server{store: store, cfg: cfg, log: log, mux: http.NewServeMux(),
		keyRL: newLimiter(cfg.KeyRate, cfg.KeyBurst), ipRL: newLimiter(cfg.IPRate, cfg.IPBurst),
		applyRL: newLimiter(cfg.ApplyPerHour/3600, cfg.ApplyPerHour), reg: prometheus.NewRegistry()}
	s.reqs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ksp_http_requests_total", Help: "HTTP requests by route and status."}, []string{"route", "code"})
	s.dur = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ksp_http_request_duration_seconds", Help: "HTTP request latency by route.", Buckets: prometheus.DefBuckets}, []string{"route"})
	s.reg.MustRegister(s.reqs, s.dur, prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ksp_image_decode_memory_bytes", Help: "Memory held by image decodes now, as charged to the decode budget."},
			func() float64 { return float64(cfg.DecodeBudget.InUse()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ksp_image_decode_memory_limit_bytes", Help: "Size of the image decode budget (--decode-memory)."},
			func() float64 { return float64(cfg.DecodeBudget.Limit()) }))
	s.routes = slices.Concat(s.routeTable(), s.signalRoutes(), s.entityRoutes(), s.resourceRoutes(), s.searchRoutes(), s.alertRoutes(), s.incidentRoutes(), s.webhookRoutes(), s.domainRoutes(), s.incidentLinkRoutes(), s.caseRoutes(), s.questionRoutes(), s.mentorshipRoutes(), s.transparencyRoutes(), s.calendarRoutes(), s.assessmentRoutes())
	for _, rt := range s.routes {
		s.mux.Handle(rt.Method+" "+rt.Path, s.wrap(rt))
	}
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.log, ksp.Errorf(ksp.ENOTFOUND, "no such API route"))
	})
	return s
}

// Registry is the Prometheus registry, for other packages' collectors.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// Routes returns the route table.
func (s *Server) Routes() []*Route { return s.routes }

// ServeHTTP serves the API routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Handle registers a route of another package (same middleware, same
// OpenAPI document).
func (s *Server) Handle(rt *Route, h func(r *http.Request) (any, error)) {
	rt.handler = h
	s.routes = append(s.routes, rt)
	s.mux.Handle(rt.Method+" "+rt.Path, s.wrap(rt))
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets streaming handlers (SSE) flush through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// wrap is the one middleware every route runs through: body limit,
// authentication, rate limits, role and scope, then the handler, logging
// and metrics.
func (s *Server) wrap(rt *Route) http.Handler {
	name := rt.Method + " " + rt.Path
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		noStoreNoSniff(w.Header()) // raw routes too (OpenAPI, streams)
		sw := &statusWriter{ResponseWriter: w}
		actor, err := s.serve(sw, r, rt)
		if err != nil {
			writeError(sw, r, s.log, err)
		}
		code := sw.status
		s.reqs.WithLabelValues(name, http.StatusText(code)).Inc()
		s.dur.WithLabelValues(name).Observe(time.Since(start).Seconds())
		if s.log.Enabled(r.Context(), slog.LevelInfo) {
			s.log.Info("request", "method", r.Method, "path", r.URL.Path, "route", name, "status", code,
				"duration_ms", float64(time.Since(start).Microseconds())/1000, "actor", actor.AuditName(), "ip", s.ClientIP(r).String())
		}
	})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, rt *Route) (*ksp.Actor, error) {
	limit := s.cfg.BodyLimit
	if rt.BodyLimit > 0 {
		limit = rt.BodyLimit
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if r.ContentLength > limit {
		return nil, tooLarge()
	}
	actor, err := s.authenticate(r)
	if err != nil {
		return nil, err
	}
	// Refusals say when to come back (Retry-After, in seconds).
	limited := func(l *limiter, key string) bool {
		ok, wait := l.take(key)
		if !ok {
			w.Header().Set("Retry-After", retryAfter(wait))
		}
		return !ok
	}
	switch {
	case actor != nil && actor.APIKeyID != "":
		if limited(s.keyRL, "key:"+actor.APIKeyID) {
			return actor, ksp.Errorf(ksp.ERATELIMITED, "too many requests for this key; slow down")
		}
	case actor != nil:
		if limited(s.keyRL, "user:"+actor.UserID) {
			return actor, ksp.Errorf(ksp.ERATELIMITED, "too many requests; slow down")
		}
	default:
		if limited(s.ipRL, s.ClientIP(r).String()) {
			return nil, ksp.Errorf(ksp.ERATELIMITED, "too many requests from this address; slow down")
		}
	}
	if err := authorize(actor, rt); err != nil {
		return actor, err
	}
	ctx := r.Context()
	if actor != nil {
		ctx = ksp.NewContext(ctx, actor)
	}
	r = r.WithContext(ctx)
	if rt.raw != nil {
		rt.raw(w, r)
		return actor, nil
	}
	v, err := rt.handler(r)
	if err != nil {
		return actor, err
	}
	status := rt.Status
	if st, ok := v.(withStatus); ok {
		status, v = st.status, st.body
	}
	if status == 0 {
		status = http.StatusOK
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return actor, nil
	}
	writeJSON(w, status, v)
	return actor, nil
}

// withStatus lets a handler choose among statuses (201 created, 200 merged).
type withStatus struct {
	status int
	body   any
}

// authenticate resolves the credential. A presented but bad key is 401 on
// every route, public ones included.
func (s *Server) authenticate(r *http.Request) (*ksp.Actor, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		key, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return nil, ksp.Errorf(ksp.EUNAUTHORIZED, "Authorization must be \"Bearer <API key>\"")
		}
		return s.store.ActorForKey(r.Context(), strings.TrimSpace(key))
	}
	if s.Authenticate != nil {
		return s.Authenticate(r)
	}
	return nil, nil
}

func authorize(a *ksp.Actor, rt *Route) error {
	if rt.Public || (rt.Anonymous && a == nil) {
		return nil
	}
	if a == nil {
		return ksp.Errorf(ksp.EUNAUTHORIZED, "authentication required: send Authorization: Bearer <API key>")
	}
	if rt.Staff && !a.Staff {
		return ksp.Errorf(ksp.EFORBIDDEN, "staff only")
	}
	if rt.Role != "" && !a.HasRole(rt.Role) {
		return ksp.Errorf(ksp.EFORBIDDEN, "this needs the %s role", rt.Role)
	}
	if rt.Scope == "" {
		return nil
	}
	return needScope(a, rt.Scope)
}

// needScope is the one check of a credential's scope: the route table's,
// and a handler's where one route serves two needs (?org=1).
func needScope(a *ksp.Actor, s ksp.Scope) error {
	if !a.HasScope(s) {
		return ksp.Errorf(ksp.EFORBIDDEN, "this needs a key with the %s scope", s)
	}
	return nil
}

// ClientIP returns the request's client address, believing
// X-Forwarded-For only from trusted proxies (rightmost untrusted hop).
func (s *Server) ClientIP(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	addr = addr.Unmap()
	if !s.trusted(addr) {
		return addr
	}
	hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		addr = a.Unmap()
		if !s.trusted(addr) {
			return addr
		}
	}
	return addr
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Health serves /healthz, /readyz and /metrics on mux.
func (s *Server) Health(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		err := s.store.Ping(ctx)
		if err == nil && s.cfg.Ready != nil {
			err = s.cfg.Ready(ctx)
		}
		if err != nil {
			s.log.Warn("not ready", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	metrics := promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		addr, _ := netip.ParseAddr(host)
		tok, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !bearer {
			tok = ""
		}
		// Behind a proxy every request looks local: the proxy's own
		// forwarded header disqualifies the loopback shortcut.
		local := addr.Unmap().IsLoopback() && r.Header.Get("X-Forwarded-For") == ""
		if !local && !tokenMatches(tok, s.cfg.MetricsToken) {
			writeError(w, r, s.log, ksp.Errorf(ksp.EFORBIDDEN, "metrics are served to loopback clients or with --metrics-token"))
			return
		}
		metrics.ServeHTTP(w, r)
	})
}

// tokenMatches compares a presented token with the configured one in time
// that depends on neither: both are hashed first, so even their lengths do
// not show. No token is configured when want is empty, and then nothing
// matches.
func tokenMatches(got, want string) bool {
	if want == "" {
		return false
	}
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

func typeName(v any) string {
	if v == nil {
		return ""
	}
	return reflect.TypeOf(v).String()
}
