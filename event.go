package ksp

import (
	"context"
	"encoding/json"
)

// Event types members are notified about (API.md "Webhooks and live feed").
const (
	EventAlertCreated      = "alert.created"
	EventAlertResponded    = "alert.responded"
	EventAlertEscalated    = "alert.escalated"
	EventIncidentActivated = "incident.activated"
	EventIncidentUpdated   = "incident.updated"
	EventIncidentClosed    = "incident.closed"
	EventSignalCreated     = "signal.created"
	EventSignalRetracted   = "signal.retracted"
	EventCaseCreated       = "case.created"
)

// Event is one notification in the event table, delivered by webhook and
// SSE to those who may see its object.
type Event struct {
	Seq      int64           `json:"seq"`
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Time     Time            `json:"timestamp"`
	ObjectID string          `json:"object_id"`
	Sharing  Sharing         `json:"-"`
	Data     json.RawMessage `json:"data"`
}

// EventService reads the event table through the sharing rule.
type EventService interface {
	// FindEventsAfter returns up to limit events after seq that the actor
	// in ctx may see, in sequence order.
	FindEventsAfter(ctx context.Context, seq int64, limit int) ([]*Event, error)
}
