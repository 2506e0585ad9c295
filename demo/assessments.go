package demo

import (
	"context"
	"fmt"

	"github.com/kspplatform/ksp"
)

// SeedAssessments gives Pixelboard, the start-up, two completed
// self-assessments (a first attempt and a retake), so that signing in as
// its admin shows results, a reading list and progress. Staff see only
// the aggregate, suppressed with a single organisation. An org that has
// assessments already is left alone.
func SeedAssessments(ctx context.Context, w *World) error {
	pixelboard := ksp.NewContext(ctx, w.Actor("admin@pixelboard.example"))
	have, _, err := w.Store.FindAssessments(pixelboard, ksp.Page{Limit: 1})
	if err != nil {
		return fmt.Errorf("demo assessments: %w", err)
	}
	if len(have) > 0 {
		return nil
	}
	first := map[string]string{
		"pol_definition": "partial", "pol_public": "none", "pol_exceptions": "none",
		"enf_reporting": "partial", "enf_hashing": "none", "enf_review": "partial",
		"tra_report": "none", "tra_orders": "none",
		"cri_plan": "none", "cri_contact": "partial", "cri_sharing": "none",
		"hr_appeals": "partial", "hr_notice": "partial", "hr_errors": "none",
	}
	retake := map[string]string{
		"pol_definition": "mostly", "pol_public": "mostly", "pol_exceptions": "partial",
		"enf_reporting": "mostly", "enf_hashing": "mostly", "enf_review": "partial",
		"tra_report": "partial", "tra_orders": "none",
		"cri_plan": "mostly", "cri_contact": "mostly", "cri_sharing": "partial",
		"hr_appeals": "mostly", "hr_notice": "mostly", "hr_errors": "partial",
	}
	for _, answers := range []map[string]string{first, retake} {
		if _, err := w.Store.SubmitAssessment(pixelboard, ksp.AssessmentInput{Answers: answers}); err != nil {
			return fmt.Errorf("demo assessments: %w", err)
		}
	}
	return nil
}
