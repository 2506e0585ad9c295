package demo

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/filehash"
)

// demoImage is one test image of ../shared/testdata/pdq standing in for
// terrorist content in the demo (the images themselves are harmless).
type demoImage struct {
	file, by      string // path under testdata/pdq, submitting org's slug
	labels        []string
	dist          ksp.Distribution
	tlp           ksp.TLP
	audience      string // slug
	feedbackBy    string
	verdict       string
	basis, reason string
	withMD5       bool
	severity      string
	flags         []string
}

var demoImages = []demoImage{
	{file: "bridge-mods/aaa-orig.jpg", by: "vidstream", labels: []string{"propaganda"}, basis: "branded_publication", withMD5: true, severity: "high"},
	{file: "labelme-subset/q0122.jpg", by: "pixelboard", labels: []string{"recruitment"}, dist: ksp.DistAudience, tlp: ksp.TLPAmber, audience: "vidstream", basis: "other", reason: "recruitment poster circulated on our boards"},
	{file: "labelme-subset/q0291.jpg", by: "ministry-of-the-interior-demo", labels: []string{"glorification"}, basis: "other", reason: "referred by national internet referral unit"},
	{file: "pytx-resources/sample-b.jpg", by: "threadly", labels: []string{"attack_content", "graphic_violence"}, basis: "other", reason: "attacker's own footage, still frame", feedbackBy: "vidstream", verdict: ksp.VerdictTruePositive, severity: "crisis", flags: []string{"graphic"}},
	{file: "labelme-subset/q0746.jpg", by: "vidstream", labels: []string{"propaganda"}, basis: "branded_publication", feedbackBy: "digital-rights-watch", verdict: ksp.VerdictDisputed},
}

// SeedSignals is the hash bank's demo content: signals of several orgs
// under different sharing, feedback, a dispute, a URL and the negative bank.
// Images come from ../shared when present.
func SeedSignals(ctx context.Context, w *World) error {
	as := func(slug string) context.Context {
		o := w.Orgs[slug]
		for _, u := range w.Users {
			if u.OrgID == o.ID && u.Role == ksp.RoleAdmin {
				return ksp.NewContext(ctx, w.Actor(u.Email))
			}
		}
		return nil
	}
	url := ksp.SubmissionInput{Type: ksp.TypeURL, Value: "https://files.example-host.test/media/issue-12.pdf?utm_source=channel", ContentType: "pdf",
		Labels: []string{"propaganda", "instruction"}, Basis: "branded_publication", Severity: "high"}
	res, err := w.Store.Submit(as("vidstream"), url)
	if err != nil {
		return fmt.Errorf("demo signals: %w", err)
	}
	if res.Unchanged {
		return nil // seeded by an earlier start
	}
	if _, err := w.Store.Submit(as("threadly"), ksp.SubmissionInput{Type: ksp.TypeURL, Value: "https://paste.example-host.test/u/handle123/manifesto", ContentType: "text",
		Labels: []string{"manifesto"}, Basis: "other", BasisReason: "manifesto of a live-streamed attack", Severity: "crisis", Flags: []string{"contains_pii"}}); err != nil {
		return fmt.Errorf("demo signals: %w", err)
	}
	if w.SharedDir == "" {
		return nil
	}
	dir := filepath.Join(w.SharedDir, "testdata", "pdq")
	for _, d := range demoImages {
		h, err := filehash.HashFile(filepath.Join(dir, d.file), filehash.Options{})
		if err != nil || !h.IsImage {
			return fmt.Errorf("demo signals: %s: %v", d.file, err)
		}
		q := h.Quality
		in := ksp.SubmissionInput{Type: ksp.TypePDQ, Value: h.PDQ.String(), Quality: &q, ContentType: "photo", Labels: d.labels, Basis: d.basis, BasisReason: d.reason,
			Distribution: d.dist, TLP: d.tlp, Severity: d.severity, Flags: d.flags}
		if d.audience != "" {
			in.Audience = []string{w.Orgs[d.audience].ID}
		}
		res, err := w.Store.Submit(as(d.by), in)
		if err != nil {
			return fmt.Errorf("demo signals: %s: %w", d.file, err)
		}
		if d.withMD5 {
			md := in
			md.Type, md.Value, md.Quality = ksp.TypeMD5, h.MD5, nil
			if _, err := w.Store.Submit(as(d.by), md); err != nil {
				return fmt.Errorf("demo signals: %s md5: %w", d.file, err)
			}
		}
		if d.verdict != "" {
			if _, err := w.Store.GiveFeedback(as(d.feedbackBy), res.Signal.ID, ksp.FeedbackInput{Verdict: d.verdict, Comment: "demo feedback"}); err != nil {
				return fmt.Errorf("demo signals: feedback: %w", err)
			}
		}
	}
	benign, err := filehash.HashFile(filepath.Join(dir, "misc-images", "pen-and-coaster.png"), filehash.Options{})
	if err != nil {
		return fmt.Errorf("demo negative bank: %w", err)
	}
	if _, err := w.Store.AddNegative(as("vidstream"), ksp.NegativeInput{Type: ksp.TypePDQ, Value: benign.PDQ.String(), Reason: "stock photo of office objects: matches many harmless uploads"}); err != nil && ksp.ErrorCode(err) != ksp.ECONFLICT {
		return fmt.Errorf("demo negative bank: %w", err)
	}
	return nil
}
