package ksp

import (
	"slices"
	"strings"
)

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
