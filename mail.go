package ksp

import "context"

// Mail is one plain-text message to one recipient.
type Mail struct {
	To      string
	Subject string
	Text    string
}

// Mailer delivers mail: invitations, password resets, and alert and incident
// notices. Adapters: SMTP, and a development mailer that logs.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}
