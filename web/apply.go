package web

import (
	"net/http"
	"strings"

	"github.com/kspplatform/ksp"
)

func (s *Server) registerApply() {
	s.Handle("GET /apply", Public, s.applyForm)
	s.Handle("POST /apply", Public, s.apply)
}

var applyLabels = map[string]string{
	"org_name": "Organisation name", "kind": "Kind of organisation", "size": "Platform size", "website": "Website",
	"domains": "Domains", "contact_name": "Your name", "contact_email": "Your email address", "motivation": "Why you want to join",
}

// ApplyData is the apply page's content.
type ApplyData struct {
	Done  *ksp.Application
	Kinds []ksp.OrgKind
}

func (s *Server) applyForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "apply.html", &Page{Title: "Apply for membership", Data: ApplyData{}})
}

func (s *Server) apply(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := &Page{Title: "Apply for membership", Form: r.PostForm, Data: ApplyData{}}
	key := "apply:" + s.clientIP(r)
	fe, err := s.throttled(ctx, "org_name", key)
	if err != nil {
		return err
	}
	if fe != nil {
		fe.Message = "Too many applications from your network. Try again in an hour."
		p.Errors = []FormError{*fe}
		return s.render(w, r, http.StatusTooManyRequests, "apply.html", p)
	}
	na := ksp.NewApplication{
		OrgName:      r.PostFormValue("org_name"),
		Kind:         ksp.OrgKind(r.PostFormValue("kind")),
		Website:      strings.TrimSpace(r.PostFormValue("website")),
		ContactName:  r.PostFormValue("contact_name"),
		ContactEmail: r.PostFormValue("contact_email"),
		Motivation:   r.PostFormValue("motivation"),
	}
	if na.Kind == ksp.KindPlatform {
		na.Size = r.PostFormValue("size")
	}
	for _, d := range strings.FieldsFunc(r.PostFormValue("domains"), func(c rune) bool { return c == '\n' || c == ',' || c == ' ' || c == '\r' }) {
		na.Domains = append(na.Domains, d)
	}
	if na.Website != "" && !strings.Contains(na.Website, "://") {
		na.Website = "https://" + na.Website
	}
	a, err := s.store.CreateApplication(ctx, na)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		p.Errors = formErrors(err, applyLabels, "org_name")
		return s.render(w, r, http.StatusBadRequest, "apply.html", p)
	}
	if err != nil {
		return err
	}
	if _, err := s.store.ThrottleFailure(ctx, key, s.cfg.ApplyThrottle); err != nil {
		return err
	}
	text := "Thank you for applying to join KSP on behalf of " + a.OrgName + ".\n\n" +
		"The programme's staff review every application by hand. When yours is approved, you will receive an invitation to set up your account.\n"
	if err := s.cfg.Mailer.Send(ctx, ksp.Mail{To: a.ContactEmail, Subject: "Your application to KSP", Text: text}); err != nil {
		s.log.Error("send application receipt", "err", err)
	}
	return s.render(w, r, http.StatusOK, "apply.html", &Page{Title: "Application received", Data: ApplyData{Done: a}})
}
