package demo

import (
	"context"
	"fmt"

	"github.com/kspplatform/ksp"
)

// SeedCases opens a few review cases for the start-up platform, as a scan
// of its media would, over the signals it may see, and decides one of
// them, so that its queue, a decided case with its statement of reasons
// and the preservation list are not empty on first look. Seeded once.
func SeedCases(ctx context.Context, w *World) error {
	slug := ksp.Slugify(Orgs[1].Name) // the start-up
	o := w.Orgs[slug]
	if o == nil {
		return nil
	}
	var as context.Context
	for _, u := range w.Users {
		if u.OrgID == o.ID && u.Role == ksp.RoleAdmin {
			as = ksp.NewContext(ctx, w.Actor(u.Email))
		}
	}
	if as == nil {
		return nil
	}
	existing, _, err := w.Store.FindCases(as, ksp.CaseFilter{Page: ksp.Page{Limit: 1}})
	if err != nil {
		return fmt.Errorf("demo cases: %w", err)
	}
	if len(existing) > 0 {
		return nil // seeded by an earlier start
	}
	sigs, _, err := w.Store.FindSignals(as, ksp.SignalFilter{Page: ksp.Page{Limit: 100}})
	if err != nil {
		return fmt.Errorf("demo cases: %w", err)
	}
	var usable []*ksp.Signal
	for _, s := range sigs {
		if s.Actionable {
			usable = append(usable, s)
		}
	}
	if len(usable) == 0 {
		return nil
	}
	refs := []string{"https://pixelboard.example/p/demo-post-8812", "https://pixelboard.example/p/demo-post-8813", "pixelboard-upload:demo-5521"}
	var opened []*ksp.Case
	for i, ref := range refs {
		s := usable[i%len(usable)]
		m := ksp.CaseMatchInput{SignalID: s.ID, Type: s.Type}
		if s.Type == ksp.TypePDQ {
			m.Distance = 6 * i
		}
		c, _, err := w.Store.OpenCase(as, ksp.CaseInput{ContentRef: ref, Matches: []ksp.CaseMatchInput{m}})
		if err != nil {
			return fmt.Errorf("demo cases: %s: %w", ref, err)
		}
		opened = append(opened, c)
	}
	if _, err := w.Store.DecideCase(as, opened[0].ID, ksp.DecisionInput{Decision: ksp.DecisionRemove, PolicyClause: "Pixelboard community rules §2 (violent extremism)",
		Note: "Demo: matched a branded publication of a designated group."}); err != nil {
		return fmt.Errorf("demo cases: %w", err)
	}
	return nil
}
