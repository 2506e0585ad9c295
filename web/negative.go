package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/kspplatform/ksp"
)

func (s *Server) registerNegatives() {
	s.Handle("GET /signals/negative", SignedIn, s.negatives)
	s.Handle("POST /signals/negative", SignedIn, s.addNegative)
	s.Handle("POST /signals/negative/{id}/remove", SignedIn, s.removeNegative)
	s.Handle("POST /signals/negative/{id}/approve", StaffOnly, s.approveNegative)
}

// NegativeData is the negative bank page's content.
type NegativeData struct {
	Entries []*ksp.NegativeEntry
	Pager   Pager
	Types   []Choice
	Scopes  []Choice
	// OrgID and Staff decide which entries the viewer may remove or
	// approve.
	OrgID string
	Staff bool
}

func (s *Server) negativePage(w http.ResponseWriter, r *http.Request, status int, p *Page) error {
	a := ksp.ActorFrom(r.Context())
	if !mayShare(a) {
		s.errorPage(w, r, http.StatusForbidden, "Analysts only", "The negative bank is for analysts. Ask an admin of your organisation.")
		return nil
	}
	f := ksp.NegativeFilter{Page: ksp.Page{Limit: 50, Cursor: r.URL.Query().Get("cursor")}, Pending: r.URL.Query().Get("pending") == "true"}
	list, next, err := s.store.FindNegatives(r.Context(), f)
	if err != nil {
		return err
	}
	p.Title = "Negative bank"
	scopes := []Choice{
		{Value: ksp.NegativeOrg, Label: "My organisation's matches only", Hint: "Applies at once, to your organisation's matches."},
		{Value: ksp.NegativeProgramme, Label: "Propose it for every member", Hint: "Applies to your matches at once, and to every member's once staff approve it."},
	}
	p.Data = NegativeData{Entries: list, Pager: pagerFor(r, next), Types: choicesOf(ksp.SignalTypes, nil, humanOf[string]), Scopes: scopes, OrgID: a.OrgID, Staff: a.Staff}
	return s.render(w, r, status, "negative.html", p)
}

func (s *Server) negatives(w http.ResponseWriter, r *http.Request) error {
	return s.negativePage(w, r, http.StatusOK, &Page{})
}

func (s *Server) addNegative(w http.ResponseWriter, r *http.Request) error {
	in := ksp.NegativeInput{Type: r.PostFormValue("type"), Value: r.PostFormValue("value"), Reason: r.PostFormValue("reason"), Scope: r.PostFormValue("scope")}
	var errs []FormError
	okType := slices.Contains(ksp.SignalTypes, in.Type)
	if !okType {
		errs = append(errs, FormError{"type", "Choose the type of value"})
	}
	if strings.TrimSpace(in.Value) == "" {
		errs = append(errs, FormError{"value", "Enter the value"})
	} else if _, why := ksp.NormalizeValue(in.Type, in.Value); okType && why != "" {
		errs = append(errs, FormError{"value", sentence("Value", why)})
	}
	if strings.TrimSpace(in.Reason) == "" {
		errs = append(errs, FormError{"reason", "Enter why this never counts as a match"})
	}
	if errs != nil {
		return s.negativePage(w, r, http.StatusBadRequest, &Page{Form: r.PostForm, Errors: errs})
	}
	e, err := s.store.AddNegative(r.Context(), in)
	if c := ksp.ErrorCode(err); c == ksp.EINVALID || c == ksp.ECONFLICT {
		return s.negativePage(w, r, http.StatusBadRequest, &Page{Form: r.PostForm, Errors: formErrors(err, map[string]string{"type": "Type", "value": "Value", "reason": "Reason", "scope": "Applies to"}, "value")})
	}
	if err != nil {
		return err
	}
	s.synced(r)
	msg := fmt.Sprintf("Added to the negative bank: matches on this %s value are no longer actionable for your organisation.", human(e.Type))
	switch {
	case e.Ref().Programme:
		msg = fmt.Sprintf("Added to the negative bank: matches on this %s value are no longer actionable, for every member.", human(e.Type))
	case e.Pending():
		msg += " Staff will review the proposal to apply it to every member."
	}
	s.flash(w, r, "success", msg)
	return redirect(w, r, "/signals/negative")
}

func (s *Server) removeNegative(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.RemoveNegative(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	s.synced(r)
	s.flash(w, r, "success", "Removed from the negative bank: matches on that value count again.")
	return redirect(w, r, "/signals/negative")
}

func (s *Server) approveNegative(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.store.ApproveNegative(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	s.synced(r)
	s.flash(w, r, "success", "Approved: matches on that value are no longer actionable, for every member.")
	return redirect(w, r, "/signals/negative?pending=true")
}
