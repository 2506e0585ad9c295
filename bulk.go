package ksp

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// BulkInfo is what a bulk file says about a record beyond its fields
// (SubmissionInput.Bulk). A record without it is taken as complete.
type BulkInfo struct {
	// Absent names the fields the file does not give: a column missing
	// from a CSV header, a key missing from an NDJSON object. For an
	// existing submission of the importing org they keep their stored
	// values (absent is not empty); for a new one they take the defaults.
	Absent []string
	// Foreign marks a row that an export wrote as own=false: another
	// organisation's data as the exporter saw it. It counts as unchanged
	// and never becomes a submission of the importing org.
	Foreign bool
}

// BulkFields are the fields of a bulk record that may be absent: every
// submission field but the type and the value, which name the signal.
var BulkFields = []string{"quality", "content_type", "labels", "basis", "entity_id", "incident_id", "basis_reason", "severity", "flags", "distribution", "audience", "tlp", "policy_version"}

// Partial reports whether the record leaves fields to the stored
// submission (see BulkInfo.Absent).
func (in *SubmissionInput) Partial() bool {
	return in.Bulk != nil && len(in.Bulk.Absent) > 0
}

// KeepStored gives every field the record lacks the value old has, so that
// an import file without a column changes nothing in it. An audience is
// kept only while the distribution is still audience: a record that
// narrows an audience submission to owner need not name the audience.
func (in *SubmissionInput) KeepStored(old *Submission) {
	if old == nil || in.Bulk == nil {
		return
	}
	absent := func(field string) bool { return slices.Contains(in.Bulk.Absent, field) }
	if absent("quality") && old.Quality != nil {
		q := *old.Quality
		in.Quality = &q
	}
	copyIf := func(field string, dst *string, v string) {
		if absent(field) {
			*dst = v
		}
	}
	copyIf("content_type", &in.ContentType, old.ContentType)
	copyIf("basis", &in.Basis, old.Basis)
	copyIf("entity_id", &in.EntityID, old.EntityID)
	copyIf("incident_id", &in.IncidentID, old.IncidentID)
	copyIf("basis_reason", &in.BasisReason, old.BasisReason)
	copyIf("severity", &in.Severity, old.Severity)
	copyIf("policy_version", &in.PolicyVersion, old.PolicyVersion)
	if absent("labels") {
		in.Labels = slices.Clone(old.Labels)
	}
	if absent("flags") {
		in.Flags = slices.Clone(old.Flags)
	}
	if absent("distribution") {
		in.Distribution = old.Distribution
	}
	if absent("tlp") {
		in.TLP = old.TLP
	}
	if absent("audience") && in.Distribution == DistAudience && old.Distribution == DistAudience {
		in.Audience = slices.Clone(old.Audience)
	}
	in.Bulk.Absent = nil
}

var distributionRank = map[Distribution]int{DistOwner: 0, DistAudience: 1, DistMembers: 2, DistPublic: 3}

// tlpRestriction orders TLP labels from least to most restrictive.
var tlpRestriction = map[TLP]int{TLPClear: 0, TLPGreen: 1, TLPAmber: 2, TLPAmberStrict: 3, TLPRed: 4}

// Widening lists, as field errors, how next would share more widely than
// old: a wider distribution, a less restrictive TLP, or an audience naming
// an organisation old did not. A bulk import may narrow a submission or
// leave its sharing alone, never widen it: a file is too blunt a tool to
// hand data to more people.
func Widening(old, next Sharing) Fields {
	var f Fields
	const hint = "; a bulk import never widens an existing submission (submit the change on its own)"
	if distributionRank[next.Distribution] > distributionRank[old.Distribution] {
		f.Add("distribution", fmt.Sprintf("%s is wider than the stored %s%s", next.Distribution, old.Distribution, hint))
	} else if next.Distribution == DistAudience && old.Distribution == DistAudience {
		for _, o := range next.Audience {
			if !slices.Contains(old.Audience, o) {
				f.Add("audience", fmt.Sprintf("organisation %s is not in the stored audience%s", o, hint))
				break
			}
		}
	}
	if tlpRestriction[next.TLP] < tlpRestriction[old.TLP] {
		f.Add("tlp", fmt.Sprintf("%s is less restrictive than the stored %s%s", next.TLP, old.TLP, hint))
	}
	return f
}

// redactedURL is the shape a viewer gets in place of a URL flagged
// contains_pii: scheme and host, then "/…" (possibly percent-encoded by a
// tool that normalised it).
var redactedURL = regexp.MustCompile(`(?i)^[a-z][a-z0-9+.-]*://[^/?#]*/(…|%e2%80%a6)$`)

// IsRedacted reports whether v is the placeholder shown instead of a value
// the viewer may not see. It is never a value: storing it would create a
// bogus signal in place of the real one.
func IsRedacted(v string) bool {
	v = strings.TrimSpace(v)
	return v == "…" || redactedURL.MatchString(v)
}

// SubmissionOf returns the org's submission of the signal, or nil.
func (st *SignalState) SubmissionOf(orgID string) *Submission {
	for _, s := range st.Submissions {
		if s.OrgID == orgID {
			return s
		}
	}
	return nil
}

// RejectedRecords counts the records a bulk submission rejected: a record
// with several bad fields is one record.
func (r *BatchResult) RejectedRecords() int {
	lines := map[int]bool{}
	n := 0
	for _, fe := range r.Rejected {
		if fe.Line == 0 || !lines[fe.Line] {
			n++
		}
		lines[fe.Line] = true
	}
	return n
}
