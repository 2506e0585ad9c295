package demo

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/kspplatform/ksp"
)

// SeedAlerts gives every demo member org a verified domain and seeds URL
// alerts in both directions (a threat to life, a removal order, a merged
// referral, an answered one and one waiting with staff), so that the
// inbox, outbox and staff's unrouted list are not empty on first look.
// The domains are checked on every start; the alerts are seeded once.
func SeedAlerts(ctx context.Context, w *World) error {
	for slug, o := range w.Orgs {
		if slug == "staff" {
			continue
		}
		cur, err := w.Store.FindOrgByID(ctx, o.ID)
		if err != nil {
			return fmt.Errorf("demo alerts: %w", err)
		}
		d := slug + ".example"
		if slices.Contains(cur.Domains, ksp.Domain{Domain: d, Verified: true}) {
			continue
		}
		if _, err := w.Store.AddDomain(ctx, o.ID, d); err != nil {
			return fmt.Errorf("demo alerts: domain %s: %w", d, err)
		}
		if _, err := w.Store.VerifyDomain(ctx, o.ID, d); err != nil {
			return fmt.Errorf("demo alerts: domain %s: %w", d, err)
		}
	}
	as := func(slug string) context.Context {
		o := w.Orgs[slug]
		for _, u := range w.Users {
			if u.OrgID == o.ID && u.Role == ksp.RoleAdmin {
				return ksp.NewContext(ctx, w.Actor(u.Email))
			}
		}
		return nil
	}
	gov := ksp.Slugify(Orgs[3].Name)
	sent, _, err := w.Store.FindAlerts(as(gov), ksp.AlertFilter{Box: ksp.BoxSent, Page: ksp.Page{Limit: 1}})
	if err != nil {
		return fmt.Errorf("demo alerts: %w", err)
	}
	if len(sent) > 0 {
		return nil // seeded by an earlier start
	}
	if _, err := w.Store.SetLEContact(ctx, w.Orgs[gov].ID, []string{"FR"}); err != nil {
		return fmt.Errorf("demo alerts: %w", err)
	}
	received := ksp.T(time.Now().Add(-20 * time.Minute))
	until := ksp.T(time.Now().AddDate(0, 0, 14))
	steps := []struct {
		by string
		in ksp.AlertInput
	}{
		{gov, ksp.AlertInput{URL: "https://vidstream.example/live/demo-stream-4471", Kind: ksp.AlertReferral, Tier: ksp.TierThreatToLife, ThreatLevel: "high_unspecific",
			Labels: []string{"imminent_threat"}, Jurisdiction: "FR", TLP: ksp.TLPAmber, DoNotNotifyUntil: &until,
			Note: "Live stream announcing an attack; the account holder must not be alerted while police act."}},
		{gov, ksp.AlertInput{URL: "https://pixelboard.example/b/news/demo-thread-123", Kind: ksp.AlertTCORemovalOrder,
			Order: &ksp.RemovalOrder{IssuingAuthority: "Demo National Internet Referral Unit", MemberState: "FR", LegalBasis: "Regulation (EU) 2021/784, Article 3", ReceivedAt: &received}}},
		{"threadly", ksp.AlertInput{URL: "https://www.vidstream.example/channel/demo-branded-media", Kind: ksp.AlertReferral, Tier: ksp.TierDesignation, Labels: []string{"propaganda"},
			Note: "Channel re-uploading a designated group's branded videos."}},
		{"pixelboard", ksp.AlertInput{URL: "https://www.vidstream.example/channel/demo-branded-media?utm_source=share", Kind: ksp.AlertReferral, Tier: ksp.TierDesignation, Labels: []string{"propaganda", "recruitment"}}},
		{"vidstream", ksp.AlertInput{URL: "https://threadly.example/t/demo-thread-88", Kind: ksp.AlertReferral, Tier: ksp.TierCrisis, Labels: []string{"attack_content"}}},
		{"vidstream", ksp.AlertInput{URL: "https://pixelboard.example/p/demo-poster-9", Kind: ksp.AlertReferral, Tier: ksp.TierDesignation, Labels: []string{"recruitment"}}},
		{"institute-for-online-extremism-research", ksp.AlertInput{URL: "https://files.example-host.test/media/issue-12.pdf", Kind: ksp.AlertReferral, Tier: ksp.TierDesignation,
			Labels: []string{"instruction"}, Note: "Host is not a member; please pass on."}},
	}
	ids := make([]string, len(steps))
	for i, s := range steps {
		a, _, err := w.Store.CreateAlert(as(s.by), s.in)
		if err != nil {
			return fmt.Errorf("demo alerts: %s: %w", s.in.URL, err)
		}
		ids[i] = a.ID
	}
	if _, err := w.Store.RespondToAlert(as("threadly"), ids[4], ksp.ResponseInput{Action: ksp.ResponseRemoved, Note: "Thread removed and evidence preserved."}); err != nil {
		return fmt.Errorf("demo alerts: %w", err)
	}
	if _, err := w.Store.RespondToAlert(as("pixelboard"), ids[5], ksp.ResponseInput{Action: ksp.ResponseNoViolation, Note: "News report quoting the poster, with context."}); err != nil {
		return fmt.Errorf("demo alerts: %w", err)
	}
	return nil
}
