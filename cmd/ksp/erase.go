package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/jobs"
)

// eraseAlertURLs erases, every interval until ctx ends, the URLs of closed
// alerts whose preservation period ended (ksp.AlertEraser). Erasing is
// idempotent, and the job runs once across replicas (internal/jobs).
func eraseAlertURLs(ctx context.Context, s ksp.AlertEraser, every time.Duration, log *slog.Logger) {
	jobs.New(s, log).Run(ctx, "alerts.erase_urls", every, func(ctx context.Context) error {
		sys := ksp.NewContext(ctx, ksp.SystemActor("system:erasure"))
		n, err := s.EraseAlertURLs(sys, time.Now())
		if n > 0 {
			log.Info("erased alert URLs", "count", n)
		}
		return err
	})
}
