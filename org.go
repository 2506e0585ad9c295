package ksp

import (
	"context"
	"net/mail"
	"regexp"
	"slices"
	"strings"
)

// OrgKind is the kind of a member organisation.
type OrgKind string

// Organisation kinds. KindStaff is the programme's own secretariat and is
// never chosen by an applicant.
const (
	KindPlatform             OrgKind = "platform"
	KindGovernment           OrgKind = "government"
	KindAcademia             OrgKind = "academia"
	KindCivilSociety         OrgKind = "civil_society"
	KindStaff                OrgKind = "staff"
	SizeStartup                      = "startup"
	SizeSmall                        = "small"
	SizeLarge                        = "large"
	OrgStatusMember                  = "member"
	OrgStatusSuspended               = "suspended"
	maxNameLen                       = 200
	maxTextLen                       = 10000
	maxDomainsPerApplication         = 20
)

// MemberKinds lists the kinds an applicant may choose.
var MemberKinds = []OrgKind{KindPlatform, KindGovernment, KindAcademia, KindCivilSociety}

// PlatformSizes lists the sizes of a platform.
var PlatformSizes = []string{SizeStartup, SizeSmall, SizeLarge}

// Org is a member organisation (or the staff org).
type Org struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Slug    string   `json:"slug"`
	Kind    OrgKind  `json:"kind"`
	Size    string   `json:"size,omitempty"`
	Status  string   `json:"status"`
	Website string   `json:"website,omitempty"`
	Named   bool     `json:"named"`
	Domains []Domain `json:"domains"`
	Created Time     `json:"created_at"`
}

// Domain is an internet domain an org operates; only verified domains route
// URL alerts.
type Domain struct {
	Domain   string `json:"domain"`
	Verified bool   `json:"verified"`
}

// OrgFilter selects orgs. Nil fields do not filter.
type OrgFilter struct {
	Kind   *OrgKind
	Status *string
	Page
}

// OrgUpdate changes an org. Nil fields stay as they are. Status may be
// changed by staff only.
type OrgUpdate struct {
	Name    *string `json:"name,omitempty"`
	Size    *string `json:"size,omitempty"`
	Website *string `json:"website,omitempty"`
	Named   *bool   `json:"named,omitempty"`
	Status  *string `json:"status,omitempty"`
}

// OrgService manages organisations and their domains.
type OrgService interface {
	FindOrgByID(ctx context.Context, id string) (*Org, error)
	FindOrgs(ctx context.Context, f OrgFilter) ([]*Org, string, error)
	CreateOrg(ctx context.Context, o *Org) error
	UpdateOrg(ctx context.Context, id string, upd OrgUpdate) (*Org, error)
	AddDomain(ctx context.Context, orgID, domain string) (*Org, error)
	// VerifyDomain is staff confirming a domain by hand (audited); members
	// prove control through DomainService.ProveDomain.
	VerifyDomain(ctx context.Context, orgID, domain string) (*Org, error)
}

var slugRE = regexp.MustCompile(`[^a-z0-9]+`)

// Slugify turns an org name into the slug used in demo domains and URLs.
func Slugify(name string) string {
	s := slugRE.ReplaceAllString(strings.ToLower(name), "-")
	return strings.Trim(s, "-")
}

// ValidateOrg checks an org's fields, recording problems in f.
func ValidateOrg(o *Org, f *Fields) {
	o.Name = strings.TrimSpace(o.Name)
	checkName("name", o.Name, f)
	if o.Kind != KindStaff {
		checkKindSize(o.Kind, o.Size, f)
	}
	if o.Website != "" {
		checkURL("website", o.Website, f)
	}
}

func checkName(field, v string, f *Fields) {
	switch {
	case v == "":
		f.Add(field, "required")
	case len(v) > maxNameLen:
		f.Add(field, "longer than 200 characters")
	}
}

func checkKindSize(kind OrgKind, size string, f *Fields) {
	switch kind {
	case KindPlatform:
		if !slices.Contains(PlatformSizes, size) {
			f.Add("size", "a platform's size must be startup, small or large")
		}
	case KindGovernment, KindAcademia, KindCivilSociety:
		if size != "" {
			f.Add("size", "only platforms have a size")
		}
	case "":
		f.Add("kind", "required")
	default:
		f.Add("kind", "must be one of platform, government, academia, civil_society")
	}
}

func checkURL(field, v string, f *Fields) {
	if !(strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "http://")) || len(v) > 2000 || strings.ContainsAny(v, " \t\n") {
		f.Add(field, "must be an http(s) URL")
	}
}

var domainRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$`)

// NormalizeDomain lower-cases a domain name, maps an internationalised one
// to punycode and checks its shape.
func NormalizeDomain(d string) (string, bool) {
	d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
	// Internationalised names are kept in punycode, the form URL hosts are
	// normalised to, so that alert routing compares like with like.
	if a, err := hostProfile.ToASCII(d); err == nil && a != "" {
		d = a
	}
	return d, len(d) <= 253 && domainRE.MatchString(d)
}

// NormalizeEmail checks an email address and returns it lower-cased, bare
// (no display name).
func NormalizeEmail(e string) (string, bool) {
	e = strings.TrimSpace(e)
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" || len(e) > 254 || !strings.Contains(e[strings.LastIndexByte(e, '@'):], ".") {
		return "", false
	}
	return strings.ToLower(e), true
}
