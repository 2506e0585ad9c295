package web

import (
	"net/http"
	"strings"

	"github.com/kspplatform/ksp"
)

// Staff's review of an application: the checklist (ticked boxes recorded
// with who ticked them), notes kept with the application, and the reason
// every decision must give in the browser (the API accepts an approval
// without one, for older clients).

func init() {
	funcs["kindWords"] = ksp.KindWords
}

// checklistChoices returns the checklist as checkboxes, each ticked item's
// hint naming who ticked it and when.
func checklistChoices(a *ksp.Application) []Choice {
	out := make([]Choice, 0, len(ksp.ChecklistItems))
	for _, it := range ksp.ChecklistItems {
		c := Choice{Value: it, Label: ksp.ChecklistLabels[it]}
		if t := a.Checklist[it]; t != nil {
			who := t.Name
			if who == "" {
				who = t.By
			}
			c.Hint = "Ticked by " + who + " on " + t.At.UTC().Format("2 Jan 2006 15:04 UTC")
		}
		out = append(out, c)
	}
	return out
}

// checklistForm reads the checklist's checkboxes: every item, ticked or
// not (a box left unticked unticks it).
func checklistForm(r *http.Request) map[string]bool {
	ticks := map[string]bool{}
	for _, it := range ksp.ChecklistItems {
		ticks[it] = false
	}
	for _, v := range r.PostForm["checklist"] {
		ticks[v] = true // unknown values are refused by the store, naming the field
	}
	return ticks
}

// decisionForm reads a decision; ok is false without a reason, which the
// browser always requires.
func decisionForm(r *http.Request) (ksp.Decision, bool) {
	d := ksp.Decision{Reason: r.PostFormValue("reason"), Checklist: checklistForm(r)}
	return d, strings.TrimSpace(d.Reason) != ""
}

func (s *Server) applicationChecklist(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	_, err := s.store.UpdateApplicationChecklist(r.Context(), id, checklistForm(r))
	switch ksp.ErrorCode(err) {
	case "":
	case ksp.EINVALID:
		return s.applicationPage(w, r, http.StatusBadRequest, &Page{Form: r.PostForm, Errors: formErrors(err, map[string]string{"checklist": "Checklist"}, "checklist")})
	case ksp.ECONFLICT:
		s.flash(w, r, "warning", ksp.ErrorMessage(err))
		return redirect(w, r, "/staff/applications/"+id)
	default:
		return err
	}
	s.flash(w, r, "success", "Checklist saved.")
	return redirect(w, r, "/staff/applications/"+id+"#h-review")
}

func (s *Server) applicationNote(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	_, err := s.store.AddApplicationNote(r.Context(), id, r.PostFormValue("body"))
	if ksp.ErrorCode(err) == ksp.EINVALID {
		return s.applicationPage(w, r, http.StatusBadRequest, &Page{Form: r.PostForm, Errors: formErrors(err, map[string]string{"body": "Note"}, "body")})
	}
	if err != nil {
		return err
	}
	s.flash(w, r, "success", "Note added.")
	return redirect(w, r, "/staff/applications/"+id+"#h-notes")
}
