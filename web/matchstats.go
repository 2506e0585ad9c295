package web

import (
	"html/template"
	"net/http"
	"time"

	"github.com/kspplatform/ksp"
)

// "What your signals did": a signal's matches per month on its page, and
// the dashboard's "Your signals this month". Only the organisations that
// shared a signal, and staff, see its counts (the store decides); months
// matched by fewer than three other organisations say so and show no
// count.

// SignalMatchesData is the signal page's block.
type SignalMatchesData struct {
	Stats *ksp.SignalMatchStats
	Staff bool
}

// signalMatches renders sig's monthly matches for the viewer, or nothing
// when it may not see them.
func (s *Server) signalMatches(r *http.Request, sig *ksp.Signal) (template.HTML, error) {
	st, err := s.store.SignalMatchStats(r.Context(), sig.ID)
	switch ksp.ErrorCode(err) {
	case "":
	case ksp.EFORBIDDEN, ksp.ENOTFOUND:
		return "", nil
	default:
		return "", err
	}
	return s.Fragment("signal_matches.html", "signal_matches", SignalMatchesData{Stats: st, Staff: ksp.ActorFrom(r.Context()).Staff})
}

// MatchesPanelData is the dashboard panel's content.
type MatchesPanelData struct {
	Sum   *ksp.MatchSummary
	Month string // in words: "December 2026"
	Staff bool
	Top   []TopSignal
}

// TopSignal is one line of the panel's top signals.
type TopSignal struct {
	ksp.SignalMonthTotal
	Label string
}

// matchesPanel sums up this month's matches of the viewer's signals (every
// signal for staff); it is left out while there is nothing to tell.
func (s *Server) matchesPanel(r *http.Request) (template.HTML, error) {
	a := ksp.ActorFrom(r.Context())
	now := time.Now().UTC()
	sum, err := s.store.MatchSummary(r.Context(), now.Format("2006-01"), 5)
	if err != nil {
		return "", err
	}
	if sum.Matches == 0 && sum.Withheld == 0 {
		return "", nil
	}
	d := MatchesPanelData{Sum: sum, Month: now.Format("January 2006"), Staff: a.Staff}
	for _, t := range sum.Top {
		label := "Signal " + t.SignalID[:8]
		// Staff's top signals are anyone's: named by id, so that loading
		// the dashboard does not read (and audit) restricted signals.
		if !a.Staff {
			if sig, err := s.store.FindSignalByID(r.Context(), t.SignalID); err == nil {
				label = human(sig.Type) + " " + shortValue(sig.Value)
			}
		}
		d.Top = append(d.Top, TopSignal{SignalMonthTotal: t, Label: label})
	}
	return s.Fragment("dashboard_matches.html", "dashboard_matches", d)
}
