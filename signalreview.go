package ksp

import "context"

// ReviewEntityDelisted is the reason of a review flag raised because an
// entity a signal is attributed to was delisted from a list.
const ReviewEntityDelisted = "entity_delisted"

// Review flag states, for SignalReviewFilter.State.
const (
	ReviewOpen     = "open"
	ReviewResolved = "resolved"
	ReviewAll      = "all"
)

// SignalReview is a flag asking staff to review a signal: an entity one of
// its submissions is attributed to was delisted, so the basis of that
// submission may no longer hold. Only staff see flags: a flag tells that a
// signal exists.
type SignalReview struct {
	ID              string `json:"id"`
	SignalID        string `json:"signal_id"`
	EntityID        string `json:"entity_id"`
	EntityName      string `json:"entity_name"`
	Reason          string `json:"reason"`
	List            string `json:"list"`
	ReferenceNumber string `json:"reference_number"`
	DelistedOn      string `json:"delisted_on"`
	Created         Time   `json:"created_at"`
	Resolved        *Time  `json:"resolved_at,omitempty"`
	ResolvedBy      string `json:"resolved_by,omitempty"`
	Note            string `json:"note,omitempty"`
}

// SignalReviewFilter selects review flags: State is open (the default),
// resolved or all; EntityID keeps the flags of one entity.
type SignalReviewFilter struct {
	State    string
	EntityID *string
	Page     Page
}

// SignalReviewService keeps the review flags of signals (staff only).
type SignalReviewService interface {
	// FindSignalReviews lists flags, newest first.
	FindSignalReviews(ctx context.Context, f SignalReviewFilter) ([]*SignalReview, string, error)
	// ResolveSignalReview clears an open flag, with staff's note of what
	// they found; clearing a cleared flag is ECONFLICT.
	ResolveSignalReview(ctx context.Context, id, note string) (*SignalReview, error)
}
