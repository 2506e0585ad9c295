package ksp

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
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

// MinPDQQuality is the lowest PDQ quality accepted into the bank.
const MinPDQQuality = 50

// CurrentPolicyVersion is the inclusion policy new submissions are judged
// under unless they name one (docs/inclusion-policy.md).
const CurrentPolicyVersion = "2026-11"

// SubmissionInput is one org's submission of a signal, as sent.
type SubmissionInput struct {
	Type          string       `json:"type"`
	Value         string       `json:"value"`
	Quality       *int         `json:"quality,omitempty"`
	ContentType   string       `json:"content_type"`
	Labels        []string     `json:"labels"`
	Basis         string       `json:"basis,omitempty"`
	EntityID      string       `json:"entity_id,omitempty"`
	IncidentID    string       `json:"incident_id,omitempty"`
	BasisReason   string       `json:"basis_reason,omitempty"`
	Severity      string       `json:"severity,omitempty"`
	Flags         []string     `json:"flags,omitempty"`
	Distribution  Distribution `json:"distribution,omitempty"`
	Audience      []string     `json:"audience,omitempty"`
	TLP           TLP          `json:"tlp,omitempty"`
	PolicyVersion string       `json:"policy_version,omitempty"`
}

// Normalize validates a submission and brings it to canonical form (value
// lower-case hex or a normalised URL, defaults filled, lists sorted and
// de-duplicated). Problems are recorded in f under the API's field names.
func (in *SubmissionInput) Normalize(f *Fields) {
	in.Type = strings.ToLower(strings.TrimSpace(in.Type))
	v, reason := NormalizeValue(in.Type, in.Value)
	switch {
	case !slices.Contains(SignalTypes, in.Type):
		f.Add("type", "must be one of pdq, md5, sha256, url")
	case reason != "":
		f.Add("value", reason)
	default:
		in.Value = v
	}
	if in.Quality != nil {
		switch q := *in.Quality; {
		case in.Type != TypePDQ:
			f.Add("quality", "only PDQ hashes have a quality")
		case q < 0 || q > 100:
			f.Add("quality", "must be from 0 to 100")
		case q < MinPDQQuality:
			f.Add("quality", fmt.Sprintf("PDQ quality %d is below %d: such hashes match too much to be shared", q, MinPDQQuality))
		}
	}
	in.ContentType = strings.TrimSpace(in.ContentType)
	if !slices.Contains(ContentTypes, in.ContentType) {
		f.Add("content_type", "must be one of "+strings.Join(ContentTypes, ", "))
	}
	in.Labels = normList(in.Labels)
	if len(in.Labels) == 0 {
		f.Add("labels", "at least one label is required")
	}
	for _, l := range in.Labels {
		if !slices.Contains(Labels, l) {
			f.Add("labels", "unknown label "+quoteShort(l))
			break
		}
	}
	in.Flags = normList(in.Flags)
	for _, x := range in.Flags {
		if !slices.Contains(SignalFlags, x) {
			f.Add("flags", "unknown flag "+quoteShort(x))
			break
		}
	}
	if in.Basis == "" {
		in.Basis = "other"
		if in.BasisReason == "" && in.EntityID == "" && in.IncidentID == "" {
			in.BasisReason = "not stated"
		}
	}
	switch in.Basis {
	case "designated_entity":
		if in.EntityID == "" {
			f.Add("entity_id", "required with basis designated_entity")
		}
	case "perpetrator_content":
		if in.IncidentID == "" {
			f.Add("incident_id", "required with basis perpetrator_content")
		}
	case "branded_publication":
	case "other":
		if strings.TrimSpace(in.BasisReason) == "" {
			f.Add("basis_reason", "required with basis other")
		}
	default:
		f.Add("basis", "must be one of "+strings.Join(Bases, ", "))
	}
	for _, id := range []struct{ field, v string }{{"entity_id", in.EntityID}, {"incident_id", in.IncidentID}} {
		if id.v != "" && !ValidID(id.v) {
			f.Add(id.field, "not an identifier")
		}
	}
	if len(in.BasisReason) > 2000 {
		f.Add("basis_reason", "longer than 2000 characters")
	}
	if in.Severity == "" {
		in.Severity = "medium"
	}
	if !slices.Contains(Severities, in.Severity) {
		f.Add("severity", "must be one of low, medium, high, crisis")
	}
	if in.Distribution == "" {
		in.Distribution = DefaultDistribution
	}
	if in.TLP == "" {
		in.TLP = DefaultTLP
	}
	in.TLP = TLP(strings.ToUpper(string(in.TLP)))
	in.Audience = normList(in.Audience)
	ValidateSharing(Sharing{Distribution: in.Distribution, TLP: in.TLP, Audience: in.Audience}, false, f)
	if in.PolicyVersion == "" {
		in.PolicyVersion = CurrentPolicyVersion
	}
	if len(in.PolicyVersion) > 50 {
		f.Add("policy_version", "longer than 50 characters")
	}
}

func quoteShort(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return fmt.Sprintf("%q", s)
}

func normList(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// NormalizeValue brings a signal value to canonical form, or says why it
// cannot be one.
func NormalizeValue(typ, v string) (string, string) {
	v = strings.TrimSpace(v)
	hexLen := map[string]int{TypePDQ: 64, TypeMD5: 32, TypeSHA256: 64}
	if n, ok := hexLen[typ]; ok {
		v = strings.ToLower(v)
		if len(v) != n {
			return "", fmt.Sprintf("a %s value is %d hex digits, not %d", typ, n, len(v))
		}
		if _, err := hex.DecodeString(v); err != nil {
			return "", "not hexadecimal"
		}
		return v, ""
	}
	if typ == TypeURL {
		return NormalizeURL(v)
	}
	return v, ""
}

// NormalizeURL implements API.md's URL normalisation: scheme and host
// lower-case, host in punycode, default port and fragment dropped, empty path
// "/", dot segments resolved, query order kept, utm_* parameters removed.
func NormalizeURL(raw string) (string, string) {
	if len(raw) > 4096 {
		return "", "longer than 4096 characters"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", "not a URL"
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", "must be an http or https URL"
	}
	host := u.Hostname()
	if host == "" {
		return "", "has no host"
	}
	port := u.Port()
	if u.User != nil {
		u.User = nil
	}
	if strings.Contains(host, ":") { // IPv6 literal
		host = "[" + strings.ToLower(host) + "]"
	} else {
		a, ok := hostToASCII(strings.TrimSuffix(host, "."))
		if !ok {
			return "", "has an invalid host name"
		}
		host = a
	}
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	u.Host = host
	u.Fragment, u.RawFragment = "", ""
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	if u.RawQuery != "" {
		var kept []string
		for _, kv := range strings.Split(u.RawQuery, "&") {
			k, _, _ := strings.Cut(kv, "=")
			if strings.HasPrefix(strings.ToLower(k), "utm_") || kv == "" {
				continue
			}
			kept = append(kept, kv)
		}
		u.RawQuery = strings.Join(kept, "&")
	}
	out := u.Scheme + "://" + u.Host + clean
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out, ""
}

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
	// with only Resolution, ResolvedAt and ResolvedLabels set.
	Resolutions map[string]*SignalState
	// Negative holds "type:value" of every negative-bank entry.
	Negative map[string]bool
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
	// Resolution is staff's last settlement of a dispute; verdicts older
	// than ResolvedAt no longer dispute the signal.
	Resolution       string
	ResolutionReason string
	ResolvedAt       *Time
	ResolvedLabels   []string
	// Negative is set when the value is in the negative bank.
	Negative bool
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
	// Details are the visible submissions (signal pages and GET by id).
	Details []*Submission `json:"details,omitempty"`
	// Resolution is shown when staff settled a dispute.
	Resolution string `json:"resolution,omitempty"`
}

// Disputed applies the documented dispute rule (docs/hash-bank.md): a signal
// is disputed when, since staff last resolved it, at least one org said
// "disputed", or false-positive and newsworthy verdicts number two or more
// and are at least as many as true-positive verdicts.
func (st *SignalState) Disputed() bool {
	var disputes, against, tp int
	for _, fb := range st.Feedback {
		if st.ResolvedAt != nil && !fb.Updated.After(st.ResolvedAt.Time) {
			continue
		}
		switch fb.Verdict {
		case VerdictDisputed:
			disputes++
		case VerdictFalsePositive, VerdictNewsworthy:
			against++
		case VerdictTruePositive:
			tp++
		}
	}
	return disputes > 0 || (against >= 2 && against >= tp)
}

// GlobalStatus is the signal's status over all submissions: retracted when
// staff removed it or every submission was withdrawn, disputed by the rule
// above, else active.
func (st *SignalState) GlobalStatus() string {
	if st.Resolution == "removed" {
		return StatusRetracted
	}
	active := false
	for _, s := range st.Submissions {
		if s.Retracted == nil {
			active = true
		}
	}
	switch {
	case !active:
		return StatusRetracted
	case st.Disputed():
		return StatusDisputed
	}
	return StatusActive
}

// Actionability returns whether a match on this signal may be acted on and,
// if not, why: disputed or retracted signals, values in the negative bank,
// and signals only governments submitted that no platform has confirmed
// (true_positive) are leads only.
func (st *SignalState) Actionability() (bool, string) {
	switch st.GlobalStatus() {
	case StatusRetracted:
		return false, "retracted"
	case StatusDisputed:
		return false, "disputed"
	}
	if st.Negative {
		return false, "negative_bank"
	}
	govOnly := true
	for _, s := range st.Submissions {
		if s.Retracted == nil && s.OrgKind != KindGovernment {
			govOnly = false
		}
	}
	if govOnly {
		for _, fb := range st.Feedback {
			if fb.Verdict == VerdictTruePositive && fb.OrgKind == KindPlatform {
				govOnly = false
			}
		}
	}
	if govOnly {
		return false, "government_only_unconfirmed"
	}
	return true, ""
}

// Confidence is the documented score (docs/hash-bank.md):
// (S + TP) / (S + TP + FP + D + N/2 + 1), where S counts the visible active
// submissions, TP true-positive verdicts, FP false-positive verdicts, D
// dispute verdicts and N newsworthy verdicts. One submission and no
// feedback gives 0.5; confirmations raise it towards 1, objections lower
// it towards 0.
func Confidence(submissions int, feedback map[string]int) float64 {
	s := float64(submissions + feedback[VerdictTruePositive])
	den := s + float64(feedback[VerdictFalsePositive]+feedback[VerdictDisputed]) + float64(feedback[VerdictNewsworthy])/2 + 1
	c := s / den
	return float64(int(c*1000+0.5)) / 1000
}

var severityRank = map[string]int{"low": 1, "medium": 2, "high": 3, "crisis": 4}

var tlpRank = map[TLP]int{TLPClear: 0, TLPGreen: 1, TLPAmber: 2, TLPAmberStrict: 3, TLPRed: 4}

// View cuts a signal down to what v may see, or returns nil when v may see
// none of its submissions. withDetails includes the visible submissions.
func (st *SignalState) View(v Viewer, withDetails bool) *Signal {
	var vis []*Submission
	for _, s := range st.Submissions {
		if CanSee(v, s.Sharing()) {
			vis = append(vis, s)
		}
	}
	if len(vis) == 0 {
		return nil
	}
	sig := &Signal{ID: st.ID, Type: st.Type, Value: st.Value, Feedback: map[string]int{}, ContentTypes: []string{}, Labels: []string{},
		EntityIDs: []string{}, Flags: []string{}, SubmittedBy: []string{}, Resolution: st.Resolution}
	active := 0
	for _, s := range vis {
		if sig.FirstSeen.IsZero() || s.Created.Before(sig.FirstSeen.Time) {
			sig.FirstSeen = s.Created
		}
		if s.Updated.After(sig.LastSeen.Time) {
			sig.LastSeen = s.Updated
		}
		if s.Retracted != nil {
			continue
		}
		active++
		sig.ContentTypes = appendNew(sig.ContentTypes, s.ContentType)
		for _, l := range s.Labels {
			sig.Labels = appendNew(sig.Labels, l)
		}
		for _, x := range s.Flags {
			sig.Flags = appendNew(sig.Flags, x)
		}
		if s.EntityID != "" {
			sig.EntityIDs = appendNew(sig.EntityIDs, s.EntityID)
		}
		if severityRank[s.Severity] > severityRank[sig.Severity] {
			sig.Severity = s.Severity
		}
		if sig.TLP == "" || tlpRank[s.TLP] > tlpRank[sig.TLP] {
			sig.TLP = s.TLP
		}
		if s.Quality != nil && (sig.Quality == nil || *s.Quality > *sig.Quality) {
			q := *s.Quality
			sig.Quality = &q
		}
		switch {
		case v.Staff || s.OrgID == v.OrgID:
			sig.SubmittedBy = appendNew(sig.SubmittedBy, s.OrgName)
		case s.OrgNamed:
			sig.SubmittedBy = appendNew(sig.SubmittedBy, s.OrgName)
		default:
			sig.SubmittedBy = appendNew(sig.SubmittedBy, "a member")
		}
	}
	if st.Resolution == "relabelled" && len(st.ResolvedLabels) > 0 {
		sig.Labels = slices.Clone(st.ResolvedLabels)
	}
	slices.Sort(sig.ContentTypes)
	slices.Sort(sig.Labels)
	slices.Sort(sig.Flags)
	slices.Sort(sig.EntityIDs)
	if sig.TLP == "" {
		sig.TLP = vis[0].TLP
	}
	if sig.Severity == "" {
		sig.Severity = vis[0].Severity
	}
	sig.QualityUnknown = st.Type == TypePDQ && sig.Quality == nil
	sig.Submissions = active
	for _, fb := range st.Feedback {
		sig.Feedback[fb.Verdict]++
	}
	sig.Confidence = Confidence(active, sig.Feedback)
	sig.Status = st.GlobalStatus()
	if active == 0 {
		sig.Status = StatusRetracted
	}
	sig.Actionable, sig.NotActionable = st.Actionability()
	if sig.Status == StatusRetracted && sig.Actionable {
		sig.Actionable, sig.NotActionable = false, "retracted"
	}
	// A URL flagged as containing personal data is shown only to staff and
	// to the orgs that submitted it.
	if st.Type == TypeURL && slices.Contains(sig.Flags, "contains_pii") && !v.Staff {
		own := false
		for _, s := range vis {
			if s.OrgID == v.OrgID {
				own = true
			}
		}
		if !own {
			sig.Value, sig.ValueRedacted = redactURL(st.Value), true
		}
	}
	if withDetails {
		for _, s := range vis {
			c := *s
			if !(v.Staff || s.OrgID == v.OrgID) {
				c.OrgID, c.Audience = "", nil
				if !s.OrgNamed {
					c.OrgName = "a member"
				}
			}
			sig.Details = append(sig.Details, &c)
		}
	}
	return sig
}

func redactURL(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
			return u[:i+3+j] + "/…"
		}
	}
	return "…"
}

func appendNew(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// SignalFilter selects signals. Nil fields do not filter.
type SignalFilter struct {
	Type     *string
	Label    *string
	EntityID *string
	Status   *string
	Since    *Time
	Page
}

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

// NegativeEntry is a hash in the negative bank: content that must never
// count as a match (logos of legitimate organisations, stock images, known
// false positives).
type NegativeEntry struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Value   string `json:"value"`
	Reason  string `json:"reason"`
	OrgID   string `json:"org_id"`
	Created Time   `json:"created_at"`
}

// NegativeInput adds to the negative bank.
type NegativeInput struct {
	Type   string `json:"type"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
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
	FindNegatives(ctx context.Context, p Page) ([]*NegativeEntry, string, error)
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
	// the instance towards the actor's org, changed at or after since.
	ExportSignals(ctx context.Context, since *Time, fn func(*Signal, Distribution) error) error
	// SignalHistory returns a visible signal's verdicts and resolutions,
	// oldest first (the dispute history).
	SignalHistory(ctx context.Context, signalID string) ([]*HistoryEntry, error)
	// ChangeSeq returns the newest committed change sequence.
	ChangeSeq(ctx context.Context) (int64, error)
	// RecordMatches adds to an org's daily match counts.
	RecordMatches(ctx context.Context, orgID string, day string, queries, matches int) error
}

// ExportView is what may leave the instance towards v's organisation: the
// view computed over the active submissions v may see and that their TLP
// lets leave (never RED or AMBER+STRICT; AMBER only inside its
// distribution). It returns nil when nothing may leave, and the
// distribution an importer of the export should use: the narrowest that
// was given, with another org's audience narrowed to owner.
func (st *SignalState) ExportView(v Viewer) (*Signal, Distribution) {
	c := *st
	c.Submissions = nil
	narrow := DistPublic
	rank := map[Distribution]int{DistOwner: 0, DistAudience: 1, DistMembers: 2, DistPublic: 3}
	for _, s := range st.Submissions {
		sh := s.Sharing()
		if s.Retracted != nil || !CanSee(v, sh) || !MayLeave(sh, v.OrgID) {
			continue
		}
		c.Submissions = append(c.Submissions, s)
		d := s.Distribution
		if d == DistAudience && s.OrgID != v.OrgID {
			d = DistOwner
		}
		if rank[d] < rank[narrow] {
			narrow = d
		}
	}
	if len(c.Submissions) == 0 {
		return nil, ""
	}
	if narrow == DistPublic {
		narrow = DistMembers
	}
	return c.View(v, false), narrow
}
