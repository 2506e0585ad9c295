package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
)

// The alert pages: inbox and outbox with deadline countdowns, staff's
// unrouted alerts, "Report a URL", and an alert's page with its timeline,
// the receiver's response form and staff's forward form.

func (s *Server) registerAlerts() {
	s.Handle("GET /alerts", SignedIn, s.alerts)
	s.Handle("GET /alerts/new", SignedIn, s.newAlertForm)
	s.Handle("POST /alerts", SignedIn, s.reportURL)
	s.Handle("GET /alerts/{id}", SignedIn, s.alert)
	s.Handle("POST /alerts/{id}/response", SignedIn, s.respondAlert)
	s.Handle("POST /alerts/{id}/forward", StaffOnly, s.forwardAlertForm)
	s.AddNav(NavItem{Label: "Alerts", Path: "/alerts", Show: SignedIn})
	s.AddPanel(Panel{Title: "Alerts to answer", Render: s.alertsPanel})
}

// alertsPanel lists, on the dashboard, the open alerts delivered to the
// viewer's organisation (the newest page of its inbox).
func (s *Server) alertsPanel(r *http.Request) (template.HTML, error) {
	list, _, err := s.store.FindAlerts(r.Context(), ksp.AlertFilter{Box: ksp.BoxReceived, Page: ksp.Page{Limit: 20}})
	if err != nil {
		return "", err
	}
	var open []*ksp.Alert
	for _, a := range list {
		if a.Response == nil && len(open) < 5 {
			open = append(open, a)
		}
	}
	if len(open) == 0 {
		return "", nil
	}
	return s.Fragment("alerts.html", "panel", open)
}

func init() {
	funcs["due"] = func(a *ksp.Alert) string { return dueText(a, time.Now()) }
	funcs["alertTitle"] = alertTitle
}

// dueText says where an alert stands against its deadline, in words
// computed on the server (the page works without JavaScript): "due in 43
// min", "overdue by 2 h", or how it was answered.
func dueText(a *ksp.Alert, now time.Time) string {
	if a.Response != nil {
		return "answered: " + human(a.Response.Action)
	}
	d := a.Deadline.Sub(now)
	if d >= 0 {
		return "due in " + span(d)
	}
	return "overdue by " + span(-d)
}

// span words a duration roughly: minutes under two hours, hours under two
// days, then days.
func span(d time.Duration) string {
	switch {
	case d < 2*time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

// alertTitle names an alert's kind and tier: "Referral, threat to life
// (high specific)".
func alertTitle(a *ksp.Alert) string {
	t := human(string(a.Kind))
	if a.Kind == ksp.AlertTCORemovalOrder {
		t = "Removal order (TCO)"
	}
	if a.Tier != "" {
		t += ", " + strings.ToLower(human(a.Tier))
	}
	if a.ThreatLevel != "" {
		t += " (" + strings.ToLower(human(a.ThreatLevel)) + ")"
	}
	return t
}

// AlertsData is the inbox or outbox.
type AlertsData struct {
	Box      string
	Alerts   []*ksp.Alert
	Pager    Pager
	Staff    bool
	CanSend  bool
	BoxLinks []NavLink
}

func (s *Server) alerts(w http.ResponseWriter, r *http.Request) error {
	a := ksp.ActorFrom(r.Context())
	box := r.URL.Query().Get("box")
	if box == "" {
		box = ksp.BoxReceived
	}
	list, next, err := s.store.FindAlerts(r.Context(), ksp.AlertFilter{Box: box, Page: ksp.Page{Limit: 50, Cursor: r.URL.Query().Get("cursor")}})
	if err != nil {
		return err
	}
	d := AlertsData{Box: box, Alerts: list, Pager: pagerFor(r, next), Staff: a.Staff, CanSend: a.HasRole(ksp.RoleAnalyst) && !a.Suspended}
	boxes := []NavLink{{Label: "Received", Path: "/alerts"}, {Label: "Sent", Path: "/alerts?box=sent"}}
	if a.Staff {
		boxes = append(boxes, NavLink{Label: "Unrouted", Path: "/alerts?box=unrouted"})
	}
	for i := range boxes {
		boxes[i].Current = strings.HasSuffix(boxes[i].Path, box) || (box == ksp.BoxReceived && boxes[i].Path == "/alerts")
	}
	d.BoxLinks = boxes
	return s.render(w, r, http.StatusOK, "alerts.html", &Page{Title: "Alerts", Data: d})
}

// AlertFormData holds the choices of "Report a URL".
type AlertFormData struct {
	Kinds, Tiers, Levels, Labels, TLPs []Choice
}

func (s *Server) alertForm(w http.ResponseWriter, r *http.Request, status int, p *Page) error {
	a := ksp.ActorFrom(r.Context())
	if !a.HasRole(ksp.RoleAnalyst) {
		return ksp.Errorf(ksp.EFORBIDDEN, "reporting a URL needs the analyst role")
	}
	d := AlertFormData{Kinds: []Choice{{Value: string(ksp.AlertReferral), Label: "Referral", Hint: "Voluntary: the content breaks the platform's own terms."}}}
	if a.Staff || a.OrgKind == ksp.KindGovernment {
		d.Kinds = append(d.Kinds,
			Choice{Value: string(ksp.AlertTCORemovalOrder), Label: "Removal order (EU TCO regulation)", Hint: "Legal order: the platform has one hour from receipt."},
			Choice{Value: string(ksp.AlertDSAOrder), Label: "Order under the Digital Services Act"})
	}
	for _, t := range ksp.AlertTiers {
		d.Tiers = append(d.Tiers, Choice{Value: t, Label: human(t)})
	}
	for _, l := range ksp.ThreatLevels {
		d.Levels = append(d.Levels, Choice{Value: l, Label: human(l)})
	}
	for _, l := range ksp.Labels {
		d.Labels = append(d.Labels, Choice{Value: l, Label: human(l)})
	}
	for _, t := range ksp.TLPs {
		d.TLPs = append(d.TLPs, Choice{Value: string(t), Label: "TLP:" + string(t), Hint: tlpWords[t]})
	}
	if p.Form == nil {
		p.Form = url.Values{"kind": {string(ksp.AlertReferral)}, "tlp": {string(ksp.DefaultTLP)}}
	}
	p.Title, p.Data = "Report a URL", d
	return s.render(w, r, status, "alert_new.html", p)
}

func (s *Server) newAlertForm(w http.ResponseWriter, r *http.Request) error {
	return s.alertForm(w, r, http.StatusOK, &Page{})
}

// alertFromForm reads "Report a URL"; local holds what the form itself
// could not read (dates).
func alertFromForm(f url.Values) (ksp.AlertInput, []ksp.FieldError) {
	var local []ksp.FieldError
	in := ksp.AlertInput{URL: f.Get("url"), Kind: ksp.AlertKind(f.Get("kind")), Tier: f.Get("tier"), ThreatLevel: f.Get("threat_level"),
		EntityID: f.Get("entity_id"), Labels: f["labels"], Note: f.Get("note"), TLP: ksp.TLP(f.Get("tlp")), Jurisdiction: f.Get("jurisdiction")}
	if in.Tier != ksp.TierThreatToLife {
		in.ThreatLevel = "" // the level radios stay filled when another tier is chosen
	}
	if v := strings.TrimSpace(f.Get("do_not_notify_until")); v != "" {
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			local = append(local, ksp.FieldError{Field: "do_not_notify_until", Reason: "a date as YYYY-MM-DD"})
		} else {
			kt := ksp.T(t)
			in.DoNotNotifyUntil = &kt
		}
	}
	if in.Kind.LegalOrder() {
		in.Order = &ksp.RemovalOrder{IssuingAuthority: f.Get("order.issuing_authority"), MemberState: f.Get("order.member_state"), LegalBasis: f.Get("order.legal_basis")}
		if v := strings.TrimSpace(f.Get("order.received_at")); v != "" {
			t, err := time.Parse("2006-01-02T15:04", v)
			if err != nil {
				local = append(local, ksp.FieldError{Field: "order.received_at", Reason: "a UTC date and time as YYYY-MM-DDTHH:MM"})
			} else {
				kt := ksp.T(t)
				in.Order.ReceivedAt = &kt
			}
		}
	}
	return in, local
}

func (s *Server) reportURL(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return ksp.Errorf(ksp.EINVALID, "the form could not be read")
	}
	in, local := alertFromForm(r.PostForm)
	p := &Page{Form: r.PostForm}
	if len(local) > 0 {
		p.Errors = alertFormErrors(local)
		return s.alertForm(w, r, http.StatusBadRequest, p)
	}
	a, merged, err := s.store.CreateAlert(r.Context(), in)
	if ke := (*ksp.Error)(nil); errors.As(err, &ke) && ke.Code == ksp.EINVALID {
		p.Errors = alertFormErrors(ke.Fields)
		if len(p.Errors) == 0 {
			p.Errors = []FormError{{Field: "url", Message: ke.Message}}
		}
		return s.alertForm(w, r, http.StatusBadRequest, p)
	}
	if err != nil {
		return err
	}
	msg := "Alert sent to the platform hosting the URL."
	switch {
	case merged:
		msg = "Another member reported this URL recently: your request was added to that alert."
	case a.ReceiverOrgID == "":
		msg = "No member has verified this URL's domain: the alert waits with the programme's staff, who will forward it."
	}
	s.flash(w, r, "success", msg)
	return redirect(w, r, "/alerts/"+a.ID)
}

// alertFormErrors words field errors for a form: the reason with its field.
func alertFormErrors(fs []ksp.FieldError) []FormError {
	out := make([]FormError, 0, len(fs))
	for _, f := range fs {
		out = append(out, FormError{Field: f.Field, Message: human(strings.TrimPrefix(f.Field, "order.")) + ": " + f.Reason})
	}
	return out
}

// AlertData is an alert's page.
type AlertData struct {
	Alert      *ksp.Alert
	Due        string
	CanRespond bool
	CanForward bool
	Responses  []Choice
	Orgs       []Choice
}

func (s *Server) alertPage(w http.ResponseWriter, r *http.Request, status int, p *Page) error {
	act := ksp.ActorFrom(r.Context())
	a, err := s.store.FindAlertByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	d := AlertData{Alert: a, Due: dueText(a, time.Now())}
	d.CanRespond = a.Response == nil && a.ViewerRole == ksp.AlertRoleReceiver && act.HasRole(ksp.RoleAnalyst) && !act.Suspended
	for _, v := range ksp.AlertResponses {
		d.Responses = append(d.Responses, Choice{Value: v, Label: human(v)})
	}
	if act.Staff && a.ReceiverOrgID == "" {
		d.CanForward = true
		orgs, _, err := s.store.FindOrgs(r.Context(), ksp.OrgFilter{Page: ksp.Page{Limit: ksp.MaxLimit}})
		if err != nil {
			return err
		}
		for _, o := range orgs {
			if o.Kind != ksp.KindStaff && o.Status == ksp.OrgStatusMember {
				d.Orgs = append(d.Orgs, Choice{Value: o.ID, Label: o.Name})
			}
		}
	}
	p.Title, p.Data = alertTitle(a), d
	return s.render(w, r, status, "alert.html", p)
}

func (s *Server) alert(w http.ResponseWriter, r *http.Request) error {
	return s.alertPage(w, r, http.StatusOK, &Page{})
}

func (s *Server) respondAlert(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return ksp.Errorf(ksp.EINVALID, "the form could not be read")
	}
	id := r.PathValue("id")
	_, err := s.store.RespondToAlert(r.Context(), id, ksp.ResponseInput{Action: r.PostForm.Get("action"), Note: r.PostForm.Get("note"), Reason: r.PostForm.Get("reason")})
	if ke := (*ksp.Error)(nil); errors.As(err, &ke) && ke.Code == ksp.EINVALID {
		return s.alertPage(w, r, http.StatusBadRequest, &Page{Form: r.PostForm, Errors: alertFormErrors(ke.Fields)})
	}
	if err != nil {
		return err
	}
	s.flash(w, r, "success", "Response recorded. The requesters can see it.")
	return redirect(w, r, "/alerts/"+id)
}

func (s *Server) forwardAlertForm(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return ksp.Errorf(ksp.EINVALID, "the form could not be read")
	}
	id := r.PathValue("id")
	_, err := s.store.ForwardAlert(r.Context(), id, r.PostForm.Get("org_id"))
	if ke := (*ksp.Error)(nil); errors.As(err, &ke) && ke.Code == ksp.EINVALID {
		return s.alertPage(w, r, http.StatusBadRequest, &Page{Form: r.PostForm, Errors: alertFormErrors(ke.Fields)})
	}
	if err != nil {
		return err
	}
	s.flash(w, r, "success", "Alert forwarded.")
	return redirect(w, r, "/alerts/"+id)
}
