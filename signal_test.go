package ksp

import (
	"slices"
	"testing"
)

func TestNormalizeURL(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"HTTP://Example.COM", "http://example.com/", ""},
		{"https://example.com:443/a/./b/../c?b=2&a=1#frag", "https://example.com/a/c?b=2&a=1", ""},
		{"http://example.com:8080/x/", "http://example.com:8080/x/", ""},
		{"https://example.com/p?utm_source=x&id=7&UTM_medium=y", "https://example.com/p?id=7", ""},
		{"https://bücher.example/ä", "https://xn--bcher-kva.example/%C3%A4", ""},
		{"https://münchen.de/", "https://xn--mnchen-3ya.de/", ""},
		{"https://user:pw@example.com/", "https://example.com/", ""},
		{"ftp://example.com/", "", "must be an http or https URL"},
		{"https:///nohost", "", "has no host"},
		{"example.com/page", "", "must be an http or https URL"},
		{"http://exa mple.com/", "", "not a URL"},
	}
	for _, tt := range tests {
		got, reason := NormalizeURL(tt.in)
		if got != tt.want || reason != tt.err {
			t.Errorf("NormalizeURL(%q) = %q, %q; want %q, %q", tt.in, got, reason, tt.want, tt.err)
		}
	}
}

func TestPunycodeRFC3492(t *testing.T) {
	// Samples from RFC 3492 section 7.1.
	tests := []struct{ in, want string }{
		{"\u0644\u064A\u0647\u0645\u0627\u0628\u062A\u0643\u0644\u0645\u0648\u0634\u0639\u0631\u0628\u064A\u061F", "egbpdaj6bu4bxfgehfvwxn"},
		{"\u4ED6\u4EEC\u4E3A\u4EC0\u4E48\u4E0D\u8BF4\u4E2D\u6587", "ihqwcrb4cv8a8dqg056pqjye"},
		{"3\u5E74B\u7D44\u91D1\u516B\u5148\u751F", "3B-ww4c5e180e575a65lsy2b"},
	}
	for _, tt := range tests {
		if got, ok := punycode(tt.in); !ok || got != tt.want {
			t.Errorf("punycode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

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
