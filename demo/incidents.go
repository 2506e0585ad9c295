package demo

import (
	"context"
	"fmt"

	"github.com/kspplatform/ksp"
)

// SeedIncidents gives the incident pages something to show on first look:
// a closed exercise every member sees, with its timeline and debrief, and a
// draft whose activation Amina requested, so that signing in as Jonas
// shows the second person's confirmation. A database that already has
// incidents is left alone.
func SeedIncidents(ctx context.Context, w *World) error {
	sys := ksp.NewContext(ctx, ksp.SystemActor("system:demo"))
	have, _, err := w.Store.FindIncidents(sys, ksp.IncidentFilter{Page: ksp.Page{Limit: 1}})
	if err != nil {
		return fmt.Errorf("demo incidents: %w", err)
	}
	if len(have) > 0 {
		return nil
	}
	amina := ksp.NewContext(ctx, w.Actor(Staff[0].Local+"@"+staffDomain))
	jonas := ksp.NewContext(ctx, w.Actor(Staff[1].Local+"@"+staffDomain))
	criteria := func(met int) []ksp.IncidentCriterion {
		out := make([]ksp.IncidentCriterion, len(ksp.DefaultIncidentCriteria))
		for i, c := range ksp.DefaultIncidentCriteria {
			out[i] = ksp.IncidentCriterion{Text: c, Met: i < met}
		}
		return out
	}
	exercise := &ksp.Incident{Type: ksp.IncidentTypeContentIncidentProtocol, Title: "Exercise: livestreamed attack (tabletop)",
		Description: "A tabletop exercise of the content incident protocol: a simulated attack streamed live on a member's service, with copies re-uploaded elsewhere.",
		Criteria:    criteria(4), Sharing: ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen}}
	if err := w.Store.CreateIncident(amina, exercise); err != nil {
		return fmt.Errorf("demo incidents: %w", err)
	}
	steps := []func() error{
		func() error {
			_, err := w.Store.ActivateIncident(amina, exercise.ID, ksp.ActivateIncidentInput{})
			return err
		},
		func() error {
			_, err := w.Store.ActivateIncident(jonas, exercise.ID, ksp.ActivateIncidentInput{})
			return err
		},
		func() error {
			_, err := w.Store.AddIncidentUpdate(amina, exercise.ID, ksp.IncidentUpdateInput{Text: "Exercise: hashes of the simulated stream shared with all members (TLP:GREEN)."})
			return err
		},
		func() error {
			_, err := w.Store.AddIncidentUpdate(jonas, exercise.ID, ksp.IncidentUpdateInput{Text: "Exercise: two platforms report re-uploads removed; no new copies in the last hour."})
			return err
		},
		func() error {
			// A member's alert sent under the exercise: it joins the
			// referral Vidstream sent on the same thread, so the
			// incident page lists it for the parties to it.
			ctx := adminOf(ctx, w, "pixelboard")
			if ctx == nil {
				return nil
			}
			_, _, err := w.Store.CreateAlert(ctx, ksp.AlertInput{URL: "https://threadly.example/t/demo-thread-88", Kind: ksp.AlertReferral, Tier: ksp.TierCrisis,
				Labels: []string{"attack_content"}, IncidentID: exercise.ID, Note: "Exercise: copy of the simulated stream."})
			return err
		},
		func() error {
			summary := "A tabletop exercise of the incident protocol with every member. No real content was involved."
			_, err := w.Store.CloseIncident(jonas, exercise.ID, ksp.CloseIncidentInput{EndCriteria: "No new copies found for the length of the exercise.",
				Debrief: "Activation took four minutes; members asked for the hash set in CSV as well.", PublicSummary: &summary})
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("demo incidents: %w", err)
		}
	}
	draft := &ksp.Incident{Type: ksp.IncidentTypeContentIncident, Title: "Drill: manifesto circulating after an attack",
		Description: "A drafted incident for the demo. Amina requested activation; a second staff member (Jonas) may confirm it.",
		Criteria:    criteria(2), Sharing: ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen}}
	if err := w.Store.CreateIncident(amina, draft); err != nil {
		return fmt.Errorf("demo incidents: %w", err)
	}
	if _, err := w.Store.ActivateIncident(amina, draft.ID, ksp.ActivateIncidentInput{}); err != nil {
		return fmt.Errorf("demo incidents: %w", err)
	}
	return nil
}

// adminOf acts as the first admin of the demo org with this slug (nil when
// the org or its admin is missing).
func adminOf(ctx context.Context, w *World, slug string) context.Context {
	o := w.Orgs[slug]
	if o == nil {
		return nil
	}
	for _, u := range w.Users {
		if u.OrgID == o.ID && u.Role == ksp.RoleAdmin {
			return ksp.NewContext(ctx, w.Actor(u.Email))
		}
	}
	return nil
}
