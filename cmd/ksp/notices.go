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
		sendNotices(ctx, m, ns, publicURL, log)
		return nil
	})
}

// staffPager is what pageStaff needs of the store: the pages and the
// wake-up at each event commit.
type staffPager interface {
	TakeStaffPages(ctx context.Context, now time.Time) ([]*ksp.Notice, error)
	EventsCommitted() <-chan struct{}
}

// pageStaff mails every staff member at once when an urgent alert (a
// threat to life, or a removal order) routes to no member. It takes the
// pages at every event commit (creating an alert commits one; on
// PostgreSQL another replica's commit wakes it through LISTEN/NOTIFY) and
// every poll as the fallback. The store claims each page for one server,
// so no job lock is needed across replicas. After mailing it waits gap
// before the next take, so that a burst of urgent alerts reaches staff as
// one digest per gap, not one mail per alert (ksp.PageDigest).
func pageStaff(ctx context.Context, s staffPager, m ksp.Mailer, publicURL string, poll, gap time.Duration, log *slog.Logger) {
	sys := ksp.NewContext(ctx, ksp.SystemActor("system:pages"))
	wait := func(d time.Duration, wake <-chan struct{}) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-wake:
		case <-t.C:
		}
		return true
	}
	for {
		wake := s.EventsCommitted()
		ns, err := s.TakeStaffPages(sys, time.Now())
		if err != nil && ctx.Err() == nil {
			log.Error("take staff pages", "err", err)
		}
		if len(ns) > 0 {
			sendMails(ctx, m, ksp.PageDigest(ns, publicURL), log)
			if !wait(gap, nil) {
				return
			}
		}
		if !wait(poll, wake) {
			return
		}
	}
}

// sendNotices mails each notice to its recipients.
func sendNotices(ctx context.Context, m ksp.Mailer, ns []*ksp.Notice, publicURL string, log *slog.Logger) {
	var mails []ksp.Mail
	for _, n := range ns {
		mails = append(mails, n.Mails(publicURL)...)
	}
	sendMails(ctx, m, mails, log)
}

// sendMails sends each mail; a mail that fails is logged and not retried.
func sendMails(ctx context.Context, m ksp.Mailer, mails []ksp.Mail, log *slog.Logger) {
	sent, failed := 0, 0
	for _, mail := range mails {
		if err := m.Send(ctx, mail); err != nil {
			failed++
			log.Warn("mail notice", "subject", mail.Subject, "err", err)
			continue
		}
		sent++
	}
	if sent+failed > 0 {
		log.Info("mailed notices", "sent", sent, "failed", failed)
	}
}
