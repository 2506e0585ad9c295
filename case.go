package ksp

import (
	"context"
	"encoding/csv"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Case statuses.
const (
	CaseOpen    = "open"
	CaseDecided = "decided"
)

// Case decisions (API.md). Nothing is ever actioned by KSP: a decision
// records what the platform's reviewer did in the platform's own tools.
const (
	DecisionRemove   = "remove"
	DecisionRestrict = "restrict"
	DecisionKeep     = "keep"
	DecisionEscalate = "escalate"
)

// Decisions lists every decision.
var Decisions = []string{DecisionRemove, DecisionRestrict, DecisionKeep, DecisionEscalate}

// DecisionVerdict is the feedback verdict a decision posts to the bank for
// each signal on the case, or "" for none. An escalation posts none: it
// says the platform has not decided yet, and a "disputed" verdict would
// make the signal non-actionable for every member over a question that is
// still open inside one platform.
func DecisionVerdict(decision string) string {
	switch decision {
	case DecisionRemove, DecisionRestrict:
		return VerdictTruePositive
	case DecisionKeep:
		return VerdictFalsePositive
	}
	return ""
}

// CaseRetention is how long a decided case keeps its content reference when
// nothing is preserved (a decision other than remove).
const CaseRetention = PreservationMonths

// PreservationReminderLead is how long before preservation lapses the org
// is reminded.
const PreservationReminderLead = 14 * 24 * time.Hour

// Case history entry types.
const (
	CaseHistoryOpened    = "opened"
	CaseHistoryMatched   = "matched"  // a later scan matched new signals
	CaseHistoryReopened  = "reopened" // a decided case matched a new signal
	CaseHistoryAssigned  = "assigned"
	CaseHistoryDecided   = "decided"
	CaseHistoryFeedback  = "feedback"
	CaseHistoryLegalHold = "legal_hold"
	CaseHistoryReminded  = "preservation_reminder"
	CaseHistoryRefErased = "reference_erased"
	CaseHistorySkipped   = "feedback_skipped"
)

// Size limits of case fields.
const (
	MaxContentRef   = 2000
	MaxPolicyClause = 300
	MaxCaseNote     = 4000
	MaxCaseMatches  = 100
)

// CaseMatchInput is one signal a content item matched.
type CaseMatchInput struct {
	SignalID string `json:"signal_id"`
	Type     string `json:"type,omitempty"`
	Distance int    `json:"distance"`
}

// CaseInput opens a case, or adds matches to the open case of the same
// content reference.
type CaseInput struct {
	// ContentRef is the platform's own identifier or URL of the content,
	// never the content itself.
	ContentRef string `json:"content_ref"`
	// ContentType is photo, video, pdf, audio, text or url; empty: taken
	// from the strongest signal.
	ContentType string           `json:"content_type,omitempty"`
	Matches     []CaseMatchInput `json:"matches"`
}

// Normalize validates a case request; problems go to f under the API's
// field names.
func (in *CaseInput) Normalize(f *Fields) {
	in.ContentRef = strings.TrimSpace(in.ContentRef)
	switch {
	case in.ContentRef == "":
		f.Add("content_ref", "required: the platform's identifier or URL of the content")
	case len(in.ContentRef) > MaxContentRef:
		f.Add("content_ref", "longer than 2000 bytes")
	case strings.ContainsAny(in.ContentRef, "\x00\r\n"):
		f.Add("content_ref", "contains a line break or NUL")
	}
	in.ContentType = strings.ToLower(strings.TrimSpace(in.ContentType))
	if in.ContentType != "" && !slices.Contains(ContentTypes, in.ContentType) {
		f.Add("content_type", "must be one of "+strings.Join(ContentTypes, ", "))
	}
	switch n := len(in.Matches); {
	case n == 0:
		f.Add("matches", "at least one match is required")
	case n > MaxCaseMatches:
		f.Add("matches", "at most 100 matches per request")
	}
	for i := range in.Matches {
		m := &in.Matches[i]
		field := "matches[" + strconv.Itoa(i) + "]"
		m.SignalID = strings.TrimSpace(m.SignalID)
		if m.SignalID == "" {
			f.Add(field+".signal_id", "required")
		}
		if m.Distance < 0 || m.Distance > 256 {
			f.Add(field+".distance", "must be from 0 to 256")
		}
		if len(*f) >= 20 {
			break
		}
	}
}

// CaseMatch is one signal on a case, as the case's org sees the signal now.
type CaseMatch struct {
	SignalID      string   `json:"signal_id"`
	Type          string   `json:"type"`
	Distance      int      `json:"distance"`
	Labels        []string `json:"labels"`
	Basis         []string `json:"basis"`
	EntityIDs     []string `json:"entity_ids"`
	Severity      string   `json:"severity"`
	Confidence    float64  `json:"confidence"`
	Status        string   `json:"status"`
	Actionable    bool     `json:"actionable"`
	NotActionable string   `json:"not_actionable_reason,omitempty"`
	// Verdict is the feedback the case's decision posted for this signal.
	Verdict   string `json:"verdict,omitempty"`
	FirstSeen Time   `json:"matched_at"`
}

// SeverityPoints weighs a severity for a case's priority.
func SeverityPoints(severity string) int {
	switch severity {
	case "low":
		return 1
	case "medium":
		return 3
	case "high":
		return 5
	case "crisis":
		return 7
	}
	return 0
}

// CasePriority is the severity points of the strongest signal plus three
// times its confidence, rounded, from 1 to 10; 0 when no signal is left to
// see.
func CasePriority(matches []*CaseMatch) int {
	if len(matches) == 0 {
		return 0
	}
	best := matches[0]
	for _, m := range matches[1:] {
		pb, pm := SeverityPoints(best.Severity), SeverityPoints(m.Severity)
		if pm > pb || (pm == pb && m.Confidence > best.Confidence) {
			best = m
		}
	}
	p := SeverityPoints(best.Severity) + int(math.Round(3*best.Confidence))
	return min(max(p, 1), 10)
}

// DecisionInput is the body of POST /api/v1/cases/{id}/decision.
type DecisionInput struct {
	Decision     string `json:"decision"`
	PolicyClause string `json:"policy_clause"`
	Note         string `json:"note,omitempty"`
	// Ground is incompatible_content (the platform's terms, the default)
	// or illegal_content (with LegalGround).
	Ground      string `json:"ground,omitempty"`
	LegalGround string `json:"legal_ground,omitempty"`
	// TerritorialScope lists the EEA country codes the restriction applies
	// in; empty: all of them.
	TerritorialScope []string `json:"territorial_scope,omitempty"`
}

// Decision grounds of a statement of reasons.
const (
	GroundIncompatible = "incompatible_content"
	GroundIllegal      = "illegal_content"
)

// EEACountries are the territorial scope of a statement of reasons when
// the reviewer names none (the DSA Transparency Database's codes).
var EEACountries = []string{"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS", "IT",
	"LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK"}

// Normalize validates a decision.
func (in *DecisionInput) Normalize(f *Fields) {
	in.Decision = strings.ToLower(strings.TrimSpace(in.Decision))
	in.PolicyClause = strings.TrimSpace(in.PolicyClause)
	in.Note = strings.TrimSpace(in.Note)
	in.Ground = strings.ToLower(strings.TrimSpace(in.Ground))
	in.LegalGround = strings.TrimSpace(in.LegalGround)
	if !slices.Contains(Decisions, in.Decision) {
		f.Add("decision", "must be one of "+strings.Join(Decisions, ", "))
	}
	switch {
	case in.PolicyClause == "" && in.Decision != DecisionEscalate:
		f.Add("policy_clause", "required: the clause of your terms or the law the decision applies")
	case len(in.PolicyClause) > MaxPolicyClause:
		f.Add("policy_clause", "longer than 300 bytes")
	}
	if len(in.Note) > MaxCaseNote {
		f.Add("note", "longer than 4000 bytes")
	}
	switch in.Ground {
	case "":
		in.Ground = GroundIncompatible
	case GroundIncompatible:
	case GroundIllegal:
		if in.LegalGround == "" {
			f.Add("legal_ground", "required for illegal content: name the law, e.g. Regulation (EU) 2021/784")
		}
	default:
		f.Add("ground", "must be incompatible_content or illegal_content")
	}
	if len(in.LegalGround) > MaxPolicyClause {
		f.Add("legal_ground", "longer than 300 bytes")
	}
	scope := make([]string, 0, len(in.TerritorialScope))
	for _, c := range in.TerritorialScope {
		c = strings.ToUpper(strings.TrimSpace(c))
		if c == "EL" {
			c = "GR"
		}
		if !slices.Contains(EEACountries, c) {
			f.Add("territorial_scope", "unknown EEA country code "+clip(c, 10))
			break
		}
		scope = append(scope, c)
	}
	slices.Sort(scope)
	in.TerritorialScope = slices.Compact(scope)
}

// CaseDecision is one decision taken on a case.
type CaseDecision struct {
	ID           string `json:"id"`
	Decision     string `json:"decision"`
	PolicyClause string `json:"policy_clause"`
	Note         string `json:"note,omitempty"`
	// ReviewerID is the user who decided (or the audit name of a key or
	// the CLI).
	ReviewerID string `json:"reviewer_id"`
	// Distance is the smallest match distance on the case when deciding.
	Distance int `json:"distance"`
	// Verdict is the feedback posted to the bank ("" for escalations).
	Verdict string `json:"verdict,omitempty"`
	Time    Time   `json:"decided_at"`
	// Statement is the statement of reasons (remove and restrict only).
	Statement *StatementOfReasons `json:"statement_of_reasons,omitempty"`
}

// StatementOfReasons carries the fields of the EU DSA Transparency
// Database (Article 17 and 24(5) DSA), named as its API names them.
type StatementOfReasons struct {
	CaseID                         string   `json:"case_id"`
	DecisionID                     string   `json:"decision_id"`
	DecisionVisibility             []string `json:"decision_visibility"`
	DecisionGround                 string   `json:"decision_ground"`
	IllegalContentLegalGround      string   `json:"illegal_content_legal_ground,omitempty"`
	IllegalContentExplanation      string   `json:"illegal_content_explanation,omitempty"`
	IncompatibleContentGround      string   `json:"incompatible_content_ground,omitempty"`
	IncompatibleContentExplanation string   `json:"incompatible_content_explanation,omitempty"`
	Category                       string   `json:"category"`
	CategorySpecification          []string `json:"category_specification"`
	ContentType                    []string `json:"content_type"`
	AutomatedDetection             string   `json:"automated_detection"`
	AutomatedDecision              string   `json:"automated_decision"`
	TerritorialScope               []string `json:"territorial_scope"`
	SourceType                     string   `json:"source_type"`
	DecisionFacts                  string   `json:"decision_facts"`
	PUID                           string   `json:"puid"`
	ContentDate                    string   `json:"content_date"`
	ApplicationDate                string   `json:"application_date"`
	EndDateVisibilityRestriction   string   `json:"end_date_visibility_restriction,omitempty"`
	Created                        Time     `json:"created_at"`
}

// DSA Transparency Database values used by every statement.
const (
	SoRCategory          = "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"
	SoRKeyword           = "KEYWORD_TERRORIST_CONTENT"
	SoRAutomatedDetected = "Yes"
	SoRNotAutomated      = "AUTOMATED_DECISION_NOT_AUTOMATED"
	SoRSourceVoluntary   = "SOURCE_VOLUNTARY"
)

// DSA Transparency Database values that differ between statements: the
// decision's ground and its measure.
const (
	SoRGroundIllegal      = "DECISION_GROUND_ILLEGAL_CONTENT"
	SoRGroundIncompatible = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
	SoRContentRemoved     = "DECISION_VISIBILITY_CONTENT_REMOVED"
	SoRContentDisabled    = "DECISION_VISIBILITY_CONTENT_DISABLED"
)

// NewStatementOfReasons builds the statement of a remove or restrict
// decision; nil for other decisions. contentType is the case's KSP content
// type, contentDate when the case was opened. The platform's unique id
// (puid) is the case id: the content reference is personal data that is
// later erased and must not travel to a public database.
func NewStatementOfReasons(caseID, decisionID, contentType string, contentDate time.Time, in DecisionInput, now time.Time) *StatementOfReasons {
	var vis string
	switch in.Decision {
	case DecisionRemove:
		vis = SoRContentRemoved
	case DecisionRestrict:
		vis = SoRContentDisabled
	default:
		return nil
	}
	s := &StatementOfReasons{CaseID: caseID, DecisionID: decisionID, DecisionVisibility: []string{vis},
		Category: SoRCategory, CategorySpecification: []string{SoRKeyword}, ContentType: []string{dsaContentType(contentType)},
		AutomatedDetection: SoRAutomatedDetected, AutomatedDecision: SoRNotAutomated, SourceType: SoRSourceVoluntary,
		TerritorialScope: in.TerritorialScope, PUID: caseID, ContentDate: contentDate.UTC().Format(time.DateOnly),
		ApplicationDate: now.UTC().Format(time.DateOnly), Created: T(now)}
	if len(s.TerritorialScope) == 0 {
		s.TerritorialScope = slices.Clone(EEACountries)
	}
	facts := "The content matched a hash of terrorist content shared through the KSP hash bank (automated detection); a human reviewer decided."
	if in.Note != "" {
		facts += " " + in.Note
	}
	s.DecisionFacts = facts
	if in.Ground == GroundIllegal {
		s.DecisionGround = SoRGroundIllegal
		s.IllegalContentLegalGround = in.LegalGround
		s.IllegalContentExplanation = in.PolicyClause
	} else {
		s.DecisionGround = SoRGroundIncompatible
		s.IncompatibleContentGround = in.PolicyClause
		s.IncompatibleContentExplanation = "Terrorist content is prohibited by the platform's terms of service."
	}
	return s
}

// dsaContentType maps a KSP content type to the Transparency Database's.
func dsaContentType(ct string) string {
	switch ct {
	case "photo":
		return "CONTENT_TYPE_IMAGE"
	case "video":
		return "CONTENT_TYPE_VIDEO"
	case "audio":
		return "CONTENT_TYPE_AUDIO"
	case "text", "pdf":
		return "CONTENT_TYPE_TEXT"
	}
	return "CONTENT_TYPE_OTHER"
}

// StatementCSVHeader is the header of the statements-of-reasons CSV export.
var StatementCSVHeader = []string{"case_id", "decision_id", "puid", "decision_visibility", "decision_ground",
	"illegal_content_legal_ground", "illegal_content_explanation", "incompatible_content_ground", "incompatible_content_explanation",
	"category", "category_specification", "content_type", "automated_detection", "automated_decision", "territorial_scope",
	"source_type", "decision_facts", "content_date", "application_date", "created_at"}

// CSVRecord is the statement as one CSV row under StatementCSVHeader;
// lists are joined with commas, as the Transparency Database's CSV does.
func (s *StatementOfReasons) CSVRecord() []string {
	return []string{s.CaseID, s.DecisionID, s.PUID, strings.Join(s.DecisionVisibility, ","), s.DecisionGround,
		s.IllegalContentLegalGround, s.IllegalContentExplanation, s.IncompatibleContentGround, s.IncompatibleContentExplanation,
		s.Category, strings.Join(s.CategorySpecification, ","), strings.Join(s.ContentType, ","), s.AutomatedDetection, s.AutomatedDecision,
		strings.Join(s.TerritorialScope, ","), s.SourceType, s.DecisionFacts, s.ContentDate, s.ApplicationDate, s.Created.Format(time.RFC3339Nano)}
}

// WriteStatementsCSV writes statements of reasons as CSV under
// StatementCSVHeader, for the API's and the web's exports. A cell a
// spreadsheet would run as a formula (a reviewer's note may start with =)
// gets a leading quote.
func WriteStatementsCSV(w io.Writer, items []*StatementOfReasons) error {
	cw := csv.NewWriter(w)
	cw.Write(StatementCSVHeader)
	for _, s := range items {
		rec := s.CSVRecord()
		for i, v := range rec {
			if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
				rec[i] = "'" + v
			}
		}
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

// CaseHistoryEntry is one dated step of a case.
type CaseHistoryEntry struct {
	Time  Time   `json:"time"`
	Type  string `json:"type"`
	Actor string `json:"actor,omitempty"`
	Note  string `json:"note,omitempty"`
}

// Case is a content item of a platform that matched the bank, as its own
// org sees it. Cases are never visible to other orgs, nor to staff (who
// see only counts).
type Case struct {
	ID    string `json:"id"`
	OrgID string `json:"org_id"`
	// ContentRef is empty once erased (RefErased set).
	ContentRef  string `json:"content_ref"`
	RefErased   *Time  `json:"content_ref_erased_at,omitempty"`
	ContentType string `json:"content_type"`
	Status      string `json:"status"`
	// Priority is computed over the signals the org may see now.
	Priority   int    `json:"priority"`
	AssignedTo string `json:"assigned_to,omitempty"`
	// Matches are the visible signals; HiddenMatches counts none of the
	// others (they do not exist for the org), so there is no such field.
	Matches       []*CaseMatch  `json:"matches"`
	Decision      *CaseDecision `json:"decision,omitempty"`
	PreserveUntil *Time         `json:"preserve_until,omitempty"`
	LegalHold     bool          `json:"legal_hold"`
	// StatementOfReasons is the current decision's statement, for remove
	// and restrict.
	StatementOfReasons *StatementOfReasons `json:"statement_of_reasons,omitempty"`
	Created            Time                `json:"created_at"`
	Updated            Time                `json:"updated_at"`
	Decisions          []*CaseDecision     `json:"decisions,omitempty"`
	History            []*CaseHistoryEntry `json:"history,omitempty"`
}

// CaseFilter selects cases of the actor's org.
type CaseFilter struct {
	// Status is open or decided.
	Status *string
	// AssignedTo keeps cases assigned to a user id; "none" keeps the
	// unassigned ones.
	AssignedTo *string
	// Decision keeps decided cases whose decision is this one.
	Decision *string
	// Preserved keeps cases whose evidence is preserved (removed, not yet
	// erased).
	Preserved bool
	Page
}

// CaseCounts are the figures of a set of cases: all staff may know of
// other orgs' review work.
type CaseCounts struct {
	Open       int            `json:"open"`
	Decided    int            `json:"decided"`
	ByDecision map[string]int `json:"by_decision"`
	Preserved  int            `json:"preserved"`
	Erased     int            `json:"erased"`
}

// PreservationReminder is a case whose preserved evidence lapses soon, and
// whom to tell.
type PreservationReminder struct {
	CaseID        string
	OrgID         string
	PreserveUntil Time
	Emails        []string
}

// CaseService is the store of review cases.
type CaseService interface {
	// OpenCase opens a case of the actor's org for a content reference, or
	// adds the matches to the case already open for it; created says
	// which. Signals the org may not see are refused as unknown.
	OpenCase(ctx context.Context, in CaseInput) (c *Case, created bool, err error)
	// FindCaseByID returns a case of the actor's org (ENOTFOUND for any
	// other, staff included).
	FindCaseByID(ctx context.Context, id string) (*Case, error)
	// FindCases lists the actor's org's cases, newest first.
	FindCases(ctx context.Context, f CaseFilter) ([]*Case, string, error)
	// AssignCase assigns a case to a user of the org ("" unassigns).
	AssignCase(ctx context.Context, id, userID string) (*Case, error)
	// DecideCase records a decision, posts the feedback verdict to the
	// bank, and for remove and restrict writes a statement of reasons.
	DecideCase(ctx context.Context, id string, in DecisionInput) (*Case, error)
	// SetCaseLegalHold keeps a removed case's evidence past its
	// preservation date (hold) or lets it lapse.
	SetCaseLegalHold(ctx context.Context, id string, hold bool) (*Case, error)
	// FindStatements returns the org's statements of reasons decided in
	// [from, to), oldest first.
	FindStatements(ctx context.Context, from, to time.Time) ([]*StatementOfReasons, error)
	// CountCases counts cases: the actor's org's, or for staff every org's
	// (orgID "" ) or one org's.
	CountCases(ctx context.Context, orgID string) (*CaseCounts, error)
	// DuePreservationReminders returns removed cases whose preservation
	// lapses before now+lead and whose org was not yet reminded (system).
	DuePreservationReminders(ctx context.Context, now time.Time, lead time.Duration) ([]*PreservationReminder, error)
	// MarkPreservationReminded records that the reminder went out (system).
	MarkPreservationReminded(ctx context.Context, caseID string) error
	// EraseExpiredCaseRefs erases the content references of decided cases
	// whose preservation (or retention) ended before now and that are not
	// on legal hold, keeping decisions and counts (system). It says how
	// many were erased.
	EraseExpiredCaseRefs(ctx context.Context, now time.Time) (int, error)
}
