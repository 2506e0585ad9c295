package ksp

import (
	"context"
	"sort"
	"strings"
)

// The vetting checklist: what staff confirm before deciding.
const (
	CheckOrgExists       = "org_exists"
	CheckDomainMatches   = "domain_matches"
	CheckContactVerified = "contact_verified"
)

// ChecklistItems are the checklist's items in the order shown.
var ChecklistItems = []string{CheckOrgExists, CheckDomainMatches, CheckContactVerified}

// ChecklistLabels names each checklist item in words.
var ChecklistLabels = map[string]string{
	CheckOrgExists:       "The organisation exists",
	CheckDomainMatches:   "The domains belong to the organisation",
	CheckContactVerified: "The contact person is verified",
}

// CheckTick records who ticked a checklist item and when.
type CheckTick struct {
	By   string `json:"by"`   // the actor's audit name
	Name string `json:"name"` // the user's name when ticked, if a user
	At   Time   `json:"at"`
}

// ApplicationNote is a staff note kept with an application (staff only).
type ApplicationNote struct {
	ID            string `json:"id"`
	ApplicationID string `json:"application_id"`
	Author        string `json:"author"`      // the actor's audit name
	AuthorName    string `json:"author_name"` // the user's name, if a user
	Body          string `json:"body"`
	Created       Time   `json:"created_at"`
}

// MaxNoteLen bounds a review note.
const MaxNoteLen = 10000

// Decision is what staff give with an approval or a rejection: a reason
// (required to reject, and sent to the applicant; recorded in the audit
// either way) and optionally the checklist as ticked when deciding (nil
// leaves it as it stands).
type Decision struct {
	Reason    string          `json:"reason"`
	Checklist map[string]bool `json:"checklist,omitempty"`
}

// ApplicationReviewService is staff's review of an application beyond the
// decision itself.
type ApplicationReviewService interface {
	// AddApplicationNote keeps a note with an application (staff).
	AddApplicationNote(ctx context.Context, applicationID, body string) (*ApplicationNote, error)
	// FindApplicationNotes returns an application's notes, oldest first
	// (staff).
	FindApplicationNotes(ctx context.Context, applicationID string) ([]*ApplicationNote, error)
	// UpdateApplicationChecklist ticks or unticks items of a pending
	// application's checklist (staff); items not named stay as they are.
	UpdateApplicationChecklist(ctx context.Context, applicationID string, ticks map[string]bool) (*Application, error)
}

// ValidateChecklist checks that ticks names only checklist items.
func ValidateChecklist(ticks map[string]bool, f *Fields) {
	var unknown []string
	for k := range ticks {
		if _, ok := ChecklistLabels[k]; !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		f.Add("checklist", "unknown items "+strings.Join(unknown, ", ")+"; the items are "+strings.Join(ChecklistItems, ", "))
	}
}

// KindWords names an organisation kind and size in words: "Platform
// (start-up)", "Government".
func KindWords(kind OrgKind, size string) string {
	w, ok := map[OrgKind]string{KindPlatform: "Platform", KindGovernment: "Government", KindAcademia: "Academia",
		KindCivilSociety: "Civil society", KindStaff: "Programme staff"}[kind]
	if !ok {
		w = string(kind)
	}
	if s, ok := map[string]string{SizeStartup: "start-up", SizeSmall: "small", SizeLarge: "large"}[size]; ok {
		w += " (" + s + ")"
	} else if size != "" {
		w += " (" + size + ")"
	}
	return w
}
