package ksp

import (
	"context"
	"slices"
	"strings"
)

// AssessmentArea is one area of counter-terrorism readiness the
// self-assessment scores.
type AssessmentArea string

// The areas, in the order the questionnaire asks them.
const (
	AreaPolicies     AssessmentArea = "policies"
	AreaEnforcement  AssessmentArea = "enforcement"
	AreaTransparency AssessmentArea = "transparency"
	AreaCrisis       AssessmentArea = "crisis_response"
	AreaHumanRights  AssessmentArea = "human_rights"
)

// AssessmentAreas lists every area in questionnaire order.
var AssessmentAreas = []AssessmentArea{AreaPolicies, AreaEnforcement, AreaTransparency, AreaCrisis, AreaHumanRights}

// AssessmentMinOrgs is the fewest organisations an aggregate of
// assessments may describe; a smaller one is suppressed, since with one or
// two orgs the "aggregate" would be an org's own answers.
const AssessmentMinOrgs = 3

// AssessmentOption is one answer a question offers, with its score.
type AssessmentOption struct {
	ID    string `json:"id"`
	Text  string `json:"text"`
	Score int    `json:"score"`
}

// AssessmentQuestion is one question of the template.
type AssessmentQuestion struct {
	ID      string             `json:"id"`
	Area    AssessmentArea     `json:"area"`
	Text    string             `json:"text"`
	Hint    string             `json:"hint,omitempty"`
	Options []AssessmentOption `json:"options"`
}

// AssessmentAreaInfo names and explains an area, and says what to read
// when it scores low: library resources carrying one of Tags.
type AssessmentAreaInfo struct {
	ID          AssessmentArea `json:"id"`
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Tags        []string       `json:"tags"`
}

// AssessmentTemplate is the questionnaire.
type AssessmentTemplate struct {
	Version   string               `json:"version"`
	Areas     []AssessmentAreaInfo `json:"areas"`
	Questions []AssessmentQuestion `json:"questions"`
}

// AreaScore is an area's result: points out of the maximum, and the
// percentage (rounded down) that levels and recommendations read.
type AreaScore struct {
	Area    AssessmentArea `json:"area"`
	Points  int            `json:"points"`
	Max     int            `json:"max"`
	Percent int            `json:"percent"`
	Level   string         `json:"level"`
}

// Recommendation is what an org should read or do next for an area,
// pointing at library resources by tag (the reader sees those it may).
type Recommendation struct {
	Area  AssessmentArea `json:"area"`
	Text  string         `json:"text"`
	Tags  []string       `json:"tags"`
	Level string         `json:"level"`
	// Reading is the library resources carrying those tags that the
	// reader may see (filled on single reads).
	Reading []ResourceRef `json:"reading"`
}

// ResourceRef names a library resource.
type ResourceRef struct {
	ID    string       `json:"id"`
	Kind  ResourceKind `json:"kind"`
	Title string       `json:"title"`
}

// Assessment is one completed self-assessment of an organisation. Only the
// organisation itself reads it: staff see aggregates only.
type Assessment struct {
	ID              string            `json:"id"`
	OrgID           string            `json:"org_id"`
	Template        string            `json:"template"`
	Answers         map[string]string `json:"answers"`
	Scores          []AreaScore       `json:"scores"`
	Overall         int               `json:"overall"`
	Recommendations []Recommendation  `json:"recommendations"`
	Created         Time              `json:"created_at"`
}

// AssessmentInput is a submitted questionnaire: question id → option id.
type AssessmentInput struct {
	Answers map[string]string `json:"answers"`
}

// AssessmentAggregate is what staff see of assessments: means over each
// organisation's latest assessment. Every figure over fewer than
// AssessmentMinOrgs organisations is null and its path listed in
// Suppressed, as in the transparency report.
type AssessmentAggregate struct {
	Orgs       *int                      `json:"orgs"`
	Overall    *int                      `json:"overall"`
	Areas      map[AssessmentArea]*int   `json:"areas"`
	ByKind     map[string]*AggregateCell `json:"by_kind"`
	Suppressed []string                  `json:"suppressed"`
	Template   string                    `json:"template"`
}

// AggregateCell is one group's figures in an aggregate.
type AggregateCell struct {
	Orgs    *int `json:"orgs"`
	Overall *int `json:"overall"`
}

// AssessmentService keeps organisations' self-assessments. Reads return
// the actor's own organisation's assessments only, whoever asks: this is
// one of the two exceptions to "staff see everything".
type AssessmentService interface {
	// SubmitAssessment scores and keeps a completed questionnaire of the
	// actor's org (analysts and admins).
	SubmitAssessment(ctx context.Context, in AssessmentInput) (*Assessment, error)
	// FindAssessments lists the actor's org's assessments, newest first.
	FindAssessments(ctx context.Context, p Page) ([]*Assessment, string, error)
	// FindAssessmentByID returns one of the actor's org's assessments;
	// any other is not found, for staff too.
	FindAssessmentByID(ctx context.Context, id string) (*Assessment, error)
	// AssessmentAggregate returns the suppressed aggregate (staff).
	AssessmentAggregate(ctx context.Context) (*AssessmentAggregate, error)
}

// Score levels.
const (
	LevelFoundational = "foundational"
	LevelDeveloping   = "developing"
	LevelEstablished  = "established"
)

// AssessmentLevel names the level of a percentage.
func AssessmentLevel(percent int) string {
	switch {
	case percent < 40:
		return LevelFoundational
	case percent < 75:
		return LevelDeveloping
	}
	return LevelEstablished
}

// options returns the usual four-step scale with question-specific wording.
func options(none, some, most, all string) []AssessmentOption {
	return []AssessmentOption{{"none", none, 0}, {"partial", some, 1}, {"mostly", most, 2}, {"full", all, 3}}
}

// CurrentAssessmentTemplate is the questionnaire members take now. Its
// Version is stored with each assessment, so a later edition does not
// re-score earlier ones.
var CurrentAssessmentTemplate = AssessmentTemplate{
	Version: "2026-1",
	Areas: []AssessmentAreaInfo{
		{AreaPolicies, "Policies", "Whether your terms of service and community rules say what terrorist and violent extremist content is and what happens to it.", []string{"terms-of-service", "policy"}},
		{AreaEnforcement, "Enforcement", "How you find and act on such content: reports, hashing, human review.", []string{"hashing", "human-review", "hash-sharing"}},
		{AreaTransparency, "Transparency", "Whether you publish what you remove, why, and on whose request.", []string{"transparency", "reporting"}},
		{AreaCrisis, "Crisis response", "Whether you are ready for a live-streamed attack or viral perpetrator content.", []string{"incident-response", "crisis"}},
		{AreaHumanRights, "Human-rights safeguards", "Appeals, error correction and protection of legitimate speech such as journalism and research.", []string{"appeals", "false-positives"}},
	},
	Questions: []AssessmentQuestion{
		{"pol_definition", AreaPolicies, "Do your terms of service define terrorist and violent extremist content?", "A definition users can read, ideally referring to designation lists or behaviours.",
			options("No", "Only a general ban on illegal content", "Yes, in general terms", "Yes, with examples and references to designation lists")},
		{"pol_public", AreaPolicies, "Are your enforcement rules published and kept up to date?", "",
			options("No", "Published once, not reviewed", "Published and reviewed occasionally", "Published, reviewed at least yearly, with a change log")},
		{"pol_exceptions", AreaPolicies, "Do your rules say how you treat newsworthy, documentary or research uses?", "",
			options("No", "Informally", "Yes, in internal guidance", "Yes, publicly, with examples")},
		{"enf_reporting", AreaEnforcement, "Can users and trusted flaggers report terrorist content easily?", "",
			options("No reporting channel", "A general contact address", "An in-product report option", "In-product reporting with a dedicated category and priority handling")},
		{"enf_hashing", AreaEnforcement, "Do you match uploads against shared hashes of known terrorist content?", "For example this programme's hash bank.",
			options("No", "Manually, now and then", "Automatically for some content types", "Automatically for all uploads, with human review of matches")},
		{"enf_review", AreaEnforcement, "Are moderation decisions on terrorist content made or checked by trained people?", "",
			options("No dedicated people", "Ad hoc, without training", "Trained people, no quality checks", "Trained people with quality checks and wellbeing support")},
		{"tra_report", AreaTransparency, "Do you publish a transparency report covering terrorist content?", "",
			options("No", "Occasionally, without figures on terrorism", "Yearly, with figures on terrorism", "At least yearly, with figures by source, action and appeal outcome")},
		{"tra_orders", AreaTransparency, "Do you publish government requests and removal orders you received?", "",
			options("No", "On request", "In aggregate", "In aggregate, by country and outcome")},
		{"cri_plan", AreaCrisis, "Do you have a written plan for a live-streamed attack?", "",
			options("No", "Informal understanding", "A written plan", "A written plan, exercised in the last year")},
		{"cri_contact", AreaCrisis, "Can the programme and law enforcement reach a decision-maker at any hour?", "",
			options("No", "During office hours", "A monitored address around the clock", "A named on-call person with authority to act")},
		{"cri_sharing", AreaCrisis, "Do you share hashes of perpetrator content with peers during a crisis?", "",
			options("No", "Ad hoc", "Through the programme when asked", "Routinely and within the hour of activation")},
		{"hr_appeals", AreaHumanRights, "Can users appeal a removal for terrorist content?", "",
			options("No", "By email, without a deadline", "Yes, with a deadline for a decision", "Yes, reviewed by someone other than the first decider, with outcomes published")},
		{"hr_notice", AreaHumanRights, "Do you tell users why their content was removed?", "",
			options("No", "A generic notice", "A notice naming the rule", "A statement of reasons naming the rule, the evidence type and how to appeal")},
		{"hr_errors", AreaHumanRights, "Do you track and correct wrongful removals?", "For example false positives from hash matching.",
			options("No", "When someone complains", "Measured now and then", "Measured regularly, reported back to hash sources, and published")},
	},
}

// recommendationText says what to do about an area at a level.
var recommendationText = map[AssessmentArea][2]string{
	AreaPolicies:     {"Write down what terrorist and violent extremist content means on your service: start from the model terms-of-service clauses.", "Review your published rules against the model clauses, and add public guidance on newsworthy and research uses."},
	AreaEnforcement:  {"Set up a reporting channel and start matching uploads against the shared hash bank, with a person reviewing every match.", "Extend automatic hash matching to every upload type, and add quality checks to human review."},
	AreaTransparency: {"Publish a first transparency report on terrorist content: the starter template lists the figures to begin with.", "Break your report down by source, action and appeal outcome, and add government requests by country."},
	AreaCrisis:       {"Write an incident-response plan for a live-streamed attack and name an on-call decision-maker.", "Exercise your incident plan yearly and agree to share perpetrator-content hashes within the hour of an activation."},
	AreaHumanRights:  {"Give users a statement of reasons and a way to appeal every removal for terrorist content.", "Have appeals reviewed by a second person, measure wrongful removals and report them back to hash sources."},
}

// Area returns an area's description in the template.
func (t *AssessmentTemplate) Area(a AssessmentArea) (AssessmentAreaInfo, bool) {
	for _, x := range t.Areas {
		if x.ID == a {
			return x, true
		}
	}
	return AssessmentAreaInfo{}, false
}

// ScoreAssessment checks answers against the template and returns the
// per-area scores, the overall percentage and the recommendations for
// every area not yet established. Every question must be answered with
// one of its options; problems are recorded in f as answers.<question>.
func ScoreAssessment(t *AssessmentTemplate, answers map[string]string, f *Fields) ([]AreaScore, int, []Recommendation) {
	known := map[string]*AssessmentQuestion{}
	for i := range t.Questions {
		known[t.Questions[i].ID] = &t.Questions[i]
	}
	var unknown []string
	for q := range answers {
		if known[q] == nil {
			unknown = append(unknown, q)
		}
	}
	slices.Sort(unknown)
	for _, q := range unknown {
		if len(q) > 60 {
			q = q[:60]
		}
		f.Add("answers."+q, "no such question in template "+t.Version)
	}
	points := map[AssessmentArea]int{}
	max := map[AssessmentArea]int{}
	for _, q := range t.Questions {
		best := 0
		for _, o := range q.Options {
			best = maxInt(best, o.Score)
		}
		max[q.Area] += best
		a, ok := answers[q.ID]
		if !ok || strings.TrimSpace(a) == "" {
			f.Add("answers."+q.ID, "required")
			continue
		}
		i := slices.IndexFunc(q.Options, func(o AssessmentOption) bool { return o.ID == a })
		if i < 0 {
			ids := make([]string, len(q.Options))
			for j, o := range q.Options {
				ids[j] = o.ID
			}
			f.Add("answers."+q.ID, "must be one of "+strings.Join(ids, ", "))
			continue
		}
		points[q.Area] += q.Options[i].Score
	}
	var scores []AreaScore
	var recs []Recommendation
	total, totalMax := 0, 0
	for _, info := range t.Areas {
		s := AreaScore{Area: info.ID, Points: points[info.ID], Max: max[info.ID]}
		if s.Max > 0 {
			s.Percent = 100 * s.Points / s.Max
		}
		s.Level = AssessmentLevel(s.Percent)
		scores = append(scores, s)
		total, totalMax = total+s.Points, totalMax+s.Max
		if r, ok := RecommendationFor(t, s); ok {
			recs = append(recs, r)
		}
	}
	overall := 0
	if totalMax > 0 {
		overall = 100 * total / totalMax
	}
	if recs == nil {
		recs = []Recommendation{}
	}
	return scores, overall, recs
}

// RecommendationFor returns what to do about an area given its score: a
// first step when foundational, a next step when developing, nothing when
// established.
func RecommendationFor(t *AssessmentTemplate, s AreaScore) (Recommendation, bool) {
	info, ok := t.Area(s.Area)
	level := AssessmentLevel(s.Percent)
	if !ok || level == LevelEstablished {
		return Recommendation{}, false
	}
	text := recommendationText[s.Area]
	r := Recommendation{Area: s.Area, Tags: slices.Clone(info.Tags), Level: level, Text: text[0], Reading: []ResourceRef{}}
	if level == LevelDeveloping {
		r.Text = text[1]
	}
	return r, true
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}
