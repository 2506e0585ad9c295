package web

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/kspplatform/ksp"
)

func (s *Server) registerIncidents() {
	// Anyone may open the list and a page: the store shows an anonymous
	// visitor only public incidents (with their published summary).
	s.Handle("GET /incidents", Public, s.incidents)
	s.Handle("GET /incidents/new", StaffOnly, s.newIncidentForm)
	s.Handle("POST /incidents", StaffOnly, s.createIncident)
	s.Handle("GET /incidents/{id}", Public, s.incident)
	s.Handle("POST /incidents/{id}/activate", StaffOnly, s.activateIncident)
	s.Handle("POST /incidents/{id}/updates", StaffOnly, s.addIncidentUpdate)
	s.Handle("POST /incidents/{id}/close", StaffOnly, s.closeIncident)
	s.AddNav(NavItem{Label: "Incidents", Path: "/incidents", Show: SignedIn})
	s.AddPanel(Panel{Title: "Incidents", Render: s.incidentsPanel})
}

// incidentsPanel shows the dashboard the active incidents, or, when none
// is, the latest ones the viewer may see.
func (s *Server) incidentsPanel(r *http.Request) (template.HTML, error) {
	list, _, err := s.store.FindIncidents(r.Context(), ksp.IncidentFilter{Page: ksp.Page{Limit: 5}})
	if err != nil || len(list) == 0 {
		return "", err
	}
	return s.Fragment("incidents.html", "panel", list)
}

// IncidentsData is the incident list's content.
type IncidentsData struct {
	Incidents []*ksp.Incident
	Pager     Pager
	// Review lists emergency activations unconfirmed after 24 hours
	// (staff only).
	Review []*ksp.Incident
	Staff  bool
}

func (s *Server) incidents(w http.ResponseWriter, r *http.Request) error {
	a := ksp.ActorFrom(r.Context())
	list, next, err := s.store.FindIncidents(r.Context(), ksp.IncidentFilter{Page: ksp.Page{Limit: 50, Cursor: r.URL.Query().Get("cursor")}})
	if err != nil {
		return err
	}
	d := IncidentsData{Incidents: list, Pager: pagerFor(r, next), Staff: a.Viewer().Staff}
	if d.Staff {
		now := ksp.Now()
		if d.Review, _, err = s.store.FindIncidents(r.Context(), ksp.IncidentFilter{ReviewAsOf: &now, Page: ksp.Page{Limit: 50}}); err != nil {
			return err
		}
	}
	return s.render(w, r, http.StatusOK, "incidents.html", &Page{Title: "Incidents", Data: d})
}

// IncidentFormData is the draft form's content.
type IncidentFormData struct {
	Types, Criteria, Distributions, TLPs, Audience []Choice
}

var incidentLabels = map[string]string{
	"type": "Type", "title": "Title", "description": "Description", "activation_criteria": "Activation criteria",
	"distribution": "Who can see it", "audience": "Organisations", "tlp": "TLP", "text": "Update",
	"end_criteria": "End criteria", "debrief": "Debrief", "public_summary": "Public summary",
}

func (s *Server) incidentForm(w http.ResponseWriter, r *http.Request, status int, p *Page) error {
	d := IncidentFormData{
		Types:    choicesOf(ksp.IncidentTypes, nil, humanOf[string]),
		Criteria: choicesOf(ksp.DefaultIncidentCriteria, nil, func(v string) string { return v }),
		Distributions: choicesOf([]ksp.Distribution{ksp.DistMembers, ksp.DistAudience, ksp.DistOwner, ksp.DistPublic}, nil, func(d ksp.Distribution) string {
			return map[ksp.Distribution]string{ksp.DistMembers: "All members", ksp.DistAudience: "Organisations I choose", ksp.DistOwner: "Staff only", ksp.DistPublic: "Anyone (public, TLP:CLEAR only)"}[d]
		}),
		TLPs: choicesOf(ksp.TLPs, tlpWords, func(t ksp.TLP) string { return "TLP:" + string(t) }),
	}
	var err error
	if d.Audience, err = s.audienceChoices(r, ksp.ActorFrom(r.Context()).OrgID); err != nil {
		return err
	}
	p.Title = "Draft an incident"
	p.Data = d
	return s.render(w, r, status, "incident_new.html", p)
}

func (s *Server) newIncidentForm(w http.ResponseWriter, r *http.Request) error {
	form := url.Values{"type": {ksp.IncidentTypeContentIncident}, "distribution": {string(ksp.DefaultDistribution)}, "tlp": {string(ksp.DefaultTLP)}}
	return s.incidentForm(w, r, http.StatusOK, &Page{Form: form})
}

func (s *Server) createIncident(w http.ResponseWriter, r *http.Request) error {
	form := r.PostForm
	typ := strings.TrimSpace(form.Get("type_other"))
	if typ == "" {
		typ = form.Get("type")
	}
	i := &ksp.Incident{Type: typ, Title: form.Get("title"), Description: form.Get("description"),
		Sharing: ksp.Sharing{Distribution: ksp.Distribution(form.Get("distribution")), TLP: ksp.TLP(form.Get("tlp"))}}
	if i.Distribution == ksp.DistAudience {
		i.Audience = form["audience"]
	}
	// The checklist is recorded whole, ticked or not: it says what the
	// staff on duty judged, and is never a gate.
	for _, c := range ksp.DefaultIncidentCriteria {
		i.Criteria = append(i.Criteria, ksp.IncidentCriterion{Text: c, Met: slices.Contains(form["criteria"], c)})
	}
	for _, line := range strings.Split(form.Get("criteria_other"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			i.Criteria = append(i.Criteria, ksp.IncidentCriterion{Text: line, Met: true})
		}
	}
	err := s.store.CreateIncident(r.Context(), i)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		return s.incidentForm(w, r, http.StatusBadRequest, &Page{Form: form, Errors: formErrors(err, incidentLabels, "title")})
	}
	if err != nil {
		return err
	}
	s.flash(w, r, "success", "Incident drafted. Only staff can see it until it is activated, which needs a second staff member.")
	return redirect(w, r, "/incidents/"+i.ID)
}

// IncidentData is the incident page's content.
type IncidentData struct {
	Incident *ksp.Incident
	// Timeline is the updates, newest first.
	Timeline []ksp.IncidentUpdate
	Staff    bool
	// Me is the viewer as the two-person rule names it.
	Me string
	// NeedsReview is set for an emergency activation unconfirmed after
	// 24 hours.
	NeedsReview bool
	// Links are the alerts and signals sent under the incident that the
	// viewer may see (none for anonymous readers).
	Links *ksp.IncidentLinks
}

func (s *Server) incidentPage(w http.ResponseWriter, r *http.Request, status int, p *Page) error {
	a := ksp.ActorFrom(r.Context())
	i, err := s.store.FindIncidentByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	tl := slices.Clone(i.Updates)
	slices.Reverse(tl)
	p.Title = i.Title
	d := IncidentData{Incident: i, Timeline: tl, NeedsReview: i.NeedsReview(ksp.Now())}
	if a != nil {
		d.Staff, d.Me = a.Staff, "user:"+a.UserID
		if d.Links, err = s.store.FindIncidentLinks(r.Context(), i.ID); err != nil {
			return err
		}
	}
	p.Data = d
	return s.render(w, r, status, "incident.html", p)
}

func (s *Server) incident(w http.ResponseWriter, r *http.Request) error {
	return s.incidentPage(w, r, http.StatusOK, &Page{})
}

func (s *Server) activateIncident(w http.ResponseWriter, r *http.Request) error {
	emergency := r.PostFormValue("emergency") == "yes"
	i, err := s.store.ActivateIncident(r.Context(), r.PathValue("id"), ksp.ActivateIncidentInput{Emergency: emergency})
	if err != nil {
		return err
	}
	msg := "Incident activated: everyone who may see it is told."
	switch {
	case i.Status == ksp.IncidentDraft:
		msg = "Activation requested. A second staff member must confirm it before the incident is active."
	case i.Emergency && i.Confirmed != nil:
		msg = "Emergency activation confirmed."
	case i.Emergency:
		msg = "Incident activated in an emergency. A second staff member must confirm it within 24 hours, or it is listed for review."
	}
	s.flash(w, r, "success", msg)
	return redirect(w, r, "/incidents/"+i.ID)
}

func (s *Server) addIncidentUpdate(w http.ResponseWriter, r *http.Request) error {
	in := ksp.IncidentUpdateInput{Text: r.PostFormValue("text")}
	if v := strings.TrimSpace(r.PostFormValue("public_summary")); v != "" {
		in.PublicSummary = &v
	}
	_, err := s.store.AddIncidentUpdate(r.Context(), r.PathValue("id"), in)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		return s.incidentPage(w, r, http.StatusBadRequest, &Page{Form: r.PostForm, Errors: formErrors(err, incidentLabels, "text")})
	}
	if err != nil {
		return err
	}
	s.flash(w, r, "success", "Update posted to the timeline.")
	return redirect(w, r, "/incidents/"+r.PathValue("id"))
}

func (s *Server) closeIncident(w http.ResponseWriter, r *http.Request) error {
	in := ksp.CloseIncidentInput{EndCriteria: r.PostFormValue("end_criteria"), Debrief: r.PostFormValue("debrief")}
	if v := strings.TrimSpace(r.PostFormValue("close_summary")); v != "" {
		in.PublicSummary = &v
	}
	_, err := s.store.CloseIncident(r.Context(), r.PathValue("id"), in)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		return s.incidentPage(w, r, http.StatusBadRequest, &Page{Form: r.PostForm, Errors: formErrors(err, incidentLabels, "end_criteria")})
	}
	if err != nil {
		return err
	}
	// Closing may have retracted signals: matching must not find them.
	s.synced(r)
	s.flash(w, r, "success", "Incident closed. Signals shared under it that no second organisation confirmed are retracted.")
	return redirect(w, r, "/incidents/"+r.PathValue("id"))
}

// activeIncidents returns the active incidents the signed-in viewer may
// see, for the banner of every page: one query on the status index.
func (s *Server) activeIncidents(r *http.Request) []*ksp.Incident {
	if ksp.ActorFrom(r.Context()) == nil {
		return nil
	}
	list, err := s.store.FindActiveIncidents(r.Context())
	if err != nil {
		// The banner must not take a page down with it.
		s.log.Error("web: active incidents", "err", err)
		return nil
	}
	return list
}
