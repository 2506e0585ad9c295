package web

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
)

var assessmentURLRE = regexp.MustCompile(`/community/assessment/([0-9a-f-]{36})$`)

func assessmentFormAll(option string) url.Values {
	f := url.Values{}
	for _, q := range ksp.CurrentAssessmentTemplate.Questions {
		f.Set("answers."+q.ID, option)
	}
	return f
}

// TestAssessmentPages takes the questionnaire in the browser (a missing
// answer first), reads the results and reading list, retakes it, and
// checks that neither staff nor another organisation can open the
// results: staff get the suppressed aggregate.
func TestAssessmentPages(t *testing.T) {
	h := newHarness(t, Config{})
	m := seedMembers(h)
	res := &ksp.Resource{Kind: ksp.ResourceTemplate, Title: "Model terms-of-service clauses", Summary: "s", Body: "b", Tags: []string{"terms-of-service"},
		Language: "en", Sharing: ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen}}
	if err := h.db.CreateResource(asUser(m.b), res); err != nil {
		t.Fatal(err)
	}
	awayFromStepEdge()
	a := h.client()
	a.signIn(m.a, 0)
	a.want(a.get("/community/assessment"), 200, "has not taken the self-assessment yet", "Take the self-assessment")
	a.want(a.get("/community/assessment/take"), 200, "Crisis response", "Do your terms of service define")
	partial := assessmentFormAll("partial")
	partial.Del("answers.cri_plan")
	a.want(a.post("/community/assessment", partial), 400, "There is a problem", `href="#f-answers.cri_plan"`, "Answer: Do you have a written plan")
	res2 := a.post("/community/assessment", assessmentFormAll("partial"))
	a.want(res2, 200, "Your results: 33 %", "Foundational", "Model terms-of-service clauses", "What to do next")
	first := assessmentURLRE.FindStringSubmatch(res2.Request.URL.Path)[1]
	a.want(a.get("/community/assessment/take"), 200)
	if !strings.Contains(a.body, `value="partial" checked`) {
		t.Fatal("a retake does not start from the previous answers")
	}
	a.want(a.post("/community/assessment", assessmentFormAll("full")), 200, "Your results: 100 %", "+67 points", "Every area is established")
	a.want(a.get("/community/assessment"), 200, "Your progress", "100 %", "33 %")

	// The attack: staff and another org open the first result.
	s := h.client()
	s.signIn(m.staff, 0)
	s.want(s.get("/community/assessment/"+first), 404)
	s.want(s.get("/community/assessment"), 200, "staff see only the figures below")
	if strings.Contains(s.body, "33 %") || strings.Contains(s.body, "100 %") {
		t.Fatal("staff see a figure over one organisation")
	}
	b := h.client()
	b.signIn(m.b, 0)
	b.want(b.get("/community/assessment/"+first), 404)
	b.want(b.get("/community/assessment"), 200, "has not taken")
	// Viewers may read their org's history but not take it.
	v := h.client()
	v.signIn(m.aViewer, 0)
	v.want(v.get("/community/assessment"), 200, "Your progress", "100 %")
	v.want(v.get("/community/assessment/take"), 403)
}
