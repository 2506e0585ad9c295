package ksp

import (
	"testing"
)

func TestDisputeAndConfidence(t *testing.T) {
	sub := func(kind OrgKind, retracted bool) *Submission {
		s := &Submission{OrgID: NewID(), OrgKind: kind, Distribution: DistMembers, TLP: TLPGreen, Labels: []string{"propaganda"}}
		if retracted {
			s.Retracted = TP(Now())
		}
		return s
	}
	fb := func(kind OrgKind, v string) *FeedbackEntry {
		return &FeedbackEntry{OrgKind: kind, Verdict: v, Updated: T(Now())}
	}
	tests := []struct {
		name       string
		st         SignalState
		status     string
		actionable bool
		reason     string
	}{
		{"one platform", SignalState{Submissions: []*Submission{sub(KindPlatform, false)}}, StatusActive, true, ""},
		{"retracted", SignalState{Submissions: []*Submission{sub(KindPlatform, true)}}, StatusRetracted, false, "retracted"},
		{"one dispute", SignalState{Submissions: []*Submission{sub(KindPlatform, false)}, Feedback: []*FeedbackEntry{fb(KindPlatform, VerdictDisputed)}}, StatusDisputed, false, "disputed"},
		{"two FP vs one TP", SignalState{Submissions: []*Submission{sub(KindPlatform, false)}, Feedback: []*FeedbackEntry{fb(KindPlatform, VerdictFalsePositive), fb(KindAcademia, VerdictNewsworthy), fb(KindPlatform, VerdictTruePositive)}}, StatusDisputed, false, "disputed"},
		{"two FP vs three TP", SignalState{Submissions: []*Submission{sub(KindPlatform, false)}, Feedback: []*FeedbackEntry{fb(KindPlatform, VerdictFalsePositive), fb(KindPlatform, VerdictFalsePositive), fb(KindPlatform, VerdictTruePositive), fb(KindPlatform, VerdictTruePositive), fb(KindPlatform, VerdictTruePositive)}}, StatusActive, true, ""},
		{"government only", SignalState{Submissions: []*Submission{sub(KindGovernment, false)}}, StatusActive, false, "government_only_unconfirmed"},
		{"government confirmed", SignalState{Submissions: []*Submission{sub(KindGovernment, false)}, Feedback: []*FeedbackEntry{fb(KindPlatform, VerdictTruePositive)}}, StatusActive, true, ""},
		{"negative bank", SignalState{Submissions: []*Submission{sub(KindPlatform, false)}, Negative: true}, StatusActive, false, "negative_bank"},
		{"removed", SignalState{Submissions: []*Submission{sub(KindPlatform, false)}, Resolution: "removed"}, StatusRetracted, false, "retracted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.st.GlobalStatus(); got != tt.status {
				t.Errorf("status %s, want %s", got, tt.status)
			}
			ok, reason := tt.st.Actionability()
			if ok != tt.actionable || reason != tt.reason {
				t.Errorf("actionable %v %q, want %v %q", ok, reason, tt.actionable, tt.reason)
			}
		})
	}
	// A resolution clears older disputes only.
	st := SignalState{Submissions: []*Submission{sub(KindPlatform, false)}, Feedback: []*FeedbackEntry{fb(KindPlatform, VerdictDisputed)}}
	st.Resolution, st.ResolvedAt = "upheld", TP(Now().Add(1e9))
	if st.GlobalStatus() != StatusActive {
		t.Error("resolution did not clear the dispute")
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
