package ksp

import "context"

// MaxIncidentLinks bounds each list of IncidentLinks (newest first).
const MaxIncidentLinks = 100

// IncidentLinks are the alerts and signals sent under an incident, as the
// viewer may see them: an alert only if the viewer is a party to it (or
// staff), a signal only through a submission the viewer may see that names
// the incident.
type IncidentLinks struct {
	Alerts  []*Alert  `json:"alerts"`
	Signals []*Signal `json:"signals"`
}

// IncidentLinkService finds what links to an incident the viewer may see
// (not found otherwise).
type IncidentLinkService interface {
	FindIncidentLinks(ctx context.Context, incidentID string) (*IncidentLinks, error)
}
