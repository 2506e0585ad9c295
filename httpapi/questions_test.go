package httpapi_test

import (
	"strings"
	"testing"
)

// TestQuestionsAPI walks the Q&A flow over HTTP and tries the attacks:
// another org's restricted question is 404 everywhere, a non-asker cannot
// accept, a read-only key or a viewer cannot post, bad input names its
// field and writes nothing.
func TestQuestionsAPI(t *testing.T) {
	e := newEnv(t, fast())
	ask := func(key string, body map[string]any) resp {
		t.Helper()
		return e.do("POST", "/api/v1/questions", key, body)
	}
	r := ask(e.keys["startup"], map[string]any{"title": "How do we write our first terms of service?", "body": "We are **five** people.", "tags": []string{"ToS"}})
	if r.status != 201 || r.json(t)["distribution"] != "members" || r.json(t)["tlp"] != "GREEN" {
		t.Fatalf("ask: %d %s", r.status, r.body)
	}
	qid := r.json(t)["id"].(string)

	// Bad input: each refusal names its field; nothing is written.
	for _, c := range []struct {
		body  any
		field string
	}{
		{map[string]any{"title": "", "body": "b"}, "title"},
		{map[string]any{"title": "t", "body": "  "}, "body"},
		{map[string]any{"title": "t", "body": "b", "tags": []string{"a b"}}, "tags"},
		{map[string]any{"title": "t", "body": "b", "distribution": "public", "tlp": "RED"}, "tlp"},
		{map[string]any{"title": "t", "body": "b", "votes": 100}, "votes"},
		{`{"title": "t", "body": `, "body"},
	} {
		wantError(t, e.do("POST", "/api/v1/questions", e.keys["startup"], c.body), 400, "invalid", c.field)
	}
	wantError(t, e.do("POST", "/api/v1/questions", e.keys["startup"], `{"title":`), 400, "invalid", "body")
	wantError(t, e.do("POST", "/api/v1/questions", e.keys["startup"], `{"title":"t","body":"`+strings.Repeat("x", 600<<10)+`"}`), 413, "too_large", "")
	// Who may not ask.
	wantError(t, ask("", map[string]any{"title": "t", "body": "b"}), 401, "unauthorized", "")
	wantError(t, ask(e.keys["admin-readonly"], map[string]any{"title": "t", "body": "b"}), 403, "forbidden", "")
	wantError(t, ask(e.keys["viewer"], map[string]any{"title": "t", "body": "b"}), 403, "forbidden", "")
	if got := ids(t, e.do("GET", "/api/v1/questions", e.keys["staff"], nil)); len(got) != 1 {
		t.Fatalf("refused questions were written: %v", got)
	}

	// Answers: the platform and the government answer; the read-only key
	// cannot.
	a := e.do("POST", "/api/v1/questions/"+qid+"/answers", e.keys["admin"], map[string]any{"body": "Start from the model clauses."})
	if a.status != 201 {
		t.Fatalf("answer: %d %s", a.status, a.body)
	}
	aid := a.json(t)["id"].(string)
	if by := a.json(t)["by"].(map[string]any); by["expert"] != true {
		t.Errorf("large platform's answer not shown as expert: %v", by)
	}
	wantError(t, e.do("POST", "/api/v1/questions/"+qid+"/answers", e.keys["admin-readonly"], map[string]any{"body": "x"}), 403, "forbidden", "")
	wantError(t, e.do("POST", "/api/v1/questions/"+qid+"/answers", e.keys["gov"], map[string]any{"body": ""}), 400, "invalid", "body")

	// The asker is "a start-up" to others.
	got := e.do("GET", "/api/v1/questions/"+qid, e.keys["gov"], nil).json(t)
	if asker := got["asker"].(map[string]any); asker["name"] != "a start-up" || asker["org_id"] != nil {
		t.Errorf("asker shown to the government as %v", asker)
	}
	if answers := got["answers"].([]any); len(answers) != 1 {
		t.Errorf("answers: %v", answers)
	}

	// Accept: the asker only.
	wantError(t, e.do("POST", "/api/v1/questions/"+qid+"/answers/"+aid+"/accept", e.keys["admin"], nil), 403, "forbidden", "")
	wantError(t, e.do("POST", "/api/v1/questions/"+qid+"/answers/"+aid+"/accept", e.keys["staff"], nil), 403, "forbidden", "")
	if r := e.do("POST", "/api/v1/questions/"+qid+"/answers/"+aid+"/accept", e.keys["startup"], nil); r.status != 200 || r.json(t)["accepted_answer_id"] != aid {
		t.Errorf("accept: %d %s", r.status, r.body)
	}

	// Votes: an empty body is an upvote; twice counts once; up=false
	// takes it back; not on one's own post.
	for range 2 {
		r = e.do("POST", "/api/v1/questions/"+qid+"/vote", e.keys["admin"], nil)
	}
	if r.status != 200 || r.json(t)["votes"] != float64(1) || r.json(t)["voted"] != true {
		t.Errorf("vote: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/v1/questions/"+qid+"/vote", e.keys["admin"], map[string]any{"up": false})
	if r.json(t)["votes"] != float64(0) {
		t.Errorf("unvote: %s", r.body)
	}
	wantError(t, e.do("POST", "/api/v1/questions/"+qid+"/vote", e.keys["startup"], nil), 403, "forbidden", "")
	if r := e.do("POST", "/api/v1/questions/"+qid+"/answers/"+aid+"/vote", e.keys["startup"], map[string]any{"up": true}); r.status != 200 || r.json(t)["votes"] != float64(1) {
		t.Errorf("answer vote: %d %s", r.status, r.body)
	}
	wantError(t, e.do("POST", "/api/v1/questions/"+qid+"/vote", e.keys["admin-readonly"], nil), 403, "forbidden", "")

	// Another org's owner-only question does not exist for the platform.
	r = ask(e.keys["startup"], map[string]any{"title": "Internal: our moderation backlog", "body": "private", "distribution": "owner", "tlp": "AMBER"})
	priv := r.json(t)["id"].(string)
	pa := e.do("POST", "/api/v1/questions/"+priv+"/answers", e.keys["startup"], map[string]any{"body": "note to self"})
	paid := pa.json(t)["id"].(string)
	for _, c := range []struct{ method, path string }{
		{"GET", "/api/v1/questions/" + priv},
		{"POST", "/api/v1/questions/" + priv + "/answers"},
		{"POST", "/api/v1/questions/" + priv + "/vote"},
		{"POST", "/api/v1/questions/" + priv + "/answers/" + paid + "/vote"},
		{"POST", "/api/v1/questions/" + priv + "/answers/" + paid + "/accept"},
	} {
		var body any
		if c.method == "POST" {
			body = map[string]any{"body": "x"}
			if strings.HasSuffix(c.path, "vote") {
				body = map[string]any{"up": true}
			}
			if strings.HasSuffix(c.path, "accept") {
				body = nil
			}
		}
		wantError(t, e.do(c.method, c.path, e.keys["admin"], body), 404, "not_found", "")
	}
	if got := ids(t, e.do("GET", "/api/v1/questions", e.keys["admin"], nil)); contains(got, priv) {
		t.Error("another org's owner-only question listed")
	}
	hits := e.do("GET", "/api/v1/search?q=moderation+backlog&type=question", e.keys["admin"], nil).json(t)["items"].([]any)
	if len(hits) != 0 {
		t.Errorf("search found another org's owner-only question: %v", hits)
	}
	hits = e.do("GET", "/api/v1/search?q=terms+service&type=question", e.keys["admin"], nil).json(t)["items"].([]any)
	if len(hits) != 1 || hits[0].(map[string]any)["id"] != qid {
		t.Errorf("search: %v", hits)
	}
	// Anonymous: nothing but public questions.
	if got := ids(t, e.do("GET", "/api/v1/questions", "", nil)); len(got) != 0 {
		t.Errorf("anonymous list: %v", got)
	}
	wantError(t, e.do("GET", "/api/v1/questions/"+qid, "", nil), 404, "not_found", "")
	wantError(t, e.do("GET", "/api/v1/questions?unanswered=maybe", e.keys["admin"], nil), 400, "invalid", "unanswered")
	if got := ids(t, e.do("GET", "/api/v1/questions?mine=true", e.keys["startup"], nil)); len(got) != 2 {
		t.Errorf("mine: %v", got)
	}
}

// TestMentorshipAPI walks a mentorship from request to completion and
// tries the attacks: an unknown topic, an outsider reading, a member
// matching, a skipped step.
func TestMentorshipAPI(t *testing.T) {
	e := newEnv(t, fast())
	wantError(t, e.do("POST", "/api/v1/mentorship", e.keys["startup"], map[string]any{"topics": []string{"astrology"}}), 400, "invalid", "topics")
	wantError(t, e.do("POST", "/api/v1/mentorship", e.keys["startup"], map[string]any{"topics": []string{}}), 400, "invalid", "topics")
	wantError(t, e.do("POST", "/api/v1/mentorship", e.keys["admin-readonly"], map[string]any{"topics": []string{"tooling"}}), 403, "forbidden", "")
	r := e.do("POST", "/api/v1/mentorship", e.keys["startup"], map[string]any{"topics": []string{"terms_of_service", "tooling"}, "note": "First ToS"})
	if r.status != 201 || r.json(t)["status"] != "open" {
		t.Fatalf("request: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	wantError(t, e.do("GET", "/api/v1/mentorship/"+id, e.keys["admin"], nil), 404, "not_found", "")
	if got := ids(t, e.do("GET", "/api/v1/mentorship", e.keys["admin"], nil)); len(got) != 0 {
		t.Errorf("an outsider lists %v", got)
	}
	if r := e.do("POST", "/api/v1/mentorship/offers", e.keys["admin"], map[string]any{"topics": []string{"terms_of_service", "tooling", "transparency"}}); r.status != 200 {
		t.Fatalf("offer: %d %s", r.status, r.body)
	}
	if got := e.do("GET", "/api/v1/mentorship/offers", e.keys["staff"], nil).json(t)["items"].([]any); len(got) != 1 {
		t.Errorf("staff see offers %v", got)
	}
	wantError(t, e.do("POST", "/api/v1/mentorship/"+id+"/match", e.keys["startup"], map[string]any{"mentor_org_id": e.fx.Platform.ID}), 403, "forbidden", "")
	wantError(t, e.do("POST", "/api/v1/mentorship/"+id+"/match", e.keys["staff"], map[string]any{"mentor_org_id": e.fx.Gov.ID}), 400, "invalid", "mentor_org_id")
	wantError(t, e.do("POST", "/api/v1/mentorship/"+id+"/status", e.keys["startup"], map[string]any{"status": "completed"}), 409, "conflict", "status")
	r = e.do("POST", "/api/v1/mentorship/"+id+"/match", e.keys["staff"], map[string]any{"mentor_org_id": e.fx.Platform.ID})
	if r.status != 200 || r.json(t)["status"] != "matched" {
		t.Fatalf("match: %d %s", r.status, r.body)
	}
	// Now the mentor sees it and both sides log.
	if r := e.do("GET", "/api/v1/mentorship/"+id, e.keys["admin-readonly"], nil); r.status != 200 {
		t.Errorf("mentor reads: %d %s", r.status, r.body)
	}
	wantError(t, e.do("GET", "/api/v1/mentorship/"+id, e.keys["gov"], nil), 404, "not_found", "")
	wantError(t, e.do("POST", "/api/v1/mentorship/"+id+"/sessions", e.keys["admin"], map[string]any{"held_on": "someday", "minutes": 30}), 400, "invalid", "held_on")
	if r := e.do("POST", "/api/v1/mentorship/"+id+"/sessions", e.keys["admin"], map[string]any{"held_on": "2026-01-05", "minutes": 30, "notes": "Kick-off"}); r.status != 201 {
		t.Errorf("session: %d %s", r.status, r.body)
	}
	for _, st := range []string{"active", "completed"} {
		if r := e.do("POST", "/api/v1/mentorship/"+id+"/status", e.keys["startup"], map[string]any{"status": st}); r.status != 200 || r.json(t)["status"] != st {
			t.Fatalf("status %s: %d %s", st, r.status, r.body)
		}
	}
	got := e.do("GET", "/api/v1/mentorship/"+id, e.keys["startup"], nil).json(t)
	if s := got["sessions"].([]any); len(s) != 1 {
		t.Errorf("sessions: %v", s)
	}
	wantError(t, e.do("POST", "/api/v1/mentorship/"+id+"/status", e.keys["startup"], map[string]any{"status": "active"}), 409, "conflict", "status")
	wantError(t, e.do("GET", "/api/v1/mentorship", "", nil), 401, "unauthorized", "")
}
