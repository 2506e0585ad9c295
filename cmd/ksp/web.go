package main

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/filehash"
	"github.com/kspplatform/ksp/httpapi"
	"github.com/kspplatform/ksp/mail"
	"github.com/kspplatform/ksp/web"
	"github.com/kspplatform/ksp/webhook"
)

// webOptions are serve's settings for the HTML interface and mail.
type webOptions struct {
	PublicURL string
	// SMTPURL is smtp://user:pass@host:port (or smtps://); empty writes
	// mail to the log instead (development).
	SMTPURL  string
	MailFrom string
	// Mailer, when set, replaces the one SMTPURL selects (tests).
	Mailer ksp.Mailer
	// Matcher is the hash bank's in-memory index: "check an image" matches
	// with it, and the pages sync it after their writes.
	Matcher ksp.Matcher
	// DecodeBudget bounds the memory of image decodes, shared with the API.
	DecodeBudget *filehash.MemoryBudget
	// DomainChecker proves control of claimed domains on the admin page.
	DomainChecker ksp.DomainChecker
	// WebhookTargets vets webhook targets on the admin page.
	WebhookTargets webhook.Targets
}

// newMux builds every route the server answers: health and metrics, the JSON
// API under /api/, and the HTML interface at /. Tests build their server with
// it too, so they exercise exactly what serve runs.
func newMux(db ksp.Store, api *httpapi.Server, o webOptions, log *slog.Logger) (*http.ServeMux, *web.Server, error) {
	mailer := o.Mailer
	if mailer == nil {
		if o.SMTPURL != "" {
			m, err := mail.NewSMTP(o.SMTPURL, o.MailFrom)
			if err != nil {
				return nil, nil, exitError{code: 2, msg: fmt.Sprintf("--smtp-url: %v", err)}
			}
			mailer = m
		} else {
			log.Warn("no --smtp-url: mail (invitations, password resets) is written to the log instead of being sent")
			mailer = mail.Log{Log: log}
		}
	}
	site, err := web.New(db, web.Config{PublicURL: o.PublicURL, Mailer: mailer, ClientIP: api.ClientIP, Matcher: o.Matcher, DecodeBudget: o.DecodeBudget, DomainChecker: o.DomainChecker, WebhookTargets: o.WebhookTargets}, log)
	if err != nil {
		return nil, nil, err
	}
	api.Authenticate = site.AuthenticateAPI
	mux := http.NewServeMux()
	api.Health(mux)
	mux.Handle("/api/", api)
	mux.Handle("/", site)
	return mux, site, nil
}
