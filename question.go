package ksp

import (
	"context"
	"strings"
	"unicode/utf8"
)

// Limits on a question's and an answer's text, so that one post cannot fill
// the database.
const (
	MaxQuestionTitle = 300
	MaxQuestionBody  = 50_000
	MaxAnswerBody    = 50_000
	MaxQuestionTags  = 10
)

// Party is how the community shows who asked or answered: by name only
// where the organisation chose to be named (Org.Named), else by its kind
// and size ("a start-up", "a large platform"). Staff and the party's own
// organisation see the name and the person. Expert marks the
// organisations whose answers carry experience the programme vouches for:
// large platforms, academia and the programme's staff.
type Party struct {
	// OrgID is shown to staff and to the organisation itself only.
	OrgID string `json:"org_id,omitempty"`
	// Name is the organisation's name, or its description when unnamed.
	Name   string  `json:"name"`
	Kind   OrgKind `json:"kind"`
	Size   string  `json:"size,omitempty"`
	Named  bool    `json:"named"`
	Expert bool    `json:"expert"`
	// Person is the writer's name, shown to staff and its own organisation.
	Person string `json:"person,omitempty"`
}

// Expert reports whether an organisation of this kind and size is shown as
// an expert in the community: large platforms, academia and staff.
func Expert(kind OrgKind, size string) bool {
	return kind == KindStaff || kind == KindAcademia || (kind == KindPlatform && size == SizeLarge)
}

// DescribeOrg is an organisation as the community calls it when it is not
// named: "a start-up", "a large platform", "a government"…
func DescribeOrg(kind OrgKind, size string) string {
	switch kind {
	case KindPlatform:
		switch size {
		case SizeStartup:
			return "a start-up"
		case SizeSmall:
			return "a small platform"
		case SizeLarge:
			return "a large platform"
		}
		return "a platform"
	case KindGovernment:
		return "a government"
	case KindAcademia:
		return "an academic institution"
	case KindCivilSociety:
		return "a civil-society organisation"
	case KindStaff:
		return "the programme's staff"
	}
	return "a member"
}

// MakeParty builds the Party a viewer sees for a post written by person of
// the organisation (orgID, name, kind, size, named): insiders (staff, the
// organisation itself) see everything; others see the name only when the
// organisation chose to be named. Staff are always named as staff: the
// secretariat speaks in its own name.
func MakeParty(v Viewer, orgID, name string, kind OrgKind, size string, named bool, person string) Party {
	p := Party{Name: name, Kind: kind, Size: size, Named: named || kind == KindStaff, Expert: Expert(kind, size)}
	if v.Staff || (v.OrgID != "" && v.OrgID == orgID) {
		p.OrgID, p.Person = orgID, person
		return p
	}
	if !p.Named {
		p.Name = DescribeOrg(kind, size)
	}
	return p
}

// Question is a member's question to the community. Its body is Markdown,
// rendered and sanitised only when shown. Answers are shared like their
// question: whoever may see the question sees its answers.
type Question struct {
	ID    string   `json:"id"`
	Title string   `json:"title"`
	Body  string   `json:"body"`
	Tags  []string `json:"tags"`
	Sharing
	Asker Party `json:"asker"`
	// Votes counts members' upvotes; Voted says whether the caller gave one.
	Votes            int    `json:"votes"`
	Voted            bool   `json:"voted"`
	AnswerCount      int    `json:"answer_count"`
	AcceptedAnswerID string `json:"accepted_answer_id,omitempty"`
	// Answers are filled in on a single question (accepted first, then by
	// votes, then oldest first), and left out of lists.
	Answers []*Answer `json:"answers,omitempty"`
	Created Time      `json:"created_at"`
	Updated Time      `json:"updated_at"`
}

// Answer is one answer to a question.
type Answer struct {
	ID         string `json:"id"`
	QuestionID string `json:"question_id"`
	Body       string `json:"body"`
	By         Party  `json:"by"`
	Votes      int    `json:"votes"`
	Voted      bool   `json:"voted"`
	Accepted   bool   `json:"accepted"`
	Created    Time   `json:"created_at"`
}

// QuestionFilter selects questions; nil fields do not filter.
type QuestionFilter struct {
	Tag *string
	// Unanswered keeps the questions without an accepted answer.
	Unanswered bool
	// Mine keeps the questions the caller's organisation asked.
	Mine bool
	Page Page
}

// QuestionService is the community's questions and answers. Every read
// follows the sharing rule of the question (answers through their
// question); members ask, answer and vote, the asking organisation accepts.
type QuestionService interface {
	// FindQuestionByID returns a question the caller may see, with its
	// answers.
	FindQuestionByID(ctx context.Context, id string) (*Question, error)
	// FindQuestions lists what the caller may see, newest first.
	FindQuestions(ctx context.Context, f QuestionFilter) ([]*Question, string, error)
	// CreateQuestion stores q asked by the caller; ID, asker and times are
	// filled in.
	CreateQuestion(ctx context.Context, q *Question) error
	// AnswerQuestion adds an answer by the caller to a question it may see.
	AnswerQuestion(ctx context.Context, questionID, body string) (*Answer, error)
	// AcceptAnswer marks one answer as the accepted one; only the asking
	// organisation may.
	AcceptAnswer(ctx context.Context, questionID, answerID string) (*Question, error)
	// VoteQuestion gives (up) or takes back (!up) the caller's vote; one
	// vote per user, never on one's own question.
	VoteQuestion(ctx context.Context, questionID string, up bool) (*Question, error)
	// VoteAnswer does the same for an answer.
	VoteAnswer(ctx context.Context, questionID, answerID string, up bool) (*Answer, error)
}

// NormalizeQuestion trims the title and folds the tags as resources keep
// them (lower case, sorted, without duplicates).
func NormalizeQuestion(q *Question) {
	q.Title = strings.TrimSpace(q.Title)
	q.Body = strings.TrimSpace(q.Body)
	q.Tags = normalizeList(q.Tags, strings.ToLower)
}

// ValidateQuestion checks a normalised question, recording problems under
// the API's field names.
func ValidateQuestion(q *Question, f *Fields) {
	switch {
	case q.Title == "":
		f.Add("title", "required")
	case utf8.RuneCountInString(q.Title) > MaxQuestionTitle:
		f.Add("title", "at most 300 characters")
	}
	switch {
	case q.Body == "":
		f.Add("body", "required: say what you need to know")
	case len(q.Body) > MaxQuestionBody:
		f.Add("body", "at most 50000 bytes")
	}
	for _, s := range []struct{ field, v string }{{"title", q.Title}, {"body", q.Body}} {
		if !utf8.ValidString(s.v) {
			f.Add(s.field, "not valid UTF-8")
		}
	}
	if len(q.Tags) > MaxQuestionTags {
		f.Add("tags", "at most 10 tags")
	}
	for _, t := range q.Tags {
		if !ValidTag(t) {
			f.Add("tags", "a tag is 1–40 of a-z, 0-9, _ and -, starting with a letter or digit: "+t)
			break
		}
	}
	ValidateSharing(q.Sharing, true, f)
}

// ValidateAnswer checks an answer's body.
func ValidateAnswer(body string, f *Fields) {
	switch {
	case strings.TrimSpace(body) == "":
		f.Add("body", "required")
	case len(body) > MaxAnswerBody:
		f.Add("body", "at most 50000 bytes")
	case !utf8.ValidString(body):
		f.Add("body", "not valid UTF-8")
	}
}
