package web

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
)

var qaQuestionURL = regexp.MustCompile(`/community/questions/([0-9a-f-]{36})$`)

// TestQAPages walks the community's questions in the browser's way: ask
// (with an error first), answer, vote, accept; and checks who sees what.
func TestQAPages(t *testing.T) {
	h := newHarness(t, Config{})
	m := seedMembers(h)
	a := h.client()
	a.signIn(m.a, 0)
	a.want(a.get("/community"), 200, "Questions to the community")
	a.want(a.get("/community/questions"), 200, "Questions to the community", "No questions you can read yet", `href="/community/questions/new"`)
	a.want(a.get("/community/questions/new"), 200, "Ask the community")
	// An empty question is refused with the input kept.
	a.want(a.post("/community/questions/new", url.Values{"title": {""}, "body": {"We are three people."}, "distribution": {"members"}, "tlp": {"GREEN"}}), 400,
		"Enter question", "We are three people.")
	a.want(a.get("/community/questions/new"), 200)
	res := a.post("/community/questions/new", url.Values{"title": {"How do we write our first terms of service?"}, "body": {"We are **three** people.\n\n# Context\n\nA video app."},
		"tags": {"terms-of-service"}, "distribution": {"members"}, "tlp": {"GREEN"}})
	a.want(res, 200, "Question asked, readable by all members (TLP:GREEN)", "<strong>three</strong>")
	mm := qaQuestionURL.FindStringSubmatch(res.Request.URL.Path)
	if mm == nil {
		t.Fatalf("ended at %s", res.Request.URL.Path)
	}
	qid := mm[1]
	if strings.Count(a.body, "<h1") != 1 {
		t.Error("the question's Markdown added a second h1")
	}

	// The large platform answers: shown as an expert; the asker as "a
	// small platform" (Clipshare did not choose to be named).
	b := h.client()
	b.signIn(m.b, 0)
	b.want(b.get("/community/questions/"+qid), 200, "asked by a small platform", "Vote for this question")
	if strings.Contains(b.body, "Clipshare") {
		t.Error("the unnamed asker's name is shown to another member")
	}
	b.want(b.post("/community/questions/"+qid+"/answers", url.Values{"body": {"  "}}), 400, "Your answer")
	b.want(b.post("/community/questions/"+qid+"/answers", url.Values{"body": {"Start from the *model clauses* in the library."}}), 200,
		"Answer posted", "<em>model clauses</em>", "Expert")
	b.want(b.post("/community/questions/"+qid+"/vote", url.Values{"up": {"1"}}), 200, "Your vote for the question is counted", "1 vote (one is yours)", "Take back your vote")
	if strings.Contains(b.body, "Accept this answer") {
		t.Error("a non-asker is offered to accept")
	}

	// The asker sees the answer and accepts it.
	a.want(a.get("/community/questions/"+qid), 200, "Answer by", "Accept this answer")
	aid := regexp.MustCompile(`/answers/([0-9a-f-]{36})/accept`).FindStringSubmatch(a.body)[1]
	a.want(a.post("/community/questions/"+qid+"/answers/"+aid+"/accept", nil), 200, "Answer accepted", "Accepted answer by")
	// The asker's dashboard shows its question's answers.
	a.want(a.get("/dashboard"), 200, "Your organisation's questions", "1 answer, one accepted")
	// A non-asker posting the accept form is refused.
	b.want(b.get("/community/questions/"+qid), 200)
	b.want(b.post("/community/questions/"+qid+"/answers/"+aid+"/accept", nil), 403)
	// Without the CSRF token nothing happens.
	b.want(b.get("/community/questions/"+qid), 200)
	b.want(b.post("/community/questions/"+qid+"/vote", url.Values{"csrf": {"forged"}, "up": {"0"}}), 403)

	// An owner-only question does not exist for others; a viewer cannot
	// ask; anonymous visitors see only public questions.
	priv := &ksp.Question{Title: "Our internal moderation backlog", Body: "private", Sharing: ksp.Sharing{Distribution: ksp.DistOwner, TLP: ksp.TLPAmber}}
	if err := h.db.CreateQuestion(asUser(m.a), priv); err != nil {
		t.Fatal(err)
	}
	b.want(b.get("/community/questions/"+priv.ID), 404)
	b.want(b.get("/community/questions"), 200, "How do we write our first terms")
	if strings.Contains(b.body, "moderation backlog") {
		t.Error("another org's owner-only question listed")
	}
	b.want(b.get("/community/questions?q=moderation+backlog"), 200, "No question you can read matches")
	b.want(b.get("/community/questions?q=terms+service"), 200, "/community/questions/"+qid, "<mark>")
	b.want(b.get("/search?q=terms+service&type=question"), 200, "/community/questions/"+qid)
	v := h.client()
	v.signIn(m.aViewer, 0)
	v.want(v.get("/community/questions/new"), 403, "You cannot post here")
	anon := h.client()
	anon.want(anon.get("/community/questions"), 200, "No questions you can read yet")
	anon.want(anon.get("/community/questions/"+qid), 404)
}

// TestMentorshipPages walks a mentorship through its pages: request (an
// unknown topic refused first), offer, staff's match, a session, the
// status; an outsider sees nothing.
func TestMentorshipPages(t *testing.T) {
	h := newHarness(t, Config{})
	m := seedMembers(h)
	a := h.client()
	a.signIn(m.a, 0)
	a.want(a.get("/community/mentorship"), 200, "Mentoring", "No mentorships yet")
	a.want(a.get("/community/mentorship/new"), 200, "Request mentoring", "Terms of service")
	a.want(a.post("/community/mentorship/new", url.Values{"topics": {"astrology"}}), 400, "unknown topic")
	a.want(a.get("/community/mentorship/new"), 200)
	res := a.post("/community/mentorship/new", url.Values{"topics": {"terms_of_service", "transparency"}, "note": {"Our first ToS"}})
	a.want(res, 200, "Mentoring requested", "Not matched yet")
	id := res.Request.URL.Path[strings.LastIndex(res.Request.URL.Path, "/")+1:]

	b := h.client()
	b.signIn(m.b, 0)
	b.want(b.get("/community/mentorship/"+id), 404)
	b.want(b.get("/community/mentorship/offer"), 200, "Offer to mentor")
	b.want(b.post("/community/mentorship/offer", url.Values{"topics": {"terms_of_service", "transparency", "tooling"}, "note": {"Ten years of policy work"}}), 200,
		"your organisation offers to mentor on Terms of service, Transparency reporting, Tooling")

	s := h.client()
	s.signIn(m.staff, 0)
	s.want(s.get("/community/mentorship/"+id), 200, "Match with a mentor", "Vidstream")
	a.want(a.get("/community/mentorship"), 200)
	a.want(a.post("/community/mentorship/"+id+"/match", url.Values{"mentor_org_id": {m.b.org.ID}}), 404)
	s.want(s.post("/community/mentorship/"+id+"/match", url.Values{"mentor_org_id": {m.b.org.ID}}), 200, "Matched with Vidstream")

	b.want(b.get("/community/mentorship/"+id), 200, "Log a session", "Mark as started")
	b.want(b.post("/community/mentorship/"+id+"/sessions", url.Values{"held_on": {"soon"}, "minutes": {"30"}}), 400, "Date")
	b.want(b.post("/community/mentorship/"+id+"/sessions", url.Values{"held_on": {"2026-01-05"}, "minutes": {"45"}, "notes": {"Walked through the model clauses"}}), 200,
		"Session of 2026-01-05 logged", "Walked through the model clauses")
	b.want(b.post("/community/mentorship/"+id+"/status", url.Values{"status": {"active"}}), 200, "The mentorship is now Active", "Mark as completed")
	a.want(a.get("/community/mentorship/"+id), 200, "Walked through the model clauses", "Vidstream")

	g := h.client()
	g.signIn(m.gov, 0)
	g.want(g.get("/community/mentorship/"+id), 404)
	g.want(g.get("/community/mentorship"), 200, "No mentorships yet")
}
