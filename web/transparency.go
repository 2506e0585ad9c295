package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/report"
)

func (s *Server) registerTransparency() {
	s.Handle("GET /transparency", Public, s.transparency)
	s.Handle("GET /transparency/print", Public, s.transparencyPrint)
	s.Handle("POST /transparency/publish", StaffOnly, s.publishTransparency)
	s.Handle("GET /transparency/draft", AdminOnly, s.transparencyDraft)
	s.Handle("POST /transparency/draft", AdminOnly, s.exportTransparencyDraft)
	s.AddNav(NavItem{Label: "Transparency", Path: "/transparency", Show: Public})
}

// TransparencyChart is one chart ready to render: its SVG and its table.
type TransparencyChart struct {
	ID, Title  string
	SVG, Table template.HTML
}

// TransparencyData is the public transparency page's content.
type TransparencyData struct {
	Period    ksp.TransparencyPeriod
	Published *ksp.PublishedReport
	Rows      []report.Row
	Charts    []TransparencyChart
	Reports   []*ksp.PublishedReport
	// Periods are the calendar periods offered (the current year and the
	// four before it, with their quarters).
	Periods    []string
	Suppressed string
	Key        string
	KeyPrint   string
	Checkpoint *ksp.AuditCheckpoint
	Staff      bool
	Admin      bool
	// Publishable are the ended periods not yet published (staff).
	Publishable []string
}

// transparencyPeriods lists the calendar periods of the last five years,
// newest first; ended reports only ones that have ended.
func transparencyPeriods(now time.Time, ended bool) []string {
	var out []string
	for y := now.Year(); y > now.Year()-5; y-- {
		for _, l := range []string{strconv.Itoa(y), fmt.Sprintf("%d-Q4", y), fmt.Sprintf("%d-Q3", y), fmt.Sprintf("%d-Q2", y), fmt.Sprintf("%d-Q1", y)} {
			p, _ := ksp.ParseCalendarPeriod(l)
			if _, end := p.Bounds(); ended && end.After(now) {
				continue
			}
			if a, _ := p.Bounds(); a.After(now) {
				continue
			}
			out = append(out, l)
		}
	}
	return out
}

// transparencyReport returns the report of a calendar period as the public
// sees it: the published bytes when published, else computed now.
func (s *Server) transparencyReport(r *http.Request, label string) (*ksp.TransparencyReport, *ksp.PublishedReport, error) {
	p, err := ksp.ParseCalendarPeriod(label)
	if err != nil {
		return nil, nil, err
	}
	if pub, err := s.store.FindPublishedReport(r.Context(), p.Label); err == nil {
		var rep ksp.TransparencyReport
		if err := json.Unmarshal(pub.Body, &rep); err != nil {
			return nil, nil, fmt.Errorf("published report %s: %w", p.Label, err)
		}
		return &rep, pub, nil
	} else if ksp.ErrorCode(err) != ksp.ENOTFOUND {
		return nil, nil, err
	}
	rep, err := s.store.TransparencyReport(r.Context(), ksp.TransparencyQuery{Period: p, Public: true})
	return rep, nil, err
}

func (s *Server) transparency(w http.ResponseWriter, r *http.Request) error {
	a := ksp.ActorFrom(r.Context())
	now := ksp.Now()
	reports, err := s.store.FindPublishedReports(r.Context())
	if err != nil {
		return err
	}
	label := r.URL.Query().Get("period")
	if label == "" {
		label = strconv.Itoa(now.Year() - 1)
		if len(reports) > 0 {
			label = reports[0].Period
		}
	}
	rep, pub, err := s.transparencyReport(r, label)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		s.errorPage(w, r, http.StatusBadRequest, "No such period", "Choose a calendar year (2025) or quarter (2025-Q3).")
		return nil
	}
	if err != nil {
		return err
	}
	d := TransparencyData{Period: rep.Period, Published: pub, Rows: report.Headline(rep), Reports: reports,
		Periods: transparencyPeriods(now, false), Suppressed: strings.Join(rep.Suppressed, ", "),
		Staff: a.Viewer().Staff, Admin: a != nil && !a.Staff && a.HasRole(ksp.RoleAdmin)}
	for _, c := range report.Charts(rep) {
		d.Charts = append(d.Charts, TransparencyChart{ID: c.ID, Title: c.Title, SVG: c.SVG(), Table: c.Table()})
	}
	cps, _, err := s.store.FindAuditCheckpoints(r.Context(), ksp.Page{Limit: 1})
	if err != nil {
		return err
	}
	if len(cps) > 0 {
		d.Checkpoint, d.Key, d.KeyPrint = cps[0], cps[0].PublicKey, ksp.KeyFingerprint(cps[0].PublicKey)
	}
	if d.Staff {
		done := map[string]bool{}
		for _, p := range reports {
			done[p.Period] = true
		}
		for _, l := range transparencyPeriods(now, true) {
			if !done[l] {
				d.Publishable = append(d.Publishable, l)
			}
		}
	}
	return s.render(w, r, http.StatusOK, "transparency.html", &Page{Title: "Transparency", Data: d})
}

// transparencyPrint serves a period's report as a stand-alone document.
func (s *Server) transparencyPrint(w http.ResponseWriter, r *http.Request) error {
	rep, pub, err := s.transparencyReport(r, r.URL.Query().Get("period"))
	if ksp.ErrorCode(err) == ksp.EINVALID {
		s.errorPage(w, r, http.StatusBadRequest, "No such period", "Choose a calendar year (2025) or quarter (2025-Q3).")
		return nil
	}
	if err != nil {
		return err
	}
	sha := ""
	if pub != nil {
		sha = pub.SHA256
	}
	var b bytes.Buffer
	if err := report.HTML(&b, rep, "", sha); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err = w.Write(b.Bytes())
	return err
}

func (s *Server) publishTransparency(w http.ResponseWriter, r *http.Request) error {
	period := r.PostForm.Get("period")
	pub, err := s.store.PublishTransparencyReport(r.Context(), period)
	switch ksp.ErrorCode(err) {
	case "":
		s.flash(w, r, "success", "Report "+pub.Period+" published. SHA-256 "+pub.SHA256+", pinned in audit event "+strconv.FormatInt(pub.AuditSeq, 10)+".")
		return redirect(w, r, "/transparency?period="+pub.Period)
	case ksp.EINVALID, ksp.ECONFLICT:
		s.flash(w, r, "error", "Not published: "+ksp.ErrorMessage(err)+".")
		return redirect(w, r, "/transparency")
	}
	return err
}

// TransparencyDraftData is the member report helper's content.
type TransparencyDraftData struct {
	From, To string
	Markdown string
}

// transparencyDraftFor computes the org's own report and its draft.
func (s *Server) transparencyDraftFor(r *http.Request, from, to string) (string, error) {
	a := ksp.ActorFrom(r.Context())
	p, err := ksp.ParsePeriodDays(from, to)
	if err != nil {
		return "", err
	}
	rep, err := s.store.TransparencyReport(r.Context(), ksp.TransparencyQuery{Period: p, OrgID: a.OrgID})
	if err != nil {
		return "", err
	}
	o, err := s.store.FindOrgByID(r.Context(), a.OrgID)
	if err != nil {
		return "", err
	}
	from0, to0 := p.Bounds()
	sts, err := s.store.FindStatements(r.Context(), from0, to0)
	if err != nil {
		return "", err
	}
	return report.Draft(rep, o.Name, sts), nil
}

var transparencyDraftLabels = map[string]string{"from": "From", "to": "To", "markdown": "Report"}

func (s *Server) transparencyDraft(w http.ResponseWriter, r *http.Request) error {
	a := ksp.ActorFrom(r.Context())
	if a.Staff {
		s.errorPage(w, r, http.StatusNotFound, "Page not found", "The report helper is for member organisations; staff publish the programme's reports on the transparency page.")
		return nil
	}
	last := ksp.Now().Year() - 1
	d := TransparencyDraftData{From: fmt.Sprintf("%d-01-01", last), To: fmt.Sprintf("%d-12-31", last)}
	q := r.URL.Query()
	if q.Has("from") || q.Has("to") {
		d.From, d.To = q.Get("from"), q.Get("to")
	}
	md, err := s.transparencyDraftFor(r, d.From, d.To)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		return s.render(w, r, http.StatusBadRequest, "transparency_draft.html", &Page{Title: "Your transparency report", Data: d,
			Form: q, Errors: formErrors(err, transparencyDraftLabels, "from")})
	}
	if err != nil {
		return err
	}
	d.Markdown = md
	return s.render(w, r, http.StatusOK, "transparency_draft.html", &Page{Title: "Your transparency report", Data: d,
		Form: url.Values{"from": {d.From}, "to": {d.To}, "markdown": {md}}})
}

// exportTransparencyDraft sends the edited draft back as a Markdown file.
func (s *Server) exportTransparencyDraft(w http.ResponseWriter, r *http.Request) error {
	a := ksp.ActorFrom(r.Context())
	if a.Staff {
		s.errorPage(w, r, http.StatusNotFound, "Page not found", "The report helper is for member organisations.")
		return nil
	}
	md := r.PostForm.Get("markdown")
	if strings.TrimSpace(md) == "" || len(md) > 200_000 {
		d := TransparencyDraftData{From: r.PostForm.Get("from"), To: r.PostForm.Get("to"), Markdown: md}
		return s.render(w, r, http.StatusBadRequest, "transparency_draft.html", &Page{Title: "Your transparency report", Data: d, Form: r.PostForm,
			Errors: []FormError{{Field: "markdown", Message: "Write the report (at most 200,000 characters) before exporting it"}}})
	}
	name := "transparency-report.md"
	if f := r.PostForm.Get("from"); len(f) == 10 {
		name = "transparency-report-" + f[:4] + ".md"
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err := w.Write([]byte(strings.ReplaceAll(md, "\r\n", "\n")))
	return err
}
