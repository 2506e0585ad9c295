package ksp

import (
	"testing"
)

func TestSubmissionNormalize(t *testing.T) {
	q := func(n int) *int { return &n }
	pdq := "D8F8F0CEE0F4A84F0637022A078F67F0B36E2ED596621E1D33E6339C4E9C9B22"
	tests := []struct {
		name  string
		in    SubmissionInput
		field string
	}{
		{"ok", SubmissionInput{Type: "pdq", Value: pdq, ContentType: "photo", Labels: []string{"propaganda"}}, ""},
		{"bad hex", SubmissionInput{Type: "pdq", Value: "zz" + pdq[2:], ContentType: "photo", Labels: []string{"propaganda"}}, "value"},
		{"wrong length", SubmissionInput{Type: "md5", Value: pdq, ContentType: "photo", Labels: []string{"propaganda"}}, "value"},
		{"unknown type", SubmissionInput{Type: "sha1", Value: pdq, ContentType: "photo", Labels: []string{"propaganda"}}, "type"},
		{"unknown label", SubmissionInput{Type: "pdq", Value: pdq, ContentType: "photo", Labels: []string{"memes"}}, "labels"},
		{"no label", SubmissionInput{Type: "pdq", Value: pdq, ContentType: "photo"}, "labels"},
		{"low quality", SubmissionInput{Type: "pdq", Value: pdq, Quality: q(49), ContentType: "photo", Labels: []string{"propaganda"}}, "quality"},
		{"url no host", SubmissionInput{Type: "url", Value: "https:///x", ContentType: "url", Labels: []string{"propaganda"}}, "value"},
		{"url scheme", SubmissionInput{Type: "url", Value: "javascript:alert(1)", ContentType: "url", Labels: []string{"propaganda"}}, "value"},
		{"public", SubmissionInput{Type: "pdq", Value: pdq, ContentType: "photo", Labels: []string{"propaganda"}, Distribution: DistPublic, TLP: TLPClear}, "distribution"},
		{"red members", SubmissionInput{Type: "pdq", Value: pdq, ContentType: "photo", Labels: []string{"propaganda"}, TLP: TLPRed}, "distribution"},
		{"entity basis without id", SubmissionInput{Type: "pdq", Value: pdq, ContentType: "photo", Labels: []string{"propaganda"}, Basis: "designated_entity"}, "entity_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f Fields
			in := tt.in
			in.Normalize(&f)
			switch {
			case tt.field == "" && len(f) > 0:
				t.Fatalf("unexpected errors %v", f)
			case tt.field != "" && (len(f) == 0 || f[0].Field != tt.field):
				t.Fatalf("errors %v, want one on %s", f, tt.field)
			}
			if tt.field == "" && (in.Value != "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22" || in.Distribution != DistMembers || in.TLP != TLPGreen) {
				t.Fatalf("not normalised: %+v", in)
			}
		})
	}
}

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
