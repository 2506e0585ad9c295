package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/kspplatform/ksp"
)

// The mentoring pages: an org's requests with the forms to request and to
// offer mentoring, staff's matching, and a mentorship with its sessions.
// Only the two orgs and staff see a request (the store's rule).

func (s *Server) registerMentorship() {
	s.Handle("GET /community/mentorship", SignedIn, s.mentorship)
	s.Handle("GET /community/mentorship/new", SignedIn, s.requestMentoringForm)
	s.Handle("POST /community/mentorship/new", SignedIn, s.requestMentoring)
	s.Handle("GET /community/mentorship/offer", SignedIn, s.offerMentoringForm)
	s.Handle("POST /community/mentorship/offer", SignedIn, s.offerMentoring)
	s.Handle("GET /community/mentorship/{id}", SignedIn, s.mentorshipPage)
	s.Handle("POST /community/mentorship/{id}/match", StaffOnly, s.matchMentoring)
	s.Handle("POST /community/mentorship/{id}/status", SignedIn, s.mentoringStatus)
	s.Handle("POST /community/mentorship/{id}/sessions", SignedIn, s.logMentoringSession)
}

func init() {
	funcs["mentorTopic"] = mentorTopic
	funcs["mentorStatus"] = func(st string) string { return human(st) }
}

var mentorTopicWords = map[string]string{
	ksp.TopicTermsOfService:    "Terms of service",
	ksp.TopicTransparency:      "Transparency reporting",
	ksp.TopicContentModeration: "Content moderation",
	ksp.TopicCrisisResponse:    "Crisis response",
	ksp.TopicLegalCompliance:   "Legal compliance",
	ksp.TopicTooling:           "Tooling",
}

// mentorTopic names a topic for people.
func mentorTopic(t string) string {
	if w, ok := mentorTopicWords[t]; ok {
		return w
	}
	return human(t)
}

func mentorTopicChoices() []Choice {
	return choicesOf(ksp.MentorshipTopics, nil, mentorTopic)
}

// MentorshipData is the mentoring page's content.
type MentorshipData struct {
	Requests []*ksp.MentorshipRequest
	Pager    Pager
	// Offers are every offer for staff, the viewer's org's own otherwise.
	Offers  []*ksp.MentorshipOffer
	CanPost bool
	Staff   bool
}

var mentorLabels = map[string]string{"topics": "Topics", "note": "Note"}

func (s *Server) mentorship(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := ksp.ActorFrom(ctx)
	d := MentorshipData{CanPost: mayPost(a), Staff: a.Staff}
	list, next, err := s.store.FindMentorshipRequests(ctx, ksp.MentorshipFilter{Page: ksp.Page{Limit: 50, Cursor: r.URL.Query().Get("cursor")}})
	if err != nil {
		return err
	}
	d.Requests, d.Pager = list, pagerFor(r, next)
	if d.Offers, err = s.store.FindMentorshipOffers(ctx); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "mentorship.html", &Page{Title: "Mentoring", Data: d})
}

// MentorFormData is the request or offer form's content.
type MentorFormData struct {
	Offer  bool
	Topics []Choice
}

func (s *Server) mentorForm(w http.ResponseWriter, r *http.Request, status int, offer bool, p *Page) error {
	p.Title = "Request mentoring"
	if offer {
		p.Title = "Offer to mentor"
	}
	p.Data = MentorFormData{Offer: offer, Topics: mentorTopicChoices()}
	return s.render(w, r, status, "mentorship_form.html", p)
}

func (s *Server) requestMentoringForm(w http.ResponseWriter, r *http.Request) error {
	if !mayPost(ksp.ActorFrom(r.Context())) {
		return s.refusePost(w, r)
	}
	return s.mentorForm(w, r, http.StatusOK, false, &Page{Form: url.Values{}})
}

func (s *Server) offerMentoringForm(w http.ResponseWriter, r *http.Request) error {
	a := ksp.ActorFrom(r.Context())
	if !mayPost(a) {
		return s.refusePost(w, r)
	}
	offers, err := s.store.FindMentorshipOffers(r.Context())
	if err != nil {
		return err
	}
	f := url.Values{}
	for _, o := range offers {
		if o.OrgID == a.OrgID {
			f["topics"], f["note"] = o.Topics, []string{o.Note}
		}
	}
	return s.mentorForm(w, r, http.StatusOK, true, &Page{Form: f})
}

func (s *Server) requestMentoring(w http.ResponseWriter, r *http.Request) error {
	if !mayPost(ksp.ActorFrom(r.Context())) {
		return s.refusePost(w, r)
	}
	if err := libraryPostForm(r); err != nil {
		return err
	}
	req := &ksp.MentorshipRequest{Topics: r.PostForm["topics"], Note: r.PostForm.Get("note")}
	err := s.store.CreateMentorshipRequest(r.Context(), req)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		return s.mentorForm(w, r, http.StatusBadRequest, false, &Page{Form: r.PostForm, Errors: formErrors(err, mentorLabels, "topics")})
	}
	if err != nil {
		return err
	}
	s.flash(w, r, "success", "Mentoring requested. The programme's staff will match you with a mentor; only your organisation, the mentor and staff see the request.")
	return redirect(w, r, "/community/mentorship/"+req.ID)
}

func (s *Server) offerMentoring(w http.ResponseWriter, r *http.Request) error {
	if !mayPost(ksp.ActorFrom(r.Context())) {
		return s.refusePost(w, r)
	}
	if err := libraryPostForm(r); err != nil {
		return err
	}
	o, err := s.store.SetMentorshipOffer(r.Context(), r.PostForm["topics"], r.PostForm.Get("note"))
	if ksp.ErrorCode(err) == ksp.EINVALID {
		return s.mentorForm(w, r, http.StatusBadRequest, true, &Page{Form: r.PostForm, Errors: formErrors(err, mentorLabels, "topics")})
	}
	if err != nil {
		return err
	}
	msg := "Offer withdrawn."
	if len(o.Topics) > 0 {
		words := make([]string, len(o.Topics))
		for i, t := range o.Topics {
			words[i] = mentorTopic(t)
		}
		msg = "Thank you: your organisation offers to mentor on " + strings.Join(words, ", ") + "."
	}
	s.flash(w, r, "success", msg)
	return redirect(w, r, "/community/mentorship")
}

// MentorshipPageData is one mentorship's page content.
type MentorshipPageData struct {
	Request *ksp.MentorshipRequest
	// Mentors are the offers staff may match the request with.
	Mentors []Choice
	Staff   bool
	// Party: the viewer's org is one of the two sides.
	Party   bool
	CanPost bool
	// Next is the status the request may move to by either side, if any.
	Next string
	// CanLog: sessions may be logged now by the viewer.
	CanLog bool
}

func (s *Server) mentorshipPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderMentorshipPage(w, r, http.StatusOK, &Page{Form: url.Values{}})
}

func (s *Server) renderMentorshipPage(w http.ResponseWriter, r *http.Request, status int, p *Page) error {
	ctx := r.Context()
	a := ksp.ActorFrom(ctx)
	req, err := s.store.FindMentorshipRequestByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	d := MentorshipPageData{Request: req, Staff: a.Staff, CanPost: mayPost(a), Party: a.OrgID == req.OrgID || a.OrgID == req.MentorOrgID}
	switch req.Status {
	case ksp.MentorshipMatched:
		d.Next = ksp.MentorshipActive
	case ksp.MentorshipActive:
		d.Next = ksp.MentorshipCompleted
	}
	d.CanLog = d.Party && d.CanPost && (req.Status == ksp.MentorshipMatched || req.Status == ksp.MentorshipActive)
	if a.Staff && req.Status == ksp.MentorshipOpen {
		offers, err := s.store.FindMentorshipOffers(ctx)
		if err != nil {
			return err
		}
		for _, o := range offers {
			covers := true
			for _, t := range req.Topics {
				covers = covers && slices.Contains(o.Topics, t)
			}
			if covers && o.OrgID != req.OrgID {
				d.Mentors = append(d.Mentors, Choice{Value: o.OrgID, Label: o.OrgName, Hint: human(string(o.OrgKind)) + " · " + o.Note})
			}
		}
	}
	p.Title, p.Data = "Mentoring for "+req.OrgName, d
	return s.render(w, r, status, "mentorship_request.html", p)
}

func (s *Server) matchMentoring(w http.ResponseWriter, r *http.Request) error {
	if err := libraryPostForm(r); err != nil {
		return err
	}
	req, err := s.store.MatchMentorship(r.Context(), r.PathValue("id"), r.PostForm.Get("mentor_org_id"))
	if ksp.ErrorCode(err) == ksp.EINVALID {
		return s.renderMentorshipPage(w, r, http.StatusBadRequest, &Page{Form: r.PostForm, Errors: formErrors(err, map[string]string{"mentor_org_id": "Mentor"}, "mentor_org_id")})
	}
	if err != nil {
		return err
	}
	s.flash(w, r, "success", "Matched with "+req.MentorOrgName+". Both organisations now see the mentorship and can log sessions.")
	return redirect(w, r, "/community/mentorship/"+req.ID)
}

func (s *Server) mentoringStatus(w http.ResponseWriter, r *http.Request) error {
	if !mayPost(ksp.ActorFrom(r.Context())) {
		return s.refusePost(w, r)
	}
	req, err := s.store.SetMentorshipStatus(r.Context(), r.PathValue("id"), r.PostFormValue("status"))
	if err != nil {
		return err
	}
	s.flash(w, r, "success", "The mentorship is now "+human(req.Status)+".")
	return redirect(w, r, "/community/mentorship/"+req.ID)
}

func (s *Server) logMentoringSession(w http.ResponseWriter, r *http.Request) error {
	if !mayPost(ksp.ActorFrom(r.Context())) {
		return s.refusePost(w, r)
	}
	if err := libraryPostForm(r); err != nil {
		return err
	}
	f := r.PostForm
	minutes, convErr := strconv.Atoi(strings.TrimSpace(f.Get("minutes")))
	if convErr != nil {
		minutes = -1
	}
	sess, err := s.store.LogMentorshipSession(r.Context(), r.PathValue("id"), &ksp.MentorshipSession{Held: f.Get("held_on"), Minutes: minutes, Notes: f.Get("notes")})
	if ksp.ErrorCode(err) == ksp.EINVALID {
		return s.renderMentorshipPage(w, r, http.StatusBadRequest, &Page{Form: f, Errors: formErrors(err,
			map[string]string{"held_on": "Date", "minutes": "Length in minutes", "notes": "Notes"}, "held_on")})
	}
	if err != nil {
		return err
	}
	s.flash(w, r, "success", fmt.Sprintf("Session of %s logged (%d minutes).", sess.Held, sess.Minutes))
	return redirect(w, r, "/community/mentorship/"+r.PathValue("id"))
}
