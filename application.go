package ksp

import (
	"context"
	"strings"
)

// Application is an organisation's request to join, vetted by staff.
type Application struct {
	ID           string   `json:"id"`
	OrgName      string   `json:"org_name"`
	Kind         OrgKind  `json:"kind"`
	Size         string   `json:"size,omitempty"`
	Website      string   `json:"website"`
	Domains      []string `json:"domains"`
	ContactName  string   `json:"contact_name"`
	ContactEmail string   `json:"contact_email"`
	Motivation   string   `json:"motivation"`
	Status       string   `json:"status"` // pending, approved, rejected
	Reason       string   `json:"reason,omitempty"`
	OrgID        string   `json:"org_id,omitempty"`
	Created      Time     `json:"created_at"`
	Decided      *Time    `json:"decided_at,omitempty"`
	// Checklist holds the ticked vetting items (application_review.go).
	Checklist map[string]*CheckTick `json:"checklist,omitempty"`
	// DecisionReason is the reason staff gave with the decision.
	DecisionReason string `json:"decision_reason,omitempty"`
}

// Application statuses.
const (
	AppPending  = "pending"
	AppApproved = "approved"
	AppRejected = "rejected"
)

// NewApplication is what an applicant sends.
type NewApplication struct {
	OrgName      string   `json:"org_name"`
	Kind         OrgKind  `json:"kind"`
	Size         string   `json:"size,omitempty"`
	Website      string   `json:"website"`
	Domains      []string `json:"domains"`
	ContactName  string   `json:"contact_name"`
	ContactEmail string   `json:"contact_email"`
	Motivation   string   `json:"motivation"`
}

// Approval is the answer to approving an application: the new org, its
// first admin and the admin's one-time invitation.
type Approval struct {
	Application *Application `json:"application"`
	Org         *Org         `json:"org"`
	Admin       *User        `json:"admin"`
	Invitation  *Invitation  `json:"invitation"`
}

// ApplicationFilter selects applications.
type ApplicationFilter struct {
	Status *string
	Page
}

// ApplicationService is membership vetting.
type ApplicationService interface {
	CreateApplication(ctx context.Context, na NewApplication) (*Application, error)
	FindApplicationByID(ctx context.Context, id string) (*Application, error)
	FindApplications(ctx context.Context, f ApplicationFilter) ([]*Application, string, error)
	// ApproveApplication admits the applicant; d.Reason is optional here
	// (older API clients send none) and recorded in the audit.
	ApproveApplication(ctx context.Context, id string, d Decision) (*Approval, error)
	// RejectApplication closes an application; d.Reason is required and
	// sent to the applicant.
	RejectApplication(ctx context.Context, id string, d Decision) (*Application, error)
}

// ValidateApplication checks and normalises an application.
func ValidateApplication(na *NewApplication) error {
	var f Fields
	na.OrgName = strings.TrimSpace(na.OrgName)
	checkName("org_name", na.OrgName, &f)
	checkKindSize(na.Kind, na.Size, &f)
	if na.Website == "" {
		f.Add("website", "required")
	} else {
		checkURL("website", na.Website, &f)
	}
	if len(na.Domains) > maxDomainsPerApplication {
		f.Add("domains", "at most 20 domains")
	}
	for i, d := range na.Domains {
		n, ok := NormalizeDomain(d)
		if !ok {
			f.Add("domains", "not a domain name: "+d)
			break
		}
		na.Domains[i] = n
	}
	na.ContactName = strings.TrimSpace(na.ContactName)
	checkName("contact_name", na.ContactName, &f)
	if e, ok := NormalizeEmail(na.ContactEmail); ok {
		na.ContactEmail = e
	} else {
		f.Add("contact_email", "not a valid email address")
	}
	switch m := strings.TrimSpace(na.Motivation); {
	case m == "":
		f.Add("motivation", "required")
	case len(m) > maxTextLen:
		f.Add("motivation", "longer than 10000 characters")
	}
	return f.Err()
}
