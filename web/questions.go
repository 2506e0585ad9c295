package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/kspplatform/ksp"
)

// The community's questions and answers: the list with search and
// filters, a question with its answers and the forms to answer, vote and
// accept, and the form to ask. Every read goes through the store's sharing
// rule; every write is the store's, audited there.

func (s *Server) registerQuestions() {
	s.Handle("GET /community/questions", Public, s.questions)
	s.Handle("GET /community/questions/new", SignedIn, s.askForm)
	s.Handle("POST /community/questions/new", SignedIn, s.ask)
	s.Handle("GET /community/questions/{id}", Public, s.question)
	s.Handle("POST /community/questions/{id}/answers", SignedIn, s.answer)
	s.Handle("POST /community/questions/{id}/vote", SignedIn, s.voteOnQuestion)
	s.Handle("POST /community/questions/{id}/answers/{aid}/vote", SignedIn, s.voteOnAnswer)
	s.Handle("POST /community/questions/{id}/answers/{aid}/accept", SignedIn, s.accept)
	// The community has no page of its own: its questions stand for it.
	s.Handle("GET /community", Public, func(w http.ResponseWriter, r *http.Request) error { return redirect(w, r, "/community/questions") })
	s.AddNav(NavItem{Label: "Community", Path: "/community/questions", Show: Public})
	s.AddPanel(Panel{Title: "Questions to the community", Render: s.questionsPanel})
}

func init() {
	funcs["qaParty"] = qaParty
	funcs["qaBody"] = func(src string) template.HTML { return renderBody(src, 1) }
	funcs["qaSnippet"] = trustedSnippet
	funcs["qaAnswerBody"] = func(src string) template.HTML { return renderBody(src, 3) }
}

// qaParty words who asked or answered: the name or description, and
// "expert" for the organisations the programme shows as such.
func qaParty(p ksp.Party) string {
	out := p.Name
	if p.Named && p.Kind != ksp.KindStaff {
		out += " (" + strings.TrimPrefix(strings.TrimPrefix(ksp.DescribeOrg(p.Kind, p.Size), "a "), "an ") + ")"
	}
	if p.Person != "" {
		out = p.Person + ", " + out
	}
	return out
}

// mayPost reports whether the viewer may ask, answer and vote: an analyst
// (or staff) of an org in good standing. The store checks again.
func mayPost(a *ksp.Actor) bool { return a.HasRole(ksp.RoleAnalyst) && !a.Suspended }

// QAPanelData is the dashboard panel's content: answers to the viewer's
// organisation's questions first, then the newest questions.
type QAPanelData struct {
	Mine, Newest []*ksp.Question
}

// questionsPanel shows the viewer's organisation's questions with their
// answers, and the newest questions it may read.
func (s *Server) questionsPanel(r *http.Request) (template.HTML, error) {
	var d QAPanelData
	var err error
	if d.Mine, _, err = s.store.FindQuestions(r.Context(), ksp.QuestionFilter{Mine: true, Page: ksp.Page{Limit: 5}}); err != nil {
		return "", err
	}
	if d.Newest, _, err = s.store.FindQuestions(r.Context(), ksp.QuestionFilter{Page: ksp.Page{Limit: 5}}); err != nil {
		return "", err
	}
	if len(d.Mine) == 0 && len(d.Newest) == 0 {
		return "", nil
	}
	return s.Fragment("questions.html", "panel", d)
}

// QuestionsData is the questions page's content: a list, or search hits.
type QuestionsData struct {
	Questions []*ksp.Question
	Hits      []*ksp.SearchResult
	Searched  bool
	Pager     Pager
	Filters   []Field
	Filtered  bool
	CanAsk    bool
}

func (s *Server) questions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	kept := url.Values{}
	p := &Page{Title: "Questions to the community", Form: kept}
	d := QuestionsData{CanAsk: mayPost(ksp.ActorFrom(r.Context()))}
	labels := map[string]string{"q": "Search", "tag": "Tag", "cursor": "Page", "limit": "Page"}
	if words := strings.TrimSpace(q.Get("q")); words != "" {
		kept.Set("q", words)
		d.Searched, d.Filtered = true, true
		hits, next, err := s.store.Search(r.Context(), ksp.SearchQuery{Q: words, Types: []string{ksp.SearchQuestion}, Page: ksp.Page{Limit: 25, Cursor: q.Get("cursor")}})
		switch {
		case ksp.ErrorCode(err) == ksp.EINVALID:
			p.Errors = formErrors(err, labels, "q")
		case err != nil:
			return err
		default:
			d.Hits, d.Pager = hits, pagerFor(r, next)
		}
	} else {
		f := ksp.QuestionFilter{Page: ksp.Page{Limit: 25, Cursor: q.Get("cursor")}}
		if v := strings.TrimSpace(q.Get("tag")); v != "" {
			kept.Set("tag", v)
			f.Tag = &v
		}
		if q.Get("unanswered") == "1" {
			kept.Set("unanswered", "1")
			f.Unanswered = true
		}
		d.Filtered = len(kept) > 0
		list, next, err := s.store.FindQuestions(r.Context(), f)
		switch {
		case ksp.ErrorCode(err) == ksp.EINVALID:
			p.Errors = formErrors(err, labels, "tag")
		case err != nil:
			return err
		default:
			d.Questions, d.Pager = list, pagerFor(r, next)
		}
	}
	d.Filters = []Field{
		newField(p, "q", "Search the questions", "type=search", "autocomplete=off"),
		newField(p, "tag", "Tag", "hint=One tag, such as terms-of-service", "autocomplete=off"),
		newField(p, "unanswered", "Show", "type=select", "option=|All questions", "option=1|Questions without an accepted answer"),
	}
	p.Data = d
	status := http.StatusOK
	if p.Errors != nil {
		status = http.StatusBadRequest
	}
	return s.render(w, r, status, "questions.html", p)
}

// QuestionData is a question page's content.
type QuestionData struct {
	Question *ksp.Question
	// Mine: the viewer's org asked it (it may accept an answer).
	Mine    bool
	CanPost bool
	// Audience names the organisations it is shared with, for the asker
	// and staff.
	Audience []string
}

func (s *Server) question(w http.ResponseWriter, r *http.Request) error {
	return s.renderQuestion(w, r, http.StatusOK, &Page{})
}

// renderQuestion shows the question of the path, with p's form (an answer
// being written) and errors.
func (s *Server) renderQuestion(w http.ResponseWriter, r *http.Request, status int, p *Page) error {
	ctx := r.Context()
	qu, err := s.store.FindQuestionByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	a := ksp.ActorFrom(ctx)
	d := QuestionData{Question: qu, CanPost: mayPost(a), Mine: a != nil && a.OrgID != "" && a.OrgID == qu.OwnerOrgID}
	for _, id := range qu.Audience {
		name := "an organisation that left"
		if o, err := s.store.FindOrgByID(ctx, id); err == nil {
			name = o.Name
		}
		d.Audience = append(d.Audience, name)
	}
	p.Title, p.Data = qu.Title, d
	return s.render(w, r, status, "question.html", p)
}

// refusePost answers a viewer who may not post in the community.
func (s *Server) refusePost(w http.ResponseWriter, r *http.Request) error {
	s.errorPage(w, r, http.StatusForbidden, "You cannot post here", "Analysts of member organisations, and the programme's staff, ask, answer and vote. Ask an admin of your organisation.")
	return nil
}

// AskData is the ask form's content.
type AskData struct {
	Choices LibraryChoices
}

var askLabels = map[string]string{"title": "Question", "body": "Details", "tags": "Tags", "distribution": "Who can read it", "audience": "Organisations", "tlp": "TLP"}

func (s *Server) askPage(w http.ResponseWriter, r *http.Request, status int, p *Page) error {
	c, err := s.libraryChoices(r)
	if err != nil {
		return err
	}
	p.Title, p.Data = "Ask the community", AskData{Choices: c}
	return s.render(w, r, status, "question_new.html", p)
}

func (s *Server) askForm(w http.ResponseWriter, r *http.Request) error {
	if !mayPost(ksp.ActorFrom(r.Context())) {
		return s.refusePost(w, r)
	}
	return s.askPage(w, r, http.StatusOK, &Page{Form: url.Values{"distribution": {string(ksp.DefaultDistribution)}, "tlp": {string(ksp.DefaultTLP)}}})
}

func (s *Server) ask(w http.ResponseWriter, r *http.Request) error {
	if !mayPost(ksp.ActorFrom(r.Context())) {
		return s.refusePost(w, r)
	}
	if err := libraryPostForm(r); err != nil {
		return err
	}
	f := r.PostForm
	q := &ksp.Question{Title: f.Get("title"), Body: strings.ReplaceAll(f.Get("body"), "\r\n", "\n"), Tags: splitList(f.Get("tags")),
		Sharing: ksp.Sharing{Distribution: ksp.Distribution(f.Get("distribution")), TLP: ksp.TLP(f.Get("tlp"))}}
	if q.Distribution == ksp.DistAudience {
		q.Audience = f["audience"]
	}
	err := s.store.CreateQuestion(r.Context(), q)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		return s.askPage(w, r, http.StatusBadRequest, &Page{Form: f, Errors: formErrors(err, askLabels, "title")})
	}
	if err != nil {
		return err
	}
	s.flash(w, r, "success", fmt.Sprintf("Question asked, readable by %s (TLP:%s).", readers(q.Distribution, len(q.Audience)), q.TLP))
	return redirect(w, r, "/community/questions/"+q.ID)
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request) error {
	if !mayPost(ksp.ActorFrom(r.Context())) {
		return s.refusePost(w, r)
	}
	if err := libraryPostForm(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	_, err := s.store.AnswerQuestion(r.Context(), id, strings.ReplaceAll(r.PostForm.Get("body"), "\r\n", "\n"))
	if ksp.ErrorCode(err) == ksp.EINVALID {
		return s.renderQuestion(w, r, http.StatusBadRequest, &Page{Form: r.PostForm, Errors: formErrors(err, map[string]string{"body": "Your answer"}, "body")})
	}
	if err != nil {
		return err
	}
	s.flash(w, r, "success", "Answer posted. Everyone who can read the question can read it.")
	return redirect(w, r, "/community/questions/"+id)
}

// voteUp reads a vote form: up=0 takes the vote back.
func voteUp(r *http.Request) bool { return r.PostFormValue("up") != "0" }

func (s *Server) voteOnQuestion(w http.ResponseWriter, r *http.Request) error {
	up := voteUp(r)
	if _, err := s.store.VoteQuestion(r.Context(), r.PathValue("id"), up); err != nil {
		return err
	}
	s.flash(w, r, "success", map[bool]string{true: "Your vote for the question is counted.", false: "Your vote for the question is taken back."}[up])
	return redirect(w, r, "/community/questions/"+r.PathValue("id"))
}

func (s *Server) voteOnAnswer(w http.ResponseWriter, r *http.Request) error {
	up := voteUp(r)
	if _, err := s.store.VoteAnswer(r.Context(), r.PathValue("id"), r.PathValue("aid"), up); err != nil {
		return err
	}
	s.flash(w, r, "success", map[bool]string{true: "Your vote for the answer is counted.", false: "Your vote for the answer is taken back."}[up])
	return redirect(w, r, "/community/questions/"+r.PathValue("id")+"#answer-"+r.PathValue("aid"))
}

func (s *Server) accept(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.store.AcceptAnswer(r.Context(), r.PathValue("id"), r.PathValue("aid")); err != nil {
		return err
	}
	s.flash(w, r, "success", "Answer accepted: it is shown first, marked as the answer that helped.")
	return redirect(w, r, "/community/questions/"+r.PathValue("id"))
}
