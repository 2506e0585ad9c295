package ksp

import (
	"testing"
)

func TestScoreAssessment(t *testing.T) {
	tpl := &CurrentAssessmentTemplate
	all := func(opt string) map[string]string {
		m := map[string]string{}
		for _, q := range tpl.Questions {
			m[q.ID] = opt
		}
		return m
	}
	mixed := all("full")
	// Policies: 0+0+3 of 9 → 33 % foundational; enforcement 2+2+2 of 9 → 66 % developing.
	mixed["pol_definition"], mixed["pol_public"] = "none", "none"
	mixed["enf_reporting"], mixed["enf_hashing"], mixed["enf_review"] = "mostly", "mostly", "mostly"
	tests := []struct {
		name    string
		answers map[string]string
		overall int
		levels  map[AssessmentArea]string
		recs    int
	}{
		{"nothing in place", all("none"), 0, map[AssessmentArea]string{AreaPolicies: LevelFoundational, AreaHumanRights: LevelFoundational}, 5},
		{"everything in place", all("full"), 100, map[AssessmentArea]string{AreaCrisis: LevelEstablished}, 0},
		{"mixed", mixed, 100 * (42 - 6 - 3) / 42, map[AssessmentArea]string{AreaPolicies: LevelFoundational, AreaEnforcement: LevelDeveloping, AreaTransparency: LevelEstablished}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f Fields
			scores, overall, recs := ScoreAssessment(tpl, tt.answers, &f)
			if err := f.Err(); err != nil {
				t.Fatal(err)
			}
			if overall != tt.overall {
				t.Fatalf("overall %d, want %d", overall, tt.overall)
			}
			for _, s := range scores {
				if want, ok := tt.levels[s.Area]; ok && s.Level != want {
					t.Fatalf("%s: level %s (%d %%), want %s", s.Area, s.Level, s.Percent, want)
				}
			}
			if len(recs) != tt.recs {
				t.Fatalf("%d recommendations, want %d: %+v", len(recs), tt.recs, recs)
			}
			for _, r := range recs {
				if len(r.Tags) == 0 || r.Text == "" {
					t.Fatalf("recommendation without reading: %+v", r)
				}
			}
		})
	}
}

func TestScoreAssessmentRefuses(t *testing.T) {
	for name, c := range map[string]struct {
		edit  func(m map[string]string)
		field string
	}{
		"unknown question": {func(m map[string]string) { m["zzz"] = "full" }, "answers.zzz"},
		"unknown answer":   {func(m map[string]string) { m["tra_report"] = "sometimes" }, "answers.tra_report"},
		"score as answer":  {func(m map[string]string) { m["tra_report"] = "3" }, "answers.tra_report"},
		"missing":          {func(m map[string]string) { delete(m, "hr_notice") }, "answers.hr_notice"},
		"blank":            {func(m map[string]string) { m["hr_notice"] = " " }, "answers.hr_notice"},
	} {
		m := map[string]string{}
		for _, q := range CurrentAssessmentTemplate.Questions {
			m[q.ID] = "full"
		}
		c.edit(m)
		var f Fields
		ScoreAssessment(&CurrentAssessmentTemplate, m, &f)
		if len(f) != 1 || f[0].Field != c.field {
			t.Fatalf("%s: fields %v, want one on %s", name, f, c.field)
		}
	}
}

// Every area has questions, a reading list and recommendation texts.
func TestAssessmentTemplateComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, q := range CurrentAssessmentTemplate.Questions {
		if seen[q.ID] || len(q.Options) == 0 {
			t.Fatalf("question %s repeated or without options", q.ID)
		}
		seen[q.ID] = true
	}
	for _, a := range AssessmentAreas {
		info, ok := CurrentAssessmentTemplate.Area(a)
		if !ok || len(info.Tags) == 0 || recommendationText[a][0] == "" || recommendationText[a][1] == "" {
			t.Fatalf("area %s incomplete", a)
		}
		n := 0
		for _, q := range CurrentAssessmentTemplate.Questions {
			if q.Area == a {
				n++
			}
		}
		if n == 0 {
			t.Fatalf("area %s has no questions", a)
		}
	}
}

// BenchmarkScoreAssessment scores one complete questionnaire.
func BenchmarkScoreAssessment(b *testing.B) {
	answers := map[string]string{}
	for i, q := range CurrentAssessmentTemplate.Questions {
		answers[q.ID] = q.Options[i%len(q.Options)].ID
	}
	b.ReportAllocs()
	for b.Loop() {
		var f Fields
		ScoreAssessment(&CurrentAssessmentTemplate, answers, &f)
		if len(f) > 0 {
			b.Fatal(f.Err())
		}
	}
}
