package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/kspplatform/ksp/bank"
	"github.com/kspplatform/ksp/httpapi"
	"github.com/kspplatform/ksp/internal/sqlstore"
	"github.com/kspplatform/ksp/mail"
	"github.com/kspplatform/ksp/mail/mailtest"
	"github.com/kspplatform/ksp/sqlite"
)

// browserSite is what a browser test drives: a fresh SQLite store, the
// matcher over it, a mail catcher, and the API and web UI wired as `ksp
// serve` wires them, on one test server. Everything closes when the test
// ends.
type browserSite struct {
	ctx  context.Context
	log  *slog.Logger
	path string
	db   *sqlstore.DB
	bank *bank.Bank
	smtp *mailtest.Server
	srv  *httptest.Server
}

// startBrowserSite starts a site. seed, when not nil, fills the store
// before the matcher loads it.
func startBrowserSite(t *testing.T, seed func(ctx context.Context, db *sqlstore.DB)) *browserSite {
	t.Helper()
	s := &browserSite{ctx: context.Background(), log: slog.New(slog.DiscardHandler), path: filepath.Join(t.TempDir(), "ksp.db")}
	db, err := sqlite.Open(s.ctx, s.path, s.log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s.db = db
	if seed != nil {
		seed(s.ctx, db)
	}
	s.smtp = mailtest.Start(t)
	mailer, err := mail.NewSMTP(s.smtp.URL(), "KSP <noreply@ksp.example>")
	if err != nil {
		t.Fatal(err)
	}
	s.bank = bank.New(db, s.log)
	if err := s.bank.Load(s.ctx); err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(db, httpapi.Config{Matcher: s.bank}, s.log)
	mux, site, err := newMux(db, api, webOptions{Mailer: mailer, Matcher: s.bank}, s.log)
	if err != nil {
		t.Fatal(err)
	}
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	site.SetPublicURL(s.srv.URL)
	return s
}
