package web

import "github.com/kspplatform/ksp"

// Mailer is the mailer the site sends with, for the server's other mail
// (the notice job).
func (s *Server) Mailer() ksp.Mailer { return s.cfg.Mailer }
