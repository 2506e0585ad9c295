package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/kspplatform/ksp"
)

// escalateAlerts escalates overdue alerts every interval until ctx ends.
// Escalation marks each alert once, so several servers on one database
// may run it side by side.
func escalateAlerts(ctx context.Context, s ksp.AlertService, every time.Duration, log *slog.Logger) {
	sys := ksp.NewContext(ctx, ksp.SystemActor("system:escalation"))
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := s.EscalateOverdue(sys, time.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("escalate overdue alerts", "err", err)
		case n > 0:
			log.Info("escalated overdue alerts", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
