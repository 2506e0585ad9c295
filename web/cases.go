package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
)

// The case pages: a platform's review queue of its own matches, a case's
// page (matches as the org sees the signals, decision form, history),
// statements of reasons and the preservation list. Cases are the org's
// own: staff see only counts, and every other member 404.

func (s *Server) registerCases() {
	s.Handle("GET /cases", SignedIn, s.cases)
	s.Handle("GET /cases/statements", SignedIn, s.caseStatements)
	s.Handle("GET /cases/statements.csv", SignedIn, s.caseStatementsCSV)
	s.Handle("GET /cases/statements.json", SignedIn, s.caseStatementsJSON)
	s.Handle("GET /cases/preservation", SignedIn, s.casePreservation)
	s.Handle("GET /cases/{id}", SignedIn, s.casePage)
	s.Handle("POST /cases/{id}/decision", SignedIn, s.decideCaseForm)
	s.Handle("POST /cases/{id}/assign", SignedIn, s.assignCaseForm)
	s.Handle("POST /cases/{id}/legal-hold", SignedIn, s.holdCaseForm)
	s.AddNav(NavItem{Label: "Cases", Path: "/cases", Show: SignedIn})
	s.AddPanel(Panel{Title: "Cases to review", Render: s.casesPanel})
}

func init() {
	funcs["caseDecisionLabel"] = caseDecisionLabel
	funcs["caseConfidence"] = func(c float64) string { return fmt.Sprintf("%.0f%%", 100*c) }
}

// caseDecisionLabel words a decision for people.
func caseDecisionLabel(d string) string {
	switch d {
	case ksp.DecisionRemove:
		return "Remove"
	case ksp.DecisionRestrict:
		return "Restrict"
	case ksp.DecisionKeep:
		return "Keep (no violation)"
	case ksp.DecisionEscalate:
		return "Escalate"
	}
	return human(d)
}

// caseReviewer reports whether the actor may work on its org's cases.
func caseReviewer(a *ksp.Actor) bool {
	return a != nil && !a.Staff && !a.Suspended && a.HasRole(ksp.RoleAnalyst)
}

// casesPanel shows, on the dashboard, how many open cases wait and the
// most urgent of the newest page.
func (s *Server) casesPanel(r *http.Request) (template.HTML, error) {
	a := ksp.ActorFrom(r.Context())
	if !caseReviewer(a) {
		return "", nil
	}
	st := ksp.CaseOpen
	list, _, err := s.store.FindCases(r.Context(), ksp.CaseFilter{Status: &st, Page: ksp.Page{Limit: 50}})
	if err != nil || len(list) == 0 {
		return "", err
	}
	sortCasesByPriority(list)
	return s.Fragment("cases.html", "panel", list[:min(5, len(list))])
}

// sortCasesByPriority orders a page of cases most urgent first (newest
// first among equals).
func sortCasesByPriority(list []*ksp.Case) {
	slices.SortStableFunc(list, func(x, y *ksp.Case) int { return y.Priority - x.Priority })
}

// CasesData is the review queue.
type CasesData struct {
	Cases   []*ksp.Case
	Pager   Pager
	Tabs    []NavLink
	Counts  *ksp.CaseCounts
	Staff   bool
	Caption string
}

func (s *Server) cases(w http.ResponseWriter, r *http.Request) error {
	a := ksp.ActorFrom(r.Context())
	counts, err := s.store.CountCases(r.Context(), "")
	if err != nil {
		return err
	}
	d := CasesData{Counts: counts, Staff: a.Staff}
	if a.Staff {
		return s.render(w, r, http.StatusOK, "cases.html", &Page{Title: "Cases", Data: d})
	}
	q := r.URL.Query()
	view := q.Get("view")
	f := ksp.CaseFilter{Page: ksp.Page{Limit: 50, Cursor: q.Get("cursor")}}
	open, decided, none, mine := ksp.CaseOpen, ksp.CaseDecided, "none", a.UserID
	escalated := ksp.DecisionEscalate
	switch view {
	case "", "open":
		view, f.Status, d.Caption = "open", &open, "Open cases, most urgent first on each page"
	case "unassigned":
		f.Status, f.AssignedTo, d.Caption = &open, &none, "Open cases nobody is assigned to"
	case "mine":
		f.Status, f.AssignedTo, d.Caption = &open, &mine, "Open cases assigned to you"
	case "escalated":
		f.Status, f.Decision, d.Caption = &open, &escalated, "Escalated cases waiting for a final decision"
	case "decided":
		f.Status, d.Caption = &decided, "Decided cases"
	default:
		return ksp.Errorf(ksp.EINVALID, "unknown view %q", view)
	}
	list, next, err := s.store.FindCases(r.Context(), f)
	if err != nil {
		return err
	}
	if view != "decided" {
		sortCasesByPriority(list)
	}
	d.Cases, d.Pager = list, pagerFor(r, next)
	for _, t := range []struct{ v, label string }{{"open", "Open"}, {"unassigned", "Unassigned"}, {"mine", "Assigned to me"}, {"escalated", "Escalated"}, {"decided", "Decided"}} {
		d.Tabs = append(d.Tabs, NavLink{Label: t.label, Path: "/cases?view=" + t.v, Current: t.v == view})
	}
	return s.render(w, r, http.StatusOK, "cases.html", &Page{Title: "Cases", Data: d})
}

// CaseData is a case's page.
type CaseData struct {
	Case      *ksp.Case
	CanDecide bool
	CanAssign bool
	CanHold   bool
	Decisions []Choice
	Grounds   []Choice
	Assignees []Choice
	Me        string
}

func (s *Server) casePageWith(w http.ResponseWriter, r *http.Request, status int, p *Page) error {
	a := ksp.ActorFrom(r.Context())
	c, err := s.store.FindCaseByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	d := CaseData{Case: c, Me: a.UserID}
	reviewer := caseReviewer(a)
	d.CanDecide = reviewer && c.Status == ksp.CaseOpen && c.RefErased == nil && len(c.Matches) > 0
	d.CanAssign = reviewer && c.Status == ksp.CaseOpen
	d.CanHold = reviewer && c.PreserveUntil != nil && c.RefErased == nil
	for _, v := range ksp.Decisions {
		hint := ""
		switch v {
		case ksp.DecisionRemove:
			hint = "You removed the content in your own tools. Files true positive, a statement of reasons, and keeps evidence for six months."
		case ksp.DecisionRestrict:
			hint = "You restricted access to it. Files true positive and a statement of reasons."
		case ksp.DecisionKeep:
			hint = "It does not break your rules. Files false positive."
		case ksp.DecisionEscalate:
			hint = "Someone else must decide. Files no feedback yet; the case stays open."
		}
		d.Decisions = append(d.Decisions, Choice{Value: v, Label: caseDecisionLabel(v), Hint: hint})
	}
	d.Grounds = []Choice{{Value: ksp.GroundIncompatible, Label: "Against our terms of service"}, {Value: ksp.GroundIllegal, Label: "Illegal content", Hint: "Name the law below."}}
	switch {
	case d.CanAssign && a.HasRole(ksp.RoleAdmin):
		// Admins see the org's users; analysts may take a case themselves.
		users, _, err := s.store.FindUsers(r.Context(), a.OrgID, ksp.Page{Limit: ksp.MaxLimit})
		if err != nil {
			return err
		}
		for _, u := range users {
			if u.Status == ksp.UserActive && u.Role.Rank() >= ksp.RoleAnalyst.Rank() {
				d.Assignees = append(d.Assignees, Choice{Value: u.ID, Label: u.Name + " (" + u.Email + ")"})
			}
		}
	case d.CanAssign:
		d.Assignees = []Choice{{Value: a.UserID, Label: "Me"}}
	}
	if p.Form == nil {
		p.Form = map[string][]string{"ground": {ksp.GroundIncompatible}, "user_id": {c.AssignedTo}}
	}
	p.Title, p.Data = "Case "+caseShortID(c.ID), d
	return s.render(w, r, status, "case.html", p)
}

// caseShortID is the tail of a case id, enough to tell cases apart.
func caseShortID(id string) string {
	if len(id) > 8 {
		return id[len(id)-8:]
	}
	return id
}

func (s *Server) casePage(w http.ResponseWriter, r *http.Request) error {
	return s.casePageWith(w, r, http.StatusOK, &Page{})
}

// caseFormErrors words field errors for the case forms.
func caseFormErrors(ke *ksp.Error) []FormError {
	out := make([]FormError, 0, len(ke.Fields))
	for _, f := range ke.Fields {
		out = append(out, FormError{Field: f.Field, Message: human(f.Field) + ": " + f.Reason})
	}
	if len(out) == 0 {
		out = append(out, FormError{Field: "decision", Message: ke.Message})
	}
	return out
}

func (s *Server) decideCaseForm(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return ksp.Errorf(ksp.EINVALID, "the form could not be read")
	}
	f := r.PostForm
	in := ksp.DecisionInput{Decision: f.Get("decision"), PolicyClause: f.Get("policy_clause"), Note: f.Get("note"), Ground: f.Get("ground"), LegalGround: f.Get("legal_ground")}
	if v := strings.TrimSpace(f.Get("territorial_scope")); v != "" {
		in.TerritorialScope = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
	}
	id := r.PathValue("id")
	c, err := s.store.DecideCase(r.Context(), id, in)
	if ke := (*ksp.Error)(nil); errors.As(err, &ke) && (ke.Code == ksp.EINVALID || ke.Code == ksp.ECONFLICT) {
		return s.casePageWith(w, r, http.StatusBadRequest, &Page{Form: f, Errors: caseFormErrors(ke)})
	}
	if err != nil {
		return err
	}
	msg := "Decision recorded: " + caseDecisionLabel(c.Decision.Decision) + "."
	if c.Decision.Verdict != "" {
		msg += " Feedback " + human(c.Decision.Verdict) + " filed with the hash bank."
	}
	if c.StatementOfReasons != nil {
		msg += " Statement of reasons written."
	}
	if c.PreserveUntil != nil && c.Decision.Decision == ksp.DecisionRemove {
		msg += " Evidence kept until " + c.PreserveUntil.Format("2 Jan 2006") + "."
	}
	s.flash(w, r, "success", msg)
	return redirect(w, r, "/cases/"+id)
}

func (s *Server) assignCaseForm(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return ksp.Errorf(ksp.EINVALID, "the form could not be read")
	}
	id := r.PathValue("id")
	_, err := s.store.AssignCase(r.Context(), id, r.PostForm.Get("user_id"))
	if ke := (*ksp.Error)(nil); errors.As(err, &ke) && ke.Code == ksp.EINVALID {
		return s.casePageWith(w, r, http.StatusBadRequest, &Page{Form: r.PostForm, Errors: caseFormErrors(ke)})
	}
	if err != nil {
		return err
	}
	s.flash(w, r, "success", "Assignment saved.")
	return redirect(w, r, "/cases/"+id)
}

func (s *Server) holdCaseForm(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return ksp.Errorf(ksp.EINVALID, "the form could not be read")
	}
	id := r.PathValue("id")
	hold := r.PostForm.Get("hold") == "true"
	_, err := s.store.SetCaseLegalHold(r.Context(), id, hold)
	if ke := (*ksp.Error)(nil); errors.As(err, &ke) && ke.Code == ksp.EINVALID {
		return s.casePageWith(w, r, http.StatusBadRequest, &Page{Form: r.PostForm, Errors: caseFormErrors(ke)})
	}
	if err != nil {
		return err
	}
	msg := "Legal hold lifted: the evidence lapses on its preservation date."
	if hold {
		msg = "Legal hold set: the evidence is kept until you lift it."
	}
	s.flash(w, r, "success", msg)
	return redirect(w, r, "/cases/"+id)
}

// casePeriod reads the statements page's from and to (YYYY-MM-DD, to
// inclusive; default the last 30 days) as a half-open range.
func casePeriod(r *http.Request) (from, to time.Time, fromS, toS string, err error) {
	q := r.URL.Query()
	now := time.Now().UTC()
	to = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	from = to.AddDate(0, 0, -30)
	if v := q.Get("from"); v != "" {
		if from, err = time.Parse(time.DateOnly, v); err != nil {
			return from, to, "", "", &ksp.Error{Code: ksp.EINVALID, Message: "invalid period", Fields: []ksp.FieldError{{Field: "from", Reason: "a date as YYYY-MM-DD"}}}
		}
	}
	if v := q.Get("to"); v != "" {
		t, perr := time.Parse(time.DateOnly, v)
		if perr != nil {
			return from, to, "", "", &ksp.Error{Code: ksp.EINVALID, Message: "invalid period", Fields: []ksp.FieldError{{Field: "to", Reason: "a date as YYYY-MM-DD"}}}
		}
		to = t.AddDate(0, 0, 1)
	}
	if !from.Before(to) {
		return from, to, "", "", &ksp.Error{Code: ksp.EINVALID, Message: "invalid period", Fields: []ksp.FieldError{{Field: "to", Reason: "not before from"}}}
	}
	return from, to, from.Format(time.DateOnly), to.AddDate(0, 0, -1).Format(time.DateOnly), nil
}

// CaseStatementsData is the statements-of-reasons page.
type CaseStatementsData struct {
	Statements []*ksp.StatementOfReasons
	From, To   string
	Query      string
}

func (s *Server) caseStatements(w http.ResponseWriter, r *http.Request) error {
	from, to, fs, ts, err := casePeriod(r)
	p := &Page{Title: "Statements of reasons", Form: r.URL.Query()}
	if ke := (*ksp.Error)(nil); errors.As(err, &ke) {
		p.Errors = caseFormErrors(ke)
		p.Data = CaseStatementsData{}
		return s.render(w, r, http.StatusBadRequest, "case_statements.html", p)
	}
	list, err := s.store.FindStatements(r.Context(), from, to)
	if err != nil {
		return err
	}
	p.Data = CaseStatementsData{Statements: list, From: fs, To: ts, Query: "from=" + fs + "&to=" + ts}
	if p.Form.Get("from") == "" {
		p.Form.Set("from", fs)
		p.Form.Set("to", ts)
	}
	return s.render(w, r, http.StatusOK, "case_statements.html", p)
}

func (s *Server) caseStatementsCSV(w http.ResponseWriter, r *http.Request) error {
	from, to, fs, ts, err := casePeriod(r)
	if err != nil {
		return err
	}
	list, err := s.store.FindStatements(r.Context(), from, to)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="statements-of-reasons-%s-%s.csv"`, fs, ts))
	return ksp.WriteStatementsCSV(w, list)
}

func (s *Server) caseStatementsJSON(w http.ResponseWriter, r *http.Request) error {
	from, to, fs, ts, err := casePeriod(r)
	if err != nil {
		return err
	}
	list, err := s.store.FindStatements(r.Context(), from, to)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="statements-of-reasons-%s-%s.json"`, fs, ts))
	return json.NewEncoder(w).Encode(list)
}

// CasePreservationData is the preservation list.
type CasePreservationData struct {
	Cases []*ksp.Case
	Pager Pager
}

func (s *Server) casePreservation(w http.ResponseWriter, r *http.Request) error {
	list, next, err := s.store.FindCases(r.Context(), ksp.CaseFilter{Preserved: true, Page: ksp.Page{Limit: 100, Cursor: r.URL.Query().Get("cursor")}})
	if err != nil {
		return err
	}
	slices.SortStableFunc(list, func(x, y *ksp.Case) int { return x.PreserveUntil.Compare(y.PreserveUntil.Time) })
	return s.render(w, r, http.StatusOK, "case_preservation.html", &Page{Title: "Evidence preservation", Data: CasePreservationData{Cases: list, Pager: pagerFor(r, next)}})
}
