package web

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/storetest"
)

// TestCasePages: a platform's analyst works its queue (dashboard panel,
// case page with the signal's labels and basis, a refused then accepted
// decision, statements export, preservation list, legal hold); another
// member and staff get 404 on the case, staff see only counts; forms need
// CSRF.
func TestCasePages(t *testing.T) {
	h := newHarness(t, Config{})
	m := seedMembers(h)
	in := storetest.Submission(1, ksp.DistMembers, ksp.TLPGreen)
	in.Severity, in.Labels = "crisis", []string{"attack_content"}
	sig := h.submit(m.b, in)
	c, _, err := h.db.OpenCase(asUser(m.a), ksp.CaseInput{ContentRef: "https://clipshare.example/v/9", Matches: []ksp.CaseMatchInput{{SignalID: sig.ID, Distance: 5}}})
	if err != nil {
		t.Fatal(err)
	}

	pa := h.client()
	pa.signIn(m.a, 0)
	pa.want(pa.get("/dashboard"), 200, "Cases to review", "https://clipshare.example/v/9")
	pa.want(pa.get("/cases"), 200, "Open cases, most urgent first", "https://clipshare.example/v/9")
	pa.want(pa.get("/cases?view=unassigned"), 200, "https://clipshare.example/v/9")
	pa.want(pa.get("/cases?view=decided"), 200, "No cases here.")
	pa.want(pa.get("/cases/"+c.ID), 200, "Attack content", "Branded publication", "Crisis", "Record decision", "of 10")
	// Bad input: the field is named, nothing recorded.
	pa.want(pa.post("/cases/"+c.ID+"/decision", url.Values{"decision": {"remove"}}), 400, "Policy clause: required")
	if got, _ := h.db.FindCaseByID(asUser(m.a), c.ID); got.Decision != nil {
		t.Fatal("a refused decision was recorded")
	}
	pa.want(pa.post("/cases/"+c.ID+"/decision", url.Values{"csrf": {"forged"}, "decision": {"keep"}, "policy_clause": {"x"}}), 403)
	pa.get("/cases/" + c.ID)
	pa.want(pa.post("/cases/"+c.ID+"/assign", url.Values{"user_id": {m.a.user.ID}}), 200, "Assignment saved.")
	pa.want(pa.get("/cases?view=mine"), 200, "https://clipshare.example/v/9")
	pa.get("/cases/" + c.ID)
	pa.want(pa.post("/cases/"+c.ID+"/decision", url.Values{"decision": {"remove"}, "policy_clause": {"Rules §3"}, "ground": {"incompatible_content"}, "note": {"=cmd()"}}),
		200, "Decision recorded: Remove.", "Feedback True positive filed", "Statement of reasons written.", "Evidence kept until", "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY")
	pa.want(pa.get("/cases/statements"), 200, "Download CSV", c.ID, "DECISION_GROUND_INCOMPATIBLE_CONTENT")
	res := pa.get("/cases/statements.csv")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(pa.body, "case_id,decision_id,puid") ||
		!strings.Contains(pa.body, c.ID) || strings.Contains(pa.body, ",=cmd") {
		t.Fatalf("CSV export: %d %s\n%s", res.StatusCode, res.Header.Get("Content-Type"), pa.body)
	}
	pa.want(pa.get("/cases/statements.json"), 200, `"category_specification":["KEYWORD_TERRORIST_CONTENT"]`)
	pa.want(pa.get("/cases/statements?from=yesterday"), 400, "a date as YYYY-MM-DD")
	// The org admin's transparency draft counts the statement by ground.
	ad := h.client()
	ad.signIn(h.user(m.a.org, "admin@clipshare.example", ksp.RoleAdmin, true), 0)
	today := time.Now().UTC().Format(time.DateOnly)
	ad.want(ad.get("/transparency/draft?from="+today+"&to="+today), 200, "| Statements of reasons issued | 1 |",
		"| Ground: incompatible with our terms of service | 1 |", "| Measure: content removed | 1 |")
	pa.want(pa.get("/cases/preservation"), 200, "https://clipshare.example/v/9")
	pa.get("/cases/" + c.ID)
	pa.want(pa.post("/cases/"+c.ID+"/legal-hold", url.Values{"hold": {"true"}}), 200, "Legal hold set", "Legal hold")

	// Another member and staff: 404 on the case and its forms; staff see
	// counts only.
	pb := h.client()
	pb.signIn(m.b, 0)
	pb.want(pb.get("/cases/"+c.ID), 404)
	pb.want(pb.get("/cases"), 200, "No cases here.")
	pb.get("/cases")
	pb.want(pb.post("/cases/"+c.ID+"/assign", url.Values{"user_id": {m.b.user.ID}}), 404)
	st := h.client()
	st.signIn(m.staff, 0)
	st.want(st.get("/cases/"+c.ID), 404)
	st.want(st.get("/cases"), 200, "only the platform sees them", "Decided")
	if strings.Contains(st.body, "clipshare.example/v/9") {
		t.Error("staff see a case's reference")
	}
	// A viewer of the org reads the case but gets no forms.
	pv := h.client()
	pv.signIn(m.aViewer, 0)
	pv.want(pv.get("/cases/"+c.ID), 200, "Attack content")
	if strings.Contains(pv.body, "Record decision") || strings.Contains(pv.body, "Lift legal hold") {
		t.Error("a viewer is offered the case's forms")
	}
}

func TestCaseDecisionLabel(t *testing.T) {
	for d, want := range map[string]string{"remove": "Remove", "restrict": "Restrict", "keep": "Keep (no violation)", "escalate": "Escalate"} {
		if got := caseDecisionLabel(d); got != want {
			t.Errorf("%s: %q, want %q", d, got, want)
		}
	}
}
