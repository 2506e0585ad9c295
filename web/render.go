package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
)

// Page is what every template receives. Handlers set Title, Data and, for
// forms, Form and Errors; render fills in the rest.
type Page struct {
	Title string
	// Data is the page's own content.
	Data any
	// Form holds the submitted values, so that input is kept on error.
	Form url.Values
	// Errors are the form's errors, shown in the summary and by each field.
	Errors []FormError
	// Notices are banners shown above the content.
	Notices []Notice
	// Incidents are the active incidents the viewer may see, shown as a
	// banner on every page (render fills them in unless a handler did).
	Incidents []*ksp.Incident

	User   *ksp.User
	Actor  *ksp.Actor
	Org    *ksp.Org
	Nav    []NavLink
	CSRF   string
	Path   string
	Search string
}

// FormError is one field's problem, worded for the person filling the form.
type FormError struct {
	Field   string
	Message string
}

// NavLink is a navigation entry as rendered.
type NavLink struct {
	Label, Path string
	Current     bool
}

// ErrorFor returns the message of field's error, or "".
func (p *Page) ErrorFor(field string) string {
	for _, e := range p.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// Value returns the submitted value of a field.
func (p *Page) Value(field string) string { return p.Form.Get(field) }

// Checked reports whether a checkbox or radio value was submitted.
func (p *Page) Checked(field, value string) bool {
	for _, v := range p.Form[field] {
		if v == value {
			return true
		}
	}
	return false
}

// formErrors turns an EINVALID error into messages, using labels to name
// the fields ("Email address: not a valid email address"). Other errors
// become a message on the first field given.
func formErrors(err error, labels map[string]string, first string) []FormError {
	var ke *ksp.Error
	if errors.As(err, &ke) && len(ke.Fields) > 0 {
		var out []FormError
		for _, f := range ke.Fields {
			label, ok := labels[f.Field]
			field := f.Field
			if !ok {
				label, field = labels[first], first
			}
			out = append(out, FormError{Field: field, Message: sentence(label, f.Reason)})
		}
		return out
	}
	return []FormError{{Field: first, Message: ksp.ErrorMessage(err)}}
}

func sentence(label, reason string) string {
	switch {
	case reason == "required":
		return "Enter " + strings.ToLower(label[:1]) + label[1:]
	case label == "":
		return strings.ToUpper(reason[:1]) + reason[1:]
	}
	return label + ": " + reason
}

var funcs = template.FuncMap{
	"field": newField,
	"tlp":   tlpBadge,
	"when":  formatWhen,
	"join":  strings.Join,
	"upper": strings.ToUpper,
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
	"memberSince": memberSince,
	"static":      func(string) string { return "" }, // replaced per server
}

// Field describes a form field for the "field" template.
type Field struct {
	Name, Label, Type, Hint, Autocomplete, Value, Error, Inputmode string
	Required, Readonly                                             bool
	Rows                                                           int
	Options                                                        []Option
}

// Option is one choice of a select.
type Option struct {
	Value, Label string
	Selected     bool
}

// newField builds a Field from the page (value and error) and options
// written as "key=value": type=, hint=, autocomplete=, inputmode=,
// required, readonly, rows=, option=value|Label, value= (a default).
func newField(p *Page, name, label string, opts ...string) Field {
	f := Field{Name: name, Label: label, Type: "text", Error: p.ErrorFor(name)}
	var def string
	hasValue := p.Form != nil && p.Form.Has(name)
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "type":
			f.Type = v
		case "hint":
			f.Hint = v
		case "autocomplete":
			f.Autocomplete = v
		case "inputmode":
			f.Inputmode = v
		case "required":
			f.Required = true
		case "readonly":
			f.Readonly = true
		case "rows":
			fmt.Sscan(v, &f.Rows)
		case "value":
			def = v
		case "option":
			val, lab, _ := strings.Cut(v, "|")
			f.Options = append(f.Options, Option{Value: val, Label: lab})
		}
	}
	f.Value = def
	if hasValue {
		f.Value = p.Form.Get(name)
	}
	if f.Type == "password" {
		f.Value = "" // never echo a password back
	}
	for i := range f.Options {
		f.Options[i].Selected = f.Options[i].Value == f.Value
	}
	return f
}

// tlpBadge renders a TLP label as FIRST TLP 2.0 shows it.
func tlpBadge(t ksp.TLP) template.HTML {
	cls := strings.ToLower(strings.ReplaceAll(string(t), "+", "-"))
	return template.HTML(`<span class="tlp tlp-` + template.HTMLEscapeString(cls) + `">TLP:` + template.HTMLEscapeString(string(t)) + `</span>`)
}

// formatWhen renders a time for people, with the exact value for machines.
func formatWhen(v any) template.HTML {
	var t time.Time
	switch x := v.(type) {
	case ksp.Time:
		t = x.Time
	case *ksp.Time:
		if x == nil {
			return "never"
		}
		t = x.Time
	case time.Time:
		t = x
	default:
		return ""
	}
	if t.IsZero() {
		return "never"
	}
	return template.HTML(`<time datetime="` + ksp.FormatTime(t) + `">` + t.UTC().Format("2 Jan 2006 15:04 UTC") + `</time>`)
}

func (s *Server) parseTemplates() error {
	f := template.FuncMap{}
	for k, v := range funcs {
		f[k] = v
	}
	f["static"] = func(name string) string { return s.assets[name] }
	base, err := template.New("layout.html").Funcs(f).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return fmt.Errorf("web: parse layout: %w", err)
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	s.pages = map[string]*template.Template{}
	for _, n := range names {
		name := path.Base(n)
		if name == "layout.html" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return fmt.Errorf("web: parse %s: %w", name, err)
		}
		s.pages[name] = t
	}
	return nil
}

// Fragment renders the template called name defined in the template file
// (a dashboard panel, say) to HTML.
func (s *Server) Fragment(file, name string, data any) (template.HTML, error) {
	t, ok := s.pages[file]
	if !ok {
		return "", fmt.Errorf("web: no template file %s", file)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return "", fmt.Errorf("web: render %s/%s: %w", file, name, err)
	}
	return template.HTML(buf.String()), nil
}

// render writes a page inside the layout.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *Page) error {
	t, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("web: no template %s", name)
	}
	st := state(r)
	p.Path = r.URL.Path
	p.Notices = append(st.flashes, p.Notices...)
	if a := st.active(); a != nil {
		p.Actor = a
		if st.user == nil {
			u, err := s.store.FindUserByID(r.Context(), a.UserID)
			if err != nil {
				return err
			}
			st.user = u
		}
		p.User = st.user
		if p.Org == nil {
			o, err := s.store.FindOrgByID(r.Context(), a.OrgID)
			if err != nil {
				return err
			}
			p.Org = o
		}
	}
	if p.Incidents == nil && p.Actor != nil {
		p.Incidents = s.activeIncidents(r)
	}
	for _, it := range s.nav {
		if s.visible(it.Show, p.Actor) {
			p.Nav = append(p.Nav, NavLink{Label: it.Label, Path: it.Path, Current: p.Path == it.Path || strings.HasPrefix(p.Path, it.Path+"/")})
		}
	}
	tok, err := s.csrfToken(r)
	if err != nil {
		return err
	}
	p.CSRF = tok
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err = w.Write(buf.Bytes())
	return err
}

func (s *Server) visible(access Access, a *ksp.Actor) bool {
	switch access {
	case Public:
		return true
	case SignedIn:
		return a != nil
	case AdminOnly:
		return a.HasRole(ksp.RoleAdmin)
	case StaffOnly:
		return a != nil && a.Staff
	}
	return false
}

// fail renders an error returned by a handler.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch ksp.ErrorCode(err) {
	case ksp.ENOTFOUND:
		s.errorPage(w, r, http.StatusNotFound, "Page not found", "There is no page at this address, or you may not see it.")
	case ksp.EFORBIDDEN:
		s.errorPage(w, r, http.StatusForbidden, "You cannot do this", ksp.ErrorMessage(err))
	case ksp.EUNAUTHORIZED:
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	case ksp.EINVALID, ksp.ECONFLICT:
		s.errorPage(w, r, http.StatusBadRequest, "That did not work", ksp.ErrorMessage(err))
	case ksp.ERATELIMITED:
		s.errorPage(w, r, http.StatusTooManyRequests, "Too many attempts", ksp.ErrorMessage(err))
	default:
		s.log.Error("web: internal error", "path", r.URL.Path, "err", err)
		s.errorPage(w, r, http.StatusInternalServerError, "Something went wrong", "The error was recorded. Try again in a moment; if it keeps happening, contact the programme's staff.")
	}
}

// ErrorData is the content of the error page.
type ErrorData struct {
	Status  int
	Message string
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	if err := s.render(w, r, status, "error.html", &Page{Title: title, Data: ErrorData{Status: status, Message: msg}}); err != nil {
		s.log.Error("web: render error page", "err", err)
		http.Error(w, msg, status)
	}
}

// redirect answers a successful POST.
func redirect(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// Pager holds the links of a paged list: to its first page, when not on
// it, and to the next page, when there is one.
type Pager struct{ First, Next string }

// pagerFor returns the links of the list at r's URL whose next page
// starts at cursor next ("" on the last page). The other non-empty query
// parameters (a list's filters) are kept.
func pagerFor(r *http.Request, next string) Pager {
	q := url.Values{}
	for k, v := range r.URL.Query() {
		if k != "cursor" && len(v) > 0 && v[0] != "" {
			q[k] = v
		}
	}
	link := func(q url.Values) string {
		if len(q) == 0 {
			return r.URL.Path
		}
		return r.URL.Path + "?" + q.Encode()
	}
	var p Pager
	if r.URL.Query().Get("cursor") != "" {
		p.First = link(q)
	}
	if next != "" {
		q.Set("cursor", next)
		p.Next = link(q)
	}
	return p
}
