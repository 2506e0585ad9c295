package httpapi

import (
	"net/http"
	"time"

	"github.com/kspplatform/ksp"
)

// CaseAssignBody is the input of assigning a case.
type CaseAssignBody struct {
	// UserID is a user of your organisation; "" unassigns.
	UserID string `json:"user_id"`
}

// CaseHoldBody is the input of setting a legal hold.
type CaseHoldBody struct {
	Hold bool `json:"hold"`
}

// Case routes: the review queue of a platform's own matches. Every route
// is the org's own: other members and staff get 404 on a case and see
// none in lists; staff see only counts.
func (s *Server) caseRoutes() []*Route {
	return []*Route{
		{Method: "GET", Path: "/api/v1/cases", Summary: "Your organisation's review queue, newest first; filters status=open|decided, assigned_to=USER_ID|me|none, decision, preserved=true",
			Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit, Resp: ksp.Case{}, List: true, Query: []string{"status", "assigned_to", "decision", "preserved", "limit", "cursor"}, handler: s.listCases},
		{Method: "POST", Path: "/api/v1/cases", Summary: "Open a review case for a content reference (never the content), or add matches to its open case: 201 new, 200 added",
			Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit, Req: ksp.CaseInput{}, Resp: ksp.Case{}, Status: 201, handler: s.openCase},
		{Method: "GET", Path: "/api/v1/cases/counts", Summary: "Counts of cases: your organisation's; staff: every organisation's, or ?org=ID",
			Role: ksp.RoleViewer, Scope: ksp.ScopeRead, Resp: ksp.CaseCounts{}, Query: []string{"org"}, handler: s.countCases},
		{Method: "GET", Path: "/api/v1/cases/statements", Summary: "Your statements of reasons (DSA Transparency Database fields) decided from..to (YYYY-MM-DD, default: the last 30 days)",
			Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit, Resp: ksp.StatementOfReasons{}, List: true, Query: []string{"from", "to"}, handler: s.listStatements},
		{Method: "GET", Path: "/api/v1/cases/statements.csv", Summary: "The same statements of reasons as CSV",
			Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit, Query: []string{"from", "to"}, raw: s.statementsCSV},
		{Method: "GET", Path: "/api/v1/cases/{id}", Summary: "One case of your organisation with its matches (as you see the signals now), decisions and history",
			Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit, Resp: ksp.Case{}, handler: s.getCase},
		{Method: "POST", Path: "/api/v1/cases/{id}/decision", Summary: "Decide a case: remove|restrict|keep|escalate; posts the feedback verdict, writes the statement of reasons (remove, restrict) and the preservation date (remove). Nothing is actioned by KSP",
			Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit, Req: ksp.DecisionInput{}, Resp: ksp.Case{}, handler: s.decideCase},
		{Method: "POST", Path: "/api/v1/cases/{id}/assign", Summary: "Assign a case to a user of your organisation (\"\" unassigns)",
			Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit, Req: CaseAssignBody{}, Resp: ksp.Case{}, handler: s.assignCase},
		{Method: "POST", Path: "/api/v1/cases/{id}/legal-hold", Summary: "Keep a removed case's preserved evidence past its date (hold) or let it lapse",
			Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit, Req: CaseHoldBody{}, Resp: ksp.Case{}, handler: s.holdCase},
	}
}

func (s *Server) listCases(r *http.Request) (any, error) {
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	f := ksp.CaseFilter{Page: p}
	if v := q.Get("status"); v != "" {
		f.Status = &v
	}
	if v := q.Get("decision"); v != "" {
		f.Decision = &v
	}
	if v := q.Get("assigned_to"); v != "" {
		if v == "me" {
			v = ksp.ActorFrom(r.Context()).UserID
			if v == "" {
				return nil, invalid("assigned_to", "me needs a user's key or session")
			}
		}
		f.AssignedTo = &v
	}
	switch q.Get("preserved") {
	case "", "false":
	case "true":
		f.Preserved = true
	default:
		return nil, invalid("preserved", "must be true or false")
	}
	items, next, err := s.store.FindCases(r.Context(), f)
	return list(items, next), err
}

func (s *Server) openCase(r *http.Request) (any, error) {
	var in ksp.CaseInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	c, created, err := s.store.OpenCase(r.Context(), in)
	if err != nil {
		return nil, err
	}
	if !created {
		return withStatus{http.StatusOK, c}, nil
	}
	return withStatus{http.StatusCreated, c}, nil
}

func (s *Server) getCase(r *http.Request) (any, error) {
	return s.store.FindCaseByID(r.Context(), r.PathValue("id"))
}

func (s *Server) decideCase(r *http.Request) (any, error) {
	var in ksp.DecisionInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	return s.store.DecideCase(r.Context(), r.PathValue("id"), in)
}

func (s *Server) assignCase(r *http.Request) (any, error) {
	var b CaseAssignBody
	if err := decodeJSON(r, &b); err != nil {
		return nil, err
	}
	return s.store.AssignCase(r.Context(), r.PathValue("id"), b.UserID)
}

func (s *Server) holdCase(r *http.Request) (any, error) {
	var b CaseHoldBody
	if err := decodeJSON(r, &b); err != nil {
		return nil, err
	}
	return s.store.SetCaseLegalHold(r.Context(), r.PathValue("id"), b.Hold)
}

func (s *Server) countCases(r *http.Request) (any, error) {
	return s.store.CountCases(r.Context(), r.URL.Query().Get("org"))
}

// statementPeriod reads ?from= and ?to= (YYYY-MM-DD, to inclusive) as a
// half-open time range; the default is the last 30 days.
func statementPeriod(r *http.Request) (time.Time, time.Time, error) {
	q := r.URL.Query()
	now := time.Now().UTC()
	to := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	from := to.AddDate(0, 0, -30)
	if v := q.Get("from"); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return from, to, invalid("from", "must be a date YYYY-MM-DD")
		}
		from = t
	}
	if v := q.Get("to"); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return from, to, invalid("to", "must be a date YYYY-MM-DD")
		}
		to = t.AddDate(0, 0, 1)
	}
	if !from.Before(to) {
		return from, to, invalid("to", "must not be before from")
	}
	return from, to, nil
}

func (s *Server) listStatements(r *http.Request) (any, error) {
	from, to, err := statementPeriod(r)
	if err != nil {
		return nil, err
	}
	items, err := s.store.FindStatements(r.Context(), from, to)
	return list(items, ""), err
}

func (s *Server) statementsCSV(w http.ResponseWriter, r *http.Request) {
	from, to, err := statementPeriod(r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	items, err := s.store.FindStatements(r.Context(), from, to)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="statements-of-reasons.csv"`)
	if err := ksp.WriteStatementsCSV(w, items); err != nil {
		s.log.Warn("write statements CSV", "err", err)
	}
}
