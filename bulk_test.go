package ksp

import (
	"fmt"
	"strings"
	"testing"
)

func TestWidening(t *testing.T) {
	a, b, c := NewID(), NewID(), NewID()
	for _, tc := range []struct {
		old, next Sharing
		want      string // fields, comma-separated
	}{
		{Sharing{Distribution: DistOwner, TLP: TLPGreen}, Sharing{Distribution: DistOwner, TLP: TLPGreen}, ""},
		{Sharing{Distribution: DistMembers, TLP: TLPGreen}, Sharing{Distribution: DistOwner, TLP: TLPRed}, ""},
		{Sharing{Distribution: DistOwner, TLP: TLPGreen}, Sharing{Distribution: DistAudience, TLP: TLPGreen, Audience: []string{a}}, "distribution"},
		{Sharing{Distribution: DistAudience, TLP: TLPAmber, Audience: []string{a}}, Sharing{Distribution: DistMembers, TLP: TLPAmber}, "distribution"},
		{Sharing{Distribution: DistAudience, TLP: TLPAmber, Audience: []string{a, b}}, Sharing{Distribution: DistAudience, TLP: TLPAmber, Audience: []string{b}}, ""},
		{Sharing{Distribution: DistAudience, TLP: TLPAmber, Audience: []string{a, b}}, Sharing{Distribution: DistAudience, TLP: TLPAmber, Audience: []string{a, c}}, "audience"},
		{Sharing{Distribution: DistAudience, TLP: TLPAmber, Audience: []string{a}}, Sharing{Distribution: DistOwner, TLP: TLPAmber}, ""},
		{Sharing{Distribution: DistMembers, TLP: TLPAmberStrict}, Sharing{Distribution: DistMembers, TLP: TLPAmber}, "tlp"},
		{Sharing{Distribution: DistMembers, TLP: TLPGreen}, Sharing{Distribution: DistMembers, TLP: TLPClear}, "tlp"},
		{Sharing{Distribution: DistOwner, TLP: TLPRed}, Sharing{Distribution: DistMembers, TLP: TLPGreen}, "distribution,tlp"},
	} {
		var got []string
		for _, fe := range Widening(tc.old, tc.next) {
			got = append(got, fe.Field)
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("%v → %v: %v, want %q", tc.old, tc.next, got, tc.want)
		}
	}
}

func TestIsRedacted(t *testing.T) {
	for v, want := range map[string]bool{
		"…":                                   true,
		"https://social.example/…":            true,
		" http://a.example:8080/… ":           true,
		"https://social.example/%E2%80%A6":    true,
		"https://social.example/%e2%80%a6":    true,
		"https://social.example/a/…":          false,
		"https://social.example/wait…what":    false,
		"https://social.example/…?q=1":        false,
		"https://social.example/users/x":      false,
		strings.Repeat("ab", 32):              false,
		"https://social.example/%E2%80%A6abc": false,
	} {
		if IsRedacted(v) != want {
			t.Errorf("IsRedacted(%q) = %v", v, !want)
		}
	}
}

func TestKeepStored(t *testing.T) {
	q := 80
	old := &Submission{Quality: &q, ContentType: "video", Labels: []string{"manifesto"}, Basis: "other", BasisReason: "stored", Severity: "high",
		Flags: []string{"graphic"}, Distribution: DistAudience, Audience: []string{"o1"}, TLP: TLPAmber, PolicyVersion: "2025-01", EntityID: "e", IncidentID: "i"}
	render := func(in SubmissionInput) string {
		qs := "-"
		if in.Quality != nil {
			qs = fmt.Sprint(*in.Quality)
		}
		return fmt.Sprintf("q=%s %s %v %s:%s e=%s i=%s %s %v %s%v/%s %s", qs, in.ContentType, in.Labels, in.Basis, in.BasisReason, in.EntityID, in.IncidentID,
			in.Severity, in.Flags, in.Distribution, in.Audience, in.TLP, in.PolicyVersion)
	}
	for _, tc := range []struct {
		name   string
		in     SubmissionInput
		absent []string
		want   string
	}{
		{"everything absent", SubmissionInput{}, BulkFields, "q=80 video [manifesto] other:stored e=e i=i high [graphic] audience[o1]/AMBER 2025-01"},
		{"nothing absent: empty stays empty", SubmissionInput{Labels: []string{"propaganda"}}, nil, "q=-  [propaganda] : e= i=  [] []/ "},
		{"narrowed to owner without an audience column", SubmissionInput{Distribution: DistOwner}, []string{"audience", "severity"}, "q=-  [] : e= i= high [] owner[]/ "},
		{"audience kept while still audience", SubmissionInput{TLP: TLPRed}, []string{"distribution", "audience"}, "q=-  [] : e= i=  [] audience[o1]/RED "},
	} {
		in := tc.in
		in.Bulk = &BulkInfo{Absent: tc.absent}
		if !in.Partial() && len(tc.absent) > 0 {
			t.Fatalf("%s: not partial", tc.name)
		}
		in.KeepStored(old)
		if got := render(in); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
		if in.Partial() {
			t.Errorf("%s: still partial after KeepStored", tc.name)
		}
	}
}

func TestRejectedRecords(t *testing.T) {
	r := BatchResult{Rejected: []FieldError{{Line: 2, Field: "labels"}, {Line: 2, Field: "severity"}, {Line: 2, Field: "tlp"}, {Line: 5, Field: "value"}, {Line: 9, Field: "a"}, {Line: 2, Field: "x"}}}
	if n := r.RejectedRecords(); n != 3 {
		t.Fatalf("%d rejected records, want 3", n)
	}
}
