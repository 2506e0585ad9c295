package ksp

import (
	"context"
	"slices"
	"strings"
	"time"
)

// AlertKind says what an alert is: a voluntary referral or a legal order.
type AlertKind string

// Alert kinds (issue 15).
const (
	// AlertReferral is a voluntary notice that content breaks the
	// platform's own terms.
	AlertReferral AlertKind = "referral"
	// AlertTCORemovalOrder is a removal order under the EU regulation on
	// terrorist content online (2021/784): one hour from receipt.
	AlertTCORemovalOrder AlertKind = "tco_removal_order"
	// AlertDSAOrder is an order to act under the Digital Services Act.
	AlertDSAOrder AlertKind = "dsa_order"
)

// AlertKinds lists every alert kind.
var AlertKinds = []AlertKind{AlertReferral, AlertTCORemovalOrder, AlertDSAOrder}

// LegalOrder reports whether the kind is an order from an authority: such
// alerts are never merged with others and only governments (or staff)
// send them.
func (k AlertKind) LegalOrder() bool { return k == AlertTCORemovalOrder || k == AlertDSAOrder }

// Alert tiers, most urgent first.
const (
	TierThreatToLife = "threat_to_life"
	TierCrisis       = "crisis"
	TierDesignation  = "designation"
)

// AlertTiers lists every tier, most urgent first.
var AlertTiers = []string{TierThreatToLife, TierCrisis, TierDesignation}

// ThreatLevels are the levels of a threat-to-life alert.
var ThreatLevels = []string{"low", "medium", "high_unspecific", "high_specific"}

// Alert responses (API.md).
const (
	ResponseRemoved      = "removed"
	ResponseRestricted   = "restricted"
	ResponseNoViolation  = "no_violation"
	ResponseNotFound     = "not_found"
	ResponseCannotComply = "cannot_comply"
)

// AlertResponses lists every response action.
var AlertResponses = []string{ResponseRemoved, ResponseRestricted, ResponseNoViolation, ResponseNotFound, ResponseCannotComply}

// Alert statuses.
const (
	AlertOpen      = "open"
	AlertResponded = "responded"
)

// Timeline entry types of an alert.
const (
	TimelineCreated    = "created"
	TimelineRequested  = "requested" // another member asked about the same URL (merged)
	TimelineDelivered  = "delivered"
	TimelineViewed     = "viewed"
	TimelineResponded  = "responded"
	TimelineEscalated  = "escalated"
	TimelineForwarded  = "forwarded"
	TimelineLENotified = "law_enforcement_notified"
	TimelineLinked     = "linked"
	TimelineStaffPaged = "staff_paged" // an urgent unrouted alert was paged to every staff member
)

// Deadlines of the alert clocks (issue 15).
const (
	// RemovalOrderDeadline runs from the order's receipt.
	RemovalOrderDeadline = time.Hour
	// ThreatToLifeDeadline runs from the alert's creation.
	ThreatToLifeDeadline = time.Hour
	// DefaultAlertDeadline is for every other alert unless the store is
	// configured otherwise.
	DefaultAlertDeadline = 24 * time.Hour
	// MergeWindow is how long alerts on one URL merge into one.
	MergeWindow = 7 * 24 * time.Hour
)

// PreservationMonths is how long evidence of removed content is kept
// (Regulation 2021/784 article 6: six months).
const PreservationMonths = 6

// RemovalOrder holds what a TCO removal order carries.
type RemovalOrder struct {
	IssuingAuthority string `json:"issuing_authority"`
	MemberState      string `json:"member_state"`
	LegalBasis       string `json:"legal_basis"`
	ReceivedAt       *Time  `json:"received_at,omitempty"`
}

// AlertInput is a request to alert the platform hosting a URL.
type AlertInput struct {
	URL         string        `json:"url"`
	Kind        AlertKind     `json:"kind"`
	Tier        string        `json:"tier,omitempty"`
	ThreatLevel string        `json:"threat_level,omitempty"`
	Order       *RemovalOrder `json:"order,omitempty"`
	EntityID    string        `json:"entity_id,omitempty"`
	Labels      []string      `json:"labels,omitempty"`
	Note        string        `json:"note,omitempty"`
	TLP         TLP           `json:"tlp,omitempty"`
	// Distribution is accepted only to refuse it clearly: an alert's
	// audience is fixed (sender, receiver, staff, routed contacts).
	Distribution string `json:"distribution,omitempty"`
	Jurisdiction string `json:"jurisdiction,omitempty"`
	// DoNotNotifyUntil asks the platform not to tell its user before this
	// date (an investigation may be running).
	DoNotNotifyUntil *Time `json:"do_not_notify_until,omitempty"`
	// IncidentID links the alert to an incident the sender may see.
	IncidentID string `json:"incident_id,omitempty"`
}

// Size limits of alert text fields.
const (
	MaxAlertNote  = 4000
	MaxAlertField = 300
)

// Normalize validates an alert request and brings it to canonical form.
// now is the time of the request (removal orders may not be received in
// the future). Problems are recorded in f under the API's field names.
func (in *AlertInput) Normalize(now time.Time, f *Fields) {
	u, reason := NormalizeURL(strings.TrimSpace(in.URL))
	if strings.TrimSpace(in.URL) == "" {
		reason = "required"
	}
	if reason != "" {
		f.Add("url", reason)
	} else {
		in.URL = u
	}
	if in.IncidentID = strings.TrimSpace(in.IncidentID); in.IncidentID != "" && !ValidID(in.IncidentID) {
		f.Add("incident_id", "not an identifier")
	}
	in.Kind = AlertKind(strings.ToLower(strings.TrimSpace(string(in.Kind))))
	if !slices.Contains(AlertKinds, in.Kind) {
		f.Add("kind", "must be one of referral, tco_removal_order, dsa_order")
	}
	in.Tier = strings.ToLower(strings.TrimSpace(in.Tier))
	switch {
	case in.Tier == "" && in.Kind == AlertReferral:
		f.Add("tier", "required for a referral: one of "+strings.Join(AlertTiers, ", "))
	case in.Tier != "" && !slices.Contains(AlertTiers, in.Tier):
		f.Add("tier", "must be one of "+strings.Join(AlertTiers, ", "))
	}
	in.ThreatLevel = strings.ToLower(strings.TrimSpace(in.ThreatLevel))
	switch {
	case in.Tier == TierThreatToLife && in.ThreatLevel == "":
		f.Add("threat_level", "required for a threat-to-life alert: one of "+strings.Join(ThreatLevels, ", "))
	case in.ThreatLevel != "" && in.Tier != TierThreatToLife:
		f.Add("threat_level", "only threat-to-life alerts have a level")
	case in.ThreatLevel != "" && !slices.Contains(ThreatLevels, in.ThreatLevel):
		f.Add("threat_level", "must be one of "+strings.Join(ThreatLevels, ", "))
	}
	if in.Kind == AlertTCORemovalOrder {
		in.normalizeOrder(now, f)
	} else if in.Order != nil && in.Kind != AlertDSAOrder {
		f.Add("order", "only legal orders carry order details")
	} else if in.Order != nil {
		in.normalizeOrderText(f)
	}
	in.EntityID = strings.TrimSpace(in.EntityID)
	in.Labels = normalizeAlertList(in.Labels)
	for _, l := range in.Labels {
		if !slices.Contains(Labels, l) {
			f.Add("labels", "unknown label "+clip(l, 40)+"; use "+strings.Join(Labels, ", "))
			break
		}
	}
	in.Note = strings.TrimSpace(in.Note)
	if len(in.Note) > MaxAlertNote {
		f.Add("note", "longer than 4000 bytes")
	}
	if in.TLP == "" {
		in.TLP = DefaultTLP
	}
	in.TLP = TLP(strings.ToUpper(strings.TrimSpace(string(in.TLP))))
	if !slices.Contains(TLPs, in.TLP) {
		f.Add("tlp", "must be one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED")
	}
	switch in.Distribution {
	case "":
	case string(DistPublic):
		f.Add("distribution", "alerts are never public")
	default:
		f.Add("distribution", "alerts are seen by their sender, their receiver and staff only; leave distribution out")
	}
	in.Jurisdiction = strings.ToUpper(strings.TrimSpace(in.Jurisdiction))
	if in.Jurisdiction != "" && !ValidCountryCode(in.Jurisdiction) {
		f.Add("jurisdiction", "must be an ISO 3166-1 alpha-2 country code such as DE")
	}
}

func (in *AlertInput) normalizeOrder(now time.Time, f *Fields) {
	if in.Order == nil {
		f.Add("order.issuing_authority", "required for a removal order")
		f.Add("order.member_state", "required for a removal order")
		f.Add("order.legal_basis", "required for a removal order")
		f.Add("order.received_at", "required for a removal order")
		return
	}
	in.normalizeOrderText(f)
	o := in.Order
	if o.IssuingAuthority == "" {
		f.Add("order.issuing_authority", "required for a removal order")
	}
	if o.MemberState == "" {
		f.Add("order.member_state", "required for a removal order")
	}
	if o.LegalBasis == "" {
		f.Add("order.legal_basis", "required for a removal order")
	}
	switch {
	case o.ReceivedAt == nil || o.ReceivedAt.IsZero():
		f.Add("order.received_at", "required for a removal order")
	case o.ReceivedAt.After(now.Add(5 * time.Minute)):
		f.Add("order.received_at", "in the future")
	}
}

func (in *AlertInput) normalizeOrderText(f *Fields) {
	o := in.Order
	o.IssuingAuthority = strings.TrimSpace(o.IssuingAuthority)
	o.LegalBasis = strings.TrimSpace(o.LegalBasis)
	o.MemberState = strings.ToUpper(strings.TrimSpace(o.MemberState))
	if len(o.IssuingAuthority) > MaxAlertField {
		f.Add("order.issuing_authority", "longer than 300 bytes")
	}
	if len(o.LegalBasis) > MaxAlertField {
		f.Add("order.legal_basis", "longer than 300 bytes")
	}
	if o.MemberState != "" && !ValidCountryCode(o.MemberState) {
		f.Add("order.member_state", "must be an ISO 3166-1 alpha-2 code such as FR (EL for Greece)")
	}
}

// ValidCountryCode reports whether s has the form of an ISO 3166-1 alpha-2
// code (two upper-case letters).
func ValidCountryCode(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

func normalizeAlertList(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// AlertDeadline is how long the receiver has to answer an alert of this
// kind and tier; other is the configured deadline of ordinary alerts.
// A removal order's clock runs from its receipt, every other from creation.
func AlertDeadline(kind AlertKind, tier string, other time.Duration) time.Duration {
	switch {
	case kind == AlertTCORemovalOrder:
		return RemovalOrderDeadline
	case tier == TierThreatToLife:
		return ThreatToLifeDeadline
	}
	return other
}

// AlertRequest is one member's request about an alert's URL: merged alerts
// have several.
type AlertRequest struct {
	ID               string    `json:"id"`
	OrgID            string    `json:"org_id"`
	OrgName          string    `json:"org_name,omitempty"`
	Kind             AlertKind `json:"kind"`
	Tier             string    `json:"tier,omitempty"`
	ThreatLevel      string    `json:"threat_level,omitempty"`
	EntityID         string    `json:"entity_id,omitempty"`
	Labels           []string  `json:"labels"`
	Note             string    `json:"note,omitempty"`
	TLP              TLP       `json:"tlp"`
	Jurisdiction     string    `json:"jurisdiction,omitempty"`
	DoNotNotifyUntil *Time     `json:"do_not_notify_until,omitempty"`
	Created          Time      `json:"created_at"`
}

// AlertResponse is the receiver's answer.
type AlertResponse struct {
	Action string `json:"action"`
	Note   string `json:"note,omitempty"`
	Reason string `json:"reason,omitempty"`
	OrgID  string `json:"org_id,omitempty"`
	Time   Time   `json:"responded_at"`
	// PreserveUntil is set for removed content: evidence is kept until then.
	PreserveUntil *Time `json:"preserve_until,omitempty"`
	// ResponseSeconds is the time from the alert's clock start to the answer.
	ResponseSeconds int64 `json:"response_seconds"`
}

// ResponseInput is what the receiver sends.
type ResponseInput struct {
	Action string `json:"action"`
	Note   string `json:"note,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Normalize validates a response.
func (in *ResponseInput) Normalize(f *Fields) {
	in.Action = strings.ToLower(strings.TrimSpace(in.Action))
	in.Note = strings.TrimSpace(in.Note)
	in.Reason = strings.TrimSpace(in.Reason)
	if !slices.Contains(AlertResponses, in.Action) {
		f.Add("action", "must be one of "+strings.Join(AlertResponses, ", "))
	}
	if in.Action == ResponseCannotComply && in.Reason == "" {
		f.Add("reason", "required when you cannot comply: name the order's technical or legal defect")
	}
	if len(in.Note) > MaxAlertNote {
		f.Add("note", "longer than 4000 bytes")
	}
	if len(in.Reason) > MaxAlertNote {
		f.Add("reason", "longer than 4000 bytes")
	}
}

// TimelineEntry is one dated step of an alert.
type TimelineEntry struct {
	Time  Time   `json:"time"`
	Type  string `json:"type"`
	OrgID string `json:"org_id,omitempty"`
	Note  string `json:"note,omitempty"`
}

// Alert is a URL alert or legal order as one viewer sees it.
type Alert struct {
	ID           string        `json:"id"`
	URL          string        `json:"url"`
	Host         string        `json:"host"`
	Kind         AlertKind     `json:"kind"`
	Tier         string        `json:"tier,omitempty"`
	ThreatLevel  string        `json:"threat_level,omitempty"`
	Order        *RemovalOrder `json:"order,omitempty"`
	EntityID     string        `json:"entity_id,omitempty"`
	Labels       []string      `json:"labels"`
	TLP          TLP           `json:"tlp"`
	Jurisdiction string        `json:"jurisdiction,omitempty"`
	SenderOrgID  string        `json:"sender_org_id,omitempty"`
	// ReceiverOrgID is empty while the alert waits with staff.
	ReceiverOrgID   string `json:"receiver_org_id,omitempty"`
	ReceiverOrgName string `json:"receiver_org_name,omitempty"`
	Status          string `json:"status"`
	Escalated       bool   `json:"escalated"`
	// LinkedAlertID is the referral on the same URL a legal order links to.
	LinkedAlertID string `json:"linked_alert_id,omitempty"`
	// IncidentID is the incident the alert was sent under.
	IncidentID string `json:"incident_id,omitempty"`
	Created    Time   `json:"created_at"`
	// ClockStart is when the deadline started running (a removal order's
	// receipt, else creation).
	ClockStart Time           `json:"clock_start"`
	Deadline   Time           `json:"deadline"`
	Response   *AlertResponse `json:"response,omitempty"`
	// Requests are the requests the viewer may see: every one for the
	// receiver and staff, its own for a requester.
	Requests []*AlertRequest `json:"requests"`
	// OtherRequests counts the requests the viewer sees only as a number.
	OtherRequests int              `json:"other_requests"`
	Timeline      []*TimelineEntry `json:"timeline,omitempty"`
	// ViewerRole is how the viewer relates to the alert: receiver,
	// requester, law_enforcement or staff.
	ViewerRole string `json:"viewer_role"`
}

// Alert viewer roles.
const (
	AlertRoleReceiver = "receiver"
	AlertRoleSender   = "requester"
	AlertRoleLE       = "law_enforcement"
	AlertRoleStaff    = "staff"
)

// AlertFilter selects alerts.
type AlertFilter struct {
	// Box is received, sent or unrouted (staff).
	Box  string
	Page Page
}

// Alert boxes.
const (
	BoxReceived = "received"
	BoxSent     = "sent"
	BoxUnrouted = "unrouted"
)

// LEContact is a government org that law-enforcement alerts for some
// jurisdictions are routed to.
type LEContact struct {
	OrgID         string   `json:"org_id"`
	OrgName       string   `json:"org_name,omitempty"`
	Jurisdictions []string `json:"jurisdictions"`
}

// AlertService is the store of URL alerts and legal orders.
type AlertService interface {
	// CreateAlert records an alert from the actor's org: routed to the
	// member whose verified domain is the longest suffix of the URL's host,
	// merged with a recent alert on the same URL where the rules allow. It
	// reports whether the request merged into an existing alert.
	CreateAlert(ctx context.Context, in AlertInput) (a *Alert, merged bool, err error)
	// FindAlertByID returns an alert as the actor sees it; the receiver's
	// first read records "viewed".
	FindAlertByID(ctx context.Context, id string) (*Alert, error)
	// FindAlerts lists the actor's alerts in a box, newest first.
	FindAlerts(ctx context.Context, f AlertFilter) ([]*Alert, string, error)
	// RespondToAlert records the receiver's answer.
	RespondToAlert(ctx context.Context, id string, in ResponseInput) (*Alert, error)
	// ForwardAlert routes an unrouted alert to a member (staff).
	ForwardAlert(ctx context.Context, id, orgID string) (*Alert, error)
	// EscalateOverdue escalates, once, every unanswered alert whose deadline
	// passed before now (staff or system), and says how many.
	EscalateOverdue(ctx context.Context, now time.Time) (int, error)
	// SetLEContact makes a government org the law-enforcement contact for
	// the given jurisdictions (none: no longer a contact). Staff only.
	SetLEContact(ctx context.Context, orgID string, jurisdictions []string) (*LEContact, error)
	// FindLEContacts lists the law-enforcement contacts (staff).
	FindLEContacts(ctx context.Context) ([]*LEContact, error)
}
