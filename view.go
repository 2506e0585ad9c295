package ksp

import (
	"slices"
	"strings"
)

// This file is the one place where what a viewer sees of a signal is
// computed. Every figure — status, confidence, feedback counts,
// actionability and its reason, labels, content types, severity, first and
// last seen — is derived from the submissions the viewer may see and from
// the verdicts and resolution that count for it (docs/hash-bank.md,
// "Everything is computed per viewer"). The store, the matcher, the
// changes feed and the exports all call it.

// lens is one viewer's reading of a signal: which submissions it sees, and
// so which verdicts and which resolution count for it.
type lens struct {
	st  *SignalState
	v   Viewer
	vis []*Submission // submissions the viewer sees, retracted included
	// sees reports whether the viewer sees the submission of an org.
	seesOrg map[string]bool
}

// newLens reads st for v. keep selects, among the submissions v may see,
// those that count (nil: all of them); it lets an export count only what
// may leave.
func newLens(st *SignalState, v Viewer, keep func(*Submission) bool) *lens {
	l := &lens{st: st, v: v, seesOrg: make(map[string]bool, len(st.Submissions))}
	for _, s := range st.Submissions {
		if CanSee(v, s.Sharing()) && (keep == nil || keep(s)) {
			l.vis = append(l.vis, s)
			l.seesOrg[s.OrgID] = true
		}
	}
	return l
}

// seesAny reports whether the viewer sees the submission of one of orgs.
func (l *lens) seesAny(orgs []string) bool {
	for _, o := range orgs {
		if l.seesOrg[o] {
			return true
		}
	}
	return false
}

// resolution returns the resolution time when staff's resolution counts
// for the viewer, else nil.
func (l *lens) resolution() *Time {
	if l.st.Resolution == "" || l.st.ResolvedAt == nil || !l.seesAny(l.st.ResolutionSubjects) {
		return nil
	}
	return l.st.ResolvedAt
}

// verdicts returns the verdicts that count for the viewer.
func (l *lens) verdicts() []*FeedbackEntry {
	var out []*FeedbackEntry
	for _, fb := range l.st.Feedback {
		if l.seesAny(fb.Subjects) {
			out = append(out, fb)
		}
	}
	return out
}

// active counts the visible submissions not retracted.
func (l *lens) active() int {
	n := 0
	for _, s := range l.vis {
		if s.Retracted == nil {
			n++
		}
	}
	return n
}

// disputed applies the documented dispute rule (docs/hash-bank.md) to the
// verdicts that count: disputed when, since the resolution that counts, at
// least one org said "disputed", or false-positive and newsworthy verdicts
// number two or more and are at least as many as true-positive verdicts.
func disputed(verdicts []*FeedbackEntry, resolvedAt *Time) bool {
	var disputes, against, tp int
	for _, fb := range verdicts {
		if resolvedAt != nil && !fb.Updated.After(resolvedAt.Time) {
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

// judgement is the status and actionability a viewer sees.
type judgement struct {
	status     string
	actionable bool
	reason     string
}

// judge decides status and actionability for the viewer: retracted when no
// visible submission is active; disputed by the dispute rule; not
// actionable when a negative-bank entry applies to the viewer, or when every
// visible active submission is a government's and no platform's
// true-positive verdict that counts confirms it.
func (l *lens) judge(verdicts []*FeedbackEntry) judgement {
	if l.active() == 0 {
		return judgement{StatusRetracted, false, StatusRetracted}
	}
	if disputed(verdicts, l.resolution()) {
		return judgement{StatusDisputed, false, StatusDisputed}
	}
	for _, n := range l.st.Negatives {
		if n.AppliesTo(l.v) {
			return judgement{StatusActive, false, "negative_bank"}
		}
	}
	govOnly := true
	for _, s := range l.vis {
		if s.Retracted == nil && s.OrgKind != KindGovernment {
			govOnly = false
		}
	}
	for _, fb := range verdicts {
		if govOnly && fb.Verdict == VerdictTruePositive && fb.OrgKind == KindPlatform {
			govOnly = false
		}
	}
	if govOnly {
		return judgement{StatusActive, false, "government_only_unconfirmed"}
	}
	return judgement{StatusActive, true, ""}
}

// Plain reports whether every viewer who sees the signal sees it active:
// no verdict, no resolution, no retracted submission. Stores keep it as a
// coarse filter column, so that a list of disputed or retracted signals
// starts from the few that are not plain.
func (st *SignalState) Plain() bool {
	if len(st.Feedback) > 0 || st.Resolution != "" {
		return false
	}
	for _, s := range st.Submissions {
		if s.Retracted != nil {
			return false
		}
	}
	return true
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
	return newLens(st, v, nil).signal(withDetails)
}

// RestrictedFor returns the first submission of another org than orgID that
// was not shared with every member (Restricted), or nil: a staff read of the
// signal by orgID must be audited when there is one.
func (st *SignalState) RestrictedFor(orgID string) *Submission {
	for _, s := range st.Submissions {
		if s.OrgID != orgID && Restricted(s.Sharing()) {
			return s
		}
	}
	return nil
}

// CountsFor returns whether a verdict or resolution about the submissions
// of the orgs subjects counts for v (v may see one of them), for checking
// many (the history) against one reading of the signal.
func (st *SignalState) CountsFor(v Viewer) func(subjects []string) bool {
	return newLens(st, v, nil).seesAny
}

// SeenBy returns the orgs whose submissions v may see, sorted: the
// subjects of a verdict v gives now.
func (st *SignalState) SeenBy(v Viewer) []string {
	var out []string
	for _, s := range st.Submissions {
		if CanSee(v, s.Sharing()) {
			out = append(out, s.OrgID)
		}
	}
	slices.Sort(out)
	return out
}

func (l *lens) signal(withDetails bool) *Signal {
	st, v, vis := l.st, l.v, l.vis
	if len(vis) == 0 {
		return nil
	}
	sig := &Signal{ID: st.ID, Type: st.Type, Value: st.Value, Feedback: map[string]int{}, ContentTypes: []string{}, Labels: []string{},
		EntityIDs: []string{}, Flags: []string{}, SubmittedBy: []string{}, SubmitterKinds: []OrgKind{}}
	active := 0
	for _, s := range vis {
		if sig.FirstSeen.IsZero() || s.Created.Before(sig.FirstSeen.Time) {
			sig.FirstSeen = s.Created
		}
		if s.Updated.After(sig.LastSeen.Time) {
			sig.LastSeen = s.Updated
		}
		if s.Retracted == nil {
			active++
			l.addActive(sig, s)
		}
	}
	slices.Sort(sig.ContentTypes)
	slices.Sort(sig.Labels)
	slices.Sort(sig.Flags)
	slices.Sort(sig.EntityIDs)
	slices.Sort(sig.SubmitterKinds)
	if sig.TLP == "" {
		sig.TLP = vis[0].TLP
	}
	if sig.Severity == "" {
		sig.Severity = vis[0].Severity
	}
	sig.QualityUnknown = st.Type == TypePDQ && sig.Quality == nil
	sig.Submissions = active
	verdicts := l.verdicts()
	for _, fb := range verdicts {
		sig.Feedback[fb.Verdict]++
	}
	sig.Confidence = Confidence(active, sig.Feedback)
	j := l.judge(verdicts)
	sig.Status, sig.Actionable, sig.NotActionable = j.status, j.actionable, j.reason
	if l.resolution() != nil {
		sig.Resolution = st.Resolution
	}
	// A URL flagged as containing personal data is shown only to staff and
	// to the orgs that submitted it.
	if st.Type == TypeURL && slices.Contains(sig.Flags, "contains_pii") && !v.Staff && !l.seesOrg[v.OrgID] {
		sig.Value, sig.ValueRedacted = redactURL(st.Value), true
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

// addActive adds an active visible submission's labels, content type,
// flags, entity, severity, TLP, quality and submitter to sig.
func (l *lens) addActive(sig *Signal, s *Submission) {
	sig.ContentTypes = appendNew(sig.ContentTypes, s.ContentType)
	for _, x := range s.Labels {
		sig.Labels = appendNew(sig.Labels, x)
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
	if s.OrgKind != "" && !slices.Contains(sig.SubmitterKinds, s.OrgKind) {
		sig.SubmitterKinds = append(sig.SubmitterKinds, s.OrgKind)
	}
	switch {
	case l.v.Staff || s.OrgID == l.v.OrgID || s.OrgNamed:
		sig.SubmittedBy = appendNew(sig.SubmittedBy, s.OrgName)
	default:
		sig.SubmittedBy = appendNew(sig.SubmittedBy, "a member")
	}
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

// ExportView is what may leave the instance towards v's organisation: the
// view computed over the active submissions v may see and that their TLP
// lets leave (never RED or AMBER+STRICT; AMBER only inside its
// distribution), with the verdicts about those. It returns nil when nothing
// may leave, and the distribution an importer of the export should use:
// the narrowest that was given, with another org's audience narrowed to
// owner.
func (st *SignalState) ExportView(v Viewer) (*Signal, Distribution) {
	l := newLens(st, v, func(s *Submission) bool { return s.Retracted == nil && MayLeave(s.Sharing(), v.OrgID) })
	if len(l.vis) == 0 {
		return nil, ""
	}
	narrow := DistPublic
	rank := map[Distribution]int{DistOwner: 0, DistAudience: 1, DistMembers: 2, DistPublic: 3}
	for _, s := range l.vis {
		d := s.Distribution
		if d == DistAudience && s.OrgID != v.OrgID {
			d = DistOwner
		}
		if rank[d] < rank[narrow] {
			narrow = d
		}
	}
	if narrow == DistPublic {
		narrow = DistMembers
	}
	return l.signal(false), narrow
}
