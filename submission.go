package ksp

import (
	"fmt"
	"slices"
	"strings"
)

// Bases of a submission: why it is in scope (API.md "Signals").
const (
	BasisDesignatedEntity   = "designated_entity"
	BasisPerpetratorContent = "perpetrator_content"
	BasisBrandedPublication = "branded_publication"
	BasisOther              = "other"
)

// ImpliedBasis is the basis of a submission that states none: what its
// entity_id or incident_id says, else "other". A missing basis is thus one
// of the stated ones, with everything that one needs: "other" needs a
// basis_reason, as when it is stated.
func ImpliedBasis(entityID, incidentID string) string {
	switch {
	case entityID != "":
		return BasisDesignatedEntity
	case incidentID != "":
		return BasisPerpetratorContent
	}
	return BasisOther
}

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
	// Bulk is what a bulk file says about the record beyond its fields;
	// nil outside bulk imports.
	Bulk *BulkInfo `json:"-"`
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
	in.Basis = strings.TrimSpace(in.Basis)
	in.EntityID = strings.TrimSpace(in.EntityID)
	in.BasisReason = strings.TrimSpace(in.BasisReason)
	stated := in.Basis != ""
	if !stated {
		in.Basis = ImpliedBasis(in.EntityID, in.IncidentID)
	}
	switch in.Basis {
	case BasisDesignatedEntity:
		if in.EntityID == "" {
			f.Add("entity_id", "required with basis designated_entity")
		}
	case BasisPerpetratorContent:
		if in.IncidentID == "" {
			f.Add("incident_id", "required with basis perpetrator_content")
		}
	case BasisBrandedPublication:
	case BasisOther:
		switch {
		case in.BasisReason != "":
		case stated:
			f.Add("basis_reason", "required with basis other")
		default:
			f.Add("basis_reason", "required with basis other, which a record without basis, entity_id or incident_id has")
		}
	default:
		f.Add("basis", "must be one of "+strings.Join(Bases, ", "))
	}
	// entity_id may be a list reference number; the store resolves it to
	// the entity's id and refuses one that names no entity.
	if in.EntityID != "" && !ValidEntityRef(in.EntityID) {
		f.Add("entity_id", "not an entity id or list reference number")
	}
	if in.IncidentID != "" && !ValidID(in.IncidentID) {
		f.Add("incident_id", "not an identifier")
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
