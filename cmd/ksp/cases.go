package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/jobs"
	"github.com/kspplatform/ksp/mail"
)

// caseRetention runs the case retention pass every interval until ctx
// ends. Each pass marks what it did (reminded, erased), and the job runs
// once across the replicas of one database (internal/jobs).
func caseRetention(ctx context.Context, s ksp.CaseService, mailer ksp.Mailer, every time.Duration, log *slog.Logger) {
	jobs.New(s, log).Run(ctx, "cases.retention", every, func(ctx context.Context) error {
		return caseRetentionPass(ctx, s, mailer, time.Now(), log)
	})
}

// caseRetentionPass mails a reminder for every removed case whose evidence
// preservation lapses within ksp.PreservationReminderLead, then erases the
// content references whose preservation (or retention) ended. Nothing else
// is done to a case: no content is ever actioned.
func caseRetentionPass(ctx context.Context, s ksp.CaseService, mailer ksp.Mailer, now time.Time, log *slog.Logger) error {
	sys := ksp.NewContext(ctx, ksp.SystemActor("system:case-retention"))
	due, err := s.DuePreservationReminders(sys, now, ksp.PreservationReminderLead)
	if err != nil {
		return fmt.Errorf("preservation reminders: %w", err)
	}
	for _, r := range due {
		for _, to := range r.Emails {
			m := ksp.Mail{To: to, Subject: "KSP: evidence preservation of case " + r.CaseID + " ends on " + r.PreserveUntil.Format(time.DateOnly),
				Text: "The evidence of removed content kept for review case " + r.CaseID + " may be deleted after " + r.PreserveUntil.Format(time.DateOnly) +
					" (Regulation (EU) 2021/784, Article 6: six months).\n\n" +
					"If an authority, a court or an appeal still needs it, set a legal hold on the case before that date; otherwise KSP erases the case's content reference then and keeps only the decision and the counts.\n"}
			if err := mailer.Send(ctx, m); err != nil {
				return fmt.Errorf("preservation reminder of case %s: %w", r.CaseID, err)
			}
		}
		if err := s.MarkPreservationReminded(sys, r.CaseID); err != nil {
			return err
		}
		log.Info("preservation reminder sent", "case", r.CaseID, "recipients", len(r.Emails))
	}
	n, err := s.EraseExpiredCaseRefs(sys, now)
	if err != nil {
		return fmt.Errorf("erase case references: %w", err)
	}
	if n > 0 {
		log.Info("erased content references of decided cases", "count", n)
	}
	return nil
}

// caseMailer is the mailer of the retention job: SMTP when serve has
// --smtp-url (already checked by newMux), else the log.
func caseMailer(smtpURL, from string, log *slog.Logger) ksp.Mailer {
	if smtpURL != "" {
		if m, err := mail.NewSMTP(smtpURL, from); err == nil {
			return m
		}
	}
	return mail.Log{Log: log}
}
