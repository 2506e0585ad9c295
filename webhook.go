package ksp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"time"
)

// EventWebhookTest is the type of the event "send test event" delivers to
// one webhook; it is never stored in the event table nor streamed.
const EventWebhookTest = "webhook.test"

// WebhookEventTypes are the event types a webhook may subscribe to, in
// the order API.md lists them.
var WebhookEventTypes = []string{
	EventAlertCreated, EventAlertResponded, EventAlertEscalated,
	EventIncidentActivated, EventIncidentUpdated, EventIncidentClosed,
	EventSignalCreated, EventSignalRetracted, EventCaseCreated,
}

// Webhook limits and timings.
const (
	// MaxWebhooksPerOrg bounds an org's registered webhooks.
	MaxWebhooksPerOrg = 20
	// MaxWebhookURL bounds a target URL's length.
	MaxWebhookURL = 2000
	// WebhookSecretOverlap is how long the previous secret keeps signing
	// beside the new one after a rotation, so receivers can switch over.
	WebhookSecretOverlap = 24 * time.Hour
	// WebhookRetryWindow is how long a delivery is retried before it is
	// given up.
	WebhookRetryWindow = 24 * time.Hour
	// WebhookSecretPrefix starts every signing secret (Standard Webhooks).
	WebhookSecretPrefix = "whsec_"
)

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Webhook is an org's registered receiver of events. Secret is only set
// in the answer to creation and rotation: it is shown once.
type Webhook struct {
	ID      string   `json:"id"`
	OrgID   string   `json:"org_id"`
	URL     string   `json:"url"`
	Events  []string `json:"events"`
	Secret  string   `json:"secret,omitempty"`
	Created Time     `json:"created_at"`
	// Rotated is when the secret was last rotated; the previous one signs
	// too until PreviousUntil.
	Rotated       *Time `json:"rotated_at,omitempty"`
	PreviousUntil *Time `json:"previous_secret_until,omitempty"`
}

// WebhookInput is the body of registering a webhook.
type WebhookInput struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

// Validate checks the input and returns it normalised (events sorted in
// API order, without repeats).
func (in WebhookInput) Validate() (WebhookInput, error) {
	var f Fields
	in.URL = strings.TrimSpace(in.URL)
	if reason := webhookURLProblem(in.URL); reason != "" {
		f.Add("url", reason)
	}
	if len(in.Events) == 0 {
		f.Add("events", "name at least one event type: "+strings.Join(WebhookEventTypes, ", "))
	}
	var evs []string
	for _, e := range in.Events {
		if !slices.Contains(WebhookEventTypes, e) {
			f.Add("events", "unknown event type "+quoteShort(e)+"; known: "+strings.Join(WebhookEventTypes, ", "))
			break
		}
	}
	for _, t := range WebhookEventTypes {
		if slices.Contains(in.Events, t) {
			evs = append(evs, t)
		}
	}
	in.Events = evs
	return in, f.Err()
}

func webhookURLProblem(s string) string {
	if s == "" {
		return "required"
	}
	if len(s) > MaxWebhookURL {
		return "longer than 2000 characters"
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "not a URL"
	case u.Scheme != "https" && u.Scheme != "http":
		return "must be an http or https URL"
	case u.Host == "" || u.Hostname() == "":
		return "must name a host"
	case u.User != nil:
		return "must not carry a user name or password"
	case u.Fragment != "":
		return "must not have a #fragment"
	}
	return ""
}

// NewWebhookSecret returns a fresh signing secret: "whsec_" and the
// standard base64 of 32 random bytes.
func NewWebhookSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("ksp: no randomness: " + err.Error())
	}
	return WebhookSecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// Delivery is one event queued for one webhook, with the outcome of its
// latest attempt (the delivery log).
type Delivery struct {
	ID          string `json:"id"`
	WebhookID   string `json:"webhook_id"`
	EventID     string `json:"event_id"`
	EventType   string `json:"event_type"`
	Status      string `json:"status"`
	Attempts    int    `json:"attempts"`
	Created     Time   `json:"created_at"`
	NextAttempt *Time  `json:"next_attempt_at,omitempty"`
	LastAttempt *Time  `json:"last_attempt_at,omitempty"`
	// LastStatus is the receiver's HTTP status of the last attempt (0: no
	// answer); LastError says why it failed.
	LastStatus int    `json:"last_status,omitempty"`
	LastError  string `json:"last_error,omitempty"`
	Delivered  *Time  `json:"delivered_at,omitempty"`
}

// DeliveryJob is a delivery claimed by a worker: everything needed to
// send it, signed with the webhook's current secrets.
type DeliveryJob struct {
	ID        string
	WebhookID string
	OrgID     string
	URL       string
	// MessageID is the webhook-id header: the event's id, the same on
	// every retry.
	MessageID string
	// Body is the exact JSON sent, fixed when the delivery was queued.
	Body []byte
	// Secrets sign the body: the current one first, then the previous one
	// while it is within its overlap.
	Secrets  []string
	Attempts int // attempts made before this one
	Created  time.Time
	// Claim identifies this claim: only its holder may record the result.
	Claim string
}

// DeliveryResult is the outcome of one attempt.
type DeliveryResult struct {
	// OK: the receiver answered 2xx.
	OK     bool
	Status int
	Error  string
	// RetryAt is when to try again after a failure; zero gives up.
	RetryAt time.Time
}

// WebhookService manages webhooks and their durable outbox. Every event
// appended to the event table queues a delivery for each webhook whose org
// may see it (the sharing rule) and that subscribes to its type, in the
// event's own transaction.
type WebhookService interface {
	// FindWebhooks lists the webhooks of the actor's org (org admins).
	FindWebhooks(ctx context.Context) ([]*Webhook, error)
	// FindWebhookByID returns one of the actor's org's webhooks.
	FindWebhookByID(ctx context.Context, id string) (*Webhook, error)
	// CreateWebhook registers a webhook; the answer carries its secret.
	CreateWebhook(ctx context.Context, in WebhookInput) (*Webhook, error)
	// DeleteWebhook removes a webhook and cancels its pending deliveries.
	DeleteWebhook(ctx context.Context, id string) error
	// RotateWebhookSecret issues a new secret; the previous one keeps
	// signing beside it for WebhookSecretOverlap.
	RotateWebhookSecret(ctx context.Context, id string) (*Webhook, error)
	// SendTestWebhook queues a webhook.test event to one webhook.
	SendTestWebhook(ctx context.Context, id string) (*Delivery, error)
	// FindWebhookDeliveries is a webhook's delivery log, newest first.
	FindWebhookDeliveries(ctx context.Context, id string, p Page) ([]*Delivery, string, error)

	// ClaimWebhookDeliveries claims up to n deliveries due at now for
	// lease: until it ends no other worker (on any replica) takes them,
	// and if this worker dies they are due again after it.
	ClaimWebhookDeliveries(ctx context.Context, now time.Time, n int, lease time.Duration) ([]*DeliveryJob, error)
	// FinishWebhookDelivery records an attempt's outcome, if the claim is
	// still the job's.
	FinishWebhookDelivery(ctx context.Context, job *DeliveryJob, at time.Time, res DeliveryResult) error
	// NextWebhookDelivery is when the earliest pending delivery is due
	// (zero: none pending).
	NextWebhookDelivery(ctx context.Context) (time.Time, error)
}

// EventWatcher tells readers of the event table and the outbox that
// something new committed.
type EventWatcher interface {
	// EventsCommitted returns a channel closed the next time events or
	// deliveries commit: on this process, and on PostgreSQL on any
	// replica. Take it before reading, so that nothing committed between
	// the read and the wait is missed.
	EventsCommitted() <-chan struct{}
	// EventSeqBefore is the highest event sequence number whose event is
	// older than t (0: none): the live feed starts at the present, and
	// resumes no further back than its 24 hours.
	EventSeqBefore(ctx context.Context, t time.Time) (int64, error)
}
