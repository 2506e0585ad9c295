package demo

import (
	"context"
	"fmt"

	"github.com/kspplatform/ksp"
)

// SeedMentorship opens a start-up's mentoring request and has the large
// platform and the academic institute offer topics, so that staff find a
// request to match on first look. A database that already has mentorship
// requests is left alone.
func SeedMentorship(ctx context.Context, w *World) error {
	sys := ksp.NewContext(ctx, ksp.SystemActor("system:demo"))
	have, _, err := w.Store.FindMentorshipRequests(sys, ksp.MentorshipFilter{Page: ksp.Page{Limit: 1}})
	if err != nil {
		return fmt.Errorf("demo mentorship: %w", err)
	}
	if len(have) > 0 {
		return nil
	}
	as := func(local, org string) context.Context {
		return ksp.NewContext(ctx, w.Actor(local+"@"+ksp.Slugify(org)+".example"))
	}
	offers := []struct {
		by     context.Context
		topics []string
		note   string
	}{
		{as("analyst", "Vidstream"), []string{ksp.TopicTermsOfService, ksp.TopicContentModeration, ksp.TopicCrisisResponse, ksp.TopicTooling},
			"Our trust-and-safety policy team can give an hour a fortnight."},
		{as("admin", "Institute for Online Extremism Research"), []string{ksp.TopicTermsOfService, ksp.TopicTransparency, ksp.TopicLegalCompliance},
			"Research-based advice on policies and transparency reporting."},
	}
	for _, o := range offers {
		if _, err := w.Store.SetMentorshipOffer(o.by, o.topics, o.note); err != nil {
			return fmt.Errorf("demo mentorship: offer: %w", err)
		}
	}
	req := &ksp.MentorshipRequest{Topics: []string{ksp.TopicTermsOfService, ksp.TopicTransparency},
		Note: "We are writing our first terms of service and would like to publish a transparency report next year."}
	if err := w.Store.CreateMentorshipRequest(as("admin", "Pixelboard"), req); err != nil {
		return fmt.Errorf("demo mentorship: %w", err)
	}
	return nil
}
