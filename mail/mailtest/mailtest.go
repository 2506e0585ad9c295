// Package mailtest is a tiny in-process SMTP server for tests: it accepts
// every message on a loopback port and hands it to the test, decoded.
package mailtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"
)

// Message is one received mail.
type Message struct {
	From    string
	To      []string
	Subject string
	Body    string
	Raw     string
}

// Server is a listening SMTP server.
type Server struct {
	Addr string
	ln   net.Listener
	mu   sync.Mutex
	msgs []Message
	wake chan struct{}
}

// Start starts a server on 127.0.0.1 that stops when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), ln: ln, wake: make(chan struct{}, 1)}
	go s.serve()
	t.Cleanup(func() { ln.Close() })
	return s
}

// URL is the server's smtp:// URL.
func (s *Server) URL() string { return "smtp://" + s.Addr }

func (s *Server) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.handle(c)
	}
}

func (s *Server) handle(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	r := bufio.NewReader(c)
	say := func(format string, args ...any) { fmt.Fprintf(c, format+"\r\n", args...) }
	say("220 mailtest ready")
	var m Message
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(line)
		switch {
		case strings.HasPrefix(verb, "EHLO"):
			say("250-mailtest")
			say("250 8BITMIME")
		case strings.HasPrefix(verb, "HELO"):
			say("250 mailtest")
		case strings.HasPrefix(verb, "MAIL FROM:"):
			m = Message{From: angle(line[10:])}
			say("250 ok")
		case strings.HasPrefix(verb, "RCPT TO:"):
			m.To = append(m.To, angle(line[8:]))
			say("250 ok")
		case verb == "DATA":
			say("354 end with .")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" || l == ".\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			m.Raw = b.String()
			s.add(m)
			say("250 queued")
		case verb == "RSET", verb == "NOOP":
			say("250 ok")
		case verb == "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}

// angle returns the address of a MAIL FROM or RCPT TO argument, without
// its angle brackets and parameters.
func angle(arg string) string {
	arg = strings.TrimSpace(arg)
	if i, j := strings.IndexByte(arg, '<'), strings.IndexByte(arg, '>'); i >= 0 && j > i {
		return arg[i+1 : j]
	}
	return strings.Fields(arg + " ")[0]
}

func (s *Server) add(m Message) {
	if pm, err := mail.ReadMessage(strings.NewReader(m.Raw)); err == nil {
		dec := new(mime.WordDecoder)
		if subj, err := dec.DecodeHeader(pm.Header.Get("Subject")); err == nil {
			m.Subject = subj
		}
		var body io.Reader = pm.Body
		if strings.EqualFold(pm.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(body)
		}
		if b, err := io.ReadAll(body); err == nil {
			m.Body = strings.ReplaceAll(string(b), "\r\n", "\n")
		}
	}
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Messages returns what arrived so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Wait returns the first message to rcpt whose subject contains subject,
// waiting up to timeout for it to arrive.
func (s *Server) Wait(rcpt, subject string, timeout time.Duration) (Message, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		for _, m := range s.Messages() {
			for _, to := range m.To {
				if strings.EqualFold(to, rcpt) && strings.Contains(m.Subject, subject) {
					return m, nil
				}
			}
		}
		select {
		case <-s.wake:
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return Message{}, fmt.Errorf("no mail to %s about %q within %v (got %d messages)", rcpt, subject, timeout, len(s.Messages()))
		}
	}
}
