package web

import (
	"net/url"
	"regexp"
	"testing"

	"github.com/kspplatform/ksp"
)

var webhookPageRE = regexp.MustCompile(`/admin/webhooks/([0-9a-f-]{36})`)

// TestWebhookPages drives the webhook settings as an org admin: bad input
// keeps the form and names the field; a new webhook's secret is shown once;
// the test event, rotation and deletion work from the webhook's page;
// another org's admin finds nothing, and analysts are refused.
func TestWebhookPages(t *testing.T) {
	h := newHarness(t, Config{})
	plat := h.org("Vidstream", ksp.KindPlatform, ksp.SizeLarge)
	other := h.org("Clipshare", ksp.KindPlatform, ksp.SizeSmall)
	admin := h.user(plat, "admin@vidstream.example", ksp.RoleAdmin, true)
	otherAdmin := h.user(other, "admin@clipshare.example", ksp.RoleAdmin, true)
	analyst := h.user(plat, "analyst@vidstream.example", ksp.RoleAnalyst, false)
	awayFromStepEdge()

	c := h.client()
	c.signIn(admin, 0)
	c.want(c.get("/admin"), 200, `href="/admin/webhooks"`)
	c.want(c.get("/admin/webhooks"), 200, "No webhooks yet", "Register a webhook", "incident.activated")
	c.want(c.post("/admin/webhooks", url.Values{"url": {"ftp://hooks.vidstream.example"}, "events": {"alert.created"}}), 400,
		"There is a problem", `href="#f-url"`, "ftp://hooks.vidstream.example")
	c.want(c.post("/admin/webhooks", url.Values{"url": {"https://hooks.vidstream.example/ksp"}}), 400, `href="#f-events"`)
	c.want(c.post("/admin/webhooks", url.Values{"url": {"http://192.168.1.10/ksp"}, "events": {"alert.created"}}), 400,
		`href="#f-url"`, "webhooks reach only the public internet", "--webhook-allow-private")
	res := c.post("/admin/webhooks", url.Values{"url": {"https://hooks.vidstream.example/ksp"}, "events": {"alert.created", "incident.activated"}})
	c.want(res, 201, "Webhook created", "whsec_", "shown only this once")
	id := webhookPageRE.FindStringSubmatch(c.body)[1]
	page := "/admin/webhooks/" + id
	c.want(c.get("/admin/webhooks"), 200, "https://hooks.vidstream.example/ksp")
	if regexp.MustCompile(`whsec_`).MatchString(c.body) {
		t.Fatal("the secret is shown again")
	}
	c.want(c.post(page+"/test", nil), 200, "Test event queued", "webhook.test", "Pending")
	c.want(c.post(page+"/rotate", nil), 200, "New signing secret", "whsec_", "previous secret signs too")

	o := h.client()
	o.signIn(otherAdmin, 1)
	o.want(o.get(page), 404)
	o.want(o.post(page+"/delete", nil), 404)
	a := h.client()
	a.signIn(analyst, 0)
	a.want(a.get("/admin/webhooks"), 403)

	c.want(c.post(page+"/delete", nil), 200, "Webhook deleted", "No webhooks yet")
	c.want(c.get(page), 404)
}
