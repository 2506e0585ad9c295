package ksp

import (
	"slices"
	"testing"
)

func TestDisputeAndConfidence(t *testing.T) {
	const viewer = "00000000-0000-7000-8000-00000000000a"
	var subs []string
	sub := func(kind OrgKind, retracted bool) *Submission {
		s := &Submission{OrgID: NewID(), OrgKind: kind, Distribution: DistMembers, TLP: TLPGreen, Labels: []string{"propaganda"}}
		if retracted {
			s.Retracted = TP(Now())
		}
		subs = append(subs, s.OrgID)
		return s
	}
	// Every verdict here is about the submissions made so far: all of
	// them are visible to the viewer, so every verdict counts.
	fb := func(kind OrgKind, v string) *FeedbackEntry {
		return &FeedbackEntry{OrgID: NewID(), OrgKind: kind, Verdict: v, Updated: T(Now()), Subjects: slices.Clone(subs)}
	}
	tests := []struct {
		name       string
		st         func() SignalState
		status     string
		actionable bool
		reason     string
	}{
		{"one platform", func() SignalState { return SignalState{Submissions: []*Submission{sub(KindPlatform, false)}} }, StatusActive, true, ""},
		{"retracted", func() SignalState { return SignalState{Submissions: []*Submission{sub(KindPlatform, true)}} }, StatusRetracted, false, "retracted"},
		{"one dispute", func() SignalState {
			s := sub(KindPlatform, false)
			return SignalState{Submissions: []*Submission{s}, Feedback: []*FeedbackEntry{fb(KindPlatform, VerdictDisputed)}}
		}, StatusDisputed, false, "disputed"},
		{"two FP vs one TP", func() SignalState {
			s := sub(KindPlatform, false)
			return SignalState{Submissions: []*Submission{s}, Feedback: []*FeedbackEntry{fb(KindPlatform, VerdictFalsePositive), fb(KindAcademia, VerdictNewsworthy), fb(KindPlatform, VerdictTruePositive)}}
		}, StatusDisputed, false, "disputed"},
		{"two FP vs three TP", func() SignalState {
			s := sub(KindPlatform, false)
			return SignalState{Submissions: []*Submission{s}, Feedback: []*FeedbackEntry{fb(KindPlatform, VerdictFalsePositive), fb(KindPlatform, VerdictFalsePositive), fb(KindPlatform, VerdictTruePositive), fb(KindPlatform, VerdictTruePositive), fb(KindPlatform, VerdictTruePositive)}}
		}, StatusActive, true, ""},
		{"government only", func() SignalState { return SignalState{Submissions: []*Submission{sub(KindGovernment, false)}} }, StatusActive, false, "government_only_unconfirmed"},
		{"government confirmed", func() SignalState {
			s := sub(KindGovernment, false)
			return SignalState{Submissions: []*Submission{s}, Feedback: []*FeedbackEntry{fb(KindPlatform, VerdictTruePositive)}}
		}, StatusActive, true, ""},
		{"own negative entry", func() SignalState {
			return SignalState{Submissions: []*Submission{sub(KindPlatform, false)}, Negatives: []NegativeRef{{OrgID: viewer}}}
		}, StatusActive, false, "negative_bank"},
		{"another org's negative entry", func() SignalState {
			return SignalState{Submissions: []*Submission{sub(KindPlatform, false)}, Negatives: []NegativeRef{{OrgID: NewID()}}}
		}, StatusActive, true, ""},
		{"programme negative entry", func() SignalState {
			return SignalState{Submissions: []*Submission{sub(KindPlatform, false)}, Negatives: []NegativeRef{{OrgID: NewID(), Programme: true}}}
		}, StatusActive, false, "negative_bank"},
		// A verdict about a submission the viewer cannot see counts for no one
		// else: the dispute and the confirmation alike.
		{"dispute on a hidden submission", func() SignalState {
			hidden := &Submission{OrgID: NewID(), OrgKind: KindPlatform, Distribution: DistOwner, TLP: TLPRed}
			return SignalState{Submissions: []*Submission{hidden, sub(KindPlatform, false)},
				Feedback: []*FeedbackEntry{{OrgID: hidden.OrgID, Verdict: VerdictDisputed, Updated: T(Now()), Subjects: []string{hidden.OrgID}}}}
		}, StatusActive, true, ""},
		{"government value held privately by a platform", func() SignalState {
			hidden := &Submission{OrgID: NewID(), OrgKind: KindPlatform, Distribution: DistOwner, TLP: TLPRed}
			return SignalState{Submissions: []*Submission{hidden, sub(KindGovernment, false)}}
		}, StatusActive, false, "government_only_unconfirmed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subs = nil
			st := tt.st()
			sig := st.View(Viewer{OrgID: viewer}, false)
			if sig.Status != tt.status {
				t.Errorf("status %s, want %s", sig.Status, tt.status)
			}
			if sig.Actionable != tt.actionable || sig.NotActionable != tt.reason {
				t.Errorf("actionable %v %q, want %v %q", sig.Actionable, sig.NotActionable, tt.actionable, tt.reason)
			}
		})
	}
	// A resolution clears older disputes, for those who see what it was
	// about.
	subs = nil
	s := sub(KindPlatform, false)
	st := SignalState{Submissions: []*Submission{s}, Feedback: []*FeedbackEntry{fb(KindPlatform, VerdictDisputed)}}
	st.Resolution, st.ResolvedAt, st.ResolutionSubjects = "upheld", TP(Now().Add(1e9)), []string{s.OrgID}
	if sig := st.View(Viewer{OrgID: viewer}, false); sig.Status != StatusActive || sig.Resolution != "upheld" {
		t.Errorf("resolution did not clear the dispute: %+v", sig)
	}
	for _, c := range []struct {
		s    int
		fb   map[string]int
		want float64
	}{
		{1, nil, 0.5},
		{1, map[string]int{VerdictTruePositive: 3}, 0.8},
		{1, map[string]int{VerdictFalsePositive: 2}, 0.25},
		{0, nil, 0},
	} {
		if got := Confidence(c.s, c.fb); got != c.want {
			t.Errorf("Confidence(%d, %v) = %v, want %v", c.s, c.fb, got, c.want)
		}
	}
}

func TestSignalViewHidesWhatViewerMayNotSee(t *testing.T) {
	a, b, c := NewID(), NewID(), NewID()
	st := SignalState{ID: NewID(), Type: TypeURL, Value: "https://host.example/user/alice", Submissions: []*Submission{
		{OrgID: a, OrgName: "A", Distribution: DistOwner, TLP: TLPRed, Labels: []string{"recruitment"}, Flags: []string{"contains_pii"}, Severity: "high"},
		{OrgID: b, OrgName: "B", Distribution: DistMembers, TLP: TLPGreen, Labels: []string{"propaganda"}, Severity: "low"},
	}}
	if v := st.View(Viewer{OrgID: c}, true); v == nil || len(v.Labels) != 1 || v.Labels[0] != "propaganda" || v.Submissions != 1 || v.ValueRedacted || v.TLP != TLPGreen || v.SubmittedBy[0] != "a member" {
		t.Fatalf("other member sees %+v", v)
	}
	if v := st.View(Viewer{OrgID: a}, false); v == nil || v.Submissions != 2 || len(v.Labels) != 2 || v.TLP != TLPRed || v.ValueRedacted {
		t.Fatalf("owner sees %+v", v)
	}
	st.Submissions = st.Submissions[:1]
	if v := st.View(Viewer{OrgID: c}, false); v != nil {
		t.Fatalf("hidden signal visible: %+v", v)
	}
	st.Submissions[0].Distribution, st.Submissions[0].TLP = DistMembers, TLPAmber
	if v := st.View(Viewer{OrgID: c}, false); v == nil || !v.ValueRedacted || v.Value != "https://host.example/…" {
		t.Fatalf("PII URL shown: %+v", v)
	}
}
