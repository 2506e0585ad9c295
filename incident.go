package ksp

import (
	"context"
	"regexp"
	"strings"
	"time"
)

// IncidentStatus is where an incident is in the protocol.
type IncidentStatus string

// Incident statuses. A draft whose activation one staff member requested
// stays a draft until a second confirms it (Incident.ActivationRequestedBy).
const (
	IncidentDraft  IncidentStatus = "draft"
	IncidentActive IncidentStatus = "active"
	IncidentClosed IncidentStatus = "closed"
)

// IncidentStatuses lists every status, in protocol order.
var IncidentStatuses = []IncidentStatus{IncidentDraft, IncidentActive, IncidentClosed}

// The first incident types. The vocabulary is open: any lower-case slug is
// accepted, so the programme can add a type without a release.
const (
	IncidentTypeIncident                = "incident"
	IncidentTypeContentIncident         = "content_incident"
	IncidentTypeContentIncidentProtocol = "content_incident_protocol"
)

// IncidentTypes are the types the forms offer.
var IncidentTypes = []string{IncidentTypeIncident, IncidentTypeContentIncident, IncidentTypeContentIncidentProtocol}

// EmergencyConfirmWindow is how long an emergency activation by one staff
// member may stand before a second must have confirmed it; after that it
// is listed for review.
const EmergencyConfirmWindow = 24 * time.Hour

// TombstoneIncidentClosed is the tombstone reason of a signal retracted
// because the incident it was shared under closed without a second
// organisation confirming it.
const TombstoneIncidentClosed = "incident_closed"

// DefaultIncidentCriteria is the activation checklist a new incident starts
// with in the forms. It is recorded with the incident, never enforced: in a
// crisis the staff on duty judge.
var DefaultIncidentCriteria = []string{
	"A real-world attack or violent event has happened or is under way",
	"The perpetrator or an accomplice produced or streamed content of it",
	"The content is spreading, or likely to spread, across members' services",
	"Coordinated action is needed sooner than ordinary sharing allows",
}

// IncidentCriterion is one line of the activation checklist.
type IncidentCriterion struct {
	Text string `json:"text"`
	Met  bool   `json:"met"`
}

// IncidentUpdate is one timestamped entry of an incident's timeline.
type IncidentUpdate struct {
	ID     string `json:"id"`
	Time   Time   `json:"created_at"`
	Author string `json:"author"`
	Text   string `json:"text"`
}

// Incident is a crisis the programme coordinates (an attack being
// streamed, say). It is shared like any item: its distribution and TLP say
// who sees it, and members see it once it is activated.
type Incident struct {
	ID          string              `json:"id"`
	Type        string              `json:"type"`
	Title       string              `json:"title"`
	Description string              `json:"description"`
	Criteria    []IncidentCriterion `json:"activation_criteria"`
	Sharing
	Status    IncidentStatus `json:"status"`
	CreatedBy string         `json:"created_by"`
	Created   Time           `json:"created_at"`
	Updated   Time           `json:"updated_at"`
	// ActivationRequestedBy is the staff member who asked to activate a
	// draft; a different one must confirm.
	ActivationRequestedBy string `json:"activation_requested_by,omitempty"`
	ActivationRequested   *Time  `json:"activation_requested_at,omitempty"`
	ActivatedBy           string `json:"activated_by,omitempty"`
	Activated             *Time  `json:"activated_at,omitempty"`
	ConfirmedBy           string `json:"confirmed_by,omitempty"`
	Confirmed             *Time  `json:"confirmed_at,omitempty"`
	// Emergency marks an activation by one staff member alone.
	Emergency bool `json:"emergency"`
	// ConfirmBy is when an unconfirmed emergency activation falls due for
	// review.
	ConfirmBy     *Time            `json:"confirm_by,omitempty"`
	Updates       []IncidentUpdate `json:"updates"`
	EndCriteria   string           `json:"end_criteria,omitempty"`
	Debrief       string           `json:"debrief,omitempty"`
	ClosedBy      string           `json:"closed_by,omitempty"`
	Closed        *Time            `json:"closed_at,omitempty"`
	PublicSummary string           `json:"public_summary,omitempty"`
}

// NeedsReview reports whether an emergency activation went unconfirmed for
// longer than EmergencyConfirmWindow as of now.
func (i *Incident) NeedsReview(now time.Time) bool {
	return i.Status == IncidentActive && i.Emergency && i.Confirmed == nil && i.ConfirmBy != nil && !now.Before(i.ConfirmBy.Time)
}

// CanSeeIncident is the sharing rule for incidents: staff see every
// incident, drafts included; others see an activated or closed incident
// that its distribution shows them. A draft is the secretariat's work in
// progress: announcing it before a second staff member agreed would raise
// an alarm nobody decided on.
func CanSeeIncident(v Viewer, i *Incident) bool {
	if !v.Staff && i.Status == IncidentDraft {
		return false
	}
	return CanSee(v, i.Sharing)
}

// IncidentFilter selects incidents. ReviewAsOf keeps the emergency
// activations still unconfirmed EmergencyConfirmWindow after they were
// made, as of that time (the caller's clock, so tests can move it).
type IncidentFilter struct {
	Status     *IncidentStatus
	Type       *string
	ReviewAsOf *time.Time
	Page       Page
}

// ActivateIncidentInput asks to activate an incident. Emergency lets one
// staff member activate alone; a second must confirm within 24 hours.
type ActivateIncidentInput struct {
	Emergency bool `json:"emergency"`
}

// IncidentUpdateInput is a new timeline entry; PublicSummary, when set,
// replaces the published summary.
type IncidentUpdateInput struct {
	Text          string  `json:"text"`
	PublicSummary *string `json:"public_summary,omitempty"`
}

// CloseIncidentInput ends an incident.
type CloseIncidentInput struct {
	EndCriteria   string  `json:"end_criteria"`
	Debrief       string  `json:"debrief"`
	PublicSummary *string `json:"public_summary,omitempty"`
}

// IncidentService keeps the incident protocol. Staff draft, activate (two
// people, or one in an emergency), update and close; everyone reads what
// the sharing rule shows them.
type IncidentService interface {
	// FindIncidentByID returns an incident the actor may see.
	FindIncidentByID(ctx context.Context, id string) (*Incident, error)
	// FindIncidents lists incidents the actor may see, newest first.
	FindIncidents(ctx context.Context, f IncidentFilter) ([]*Incident, string, error)
	// FindActiveIncidents returns the active incidents the actor may see,
	// newest first, without their timelines: the banner of every page and
	// the share form read it.
	FindActiveIncidents(ctx context.Context) ([]*Incident, error)
	// CreateIncident drafts an incident (staff); ID, status and times are
	// filled in.
	CreateIncident(ctx context.Context, i *Incident) error
	// ActivateIncident requests, confirms or (in an emergency) performs
	// the activation of an incident (staff).
	ActivateIncident(ctx context.Context, id string, in ActivateIncidentInput) (*Incident, error)
	// AddIncidentUpdate adds a timeline entry (staff).
	AddIncidentUpdate(ctx context.Context, id string, in IncidentUpdateInput) (*Incident, error)
	// CloseIncident closes an active incident (staff), recording its end
	// criteria and debrief, and retracts the signals shared under it that
	// no second organisation confirmed.
	CloseIncident(ctx context.Context, id string, in CloseIncidentInput) (*Incident, error)
}

var incidentTypeRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,49}$`)

// Incident text limits, in bytes.
const (
	maxIncidentTitle = 200
	maxIncidentText  = 20000
	maxCriteria      = 50
)

// ValidateIncident checks and tidies the fields a draft sets, recording
// problems in f.
func ValidateIncident(i *Incident, f *Fields) {
	i.Type = strings.TrimSpace(i.Type)
	i.Title = strings.TrimSpace(i.Title)
	i.Description = strings.TrimSpace(i.Description)
	switch {
	case i.Type == "":
		f.Add("type", "required")
	case !incidentTypeRE.MatchString(i.Type):
		f.Add("type", "a lower-case word of letters, digits and _, such as "+strings.Join(IncidentTypes, ", "))
	}
	switch {
	case i.Title == "":
		f.Add("title", "required")
	case len(i.Title) > maxIncidentTitle:
		f.Add("title", "at most 200 bytes")
	}
	if len(i.Description) > maxIncidentText {
		f.Add("description", "at most 20000 bytes")
	}
	var crit []IncidentCriterion
	for _, c := range i.Criteria {
		c.Text = strings.TrimSpace(c.Text)
		if c.Text == "" {
			continue
		}
		if len(c.Text) > 500 {
			f.Add("activation_criteria", "a criterion is longer than 500 bytes")
			break
		}
		crit = append(crit, c)
	}
	if len(crit) > maxCriteria {
		f.Add("activation_criteria", "at most 50 criteria")
	}
	if crit == nil {
		crit = []IncidentCriterion{}
	}
	i.Criteria = crit
	if i.Distribution == "" {
		i.Distribution = DefaultDistribution
	}
	if i.TLP == "" {
		i.TLP = DefaultTLP
	}
	i.TLP = TLP(strings.ToUpper(string(i.TLP)))
	i.Audience = normList(i.Audience)
	ValidateSharing(i.Sharing, true, f)
}

// Validate checks a timeline entry.
func (in *IncidentUpdateInput) Validate(f *Fields) {
	in.Text = strings.TrimSpace(in.Text)
	switch {
	case in.Text == "":
		f.Add("text", "required")
	case len(in.Text) > maxIncidentText:
		f.Add("text", "at most 20000 bytes")
	}
	validateSummary(in.PublicSummary, f)
}

// Validate checks a closing.
func (in *CloseIncidentInput) Validate(f *Fields) {
	in.EndCriteria = strings.TrimSpace(in.EndCriteria)
	in.Debrief = strings.TrimSpace(in.Debrief)
	switch {
	case in.EndCriteria == "":
		f.Add("end_criteria", "say which end criteria are met")
	case len(in.EndCriteria) > maxIncidentText:
		f.Add("end_criteria", "at most 20000 bytes")
	}
	if len(in.Debrief) > maxIncidentText {
		f.Add("debrief", "at most 20000 bytes")
	}
	validateSummary(in.PublicSummary, f)
}

func validateSummary(s *string, f *Fields) {
	if s == nil {
		return
	}
	*s = strings.TrimSpace(*s)
	if len(*s) > maxIncidentText {
		f.Add("public_summary", "at most 20000 bytes")
	}
}
