package ksp

import (
	"context"
	"io"
)

// Store is everything a storage adapter provides. The SQLite and PostgreSQL
// adapters implement it and pass the same conformance suite (storetest).
type Store interface {
	OrgService
	DomainService
	NoticeService
	AlertEraser
	IncidentLinkService
	UserService
	AccountService
	APIKeyService
	ApplicationService
	ApplicationReviewService
	AuditService
	EventService
	SignalService
	EntityService
	MatchStatsService
	ResourceService
	SearchService
	AlertService
	IncidentService
	WebhookService
	EventWatcher
	CaseService
	TransparencyService
	CheckpointService
	QuestionService
	MentorshipService
	CalendarService
	AssessmentService
	// Ping checks the database answers (readiness).
	Ping(ctx context.Context) error
	io.Closer
}
