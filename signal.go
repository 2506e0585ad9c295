package ksp

import (
	"context"
	"slices"
)

// Signal types.
const (
	TypePDQ    = "pdq"
	TypeMD5    = "md5"
	TypeSHA256 = "sha256"
	TypeURL    = "url"
)

// Vocabularies of a submission (API.md "Signals").
var (
	SignalTypes  = []string{TypePDQ, TypeMD5, TypeSHA256, TypeURL}
	ContentTypes = []string{"photo", "video", "pdf", "audio", "text", "url"}
	Labels       = []string{"imminent_threat", "graphic_violence", "glorification", "recruitment", "instruction", "propaganda", "attack_content", "manifesto"}
	Bases        = []string{"designated_entity", "perpetrator_content", "branded_publication", "other"}
	Severities   = []string{"low", "medium", "high", "crisis"}
	SignalFlags  = []string{"graphic", "contains_pii", "official", "context_sensitive"}
	Verdicts     = []string{VerdictTruePositive, VerdictFalsePositive, VerdictWrongLabel, VerdictDisputed, VerdictNewsworthy, VerdictSeen}
	Resolutions  = []string{"upheld", "relabelled", "removed"}
)

// Feedback verdicts.
const (
	VerdictTruePositive  = "true_positive"
	VerdictFalsePositive = "false_positive"
	VerdictWrongLabel    = "wrong_label"
	VerdictDisputed      = "disputed"
	VerdictNewsworthy    = "newsworthy_or_documentation"
	VerdictSeen          = "seen"
)

// Signal statuses.
const (
	StatusActive    = "active"
	StatusDisputed  = "disputed"
	StatusRetracted = "retracted"
)

// SignalStatuses lists every signal status.
var SignalStatuses = []string{StatusActive, StatusDisputed, StatusRetracted}

// MinPDQQuality is the lowest PDQ quality accepted into the bank.
const MinPDQQuality = 50

// CurrentPolicyVersion is the inclusion policy new submissions are judged
// under unless they name one (docs/inclusion-policy.md).
const CurrentPolicyVersion = "2026-11"

// Submission is one org's stored submission of a signal.
type Submission struct {
	ID            string       `json:"id"`
	SignalID      string       `json:"signal_id"`
	OrgID         string       `json:"org_id,omitempty"`
	OrgName       string       `json:"org_name,omitempty"`
	OrgKind       OrgKind      `json:"-"`
	OrgNamed      bool         `json:"-"`
	Quality       *int         `json:"quality,omitempty"`
	ContentType   string       `json:"content_type"`
	Labels        []string     `json:"labels"`
	Basis         string       `json:"basis"`
	EntityID      string       `json:"entity_id,omitempty"`
	IncidentID    string       `json:"incident_id,omitempty"`
	BasisReason   string       `json:"basis_reason,omitempty"`
	Severity      string       `json:"severity"`
	Flags         []string     `json:"flags"`
	Distribution  Distribution `json:"distribution"`
	Audience      []string     `json:"audience,omitempty"`
	TLP           TLP          `json:"tlp"`
	PolicyVersion string       `json:"policy_version"`
	Created       Time         `json:"created_at"`
	Updated       Time         `json:"updated_at"`
	Retracted     *Time        `json:"retracted_at,omitempty"`
}

// Sharing returns the submission's sharing.
func (s *Submission) Sharing() Sharing {
	return Sharing{OwnerOrgID: s.OrgID, Distribution: s.Distribution, Audience: s.Audience, TLP: s.TLP}
}

// FeedbackEntry is one org's current verdict on a signal.
type FeedbackEntry struct {
	OrgID   string  `json:"org_id,omitempty"`
	OrgKind OrgKind `json:"-"`
	Verdict string  `json:"verdict"`
	Comment string  `json:"comment,omitempty"`
	Updated Time    `json:"updated_at"`
	// Subjects are the orgs whose submissions the giver could see when
	// giving the verdict: the verdict is about those, and counts for a
	// viewer only while the viewer may see one of them.
	Subjects []string `json:"-"`
}

// LabelMask returns the labels as bits: bit i for Labels[i]. Unknown labels
// are left out.
func LabelMask(labels []string) uint8 {
	var m uint8
	for _, l := range labels {
		if i := slices.Index(Labels, l); i >= 0 {
			m |= 1 << i
		}
	}
	return m
}

// IndexSignal is one signal row as the matcher loads it. ID and Value are
// valid only during the call that receives them.
type IndexSignal struct {
	ID    []byte
	Type  string
	Value []byte
}

// IndexSubmission is one submission row as the matcher loads it. SignalID,
// OrgID and EntityID are valid only during the call; Labels and Audience
// may be shared between rows and must not be modified.
type IndexSubmission struct {
	SignalID     []byte
	OrgID        []byte
	EntityID     []byte
	Distribution Distribution
	TLP          TLP
	Labels       []string
	Audience     []string
	Retracted    bool
}

// IndexScan receives the rows of SignalService.ScanIndex. Signals and
// submissions are read in two passes that may run at the same time, so
// Signal and Submission may be called from two goroutines at once (each
// from one goroutine at a time). The passes need not see the same commit:
// a submission may name a signal its pass did not see. A loader records
// ChangeSeq before the scan and applies the changes after it, which makes
// the result whole.
type IndexScan struct {
	Signal     func(*IndexSignal) error
	Submission func(*IndexSubmission) error
}

// IndexFacts are the small tables matching needs beside the rows of
// IndexScan, read before them.
type IndexFacts struct {
	// OrgKinds is the kind of every organisation by id.
	OrgKinds map[string]OrgKind
	// Feedback is the current verdicts by signal id (with OrgKind set).
	Feedback map[string][]*FeedbackEntry
	// Resolutions holds, by signal id, the states of resolved signals
	// with only Resolution, ResolvedAt and ResolutionSubjects set.
	Resolutions map[string]*SignalState
	// Negatives holds the negative-bank entries by "type:value".
	Negatives map[string][]NegativeRef
}

// SignalState is everything stored about a signal, before the sharing rule
// cuts it down for a viewer.
type SignalState struct {
	ID          string
	Type        string
	Value       string
	Created     Time
	Submissions []*Submission
	Feedback    []*FeedbackEntry
	// Resolution is staff's last settlement of a dispute; for a viewer it
	// counts while the viewer may see one of ResolutionSubjects (the orgs
	// whose submissions existed when it was given), and then verdicts
	// older than ResolvedAt no longer dispute the signal. Relabelling and
	// removal are applied to those submissions themselves when given.
	Resolution         string
	ResolutionReason   string
	ResolvedAt         *Time
	ResolutionSubjects []string
	// Negatives are the negative-bank entries for the value; each applies
	// to some viewers only (NegativeRef.AppliesTo).
	Negatives []NegativeRef
}

// NegativeRef is a negative-bank entry as the view of a signal needs it.
type NegativeRef struct {
	OrgID string
	// Programme is set for a programme-wide entry staff approved.
	Programme bool
}

// NegativeRefOf is what an entry of org with scope means for the views: it
// applies programme-wide only once staff approved it.
func NegativeRefOf(orgID, scope string, approved bool) NegativeRef {
	return NegativeRef{OrgID: orgID, Programme: scope == NegativeProgramme && approved}
}

// AppliesTo reports whether the entry cancels v's matches: an org's own
// entries apply to its own matches, approved programme-wide entries to
// everyone's.
func (n NegativeRef) AppliesTo(v Viewer) bool {
	return n.Programme || (n.OrgID != "" && n.OrgID == v.OrgID)
}

// Signal is a signal as one viewer sees it: every figure computed over the
// submissions that viewer may see.
type Signal struct {
	ID             string         `json:"id"`
	Type           string         `json:"type"`
	Value          string         `json:"value"`
	ValueRedacted  bool           `json:"value_redacted,omitempty"`
	Quality        *int           `json:"quality,omitempty"`
	QualityUnknown bool           `json:"quality_unknown,omitempty"`
	ContentTypes   []string       `json:"content_types"`
	Labels         []string       `json:"labels"`
	EntityIDs      []string       `json:"entity_ids"`
	Severity       string         `json:"severity"`
	Flags          []string       `json:"flags"`
	TLP            TLP            `json:"tlp"`
	Submissions    int            `json:"submissions"`
	Feedback       map[string]int `json:"feedback"`
	Confidence     float64        `json:"confidence"`
	Status         string         `json:"status"`
	Actionable     bool           `json:"actionable"`
	NotActionable  string         `json:"not_actionable_reason,omitempty"`
	FirstSeen      Time           `json:"first_seen"`
	LastSeen       Time           `json:"last_seen"`
	SubmittedBy    []string       `json:"submitted_by"`
	// SubmitterKinds are the kinds of the organisations whose active
	// submissions the viewer sees, sorted.
	SubmitterKinds []OrgKind `json:"submitter_kinds"`
	// Details are the visible submissions (signal pages and GET by id).
	Details []*Submission `json:"details,omitempty"`
	// Resolution is shown when staff settled a dispute.
	Resolution string `json:"resolution,omitempty"`
}

// SignalFilter selects signals. Nil fields do not filter.
type SignalFilter struct {
	Type     *string
	Label    *string
	EntityID *string
	Status   *string
	Since    *Time
	// Query keeps signals whose value starts with it (SearchRanges): hex
	// digits for hashes in any case; for URLs a prefix of the normalised
	// URL, with or without its scheme, so that a host finds its URLs.
	Query string
	// Sort orders the list by a figure as the viewer sees it (SignalSorts),
	// ascending, or descending with a "-" before it. Empty: the newest
	// submission the viewer sees first.
	Sort string
	// Own keeps the signals the viewer's organisation shares: those with
	// an active submission of its own.
	Own bool
	Page
}

// SignalSorts are the figures a signals list may be sorted by. Each is
// computed over the submissions the viewer may see, never over the whole
// signal: a global first_seen would date a submission the viewer cannot
// see.
var SignalSorts = []string{"first_seen", "last_seen", "confidence"}

// FeedbackInput is a verdict on a signal.
type FeedbackInput struct {
	Verdict string `json:"verdict"`
	Comment string `json:"comment,omitempty"`
}

// ResolveInput is staff's settlement of a dispute.
type ResolveInput struct {
	Resolution string   `json:"resolution"`
	Reason     string   `json:"reason"`
	Labels     []string `json:"labels,omitempty"`
}

// HistoryEntry is one verdict or resolution in a signal's history. Org is
// the organisation's name where the viewer may know it, else "a member".
type HistoryEntry struct {
	Kind    string `json:"kind"` // verdict or resolution
	Value   string `json:"value"`
	Comment string `json:"comment,omitempty"`
	Org     string `json:"org"`
	Time    Time   `json:"time"`
}

// SubmitResult says what a submission did.
type SubmitResult struct {
	Signal *Signal
	// Created is true for a new value (201); false when merged (200).
	Created bool
	// Unchanged is true when the same org sent the same record again.
	Unchanged bool
}

// BatchResult is the outcome of a bulk submission.
type BatchResult struct {
	Created   int          `json:"created"`
	Merged    int          `json:"merged"`
	Unchanged int          `json:"unchanged"`
	Rejected  []FieldError `json:"rejected"`
}

// Change is one entry of the signals changes feed as a viewer sees it.
type Change struct {
	Seq      int64   `json:"seq"`
	Op       string  `json:"op"` // upsert or tombstone
	SignalID string  `json:"signal_id"`
	Type     string  `json:"type"`
	Value    string  `json:"value,omitempty"`
	Reason   string  `json:"reason,omitempty"`
	Signal   *Signal `json:"signal,omitempty"`
}

// Negative-bank scopes: an entry applies to its org's own matches, or,
// once staff approved it, to everyone's.
const (
	NegativeOrg       = "org"
	NegativeProgramme = "programme"
)

// NegativeEntry is a hash in the negative bank: content that must never
// count as a match (logos of legitimate organisations, stock images, known
// false positives). It applies to its org's matches; a programme-wide
// entry applies to everyone's once staff approved it.
type NegativeEntry struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Value      string `json:"value"`
	Reason     string `json:"reason"`
	OrgID      string `json:"org_id,omitempty"`
	Scope      string `json:"scope"`
	Approved   *Time  `json:"approved_at,omitempty"`
	ApprovedBy string `json:"approved_by,omitempty"`
	Created    Time   `json:"created_at"`
}

// Pending reports whether a programme-wide entry awaits staff approval.
func (e *NegativeEntry) Pending() bool { return e.Scope == NegativeProgramme && e.Approved == nil }

// Ref returns what the entry means for the views of a signal.
func (e *NegativeEntry) Ref() NegativeRef { return NegativeRefOf(e.OrgID, e.Scope, e.Approved != nil) }

// NegativeInput adds to the negative bank. Scope is "org" (the default)
// or "programme" (a proposal staff approve; staff's own apply at once).
type NegativeInput struct {
	Type   string `json:"type"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
	Scope  string `json:"scope,omitempty"`
}

// NegativeFilter selects negative-bank entries. Pending lists only
// programme-wide proposals awaiting approval (staff).
type NegativeFilter struct {
	Pending bool
	Page
}

// SignalService is the shared hash bank.
type SignalService interface {
	// Submit records the actor's org's submission of a value.
	Submit(ctx context.Context, in SubmissionInput) (*SubmitResult, error)
	// SubmitBatch stores records in transactional batches, keeping good
	// records and reporting bad ones by line. next returns records until
	// io.EOF; line numbers come with each record.
	SubmitBatch(ctx context.Context, next func() (line int, in *SubmissionInput, err error), source string) (*BatchResult, error)
	FindSignalByID(ctx context.Context, id string) (*Signal, error)
	FindSignals(ctx context.Context, f SignalFilter) ([]*Signal, string, error)
	GiveFeedback(ctx context.Context, signalID string, in FeedbackInput) (*Signal, error)
	Retract(ctx context.Context, signalID string) (*Signal, error)
	Resolve(ctx context.Context, signalID string, in ResolveInput) (*Signal, error)
	// Changes returns up to limit entries after seq as the actor sees
	// them, and the last sequence examined; ERESYNCREQUIRED past retention.
	Changes(ctx context.Context, after int64, limit int) ([]*Change, int64, error)
	AddNegative(ctx context.Context, in NegativeInput) (*NegativeEntry, error)
	// FindNegatives lists the entries the actor may see: its org's own and
	// the approved programme-wide ones (staff: all).
	FindNegatives(ctx context.Context, f NegativeFilter) ([]*NegativeEntry, string, error)
	// ApproveNegative makes a programme-wide proposal apply to everyone
	// (staff).
	ApproveNegative(ctx context.Context, id string) (*NegativeEntry, error)
	// RemoveNegative deletes an entry (its org's analysts, or staff).
	RemoveNegative(ctx context.Context, id string) error
	// NegativeEntries returns every entry, for the matcher (system use).
	NegativeEntries(ctx context.Context) ([]*NegativeEntry, error)
	// SignalStates loads full states (no sharing cut) for the matcher.
	// With ids nil it streams every signal of the given types.
	SignalStates(ctx context.Context, ids []string, fn func(*SignalState) error) error
	// ScanIndex reads every signal with only what matching needs, for
	// loading the matcher: see IndexScan.
	ScanIndex(ctx context.Context, scan IndexScan) (*IndexFacts, error)
	// CountSignals returns how many signals are stored.
	CountSignals(ctx context.Context) (int, error)
	// SignalChangesSince returns the ids of signals changed after seq and
	// the newest seq, for keeping an index in step.
	SignalChangesSince(ctx context.Context, seq int64) ([]string, int64, error)
	// ExportSignals calls fn for every signal whose submissions may leave
	// the instance towards the actor's org, changed at or after since, with
	// the distribution an export states and the org's own submission when
	// it is among them (nil otherwise).
	ExportSignals(ctx context.Context, since *Time, fn func(sig *Signal, dist Distribution, own *Submission) error) error
	// SignalHistory returns a visible signal's verdicts and resolutions,
	// oldest first (the dispute history).
	SignalHistory(ctx context.Context, signalID string) ([]*HistoryEntry, error)
	// ChangeSeq returns the newest committed change sequence.
	ChangeSeq(ctx context.Context) (int64, error)
	// RecordStaffReads audits, as one event, a staff request that read the
	// restricted signals ids (a match; lists and the feed audit their own).
	RecordStaffReads(ctx context.Context, action string, ids []string) error
	// RecordMatches adds to an org's daily match counts.
	RecordMatches(ctx context.Context, orgID string, day string, queries, matches int) error
	// RecordSignalMatches adds to the daily per-signal match counts
	// (matchstats.go).
	RecordSignalMatches(ctx context.Context, counts []SignalMatchCount) error
}
