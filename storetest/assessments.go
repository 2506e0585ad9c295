package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/kspplatform/ksp"
)

// assessmentAnswers answers every question of the current template with
// the option of the given id.
func assessmentAnswers(option string) map[string]string {
	m := map[string]string{}
	for _, q := range ksp.CurrentAssessmentTemplate.Questions {
		m[q.ID] = option
	}
	return m
}

// testAssessments checks submitting, retaking and reading back, and that
// bad answers are refused without writing.
func testAssessments(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	ctx := As(f.Startup, f.StartAdm)
	// Reading lists come from the library, as the reader may see it.
	shared := sampleResource("Model terms of service")
	shared.Tags = []string{"terms-of-service"}
	must(t, db.CreateResource(As(f.Platform, f.PlatAdmin), shared))
	hidden := sampleResource("Our private policy notes")
	hidden.Tags = []string{"terms-of-service"}
	hidden.Sharing = ksp.Sharing{Distribution: ksp.DistOwner, TLP: ksp.TLPAmber}
	must(t, db.CreateResource(As(f.Platform, f.PlatAdmin), hidden))
	first, err := db.SubmitAssessment(ctx, ksp.AssessmentInput{Answers: assessmentAnswers("partial")})
	must(t, err)
	if first.Overall != 33 || len(first.Scores) != len(ksp.AssessmentAreas) || len(first.Recommendations) != len(ksp.AssessmentAreas) {
		t.Fatalf("first assessment: overall %d, %d scores, %d recommendations", first.Overall, len(first.Scores), len(first.Recommendations))
	}
	second, err := db.SubmitAssessment(ctx, ksp.AssessmentInput{Answers: assessmentAnswers("full")})
	must(t, err)
	if second.Overall != 100 || len(second.Recommendations) != 0 {
		t.Fatalf("second assessment: overall %d, recommendations %v", second.Overall, second.Recommendations)
	}
	list, _, err := db.FindAssessments(ctx, ksp.Page{})
	must(t, err)
	if len(list) != 2 || list[0].ID != second.ID || list[1].ID != first.ID {
		t.Fatalf("history = %v", list)
	}
	if r := first.Recommendations[0]; r.Area != ksp.AreaPolicies || len(r.Reading) != 1 || r.Reading[0].ID != shared.ID {
		t.Fatalf("policies reading list = %+v, want only the shared resource", r.Reading)
	}
	got, err := db.FindAssessmentByID(ctx, first.ID)
	must(t, err)
	if len(got.Recommendations[0].Reading) != 1 {
		t.Fatalf("reading list on reading back = %+v", got.Recommendations[0].Reading)
	}
	if got.Overall != 33 || got.Answers["enf_hashing"] != "partial" || len(got.Recommendations) != 5 || got.Recommendations[0].Tags[0] != "terms-of-service" {
		t.Fatalf("read back %+v", got)
	}
	// Pages.
	page, next, err := db.FindAssessments(ctx, ksp.Page{Limit: 1})
	must(t, err)
	page2, _, err := db.FindAssessments(ctx, ksp.Page{Limit: 1, Cursor: next})
	must(t, err)
	if len(page) != 1 || len(page2) != 1 || page2[0].ID != first.ID {
		t.Fatal("paging the history")
	}

	// Bad input names the question; nothing is written.
	unknownQ := assessmentAnswers("full")
	unknownQ["made_up"] = "full"
	unknownA := assessmentAnswers("full")
	unknownA["hr_appeals"] = "perfect"
	missing := assessmentAnswers("full")
	delete(missing, "cri_plan")
	for name, c := range map[string]struct {
		answers map[string]string
		field   string
	}{
		"unknown question": {unknownQ, "answers.made_up"},
		"unknown answer":   {unknownA, "answers.hr_appeals"},
		"missing answer":   {missing, "answers.cri_plan"},
		"no answers":       {nil, "answers.pol_definition"},
	} {
		_, err := db.SubmitAssessment(ctx, ksp.AssessmentInput{Answers: c.answers})
		wantCode(t, err, ksp.EINVALID)
		var ke *ksp.Error
		if !errors.As(err, &ke) || ke.Fields[0].Field != c.field {
			t.Fatalf("%s: %v does not name %s first", name, err, c.field)
		}
	}
	_, err = db.SubmitAssessment(As(f.Platform, f.PlatView), ksp.AssessmentInput{Answers: assessmentAnswers("full")})
	wantCode(t, err, ksp.EFORBIDDEN)
	_, err = db.SubmitAssessment(context.Background(), ksp.AssessmentInput{Answers: assessmentAnswers("full")})
	wantCode(t, err, ksp.EUNAUTHORIZED)
	var n int
	must(t, db.SQL().QueryRow(`SELECT COUNT(*) FROM assessments`).Scan(&n))
	if n != 2 {
		t.Fatalf("%d assessments stored, want 2", n)
	}
	must(t, db.SQL().QueryRow(`SELECT COUNT(*) FROM audit_events WHERE action = 'assessment.submit'`).Scan(&n))
	if n != 2 {
		t.Fatalf("%d submissions audited, want 2", n)
	}
}

// testAssessmentPrivacy attacks the exception to "staff see everything":
// staff and other orgs get 404 for an org's assessment and an empty
// history; staff get an aggregate that stays suppressed until three orgs
// took the questionnaire.
func testAssessmentPrivacy(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	staff := As(f.StaffOrg(t), f.StaffUser)
	mine, err := db.SubmitAssessment(As(f.Startup, f.StartAdm), ksp.AssessmentInput{Answers: assessmentAnswers("none")})
	must(t, err)
	for name, ctx := range map[string]context.Context{
		"staff user": staff, "system": Staff(), "other org": As(f.Platform, f.PlatAdmin), "anonymous": context.Background(),
	} {
		_, err := db.FindAssessmentByID(ctx, mine.ID)
		if ksp.ErrorCode(err) != ksp.ENOTFOUND && ksp.ErrorCode(err) != ksp.EUNAUTHORIZED {
			t.Fatalf("%s reads the start-up's assessment: %v", name, err)
		}
		if name == "anonymous" {
			continue
		}
		list, _, err := db.FindAssessments(ctx, ksp.Page{})
		must(t, err)
		if len(list) != 0 {
			t.Fatalf("%s lists %d assessments of others", name, len(list))
		}
	}
	// Members may not read the aggregate.
	_, err = db.AssessmentAggregate(As(f.Platform, f.PlatAdmin))
	wantCode(t, err, ksp.EFORBIDDEN)

	agg := func() *ksp.AssessmentAggregate {
		t.Helper()
		a, err := db.AssessmentAggregate(staff)
		must(t, err)
		return a
	}
	// One org, then two (the first retaking counts once): all suppressed.
	_, err = db.SubmitAssessment(As(f.Startup, f.StartAdm), ksp.AssessmentInput{Answers: assessmentAnswers("full")})
	must(t, err)
	_, err = db.SubmitAssessment(As(f.Platform, f.PlatAdmin), ksp.AssessmentInput{Answers: assessmentAnswers("partial")})
	must(t, err)
	a := agg()
	if a.Orgs != nil || a.Overall != nil || a.Areas[ksp.AreaPolicies] != nil || a.ByKind["platform"].Overall != nil {
		t.Fatalf("aggregate over two orgs not suppressed: %+v", a)
	}
	if len(a.Suppressed) != 1+len(ksp.AssessmentAreas)+len(ksp.MemberKinds) {
		t.Fatalf("suppressed = %v", a.Suppressed)
	}
	// A third org: the totals appear (the platform kind still has two).
	_, err = db.SubmitAssessment(As(f.Gov, f.GovAdmin), ksp.AssessmentInput{Answers: assessmentAnswers("mostly")})
	must(t, err)
	a = agg()
	if a.Orgs == nil || *a.Orgs != 3 || a.Overall == nil || *a.Overall != (100+33+66)/3 {
		t.Fatalf("aggregate over three orgs: %+v", a)
	}
	if a.Areas[ksp.AreaCrisis] == nil || *a.Areas[ksp.AreaCrisis] != (100+33+66)/3 {
		t.Fatalf("crisis area mean %v", a.Areas[ksp.AreaCrisis])
	}
	if c := a.ByKind["platform"]; c == nil || c.Overall != nil || c.Orgs != nil {
		t.Fatalf("platform cell over two orgs shown: %+v", c)
	}
	if _, ok := a.ByKind["academia"]; !ok {
		t.Fatal("a kind nobody took is not listed (its absence would say who did)")
	}
}
