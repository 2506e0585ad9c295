package ksp

import (
	"slices"
	"strings"
)

// Distribution says who can access an item on this instance.
type Distribution string

// The four distributions of DESIGN.md, narrowest first.
const (
	DistOwner    Distribution = "owner"
	DistAudience Distribution = "audience"
	DistMembers  Distribution = "members"
	DistPublic   Distribution = "public"
)

// Distributions lists every distribution, narrowest first.
var Distributions = []Distribution{DistOwner, DistAudience, DistMembers, DistPublic}

// TLP says how recipients may pass an item on (FIRST TLP 2.0).
type TLP string

// The TLP 2.0 labels, most restrictive last.
const (
	TLPClear       TLP = "CLEAR"
	TLPGreen       TLP = "GREEN"
	TLPAmber       TLP = "AMBER"
	TLPAmberStrict TLP = "AMBER+STRICT"
	TLPRed         TLP = "RED"
)

// TLPs lists every TLP label, least restrictive first.
var TLPs = []TLP{TLPClear, TLPGreen, TLPAmber, TLPAmberStrict, TLPRed}

// Default sharing of a new item.
const (
	DefaultDistribution = DistMembers
	DefaultTLP          = TLPGreen
)

// Sharing is the part of every shared item that the sharing rule reads.
type Sharing struct {
	OwnerOrgID   string       `json:"owner_org_id,omitempty"`
	Distribution Distribution `json:"distribution"`
	Audience     []string     `json:"audience,omitempty"`
	TLP          TLP          `json:"tlp"`
}

// AllowedDistributions lists the distributions an item kind may have,
// narrowest first: all of them, or all but public for kinds that must never
// be public (signals, alerts). ValidateSharing and the OpenAPI document both
// read it.
func AllowedDistributions(allowPublic bool) []Distribution {
	out := slices.Clone(Distributions)
	if !allowPublic {
		out = slices.DeleteFunc(out, func(d Distribution) bool { return d == DistPublic })
	}
	return out
}

// ValidateSharing checks a distribution/TLP pair and its audience. allowPublic
// is false for item kinds that must never be public (signals, alerts).
// Problems are recorded in f under the API's field names.
func ValidateSharing(s Sharing, allowPublic bool, f *Fields) {
	allowed := AllowedDistributions(allowPublic)
	if !slices.Contains(Distributions, s.Distribution) {
		names := make([]string, len(allowed))
		for i, d := range allowed {
			names[i] = string(d)
		}
		f.Add("distribution", "must be one of "+strings.Join(names, ", "))
		return
	}
	if !slices.Contains(TLPs, s.TLP) {
		f.Add("tlp", "must be one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED")
		return
	}
	switch {
	case !slices.Contains(allowed, s.Distribution):
		f.Add("distribution", "this kind of item is never public")
	case s.Distribution == DistPublic && s.TLP != TLPClear:
		f.Add("tlp", "public items must be TLP:CLEAR")
	case s.TLP == TLPRed && s.Distribution != DistOwner && s.Distribution != DistAudience:
		f.Add("distribution", "TLP:RED items may only be shared with the owner or a named audience")
	}
	if s.Distribution == DistAudience && len(s.Audience) == 0 {
		f.Add("audience", "name at least one organisation for distribution audience")
	}
	if s.Distribution != DistAudience && len(s.Audience) > 0 {
		f.Add("audience", "only allowed with distribution audience")
	}
	for _, id := range s.Audience {
		if !ValidID(id) {
			f.Add("audience", "not an organisation id: "+id)
			break
		}
	}
}

// Viewer is who is looking, reduced to what the sharing rule needs.
// The zero Viewer is anonymous.
type Viewer struct {
	OrgID     string
	Staff     bool
	Suspended bool
}

// Anonymous reports whether the viewer has no organisation.
func (v Viewer) Anonymous() bool { return v.OrgID == "" }

// CanSee is the sharing rule: staff see everything; anonymous viewers and
// suspended orgs see only public items; the owner sees its own; otherwise the
// distribution decides. Stores express the same rule in SQL (their conformance
// tests compare the two over every combination), so lists, counts and pages
// never include what CanSee refuses.
func CanSee(v Viewer, s Sharing) bool {
	switch {
	case v.Staff:
		return true
	case s.Distribution == DistPublic:
		return true
	case v.Anonymous() || v.Suspended:
		return false
	case s.OwnerOrgID == v.OrgID:
		return true
	case s.Distribution == DistMembers:
		return true
	case s.Distribution == DistAudience:
		return slices.Contains(s.Audience, v.OrgID)
	}
	return false
}

// Restricted reports whether a staff read of the item must be audited: staff
// see everything, but reading what was not shared with all members leaves a
// trace.
func Restricted(s Sharing) bool {
	return s.Distribution == DistOwner || s.Distribution == DistAudience || s.TLP == TLPRed || s.TLP == TLPAmberStrict
}

// MayLeave reports whether an item may be exported, served over TAXII or
// federated to the organisation toOrgID (empty: to nobody in particular, as
// in a file export whose reader is unknown). RED and AMBER+STRICT never leave
// the instance; AMBER leaves only towards organisations inside its
// distribution; GREEN and CLEAR follow the distribution.
func MayLeave(s Sharing, toOrgID string) bool {
	switch s.TLP {
	case TLPRed, TLPAmberStrict:
		return false
	case TLPAmber:
		if toOrgID == "" {
			return false
		}
	}
	if toOrgID == "" {
		return s.Distribution == DistPublic || s.Distribution == DistMembers
	}
	return CanSee(Viewer{OrgID: toOrgID}, s)
}
