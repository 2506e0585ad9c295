package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kspplatform/ksp/demo"
	"github.com/kspplatform/ksp/domainproof"
	"github.com/kspplatform/ksp/filehash"
	"github.com/kspplatform/ksp/httpapi"
	"github.com/kspplatform/ksp/internal/secret"
	"github.com/kspplatform/ksp/webhook"
)

func (m *Main) serve(ctx context.Context, args []string) error {
	var c common
	fs := m.flags("serve", "serve [--addr :8080] [--public-url URL] [--demo] [flags]", &c)
	addr := fs.String("addr", envOr(m.Getenv, "KSP_ADDR", ":8080"), "listen address (env KSP_ADDR)")
	publicURL := fs.String("public-url", m.Getenv("KSP_PUBLIC_URL"), "the URL members reach this server at, for links in mail (env KSP_PUBLIC_URL)")
	withDemo := fs.Bool("demo", false, "seed demo orgs, users and content, and print fresh demo keys and logins")
	metricsToken := fs.String("metrics-token", m.Getenv("KSP_METRICS_TOKEN"), "bearer token that lets non-loopback clients read /metrics (env KSP_METRICS_TOKEN)")
	proxies := fs.String("trusted-proxy", m.Getenv("KSP_TRUSTED_PROXY"), "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed (env KSP_TRUSTED_PROXY)")
	keyRate := fs.Float64("rate-limit", 100, "requests per second per API key or user (burst: twice that)")
	ipRate := fs.Float64("ip-rate-limit", 20, "requests per second per client address for anonymous requests (burst: twice that)")
	smtpURL := fs.String("smtp-url", m.Getenv("KSP_SMTP_URL"), "smtp://user:pass@host:port (or smtps://) to send mail through; without it mail is written to the log (env KSP_SMTP_URL)")
	mailFrom := fs.String("mail-from", m.Getenv("KSP_MAIL_FROM"), "From address of KSP's mail, e.g. \"KSP <noreply@example.org>\" (env KSP_MAIL_FROM)")
	decodeMemory := fs.String("decode-memory", envOr(m.Getenv, "KSP_DECODE_MEMORY", "1GiB"), "memory that concurrent image decodes may take, e.g. 512MiB or 2GiB (env KSP_DECODE_MEMORY); an upload that finds it in use for 2 s is answered 503 unavailable")
	hookPrivate := fs.Bool("webhook-allow-private", false, "let webhooks reach loopback, private and link-local addresses (for local receivers; off in production)")
	signingKey := fs.String("signing-key", m.Getenv("KSP_SIGNING_KEY"), "Ed25519 key (from ksp keygen, mode 0600) that signs the audit chain's head daily; replicas share it (env KSP_SIGNING_KEY)")
	secretsKey := fs.String("secrets-key", m.Getenv("KSP_SECRETS_KEY"), "key (from ksp keygen --secrets, mode 0600) that seals webhook signing secrets in the database; replicas share it (env KSP_SECRETS_KEY)")
	shared := fs.String("shared", m.Getenv("KSP_SHARED"), "folder of shared test data for demo content (env KSP_SHARED; default: ../shared beside the module)")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	log, err := m.logger(&c)
	if err != nil {
		return err
	}
	var checkpointKey ed25519.PrivateKey
	if *signingKey != "" {
		if checkpointKey, err = loadSigningKey(*signingKey); err != nil {
			return exitError{code: 2, msg: "--signing-key: " + err.Error()}
		}
	}
	var box *secret.Box
	if *secretsKey != "" {
		if box, err = loadSecretsKey(*secretsKey); err != nil {
			return exitError{code: 2, msg: "--secrets-key: " + err.Error()}
		}
	}
	decodeBytes, err := parseSize(*decodeMemory)
	if err != nil {
		return exitError{code: 2, msg: fmt.Sprintf("--decode-memory: %v", err)}
	}
	// One budget for the API and the web interface: they decode in the
	// same process.
	decodeBudget := filehash.NewMemoryBudget(decodeBytes, filehash.DefaultDecodeWait)
	var trusted []netip.Prefix
	for _, p := range strings.Split(*proxies, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if !strings.Contains(p, "/") {
			a, err := netip.ParseAddr(p)
			if err != nil {
				return exitError{code: 2, msg: fmt.Sprintf("--trusted-proxy %q: not an address or CIDR", p)}
			}
			p = netip.PrefixFrom(a, a.BitLen()).String()
		}
		pf, err := netip.ParsePrefix(p)
		if err != nil {
			return exitError{code: 2, msg: fmt.Sprintf("--trusted-proxy %q: not an address or CIDR", p)}
		}
		trusted = append(trusted, pf)
	}

	db, err := openStore(ctx, c.db, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := useSecretsKey(ctx, db, box, log); err != nil {
		return err
	}

	if *withDemo {
		dir := *shared
		if dir == "" {
			dir = findShared()
		}
		if dir != "" {
			if _, err := os.Stat(dir); err != nil {
				fmt.Fprintf(m.Stderr, "demo: shared folder %s not found; content from it is skipped\n", dir)
				dir = ""
			}
		} else {
			fmt.Fprintln(m.Stderr, "demo: no ../shared folder found; demo content from it (test images, UN list) is skipped")
		}
		seeder := &demo.Seeder{Store: db, SharedDir: dir, Log: log, Extend: []func(context.Context, *demo.World) error{demo.SeedSignals, demo.SeedEntities, demo.SeedLibrary, demo.SeedAlerts, demo.SeedIncidents,
			demo.SeedCases, demo.SeedTransparency, demo.SeedQuestions, demo.SeedMentorship, demo.SeedCalendar, demo.SeedAssessments}}
		if _, err := seeder.Run(ctx, m.Stdout); err != nil {
			return err
		}
	}

	domainChecker := domainproof.New(domainproof.Config{})
	bank, err := startBank(ctx, db, m, &c)
	if err != nil {
		return err
	}
	api := httpapi.New(db, httpapi.Config{KeyRate: *keyRate, KeyBurst: 2 * *keyRate, IPRate: *ipRate, IPBurst: 2 * *ipRate,
		MetricsToken: *metricsToken, TrustedProxies: trusted, Matcher: bank, DecodeBudget: decodeBudget, DomainChecker: domainChecker,
		WebhookTargets: webhook.Targets{AllowPrivate: *hookPrivate},
		Ready:          func(context.Context) error { return bankReady(bank, time.Now()) }}, log)
	mux, site, err := newMux(db, api, webOptions{DomainChecker: domainChecker, WebhookTargets: webhook.Targets{AllowPrivate: *hookPrivate}, PublicURL: *publicURL, SMTPURL: *smtpURL, MailFrom: *mailFrom, Matcher: bank, DecodeBudget: decodeBudget}, log)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute, ErrorLog: nil}
	url := "http://" + displayAddr(ln.Addr())
	if *publicURL != "" {
		url = *publicURL
	}
	site.SetPublicURL(url)
	fmt.Fprintf(m.Stdout, "listening on %s\n", url)
	log.Info("listening", "addr", ln.Addr().String(), "public_url", url, "db", redactDSN(c.db))
	if m.Listening != nil {
		m.Listening <- ln.Addr().String()
	}
	go escalateAlerts(ctx, db, time.Minute, log)
	go (&webhook.Worker{Store: db, Client: webhook.NewClient(*hookPrivate), Log: log}).Run(ctx)
	go mailNotices(ctx, db, site.Mailer(), url, time.Minute, log)
	go pageStaff(ctx, db, site.Mailer(), url, time.Minute, 15*time.Second, log)
	go eraseAlertURLs(ctx, db, time.Hour, log)
	go caseRetention(ctx, db, caseMailer(*smtpURL, *mailFrom, log), time.Hour, log)
	if checkpointKey != nil {
		go checkpointAudit(ctx, db, checkpointKey, time.Hour, log)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// parseSize reads a byte count: a whole number, optionally followed by
// KiB, MiB, GiB or TiB (powers of 1024) or B.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	num := strings.TrimRightFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.TrimSpace(s[len(num):])
	mult := map[string]int64{"": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}[unit]
	n, err := strconv.ParseInt(num, 10, 64)
	switch {
	case mult == 0:
		return 0, fmt.Errorf("%q: unknown unit %q (use KiB, MiB, GiB or TiB)", s, unit)
	case err != nil || n <= 0:
		return 0, fmt.Errorf("%q: want a positive whole number of bytes, KiB, MiB, GiB or TiB", s)
	case n > math.MaxInt64/mult:
		return 0, fmt.Errorf("%q: too large", s)
	}
	return n * mult, nil
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

func displayAddr(a net.Addr) string {
	s := a.String()
	if strings.HasPrefix(s, "[::]:") {
		return "localhost:" + strings.TrimPrefix(s, "[::]:")
	}
	if strings.HasPrefix(s, "0.0.0.0:") {
		return "localhost:" + strings.TrimPrefix(s, "0.0.0.0:")
	}
	return s
}

// redactDSN hides a password in a postgres:// URL for the log.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if j := strings.LastIndex(dsn, "@"); j > i {
			if k := strings.Index(dsn[i+3:j], ":"); k >= 0 {
				return dsn[:i+3+k] + ":***" + dsn[j:]
			}
		}
	}
	return dsn
}

// findShared looks for the shared folder beside the module root, walking up
// from the working directory.
func findShared() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			s := filepath.Join(filepath.Dir(dir), "shared")
			if _, err := os.Stat(s); err == nil {
				return s
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
