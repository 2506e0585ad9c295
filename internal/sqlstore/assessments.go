package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kspplatform/ksp"
)

// Self-assessments are read by their own organisation only. Unlike every
// other item, staff are no exception: the queries below filter on the
// actor's org_id whoever the actor is, and staff get only the suppressed
// aggregate.

// assessmentAuthor checks the actor may take the questionnaire for its org.
func assessmentAuthor(ctx context.Context) (*ksp.Actor, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	if !a.HasRole(ksp.RoleAnalyst) {
		return nil, ksp.Errorf(ksp.EFORBIDDEN, "taking the self-assessment needs the analyst role")
	}
	if a.Suspended {
		return nil, errSuspended("take the self-assessment")
	}
	return a, nil
}

// SubmitAssessment scores a completed questionnaire and keeps it for the
// actor's org.
func (db *DB) SubmitAssessment(ctx context.Context, in ksp.AssessmentInput) (*ksp.Assessment, error) {
	a, err := assessmentAuthor(ctx)
	if err != nil {
		return nil, err
	}
	tpl := &ksp.CurrentAssessmentTemplate
	var f ksp.Fields
	if len(in.Answers) > 10*len(tpl.Questions) {
		f.Add("answers", "too many answers")
		return nil, f.Err()
	}
	scores, overall, recs := ksp.ScoreAssessment(tpl, in.Answers, &f)
	if err := f.Err(); err != nil {
		return nil, err
	}
	as := &ksp.Assessment{OrgID: a.OrgID, Template: tpl.Version, Answers: in.Answers, Scores: scores, Overall: overall, Recommendations: recs}
	err = db.write(ctx, func(tx *Tx) error {
		as.ID = ksp.NewID()
		as.Created = tx.now
		answers, err := json.Marshal(as.Answers)
		if err != nil {
			return fmt.Errorf("assessment answers: %w", err)
		}
		if _, err := tx.exec(`INSERT INTO assessments (id, org_id, submitted_by, template, answers, scores, overall, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			as.ID, as.OrgID, a.AuditName(), as.Template, string(answers), jsonList(as.Scores), as.Overall, micros(as.Created)); err != nil {
			return fmt.Errorf("insert assessment: %w", err)
		}
		// The audit trail records that an assessment was taken, not its
		// answers: those are the org's alone.
		return tx.audit("assessment.submit", "assessment:"+as.ID, a.OrgID, nil)
	})
	if err != nil {
		return nil, err
	}
	if err := db.attachReading(ctx, as); err != nil {
		return nil, err
	}
	return as, nil
}

// maxReading bounds the resources listed under one recommendation.
const maxReading = 5

// attachReading fills each recommendation's reading list with the library
// resources carrying its tags that the actor may see (the library's own
// sharing rule applies: FindResources).
func (db *DB) attachReading(ctx context.Context, as *ksp.Assessment) error {
	for i := range as.Recommendations {
		r := &as.Recommendations[i]
		seen := map[string]bool{}
		r.Reading = []ksp.ResourceRef{}
		for _, tag := range r.Tags {
			tag := tag
			list, _, err := db.FindResources(ctx, ksp.ResourceFilter{Tag: &tag, Page: ksp.Page{Limit: maxReading}})
			if err != nil {
				return fmt.Errorf("assessment reading: %w", err)
			}
			for _, res := range list {
				if !seen[res.ID] && len(r.Reading) < maxReading {
					seen[res.ID] = true
					r.Reading = append(r.Reading, ksp.ResourceRef{ID: res.ID, Kind: res.Kind, Title: res.Title})
				}
			}
		}
	}
	return nil
}

const assessmentCols = `id, org_id, template, answers, scores, overall, created_at`

func scanAssessment(sc interface{ Scan(...any) error }) (*ksp.Assessment, error) {
	var as ksp.Assessment
	var answers, scores string
	var created int64
	if err := sc.Scan(&as.ID, &as.OrgID, &as.Template, &answers, &scores, &as.Overall, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(answers), &as.Answers); err != nil {
		return nil, fmt.Errorf("assessment %s answers: %w", as.ID, err)
	}
	if err := json.Unmarshal([]byte(scores), &as.Scores); err != nil {
		return nil, fmt.Errorf("assessment %s scores: %w", as.ID, err)
	}
	as.Created = fromMicros(created)
	// Recommendations follow from the scores; computing them on reading
	// lets better advice reach earlier assessments.
	as.Recommendations = recommendationsFor(as.Scores)
	return &as, nil
}

func recommendationsFor(scores []ksp.AreaScore) []ksp.Recommendation {
	out := []ksp.Recommendation{}
	for _, s := range scores {
		if r, ok := ksp.RecommendationFor(&ksp.CurrentAssessmentTemplate, s); ok {
			out = append(out, r)
		}
	}
	return out
}

// FindAssessments lists the actor's org's assessments, newest first.
func (db *DB) FindAssessments(ctx context.Context, p ksp.Page) ([]*ksp.Assessment, string, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, "", err
	}
	pw, pargs, limit, err := pageQuery(p, "id")
	if err != nil {
		return nil, "", err
	}
	rows, err := db.query(ctx, `SELECT `+assessmentCols+` FROM assessments WHERE org_id = ? AND `+pw+` ORDER BY id DESC LIMIT `+fmt.Sprint(limit), append([]any{a.OrgID}, pargs...)...)
	if err != nil {
		return nil, "", fmt.Errorf("find assessments: %w", err)
	}
	defer rows.Close()
	var out []*ksp.Assessment
	for rows.Next() {
		as, err := scanAssessment(rows)
		if err != nil {
			return nil, "", fmt.Errorf("find assessments: %w", err)
		}
		out = append(out, as)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find assessments: %w", err)
	}
	out, next := cut(out, p, func(as *ksp.Assessment) string { return as.ID })
	return out, next, nil
}

// FindAssessmentByID returns one of the actor's org's assessments.
func (db *DB) FindAssessmentByID(ctx context.Context, id string) (*ksp.Assessment, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	if !ksp.ValidID(id) {
		return nil, ksp.NotFound("assessment")
	}
	as, err := scanAssessment(db.queryRow(ctx, `SELECT `+assessmentCols+` FROM assessments WHERE id = ? AND org_id = ?`, id, a.OrgID))
	if isNoRows(err) {
		return nil, ksp.NotFound("assessment")
	}
	if err != nil {
		return nil, fmt.Errorf("find assessment: %w", err)
	}
	if err := db.attachReading(ctx, as); err != nil {
		return nil, err
	}
	return as, nil
}

// AssessmentAggregate averages each member organisation's latest
// assessment (staff; the staff org's own tries are not counted). Figures over fewer than ksp.AssessmentMinOrgs organisations are
// suppressed.
func (db *DB) AssessmentAggregate(ctx context.Context) (*ksp.AssessmentAggregate, error) {
	if _, err := requireStaff(ctx); err != nil {
		return nil, err
	}
	tpl := &ksp.CurrentAssessmentTemplate
	rows, err := db.query(ctx, `SELECT o.kind, a.scores, a.overall FROM assessments a JOIN orgs o ON o.id = a.org_id
		WHERE a.template = ? AND o.kind <> 'staff' AND a.id = (SELECT MAX(b.id) FROM assessments b WHERE b.org_id = a.org_id AND b.template = ?)`, tpl.Version, tpl.Version)
	if err != nil {
		return nil, fmt.Errorf("assessment aggregate: %w", err)
	}
	defer rows.Close()
	type latest struct {
		kind    string
		scores  []ksp.AreaScore
		overall int
	}
	var all []latest
	for rows.Next() {
		var l latest
		var scores string
		if err := rows.Scan(&l.kind, &scores, &l.overall); err != nil {
			return nil, fmt.Errorf("assessment aggregate: %w", err)
		}
		if err := json.Unmarshal([]byte(scores), &l.scores); err != nil {
			return nil, fmt.Errorf("assessment aggregate: %w", err)
		}
		all = append(all, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("assessment aggregate: %w", err)
	}
	agg := &ksp.AssessmentAggregate{Template: tpl.Version, Areas: map[ksp.AssessmentArea]*int{}, ByKind: map[string]*ksp.AggregateCell{}, Suppressed: []string{}}
	// cell returns n and the mean of vals, or nils when too few orgs.
	cell := func(path string, vals []int) (*int, *int) {
		if len(vals) < ksp.AssessmentMinOrgs {
			agg.Suppressed = append(agg.Suppressed, path)
			return nil, nil
		}
		sum := 0
		for _, v := range vals {
			sum += v
		}
		n, mean := len(vals), sum/len(vals)
		return &n, &mean
	}
	var overall []int
	byArea := map[ksp.AssessmentArea][]int{}
	byKind := map[string][]int{}
	for _, l := range all {
		overall = append(overall, l.overall)
		byKind[l.kind] = append(byKind[l.kind], l.overall)
		for _, s := range l.scores {
			byArea[s.Area] = append(byArea[s.Area], s.Percent)
		}
	}
	agg.Orgs, agg.Overall = cell("overall", overall)
	for _, area := range ksp.AssessmentAreas {
		_, agg.Areas[area] = cell("areas."+string(area), byArea[area])
	}
	// Every member kind is listed, taken or not, so that the keys say
	// nothing of who took the questionnaire.
	for _, kind := range ksp.MemberKinds {
		k := string(kind)
		c := &ksp.AggregateCell{}
		c.Orgs, c.Overall = cell("by_kind."+k, byKind[k])
		agg.ByKind[k] = c
	}
	return agg, nil
}
