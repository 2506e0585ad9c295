package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/kspplatform/ksp"
)

func (s *Server) registerWebhooks() {
	s.Handle("GET /admin/webhooks", AdminOnly, s.webhooksPage)
	s.Handle("POST /admin/webhooks", AdminOnly, s.createWebhook)
	s.Handle("GET /admin/webhooks/{id}", AdminOnly, s.webhookPage)
	s.Handle("POST /admin/webhooks/{id}/rotate", AdminOnly, s.rotateWebhook)
	s.Handle("POST /admin/webhooks/{id}/test", AdminOnly, s.testWebhook)
	s.Handle("POST /admin/webhooks/{id}/delete", AdminOnly, s.deleteWebhook)
}

// WebhooksData is the webhook settings page's content.
type WebhooksData struct {
	Hooks []*ksp.Webhook
	// Types are the event types offered.
	Types []string
	// New is a webhook just created or rotated, with its secret.
	New *ksp.Webhook
}

// WebhookData is one webhook's page: its settings and delivery log.
type WebhookData struct {
	Hook       *ksp.Webhook
	Deliveries []*ksp.Delivery
	Pager      Pager
	New        *ksp.Webhook
}

var webhookLabels = map[string]string{"url": "Endpoint URL", "events": "Events"}

func (s *Server) webhooksList(w http.ResponseWriter, r *http.Request, status int, p *Page) error {
	hooks, err := s.store.FindWebhooks(r.Context())
	if err != nil {
		return err
	}
	d, _ := p.Data.(WebhooksData)
	d.Hooks, d.Types = hooks, ksp.WebhookEventTypes
	p.Data, p.Title = d, "Webhooks"
	return s.render(w, r, status, "webhooks.html", p)
}

func (s *Server) webhooksPage(w http.ResponseWriter, r *http.Request) error {
	return s.webhooksList(w, r, http.StatusOK, &Page{})
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return ksp.Errorf(ksp.EINVALID, "unreadable form")
	}
	in := ksp.WebhookInput{URL: r.PostFormValue("url"), Events: r.PostForm["events"]}
	p := &Page{Form: r.PostForm}
	err := s.cfg.WebhookTargets.Check(r.Context(), in.URL)
	var hook *ksp.Webhook
	if err == nil {
		hook, err = s.store.CreateWebhook(r.Context(), in)
	}
	if c := ksp.ErrorCode(err); c == ksp.EINVALID || c == ksp.ECONFLICT {
		p.Errors = formErrors(err, webhookLabels, "url")
		return s.webhooksList(w, r, http.StatusBadRequest, p)
	}
	if err != nil {
		return err
	}
	p.Form = nil
	p.Notices = []Notice{{Kind: "success", Text: fmt.Sprintf("Webhook created: %s receives %s.", hook.URL, strings.Join(hook.Events, ", "))}}
	p.Data = WebhooksData{New: hook}
	return s.webhooksList(w, r, http.StatusCreated, p)
}

func (s *Server) webhookDetail(w http.ResponseWriter, r *http.Request, status int, p *Page) error {
	ctx := r.Context()
	id := r.PathValue("id")
	hook, err := s.store.FindWebhookByID(ctx, id)
	if err != nil {
		return err
	}
	dels, next, err := s.store.FindWebhookDeliveries(ctx, id, ksp.Page{Limit: 50, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		return err
	}
	d, _ := p.Data.(WebhookData)
	d.Hook, d.Deliveries, d.Pager = hook, dels, pagerFor(r, next)
	p.Data, p.Title = d, "Webhook "+hook.URL
	return s.render(w, r, status, "webhook.html", p)
}

func (s *Server) webhookPage(w http.ResponseWriter, r *http.Request) error {
	return s.webhookDetail(w, r, http.StatusOK, &Page{})
}

func (s *Server) rotateWebhook(w http.ResponseWriter, r *http.Request) error {
	hook, err := s.store.RotateWebhookSecret(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	p := &Page{Notices: []Notice{{Kind: "success", Text: "New secret issued. The previous one keeps signing beside it for 24 hours, so you can switch your endpoint over."}},
		Data: WebhookData{New: hook}}
	return s.webhookDetail(w, r, http.StatusOK, p)
}

func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, err := s.store.SendTestWebhook(r.Context(), id); err != nil {
		return err
	}
	s.flash(w, r, "success", "Test event queued: it is sent within seconds. Its outcome appears in the delivery log below.")
	return redirect(w, r, "/admin/webhooks/"+id)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.DeleteWebhook(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	s.flash(w, r, "success", "Webhook deleted. Nothing more is sent to it.")
	return redirect(w, r, "/admin/webhooks")
}
