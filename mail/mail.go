// Package mail delivers KSP's mail: over SMTP in production, or into the log
// in development (no --smtp-url), so invitation and reset links still reach
// whoever runs the server.
package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
)

// Timeout bounds one delivery, connection to QUIT.
const Timeout = 30 * time.Second

// SMTP sends mail through one SMTP server.
type SMTP struct {
	addr     string
	host     string
	implicit bool // smtps://: TLS from the first byte
	user     string
	pass     string
	from     *mail.Address
	// TLSConfig, when set, replaces the default TLS settings (tests).
	TLSConfig *tls.Config
}

// NewSMTP parses an smtp:// or smtps:// URL (smtp://user:pass@host:port)
// and the From address. Plain smtp:// upgrades with STARTTLS whenever the
// server offers it, and refuses to send a password without TLS except to
// localhost.
func NewSMTP(rawURL, from string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("smtp url: %w", err)
	}
	s := &SMTP{host: u.Hostname()}
	port := u.Port()
	switch u.Scheme {
	case "smtp":
		if port == "" {
			port = "587"
		}
	case "smtps":
		s.implicit = true
		if port == "" {
			port = "465"
		}
	default:
		return nil, fmt.Errorf("smtp url: scheme must be smtp or smtps, not %q", u.Scheme)
	}
	if s.host == "" {
		return nil, fmt.Errorf("smtp url: no host")
	}
	s.addr = net.JoinHostPort(s.host, port)
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	if from == "" {
		return nil, fmt.Errorf("--mail-from is required with --smtp-url")
	}
	if s.from, err = mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("mail from %q: %w", from, err)
	}
	return s, nil
}

// Send delivers m.
func (s *SMTP) Send(ctx context.Context, m ksp.Mail) error {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return fmt.Errorf("send mail: recipient %q: %w", m.To, err)
	}
	msg := Format(s.from, to, m.Subject, m.Text, time.Now())
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return fmt.Errorf("send mail: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	tlsConf := s.TLSConfig
	if tlsConf == nil {
		tlsConf = &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	}
	if s.implicit {
		conn = tls.Client(conn, tlsConf)
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return fmt.Errorf("send mail: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok && !s.implicit {
		if err := c.StartTLS(tlsConf); err != nil {
			return fmt.Errorf("send mail: starttls: %w", err)
		}
	}
	if s.user != "" {
		if err := c.Auth(smtp.PlainAuth("", s.user, s.pass, s.host)); err != nil {
			return fmt.Errorf("send mail: auth: %w", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("send mail: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return fmt.Errorf("send mail: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("send mail: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("send mail: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("send mail: %w", err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("send mail: QUIT: %w", err)
	}
	return nil
}

// Format renders a plain-text UTF-8 message with CRLF line ends, the
// subject as an RFC 2047 encoded word when needed and the body
// quoted-printable.
func Format(from, to *mail.Address, subject, text string, now time.Time) []byte {
	clean := strings.NewReplacer("\r", " ", "\n", " ")
	var b bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", from.String())
	hdr("To", to.String())
	hdr("Subject", mime.QEncoding.Encode("utf-8", clean.Replace(subject)))
	hdr("Date", now.UTC().Format(time.RFC1123Z))
	hdr("Message-ID", "<"+ksp.RandomToken(16)+"@"+domainOf(from.Address)+">")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "quoted-printable")
	hdr("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n")))
	qp.Close()
	return b.Bytes()
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return "localhost"
}

// Log is the development mailer: it writes each mail to the log instead of
// sending it.
type Log struct {
	Log *slog.Logger
}

// Send logs m.
func (l Log) Send(ctx context.Context, m ksp.Mail) error {
	l.Log.InfoContext(ctx, "mail not sent (no --smtp-url): written here instead", "to", m.To, "subject", m.Subject, "text", m.Text)
	return nil
}
