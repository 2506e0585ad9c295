package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/kspplatform/ksp"
)

// The self-assessment pages: take the questionnaire, see the results
// with a reading list, and the history of attempts. An organisation sees
// only its own; staff see the suppressed aggregate instead.

func init() {
	funcs["assessmentArea"] = func(a ksp.AssessmentArea) string {
		if info, ok := ksp.CurrentAssessmentTemplate.Area(a); ok {
			return info.Title
		}
		return human(string(a))
	}
	funcs["assessmentLevel"] = func(l string) string {
		return map[string]string{ksp.LevelFoundational: "Foundational", ksp.LevelDeveloping: "Developing", ksp.LevelEstablished: "Established"}[l]
	}
}

func (s *Server) registerAssessment() {
	s.Handle("GET /community/assessment", SignedIn, s.assessmentHome)
	s.Handle("GET /community/assessment/take", SignedIn, s.assessmentTakeForm)
	s.Handle("POST /community/assessment", SignedIn, s.assessmentSubmit)
	s.Handle("GET /community/assessment/{id}", SignedIn, s.assessmentResult)
	s.AddNav(NavItem{Label: "Self-assessment", Path: "/community/assessment", Show: SignedIn})
}

// AssessmentHomeData is the self-assessment page's content.
type AssessmentHomeData struct {
	Staff     bool
	CanTake   bool
	History   []*ksp.Assessment
	Areas     []ksp.AssessmentArea
	Aggregate *ksp.AssessmentAggregate
	MinOrgs   int
	Kinds     []ksp.OrgKind
}

func (s *Server) assessmentHome(w http.ResponseWriter, r *http.Request) error {
	a := ksp.ActorFrom(r.Context())
	d := AssessmentHomeData{Staff: a.Staff, CanTake: a.HasRole(ksp.RoleAnalyst) && !a.Suspended, Areas: ksp.AssessmentAreas, MinOrgs: ksp.AssessmentMinOrgs, Kinds: ksp.MemberKinds}
	var err error
	if a.Staff {
		if d.Aggregate, err = s.store.AssessmentAggregate(r.Context()); err != nil {
			return err
		}
	} else if d.History, _, err = s.store.FindAssessments(r.Context(), ksp.Page{Limit: 50}); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "community_assessment.html", &Page{Title: "Self-assessment", Data: d})
}

// AssessmentFormData is the questionnaire's content.
type AssessmentFormData struct {
	Sections []AssessmentSection
}

// AssessmentSection is one area's questions, as radio groups.
type AssessmentSection struct {
	Info      ksp.AssessmentAreaInfo
	Questions []AssessmentFormQuestion
}

// AssessmentFormQuestion is a question ready for the "choices" template.
type AssessmentFormQuestion struct {
	Name, Text, Hint string
	Options          []Choice
}

func (s *Server) assessmentForm(w http.ResponseWriter, r *http.Request, status int, p *Page) error {
	if a := ksp.ActorFrom(r.Context()); !a.HasRole(ksp.RoleAnalyst) || a.Suspended {
		return ksp.Errorf(ksp.EFORBIDDEN, "taking the self-assessment needs the analyst role")
	}
	tpl := &ksp.CurrentAssessmentTemplate
	var d AssessmentFormData
	for _, info := range tpl.Areas {
		sec := AssessmentSection{Info: info}
		for _, q := range tpl.Questions {
			if q.Area != info.ID {
				continue
			}
			fq := AssessmentFormQuestion{Name: "answers." + q.ID, Text: q.Text, Hint: q.Hint}
			for _, o := range q.Options {
				fq.Options = append(fq.Options, Choice{Value: o.ID, Label: o.Text})
			}
			sec.Questions = append(sec.Questions, fq)
		}
		d.Sections = append(d.Sections, sec)
	}
	p.Title, p.Data = "Take the self-assessment", d
	return s.render(w, r, status, "community_assessment_take.html", p)
}

func (s *Server) assessmentTakeForm(w http.ResponseWriter, r *http.Request) error {
	// A retake starts from the previous answers.
	form := url.Values{}
	if prev, _, err := s.store.FindAssessments(r.Context(), ksp.Page{Limit: 1}); err == nil && len(prev) == 1 {
		for q, a := range prev[0].Answers {
			form.Set("answers."+q, a)
		}
	}
	return s.assessmentForm(w, r, http.StatusOK, &Page{Form: form})
}

func (s *Server) assessmentSubmit(w http.ResponseWriter, r *http.Request) error {
	in := ksp.AssessmentInput{Answers: map[string]string{}}
	for k, v := range r.PostForm {
		if q, ok := strings.CutPrefix(k, "answers."); ok && len(v) > 0 {
			in.Answers[q] = v[0]
		}
	}
	as, err := s.store.SubmitAssessment(r.Context(), in)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		labels := map[string]string{}
		for _, q := range ksp.CurrentAssessmentTemplate.Questions {
			labels["answers."+q.ID] = q.Text
		}
		errs := formErrors(err, labels, "")
		for i := range errs {
			if strings.HasSuffix(errs[i].Message, ": required") || strings.HasPrefix(errs[i].Message, "Enter ") {
				errs[i].Message = "Answer: " + labels[errs[i].Field]
			}
		}
		return s.assessmentForm(w, r, http.StatusBadRequest, &Page{Form: r.PostForm, Errors: errs})
	}
	if err != nil {
		return err
	}
	s.flash(w, r, "success", "Assessment saved. Only your organisation can see it; the programme's staff see only figures over three organisations or more.")
	return redirect(w, r, "/community/assessment/"+as.ID)
}

// AssessmentResultData is a result page's content.
type AssessmentResultData struct {
	Assessment *ksp.Assessment
	Previous   *ksp.Assessment
	// Change is the per-area change in points of percentage since the
	// previous attempt.
	Change map[ksp.AssessmentArea]int
}

func (s *Server) assessmentResult(w http.ResponseWriter, r *http.Request) error {
	as, err := s.store.FindAssessmentByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	d := AssessmentResultData{Assessment: as, Change: map[ksp.AssessmentArea]int{}}
	hist, _, err := s.store.FindAssessments(r.Context(), ksp.Page{Limit: 100})
	if err != nil {
		return err
	}
	for i, h := range hist {
		if h.ID == as.ID && i+1 < len(hist) {
			d.Previous = hist[i+1]
		}
	}
	if d.Previous != nil {
		prev := map[ksp.AssessmentArea]int{}
		for _, sc := range d.Previous.Scores {
			prev[sc.Area] = sc.Percent
		}
		for _, sc := range as.Scores {
			d.Change[sc.Area] = sc.Percent - prev[sc.Area]
		}
	}
	return s.render(w, r, http.StatusOK, "community_assessment_result.html", &Page{Title: "Self-assessment results", Data: d})
}
