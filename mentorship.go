package ksp

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"
)

// Mentoring topics.
const (
	TopicTermsOfService    = "terms_of_service"
	TopicTransparency      = "transparency"
	TopicContentModeration = "content_moderation"
	TopicCrisisResponse    = "crisis_response"
	TopicLegalCompliance   = "legal_compliance"
	TopicTooling           = "tooling"
)

// MentorshipTopics lists every mentoring topic, in the order pages show
// them.
var MentorshipTopics = []string{TopicTermsOfService, TopicTransparency, TopicContentModeration, TopicCrisisResponse, TopicLegalCompliance, TopicTooling}

// Statuses of a mentorship request, in the order it moves through them.
const (
	MentorshipOpen      = "open"
	MentorshipMatched   = "matched"
	MentorshipActive    = "active"
	MentorshipCompleted = "completed"
)

// MentorshipStatuses lists the statuses in order.
var MentorshipStatuses = []string{MentorshipOpen, MentorshipMatched, MentorshipActive, MentorshipCompleted}

// Limits on mentorship text.
const (
	MaxMentorshipNote    = 5000
	MaxMentorshipSession = 10000
)

// MentorshipRequest is a member organisation asking for a mentor. It is
// seen by the requesting organisation, the mentor organisation once matched,
// and staff, and by no one else.
type MentorshipRequest struct {
	ID      string   `json:"id"`
	OrgID   string   `json:"org_id"`
	OrgName string   `json:"org_name"`
	Topics  []string `json:"topics"`
	Note    string   `json:"note"`
	Status  string   `json:"status"`
	// MentorOrgID and MentorOrgName are set once staff matched the request.
	MentorOrgID   string `json:"mentor_org_id,omitempty"`
	MentorOrgName string `json:"mentor_org_name,omitempty"`
	// Sessions are filled in on a single request, oldest first.
	Sessions []*MentorshipSession `json:"sessions,omitempty"`
	Created  Time                 `json:"created_at"`
	Updated  Time                 `json:"updated_at"`
}

// MentorshipSession is one meeting either side logged.
type MentorshipSession struct {
	ID        string `json:"id"`
	RequestID string `json:"request_id"`
	// OrgID is the side that logged it (mentee or mentor).
	OrgID   string `json:"org_id"`
	OrgName string `json:"org_name"`
	// Held is the day of the meeting (YYYY-MM-DD).
	Held    string `json:"held_on"`
	Minutes int    `json:"minutes"`
	Notes   string `json:"notes"`
	Created Time   `json:"created_at"`
}

// MentorshipOffer is what an organisation offers to mentor on.
type MentorshipOffer struct {
	OrgID   string   `json:"org_id"`
	OrgName string   `json:"org_name"`
	OrgKind OrgKind  `json:"org_kind"`
	OrgSize string   `json:"org_size,omitempty"`
	Topics  []string `json:"topics"`
	Note    string   `json:"note"`
	Updated Time     `json:"updated_at"`
}

// MentorshipFilter selects requests; nil fields do not filter.
type MentorshipFilter struct {
	Status *string
	Page   Page
}

// MentorshipService runs the mentoring programme: members request, offer
// and log sessions; staff match requests with mentors.
type MentorshipService interface {
	// CreateMentorshipRequest stores a request by the caller's
	// organisation, status open.
	CreateMentorshipRequest(ctx context.Context, r *MentorshipRequest) error
	// FindMentorshipRequestByID returns a request the caller is party to
	// (or any, for staff), with its sessions.
	FindMentorshipRequestByID(ctx context.Context, id string) (*MentorshipRequest, error)
	// FindMentorshipRequests lists the requests the caller is party to (all
	// of them for staff), newest first.
	FindMentorshipRequests(ctx context.Context, f MentorshipFilter) ([]*MentorshipRequest, string, error)
	// SetMentorshipOffer records the topics the caller's organisation offers
	// to mentor on; no topics withdraws the offer.
	SetMentorshipOffer(ctx context.Context, topics []string, note string) (*MentorshipOffer, error)
	// FindMentorshipOffers lists the offers: all of them for staff, the
	// caller's own otherwise.
	FindMentorshipOffers(ctx context.Context) ([]*MentorshipOffer, error)
	// MatchMentorship (staff) gives an open request a mentor organisation
	// that offered every topic requested.
	MatchMentorship(ctx context.Context, requestID, mentorOrgID string) (*MentorshipRequest, error)
	// SetMentorshipStatus moves a request on: matched → active → completed,
	// by either side or staff.
	SetMentorshipStatus(ctx context.Context, requestID, status string) (*MentorshipRequest, error)
	// LogMentorshipSession records a meeting of a matched or active request
	// by either side.
	LogMentorshipSession(ctx context.Context, requestID string, s *MentorshipSession) (*MentorshipSession, error)
}

// NextMentorshipStatus reports whether a request may move from one status
// to another: open → matched (by matching) → active → completed, one step at
// a time, never back.
func NextMentorshipStatus(from, to string) bool {
	i, j := slices.Index(MentorshipStatuses, from), slices.Index(MentorshipStatuses, to)
	return i >= 0 && j == i+1
}

// NormalizeTopics trims, lower-cases, sorts and de-duplicates topics.
func NormalizeTopics(topics []string) []string {
	out := normalizeList(topics, strings.ToLower)
	slices.SortFunc(out, func(a, b string) int {
		return slices.Index(MentorshipTopics, a) - slices.Index(MentorshipTopics, b)
	})
	return out
}

// ValidateTopics checks topics (normalised), recording problems under
// field.
func ValidateTopics(field string, topics []string, required bool, f *Fields) {
	if required && len(topics) == 0 {
		f.Add(field, "name at least one topic: "+strings.Join(MentorshipTopics, ", "))
		return
	}
	for _, t := range topics {
		if !slices.Contains(MentorshipTopics, t) {
			f.Add(field, "unknown topic "+quoteShort(t)+": must be one of "+strings.Join(MentorshipTopics, ", "))
			return
		}
	}
}

// ValidateMentorshipText checks a note's length and encoding.
func ValidateMentorshipText(field, s string, max int, f *Fields) {
	switch {
	case len(s) > max:
		f.Add(field, "too long")
	case !utf8.ValidString(s):
		f.Add(field, "not valid UTF-8")
	}
}
