package ksp

import (
	"context"
	"time"
)

// TimelineURLErased marks the day an alert's URL was erased.
const TimelineURLErased = "url_erased"

// AlertURLRetentionMonths is how long a closed alert keeps its URL when
// no preservation date applies: six calendar months after the response,
// the same period as the evidence of removed content. An alert answered
// `removed` keeps it until its preservation date. Open alerts keep it:
// the platform still has to act on it.
const AlertURLRetentionMonths = PreservationMonths

// AlertEraseTime is when a closed alert's URL is erased: its preservation
// date if it has one, else AlertURLRetentionMonths after the response.
func AlertEraseTime(respondedAt time.Time, preserveUntil *Time) time.Time {
	if preserveUntil != nil {
		return preserveUntil.Time
	}
	return respondedAt.AddDate(0, AlertURLRetentionMonths, 0)
}

// AlertEraser erases personal data from closed alerts. EraseAlertURLs
// blanks the URL (keeping the host, the counts, times and timeline) of
// every closed alert whose AlertEraseTime is at or before now, with the
// URL copies in its events and audit details, and says how many alerts it
// erased. Staff or system only; the clock is the caller's so that tests
// can move it.
type AlertEraser interface {
	EraseAlertURLs(ctx context.Context, now time.Time) (int, error)
}
