package ksp

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// ResourceKind is what a library resource is.
type ResourceKind string

// The kinds of library resources.
const (
	ResourceGuide     ResourceKind = "guide"
	ResourceTemplate  ResourceKind = "template"
	ResourcePolicy    ResourceKind = "policy"
	ResourceLaw       ResourceKind = "law"
	ResourceCaseStudy ResourceKind = "case_study"
	ResourceResearch  ResourceKind = "research"
	ResourceTraining  ResourceKind = "training"
)

// ResourceKinds lists the kinds in the order the library shows them.
var ResourceKinds = []ResourceKind{ResourceGuide, ResourceTemplate, ResourcePolicy, ResourceLaw, ResourceCaseStudy, ResourceResearch, ResourceTraining}

// Limits on a resource's text, so that one edit cannot fill the database.
const (
	MaxResourceTitle   = 300
	MaxResourceSummary = 2000
	MaxResourceBody    = 200_000
	MaxResourceTags    = 20
)

// Resource is a library item: guidance, a template, a law overview. Its body
// is Markdown, rendered and sanitised only when shown. Every change is kept
// as a revision; Revision is the number of the current one (1 for a new
// resource).
type Resource struct {
	ID      string       `json:"id"`
	Kind    ResourceKind `json:"kind"`
	Title   string       `json:"title"`
	Summary string       `json:"summary"`
	Body    string       `json:"body"`
	Tags    []string     `json:"tags"`
	// Jurisdictions are ISO 3166-1 alpha-2 codes, "EU" or "INT".
	Jurisdictions []string `json:"jurisdictions"`
	// Language is a BCP 47 tag such as "en" or "fr".
	Language string `json:"language"`
	Sharing
	// OwnerOrgName is the owner org's name, read with the resource so that
	// a page can credit it to viewers who may not list organisations.
	OwnerOrgName string `json:"owner_org_name"`
	Revision     int    `json:"revision"`
	AuthorID     string `json:"author_id"`
	Created      Time   `json:"created_at"`
	Updated      Time   `json:"updated_at"`
}

// ResourceRevision is one saved state of a resource: revision 1 is the
// resource as created, each edit adds the next.
type ResourceRevision struct {
	ResourceID    string       `json:"resource_id"`
	Number        int          `json:"number"`
	AuthorID      string       `json:"author_id"`
	AuthorName    string       `json:"author_name"`
	Created       Time         `json:"created_at"`
	Kind          ResourceKind `json:"kind"`
	Title         string       `json:"title"`
	Summary       string       `json:"summary"`
	Body          string       `json:"body"`
	Tags          []string     `json:"tags"`
	Jurisdictions []string     `json:"jurisdictions"`
	Language      string       `json:"language"`
}

// ResourceFilter selects library resources; nil fields do not filter.
type ResourceFilter struct {
	Kind         *ResourceKind
	Tag          *string
	Jurisdiction *string
	Language     *string
	Page         Page
}

// ResourceUpdate changes a resource; nil fields stay as they are.
type ResourceUpdate struct {
	Kind          *ResourceKind `json:"kind,omitempty"`
	Title         *string       `json:"title,omitempty"`
	Summary       *string       `json:"summary,omitempty"`
	Body          *string       `json:"body,omitempty"`
	Tags          *[]string     `json:"tags,omitempty"`
	Jurisdictions *[]string     `json:"jurisdictions,omitempty"`
	Language      *string       `json:"language,omitempty"`
	Distribution  *Distribution `json:"distribution,omitempty"`
	Audience      *[]string     `json:"audience,omitempty"`
	TLP           *TLP          `json:"tlp,omitempty"`
}

// ResourceService keeps the library. Reads follow the sharing rule (public
// resources need no account); the owner org's analysts and staff write.
type ResourceService interface {
	// FindResourceByID returns a resource the caller may see.
	FindResourceByID(ctx context.Context, id string) (*Resource, error)
	// FindResources lists what the caller may see, most recently updated
	// first.
	FindResources(ctx context.Context, f ResourceFilter) ([]*Resource, string, error)
	// CreateResource stores r as revision 1 owned by the caller's org; ID,
	// owner, author, revision and times are filled in.
	CreateResource(ctx context.Context, r *Resource) error
	// UpdateResource applies upd and keeps the result as a new revision.
	UpdateResource(ctx context.Context, id string, upd ResourceUpdate) (*Resource, error)
	// DeleteResource removes a resource and its revisions.
	DeleteResource(ctx context.Context, id string) error
	// FindResourceRevisions lists a resource's revisions, newest first,
	// without their bodies.
	FindResourceRevisions(ctx context.Context, id string) ([]*ResourceRevision, error)
	// FindResourceRevision returns revision n of a resource in full.
	FindResourceRevision(ctx context.Context, id string, n int) (*ResourceRevision, error)
}

var (
	tagRe         = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
	languageRe    = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
	jurisdictionR = regexp.MustCompile(`^([A-Z]{2}|INT)$`)
)

// ValidTag reports whether t is a tag as resources store it: 1–40 of a-z,
// 0-9, _ and -, starting with a letter or digit.
func ValidTag(t string) bool { return tagRe.MatchString(t) }

// ValidLanguage reports whether l has the shape of a BCP 47 language tag
// such as "en" or "pt-BR".
func ValidLanguage(l string) bool { return languageRe.MatchString(l) }

// ValidJurisdiction reports whether j is an ISO 3166-1 alpha-2 code in
// upper case, "EU" or "INT". The code is checked for shape, not against the
// ISO list, so that a newly assigned code needs no release.
func ValidJurisdiction(j string) bool { return jurisdictionR.MatchString(j) }

// NormalizeResource trims and lower-cases what has one spelling (tags,
// language) and upper-cases jurisdictions, sorting and de-duplicating the
// lists so that equal resources compare equal.
func NormalizeResource(r *Resource) {
	r.Title = strings.TrimSpace(r.Title)
	r.Summary = strings.TrimSpace(r.Summary)
	r.Language = strings.TrimSpace(r.Language)
	if r.Language == "" {
		r.Language = "en"
	}
	r.Tags = normalizeList(r.Tags, strings.ToLower)
	r.Jurisdictions = normalizeList(r.Jurisdictions, strings.ToUpper)
}

func normalizeList(in []string, fold func(string) string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s = fold(strings.TrimSpace(s)); s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ValidateResource checks a normalised resource and records problems under
// the API's field names.
func ValidateResource(r *Resource, f *Fields) {
	if !slices.Contains(ResourceKinds, r.Kind) {
		f.Add("kind", "must be one of guide, template, policy, law, case_study, research, training")
	}
	switch {
	case r.Title == "":
		f.Add("title", "required")
	case utf8.RuneCountInString(r.Title) > MaxResourceTitle:
		f.Add("title", "at most 300 characters")
	}
	if utf8.RuneCountInString(r.Summary) > MaxResourceSummary {
		f.Add("summary", "at most 2000 characters")
	}
	if len(r.Body) > MaxResourceBody {
		f.Add("body", "at most 200000 bytes")
	}
	for _, s := range []struct{ field, v string }{{"title", r.Title}, {"summary", r.Summary}, {"body", r.Body}} {
		if !utf8.ValidString(s.v) {
			f.Add(s.field, "not valid UTF-8")
		}
	}
	if len(r.Tags) > MaxResourceTags {
		f.Add("tags", "at most 20 tags")
	}
	for _, t := range r.Tags {
		if !ValidTag(t) {
			f.Add("tags", "a tag is 1–40 of a-z, 0-9, _ and -, starting with a letter or digit: "+t)
			break
		}
	}
	for _, j := range r.Jurisdictions {
		if !ValidJurisdiction(j) {
			f.Add("jurisdictions", "an ISO 3166-1 alpha-2 code, EU or INT: "+j)
			break
		}
	}
	if !ValidLanguage(r.Language) {
		f.Add("language", "a language tag such as en or pt-BR")
	}
	ValidateSharing(r.Sharing, true, f)
}
