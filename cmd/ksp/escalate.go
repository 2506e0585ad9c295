package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/jobs"
)

// escalateJob is the escalation job's name among periodic jobs.
const escalateJob = "alerts.escalate"

// escalateAlerts escalates overdue alerts every interval until ctx ends,
// as a periodic job run once across the replicas of one database
// (internal/jobs). Escalation marks each alert once in any case, so a
// run that overlaps another (see jobs) escalates nothing twice.
func escalateAlerts(ctx context.Context, s ksp.AlertService, every time.Duration, log *slog.Logger) {
	jobs.New(s, log).Run(ctx, escalateJob, every, func(ctx context.Context) error {
		sys := ksp.NewContext(ctx, ksp.SystemActor("system:escalation"))
		n, err := s.EscalateOverdue(sys, time.Now())
		if n > 0 {
			log.Info("escalated overdue alerts", "count", n)
		}
		return err
	})
}
