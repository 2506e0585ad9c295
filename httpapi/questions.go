package httpapi

import (
	"net/http"

	"github.com/kspplatform/ksp"
)

// QuestionBodyLimit bounds the body of a question or answer: the longest
// Markdown body with room for JSON escaping.
const QuestionBodyLimit = 512 << 10

// QuestionInput is the body of asking a question. Distribution and TLP
// default to members and GREEN, as for every shared item.
type QuestionInput struct {
	Title        string           `json:"title"`
	Body         string           `json:"body"`
	Tags         []string         `json:"tags,omitempty"`
	Distribution ksp.Distribution `json:"distribution,omitempty"`
	Audience     []string         `json:"audience,omitempty"`
	TLP          ksp.TLP          `json:"tlp,omitempty"`
}

// AnswerInput is the body of answering a question.
type AnswerInput struct {
	Body string `json:"body"`
}

// VoteInput is the body of a vote: up true (the default, also for an
// empty body) gives the caller's one vote, false takes it back.
type VoteInput struct {
	Up *bool `json:"up,omitempty"`
}

// The questions' reads are Anonymous like the library's: without
// credentials they show public questions.
func (s *Server) questionRoutes() []*Route {
	read := func(path, summary string, resp any, list bool, query []string, h func(*http.Request) (any, error)) *Route {
		return &Route{Method: "GET", Path: path, Summary: summary, Anonymous: true, Role: ksp.RoleViewer, Scope: ksp.ScopeRead,
			Resp: resp, List: list, Query: query, handler: h}
	}
	write := func(path, summary string, req, resp any, status int, h func(*http.Request) (any, error)) *Route {
		return &Route{Method: "POST", Path: path, Summary: summary, Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit,
			Req: req, Resp: resp, Status: status, BodyLimit: QuestionBodyLimit, handler: h}
	}
	return []*Route{
		read("/api/v1/questions", "Community questions the caller may see (no credentials: public ones), newest first; unanswered=true keeps those without an accepted answer, mine=true your organisation's",
			ksp.Question{}, true, []string{"tag", "unanswered", "mine", "limit", "cursor"}, s.listQuestions),
		read("/api/v1/questions/{id}", "One question with its answers (accepted first, then by votes)", ksp.Question{}, false, nil, s.getQuestion),
		write("/api/v1/questions", "Ask the community; the body is Markdown", QuestionInput{}, ksp.Question{}, 201, s.createQuestion),
		write("/api/v1/questions/{id}/answers", "Answer a question you may see", AnswerInput{}, ksp.Answer{}, 201, s.answerQuestion),
		write("/api/v1/questions/{id}/answers/{aid}/accept", "Accept an answer (the asking organisation only)", nil, ksp.Question{}, 0, s.acceptAnswer),
		write("/api/v1/questions/{id}/vote", "Upvote a question ({\"up\":false} takes the vote back); one vote per user", VoteInput{}, ksp.Question{}, 0, s.voteQuestion),
		write("/api/v1/questions/{id}/answers/{aid}/vote", "Upvote an answer ({\"up\":false} takes the vote back); one vote per user", VoteInput{}, ksp.Answer{}, 0, s.voteAnswer),
	}
}

func (s *Server) listQuestions(r *http.Request) (any, error) {
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	f := ksp.QuestionFilter{Page: p}
	q := r.URL.Query()
	if v := q.Get("tag"); v != "" {
		f.Tag = &v
	}
	for name, dst := range map[string]*bool{"unanswered": &f.Unanswered, "mine": &f.Mine} {
		switch q.Get(name) {
		case "", "false":
		case "true":
			*dst = true
		default:
			return nil, invalid(name, "must be true or false")
		}
	}
	items, next, err := s.store.FindQuestions(r.Context(), f)
	return list(items, next), err
}

func (s *Server) getQuestion(r *http.Request) (any, error) {
	return s.store.FindQuestionByID(r.Context(), r.PathValue("id"))
}

func (s *Server) createQuestion(r *http.Request) (any, error) {
	var in QuestionInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	if in.Distribution == "" {
		in.Distribution = ksp.DefaultDistribution
	}
	if in.TLP == "" {
		in.TLP = ksp.DefaultTLP
	}
	q := &ksp.Question{Title: in.Title, Body: in.Body, Tags: in.Tags,
		Sharing: ksp.Sharing{Distribution: in.Distribution, Audience: in.Audience, TLP: in.TLP}}
	if err := s.store.CreateQuestion(r.Context(), q); err != nil {
		return nil, err
	}
	return q, nil
}

func (s *Server) answerQuestion(r *http.Request) (any, error) {
	var in AnswerInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	return s.store.AnswerQuestion(r.Context(), r.PathValue("id"), in.Body)
}

func (s *Server) acceptAnswer(r *http.Request) (any, error) {
	return s.store.AcceptAnswer(r.Context(), r.PathValue("id"), r.PathValue("aid"))
}

// voteParam reads a vote's body: empty means up.
func voteParam(r *http.Request) (bool, error) {
	if r.ContentLength == 0 {
		return true, nil
	}
	var in VoteInput
	if err := decodeJSON(r, &in); err != nil {
		return false, err
	}
	return in.Up == nil || *in.Up, nil
}

func (s *Server) voteQuestion(r *http.Request) (any, error) {
	up, err := voteParam(r)
	if err != nil {
		return nil, err
	}
	return s.store.VoteQuestion(r.Context(), r.PathValue("id"), up)
}

func (s *Server) voteAnswer(r *http.Request) (any, error) {
	up, err := voteParam(r)
	if err != nil {
		return nil, err
	}
	return s.store.VoteAnswer(r.Context(), r.PathValue("id"), r.PathValue("aid"), up)
}
