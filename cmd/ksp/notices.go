package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/jobs"
)

// mailNotices mails, every interval until ctx ends, the incident notices
// and deadline reminders the store says are due (ksp.NoticeService). The
// store marks each notice told before it is sent, so several servers on one
// database never mail one twice (and the job runs once across replicas,
// internal/jobs); a mail that fails is logged and not
// retried (webhooks and the live feed are the durable channels).
func mailNotices(ctx context.Context, s ksp.NoticeService, m ksp.Mailer, publicURL string, every time.Duration, log *slog.Logger) {
	jobs.New(s, log).Run(ctx, "notices.mail", every, func(ctx context.Context) error {
		sys := ksp.NewContext(ctx, ksp.SystemActor("system:notices"))
		ns, err := s.TakeNotices(sys, time.Now())
		if err != nil {
			return fmt.Errorf("take mail notices: %w", err)
		}
		sent, failed := 0, 0
		for _, n := range ns {
			for _, mail := range n.Mails(publicURL) {
				if err := m.Send(ctx, mail); err != nil {
					failed++
					log.Warn("mail notice", "type", n.Type, "object", n.ObjectID, "err", err)
					continue
				}
				sent++
			}
		}
		if sent+failed > 0 {
			log.Info("mailed notices", "notices", len(ns), "sent", sent, "failed", failed)
		}
		return nil
	})
}
