package web

import (
	"net/http"
	"net/url"

	"github.com/kspplatform/ksp"
)

func (s *Server) registerStaff() {
	s.Handle("GET /staff", StaffOnly, s.staff)
	s.Handle("GET /staff/applications/{id}", StaffOnly, s.application)
	s.Handle("POST /staff/applications/{id}/approve", StaffOnly, s.approve)
	s.Handle("POST /staff/applications/{id}/reject", StaffOnly, s.reject)
	s.Handle("POST /staff/applications/{id}/checklist", StaffOnly, s.applicationChecklist)
	s.Handle("POST /staff/applications/{id}/notes", StaffOnly, s.applicationNote)
	s.Handle("GET /staff/orgs", StaffOnly, s.staffOrgs)
	s.Handle("GET /staff/orgs/{id}/users", StaffOnly, s.staffOrgUsers)
	s.AddNav(NavItem{Label: "Staff", Path: "/staff", Show: StaffOnly})
}

// StaffData is the vetting queue's content.
type StaffData struct {
	Apps     []*ksp.Application
	Status   string
	Pager    Pager
	Statuses []string
	// Reviews are the newest open review flags (signals of a delisted
	// entity); ReviewsMore says there are older ones.
	Reviews     []*ksp.SignalReview
	ReviewsMore bool
}

func (s *Server) staff(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	status := q.Get("status")
	if status == "" {
		status = ksp.AppPending
	}
	f := ksp.ApplicationFilter{Page: ksp.Page{Limit: 25, Cursor: q.Get("cursor")}}
	switch status {
	case ksp.AppPending, ksp.AppApproved, ksp.AppRejected:
		f.Status = &status
	default:
		status = "all"
	}
	apps, next, err := s.store.FindApplications(r.Context(), f)
	if err != nil {
		return err
	}
	reviews, more, err := s.openReviews(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "staff.html", &Page{Title: "Membership applications", Form: url.Values{"status": {status}},
		Data: StaffData{Apps: apps, Status: status, Pager: pagerFor(r, next), Statuses: []string{ksp.AppPending, ksp.AppApproved, ksp.AppRejected, "all"},
			Reviews: reviews, ReviewsMore: more}})
}

// ApplicationData is an application's page content.
type ApplicationData struct {
	App   *ksp.Application
	Notes []*ksp.ApplicationNote
	// Checks is the checklist, each item with who ticked it.
	Checks []Choice
}

func (s *Server) applicationPage(w http.ResponseWriter, r *http.Request, status int, p *Page) error {
	a, err := s.store.FindApplicationByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	notes, err := s.store.FindApplicationNotes(r.Context(), a.ID)
	if err != nil {
		return err
	}
	p.Title = "Application from " + a.OrgName
	p.Data = ApplicationData{App: a, Notes: notes, Checks: checklistChoices(a)}
	if p.Form == nil {
		p.Form = url.Values{}
	}
	if _, posted := p.Form["checklist"]; !posted && p.Errors == nil {
		for _, it := range ksp.ChecklistItems {
			if a.Checklist[it] != nil {
				p.Form.Add("checklist", it)
			}
		}
	}
	return s.render(w, r, status, "application.html", p)
}

func (s *Server) application(w http.ResponseWriter, r *http.Request) error {
	return s.applicationPage(w, r, http.StatusOK, &Page{})
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request) error {
	d, ok := decisionForm(r)
	if !ok {
		return s.applicationPage(w, r, http.StatusBadRequest, &Page{Form: r.PostForm, Errors: []FormError{{"reason", "Enter the reason for your decision"}}})
	}
	ap, err := s.store.ApproveApplication(r.Context(), r.PathValue("id"), d)
	switch ksp.ErrorCode(err) {
	case "":
	case ksp.EINVALID:
		return s.applicationPage(w, r, http.StatusBadRequest, &Page{Form: r.PostForm, Errors: formErrors(err, map[string]string{"reason": "Reason for the decision", "checklist": "Checklist"}, "reason")})
	case ksp.ECONFLICT:
		s.flash(w, r, "warning", ksp.ErrorMessage(err))
		return redirect(w, r, "/staff/applications/"+r.PathValue("id"))
	default:
		return err
	}
	if link, err := s.sendInvitation(r, ap.Invitation, ap.Org.Name, "The KSP secretariat"); err != nil {
		s.flash(w, r, "warning", "Approved: "+ap.Org.Name+" is a member. The invitation mail to "+ap.Admin.Email+" could not be sent; give them this link yourself, it works once: "+link)
	} else {
		s.flash(w, r, "success", "Approved: "+ap.Org.Name+" is a member, and an invitation was sent to "+ap.Admin.Email+".")
	}
	return redirect(w, r, "/staff/applications/"+ap.Application.ID)
}

func (s *Server) reject(w http.ResponseWriter, r *http.Request) error {
	d, ok := decisionForm(r)
	if !ok {
		return s.applicationPage(w, r, http.StatusBadRequest, &Page{Form: r.PostForm, Errors: []FormError{{"reason", "Enter the reason for your decision"}}})
	}
	a, err := s.store.RejectApplication(r.Context(), r.PathValue("id"), d)
	switch ksp.ErrorCode(err) {
	case "":
	case ksp.EINVALID:
		return s.applicationPage(w, r, http.StatusBadRequest, &Page{Form: r.PostForm, Errors: formErrors(err, map[string]string{"reason": "Reason for the decision", "checklist": "Checklist"}, "reason")})
	case ksp.ECONFLICT:
		s.flash(w, r, "warning", ksp.ErrorMessage(err))
		return redirect(w, r, "/staff/applications/"+r.PathValue("id"))
	default:
		return err
	}
	text := "Thank you for applying to join KSP on behalf of " + a.OrgName + ". The programme's staff decided not to admit your organisation at this time, for this reason:\n\n" + a.Reason + "\n"
	if err := s.cfg.Mailer.Send(r.Context(), ksp.Mail{To: a.ContactEmail, Subject: "Your application to KSP", Text: text}); err != nil {
		s.log.Error("send rejection", "err", err)
	}
	s.flash(w, r, "success", "Rejected; the applicant was told why.")
	return redirect(w, r, "/staff/applications/"+a.ID)
}

// OrgsData is the staff list of organisations.
type OrgsData struct {
	Orgs  []*ksp.Org
	Pager Pager
}

// staffOrgs lists the organisations, leading to each one's users: where
// staff help a member who is locked out.
func (s *Server) staffOrgs(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	orgs, next, err := s.store.FindOrgs(r.Context(), ksp.OrgFilter{Page: ksp.Page{Limit: 100, Cursor: q.Get("cursor")}})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "orgs.html", &Page{Title: "Organisations", Data: OrgsData{Orgs: orgs, Pager: pagerFor(r, next)}})
}

func (s *Server) staffOrgUsers(w http.ResponseWriter, r *http.Request) error {
	return s.usersPage(w, r, http.StatusOK, r.PathValue("id"), &Page{})
}
