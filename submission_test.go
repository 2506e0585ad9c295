package ksp

import (
	"strings"
	"testing"
)

func TestSubmissionNormalize(t *testing.T) {
	q := func(n int) *int { return &n }
	pdq := "D8F8F0CEE0F4A84F0637022A078F67F0B36E2ED596621E1D33E6339C4E9C9B22"
	ok := func(edit func(*SubmissionInput)) SubmissionInput {
		in := SubmissionInput{Type: "pdq", Value: pdq, ContentType: "photo", Labels: []string{"propaganda"}, Basis: "branded_publication"}
		edit(&in)
		return in
	}
	id := NewID()
	tests := []struct {
		name  string
		in    SubmissionInput
		field string
		basis string // after Normalize, when valid
	}{
		{"ok", ok(func(*SubmissionInput) {}), "", "branded_publication"},
		{"bad hex", ok(func(in *SubmissionInput) { in.Value = "zz" + pdq[2:] }), "value", ""},
		{"wrong length", ok(func(in *SubmissionInput) { in.Type = "md5" }), "value", ""},
		{"unknown type", ok(func(in *SubmissionInput) { in.Type = "sha1" }), "type", ""},
		{"unknown label", ok(func(in *SubmissionInput) { in.Labels = []string{"memes"} }), "labels", ""},
		{"no label", ok(func(in *SubmissionInput) { in.Labels = nil }), "labels", ""},
		{"low quality", ok(func(in *SubmissionInput) { in.Quality = q(49) }), "quality", ""},
		{"url no host", ok(func(in *SubmissionInput) { in.Type, in.Value, in.ContentType = "url", "https:///x", "url" }), "value", ""},
		{"url scheme", ok(func(in *SubmissionInput) { in.Type, in.Value, in.ContentType = "url", "javascript:alert(1)", "url" }), "value", ""},
		{"url bidi", ok(func(in *SubmissionInput) {
			in.Type, in.Value, in.ContentType = "url", "https://example.com/\u202egpj.exe", "url"
		}), "value", ""},
		{"public", ok(func(in *SubmissionInput) { in.Distribution, in.TLP = DistPublic, TLPClear }), "distribution", ""},
		{"red members", ok(func(in *SubmissionInput) { in.TLP = TLPRed }), "distribution", ""},
		{"unknown basis", ok(func(in *SubmissionInput) { in.Basis = "hunch" }), "basis", ""},

		// One rule for "other", stated or not: it needs a reason.
		{"other without reason", ok(func(in *SubmissionInput) { in.Basis = "other" }), "basis_reason", ""},
		{"other with blank reason", ok(func(in *SubmissionInput) { in.Basis, in.BasisReason = "other", "  " }), "basis_reason", ""},
		{"other with entity but no reason", ok(func(in *SubmissionInput) { in.Basis, in.EntityID = "other", id }), "basis_reason", ""},
		{"other with reason", ok(func(in *SubmissionInput) { in.Basis, in.BasisReason = "other", "seen on our platform" }), "", "other"},
		{"no basis, no reason", ok(func(in *SubmissionInput) { in.Basis = "" }), "basis_reason", ""},
		{"no basis, blank reason", ok(func(in *SubmissionInput) { in.Basis, in.BasisReason = " ", " " }), "basis_reason", ""},
		{"no basis, reason", ok(func(in *SubmissionInput) { in.Basis, in.BasisReason = "", "seen on our platform" }), "", "other"},
		{"no basis, entity", ok(func(in *SubmissionInput) { in.Basis, in.EntityID = "", id }), "", "designated_entity"},
		{"no basis, incident", ok(func(in *SubmissionInput) { in.Basis, in.IncidentID = "", id }), "", "perpetrator_content"},
		{"no basis, entity and incident", ok(func(in *SubmissionInput) { in.Basis, in.EntityID, in.IncidentID = "", id, id }), "", "designated_entity"},
		{"no basis, bad entity id", ok(func(in *SubmissionInput) { in.Basis, in.EntityID = "", "QDe 115" }), "entity_id", ""},
		{"entity reference number", ok(func(in *SubmissionInput) { in.Basis, in.EntityID = "", " QDe.115 " }), "", "designated_entity"},
		{"entity reference too long", ok(func(in *SubmissionInput) { in.EntityID = strings.Repeat("Q", MaxReferenceNumber+1) }), "entity_id", ""},
		{"entity reference with a control character", ok(func(in *SubmissionInput) { in.EntityID = "QDe.115\x00" }), "entity_id", ""},
		{"entity basis without id", ok(func(in *SubmissionInput) { in.Basis = "designated_entity" }), "entity_id", ""},
		{"incident basis without id", ok(func(in *SubmissionInput) { in.Basis = "perpetrator_content" }), "incident_id", ""},
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
			if tt.field != "" {
				return
			}
			if in.Value != "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22" || in.Distribution != DistMembers || in.TLP != TLPGreen {
				t.Fatalf("not normalised: %+v", in)
			}
			if in.Basis != tt.basis {
				t.Fatalf("basis %q, want %q", in.Basis, tt.basis)
			}
			// What Normalize produced is valid as it stands, stated.
			again := in
			var g Fields
			again.Normalize(&g)
			if len(g) > 0 || again.Basis != in.Basis {
				t.Fatalf("normalised record does not validate again: %v %+v", g, again)
			}
		})
	}
}
