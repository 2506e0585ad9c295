package web

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/kspplatform/ksp"
)

// The audit log in the browser: /staff/audit (every event) and
// /admin/audit (the admin's own organisation's events, as GET
// /api/v1/audit gives them: the store decides the scope), with filters by
// actor, action and day, each event linking to its object where the viewer
// has a page for it, the chain's head, and a verification on demand
// (walking a 100,000-event chain takes 7.5 s on SQLite, measured with
// BenchmarkVerifyChain: too slow for every page load).

func (s *Server) registerAudit() {
	s.Handle("GET /staff/audit", StaffOnly, s.auditLog)
	s.Handle("POST /staff/audit/verify", StaffOnly, s.verifyAudit)
	s.Handle("GET /admin/audit", AdminOnly, s.auditLog)
	s.Handle("POST /admin/audit/verify", AdminOnly, s.verifyAudit)
}

// AuditData is an audit page's content.
type AuditData struct {
	Staff  bool // the staff page: every org's events
	Base   string
	Events []AuditRow
	Pager  Pager
	// Head is the newest event (staff only: its sequence number tells how
	// many events the instance holds, which is not an admin's business).
	Head *ksp.AuditEvent
}

// AuditRow is one event as shown.
type AuditRow struct {
	E       *ksp.AuditEvent
	Link    string // the object's page, "" when the viewer has none
	Details string
}

// auditFilterFields are the filter form's fields, in the order of the form.
var auditFilterFields = []string{"actor", "action", "from", "to"}

func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) error {
	a := ksp.ActorFrom(r.Context())
	staffPage := strings.HasPrefix(r.URL.Path, "/staff/")
	q := r.URL.Query()
	f := ksp.AuditFilter{Page: ksp.Page{Limit: 50, Cursor: q.Get("cursor")}}
	if !staffPage {
		// Staff on the admin page see their own org's events, as admins do.
		f.OrgID = &a.OrgID
	}
	form := url.Values{}
	for _, name := range auditFilterFields {
		v := strings.TrimSpace(q.Get(name))
		if v == "" {
			continue
		}
		form.Set(name, v)
		switch name {
		case "actor":
			f.Actor = &v
		case "action":
			f.Action = &v
		case "from":
			f.From = &v
		case "to":
			f.To = &v
		}
	}
	base := "/admin/audit"
	title := "Audit log of your organisation"
	if staffPage {
		base, title = "/staff/audit", "Audit log"
	}
	p := &Page{Title: title, Form: form}
	d := AuditData{Staff: staffPage, Base: base}
	events, next, err := s.store.FindAuditEvents(r.Context(), f)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		p.Errors = formErrors(err, map[string]string{"from": "From", "to": "To"}, "from")
		p.Data = d
		return s.render(w, r, http.StatusBadRequest, "audit.html", p)
	}
	if err != nil {
		return err
	}
	for _, e := range events {
		d.Events = append(d.Events, AuditRow{E: e, Link: s.auditLink(a, e), Details: detailsText(e.Details)})
	}
	d.Pager = pagerFor(r, next)
	if staffPage {
		head, _, err := s.store.FindAuditEvents(r.Context(), ksp.AuditFilter{Page: ksp.Page{Limit: 1}})
		if err != nil {
			return err
		}
		if len(head) > 0 {
			d.Head = head[0]
		}
	}
	p.Data = d
	return s.render(w, r, http.StatusOK, "audit.html", p)
}

// verifyAudit walks the whole chain and tells the result. Staff learn the
// count, the head and the first bad event; an admin only whether the chain
// holds, since the rest describes other organisations' events.
func (s *Server) verifyAudit(w http.ResponseWriter, r *http.Request) error {
	staffPage := strings.HasPrefix(r.URL.Path, "/staff/")
	back := "/admin/audit"
	if staffPage {
		back = "/staff/audit"
	}
	// One walk at a time: it reads the whole chain (about 7 s for 100,000
	// events on SQLite), and every admin may press the button.
	if !verifying.TryLock() {
		s.flash(w, r, "warning", "A verification is already running; try again in a minute.")
		return redirect(w, r, back)
	}
	n, head, err := ksp.VerifyChain(r.Context(), s.store, "")
	verifying.Unlock()
	switch {
	case err != nil && staffPage:
		s.log.Warn("audit chain does not verify", "err", err)
		s.flash(w, r, "warning", "The audit chain does not verify: "+err.Error())
	case err != nil:
		s.log.Warn("audit chain does not verify", "err", err)
		s.flash(w, r, "warning", "The audit chain does not verify. The programme's staff have the details; tell them you saw this.")
	case staffPage:
		s.flash(w, r, "success", fmt.Sprintf("The audit chain is intact: %d events verified, head %s.", n, head))
	default:
		s.flash(w, r, "success", "The audit chain is intact: every event, your organisation's included, verified.")
	}
	return redirect(w, r, back)
}

// verifying is held while a verification walks the chain.
var verifying sync.Mutex

// auditLink returns the page of an event's object for actor a, or "" when
// there is none it may open.
func (s *Server) auditLink(a *ksp.Actor, e *ksp.AuditEvent) string {
	kind, id, ok := strings.Cut(e.Object, ":")
	if !ok || id == "" || strings.ContainsAny(id, "/?#") {
		return ""
	}
	esc := url.PathEscape(id)
	switch kind {
	case "signal":
		return "/signals/" + esc
	case "application":
		if a.Staff {
			return "/staff/applications/" + esc
		}
	case "user":
		if a.Staff && e.OrgID != "" {
			return "/staff/orgs/" + url.PathEscape(e.OrgID) + "/users"
		}
		if e.OrgID == a.OrgID {
			return "/admin/users"
		}
	case "apikey":
		if e.OrgID == a.OrgID {
			return "/admin/keys"
		}
	case "org":
		if a.Staff {
			return "/staff/orgs/" + esc + "/users"
		}
		if id == a.OrgID {
			return "/admin"
		}
	case "resource":
		if s.HasPage("/library") {
			return "/library/" + esc
		}
	case "entity":
		if s.HasPage("/entities") {
			return "/entities/" + esc
		}
	}
	return ""
}

// detailsText shows an event's details as "key: value" pairs, sorted.
func detailsText(d map[string]any) string {
	if len(d) == 0 {
		return ""
	}
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := fmt.Sprint(d[k])
		if m, ok := d[k].(map[string]any); ok {
			var sub []string
			for mk, mv := range m {
				sub = append(sub, fmt.Sprintf("%s=%v", mk, mv))
			}
			sort.Strings(sub)
			v = strings.Join(sub, ", ")
		}
		if len(v) > 300 {
			v = v[:300] + "…"
		}
		parts = append(parts, k+": "+v)
	}
	return strings.Join(parts, "; ")
}
