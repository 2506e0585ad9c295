package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/kspplatform/ksp"
)

// eraseAlertURLs erases, every interval until ctx ends, the URLs of closed
// alerts whose preservation period ended (ksp.AlertEraser). Erasing is
// idempotent, so several servers on one database may run it side by side.
func eraseAlertURLs(ctx context.Context, s ksp.AlertEraser, every time.Duration, log *slog.Logger) {
	sys := ksp.NewContext(ctx, ksp.SystemActor("system:erasure"))
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := s.EraseAlertURLs(sys, time.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("erase alert URLs", "err", err)
		case n > 0:
			log.Info("erased alert URLs", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
