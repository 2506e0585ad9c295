package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/kspplatform/ksp"
)

// qaWorld is the fixture plus a named academic org and a suspended org,
// each with a user.
type qaWorld struct {
	*Fixture
	Uni      *ksp.Org
	UniUser  *ksp.User
	Susp     *ksp.Org
	SuspUser *ksp.User
}

func newQAWorld(t *testing.T, db Store) *qaWorld {
	t.Helper()
	w := &qaWorld{Fixture: NewFixture(t, db)}
	ctx := Staff()
	w.Uni = &ksp.Org{Name: "Open University", Kind: ksp.KindAcademia, Named: true}
	must(t, db.CreateOrg(ctx, w.Uni))
	var err error
	w.UniUser, _, err = db.CreateUser(ctx, w.Uni.ID, ksp.NewUser{Email: "prof@uni.example", Name: "Prof Q", Role: ksp.RoleAnalyst, Password: "a long enough password"})
	must(t, err)
	w.Susp = &ksp.Org{Name: "Suspended QA Co", Kind: ksp.KindCivilSociety}
	must(t, db.CreateOrg(ctx, w.Susp))
	w.SuspUser, _, err = db.CreateUser(ctx, w.Susp.ID, ksp.NewUser{Email: "a@susp-qa.example", Name: "S", Role: ksp.RoleAnalyst, Password: "a long enough password"})
	must(t, err)
	st := ksp.OrgStatusSuspended
	w.Susp, err = db.UpdateOrg(ctx, w.Susp.ID, ksp.OrgUpdate{Status: &st})
	must(t, err)
	return w
}

func qaQuestion(title string, s ksp.Sharing) *ksp.Question {
	return &ksp.Question{Title: title, Body: "How do we **write** our first terms of service?", Tags: []string{"TOS", "startups", "tos"}, Sharing: s}
}

var qaMembers = ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen}

// testQuestions: ask, answer, accept, vote, and how askers and answerers
// are shown.
func testQuestions(t *testing.T, open Opener) {
	db := open(t)
	w := newQAWorld(t, db)
	startup := As(w.Startup, w.StartAdm)
	platform := As(w.Platform, w.PlatAdmin)
	uni := As(w.Uni, w.UniUser)
	staff := As(w.StaffOrg(t), w.StaffUser)

	q := qaQuestion("  How do we write terms of service?  ", qaMembers)
	must(t, db.CreateQuestion(startup, q))
	if q.Title != "How do we write terms of service?" || !slices.Equal(q.Tags, []string{"startups", "tos"}) || q.ID == "" {
		t.Fatalf("created %+v", q)
	}
	if auditCount(t, db, "question.create") != 1 {
		t.Error("asking not audited")
	}

	// The asker is shown by kind and size to others (the start-up did not
	// choose to be named), by name to itself and staff.
	for _, c := range []struct {
		name   string
		ctx    context.Context
		want   string
		orgID  string
		person string
	}{
		{"self", startup, w.Startup.Name, w.Startup.ID, w.StartAdm.Name},
		{"staff", staff, w.Startup.Name, w.Startup.ID, w.StartAdm.Name},
		{"other member", platform, "a start-up", "", ""},
	} {
		got, err := db.FindQuestionByID(c.ctx, q.ID)
		must(t, err)
		if got.Asker.Name != c.want || got.Asker.OrgID != c.orgID || got.Asker.Person != c.person || got.Asker.Expert {
			t.Errorf("%s sees asker %+v, want name %q org %q person %q, not expert", c.name, got.Asker, c.want, c.orgID, c.person)
		}
		if c.orgID == "" && got.OwnerOrgID != "" {
			t.Errorf("%s sees the owner org id", c.name)
		}
	}

	a1, err := db.AnswerQuestion(platform, q.ID, "Start from the model clauses in the library.")
	must(t, err)
	a2, err := db.AnswerQuestion(uni, q.ID, "Our research suggests plain language.")
	must(t, err)
	if !a2.By.Expert || a2.By.Name != "Open University" {
		t.Errorf("named academic answerer shown as %+v", a2.By)
	}
	got, err := db.FindQuestionByID(startup, q.ID)
	must(t, err)
	if got.AnswerCount != 2 || len(got.Answers) != 2 {
		t.Fatalf("answers: count %d, %d listed", got.AnswerCount, len(got.Answers))
	}
	for _, x := range got.Answers {
		if x.ID == a1.ID && (x.By.Name != "a large platform" || !x.By.Expert || x.By.OrgID != "" || x.By.Person != "") {
			t.Errorf("unnamed large platform's answer shown to the start-up as %+v", x.By)
		}
	}

	// Only the asking organisation accepts, and only an answer of the
	// question.
	_, err = db.AcceptAnswer(platform, q.ID, a1.ID)
	wantCode(t, err, ksp.EFORBIDDEN)
	_, err = db.AcceptAnswer(staff, q.ID, a1.ID)
	wantCode(t, err, ksp.EFORBIDDEN)
	_, err = db.AcceptAnswer(startup, q.ID, ksp.NewID())
	wantCode(t, err, ksp.ENOTFOUND)
	got, err = db.AcceptAnswer(startup, q.ID, a2.ID)
	must(t, err)
	if got.AcceptedAnswerID != a2.ID || !got.Answers[0].Accepted || got.Answers[0].ID != a2.ID {
		t.Errorf("accepted: %q, first answer %+v", got.AcceptedAnswerID, got.Answers[0])
	}

	// Votes: one per user, given and taken back; never on one's own post.
	_, err = db.VoteQuestion(startup, q.ID, true)
	wantCode(t, err, ksp.EFORBIDDEN)
	for range 2 {
		got, err = db.VoteQuestion(platform, q.ID, true)
		must(t, err)
	}
	if got.Votes != 1 || !got.Voted {
		t.Errorf("after two upvotes by one user: %d votes, voted %v", got.Votes, got.Voted)
	}
	got, err = db.VoteQuestion(uni, q.ID, true)
	must(t, err)
	if got.Votes != 2 {
		t.Errorf("two users: %d votes", got.Votes)
	}
	got, err = db.VoteQuestion(platform, q.ID, false)
	must(t, err)
	if got.Votes != 1 || got.Voted {
		t.Errorf("after unvote: %d votes, voted %v", got.Votes, got.Voted)
	}
	x, err := db.VoteAnswer(startup, q.ID, a1.ID, true)
	must(t, err)
	if x.Votes != 1 || !x.Voted {
		t.Errorf("answer vote: %+v", x)
	}
	_, err = db.VoteAnswer(platform, q.ID, a1.ID, true)
	wantCode(t, err, ksp.EFORBIDDEN)
	_, err = db.VoteAnswer(startup, q.ID, ksp.NewID(), true)
	wantCode(t, err, ksp.ENOTFOUND)
	// An answer of another question is not found through this one.
	q2 := qaQuestion("Second question", qaMembers)
	q2.Body = "Something else entirely."
	must(t, db.CreateQuestion(platform, q2))
	_, err = db.VoteAnswer(startup, q2.ID, a1.ID, true)
	wantCode(t, err, ksp.ENOTFOUND)
	_, err = db.AcceptAnswer(platform, q2.ID, a1.ID)
	wantCode(t, err, ksp.ENOTFOUND)

	// Lists: newest first, filters.
	list, _, err := db.FindQuestions(startup, ksp.QuestionFilter{})
	must(t, err)
	if len(list) != 2 || list[0].ID != q2.ID || list[1].Answers != nil {
		t.Errorf("list: %d items, first %s", len(list), list[0].ID)
	}
	list, _, err = db.FindQuestions(startup, ksp.QuestionFilter{Unanswered: true})
	must(t, err)
	if len(list) != 1 || list[0].ID != q2.ID {
		t.Errorf("unanswered: %+v", list)
	}
	list, _, err = db.FindQuestions(startup, ksp.QuestionFilter{Mine: true})
	must(t, err)
	if len(list) != 1 || list[0].ID != q.ID {
		t.Errorf("mine: %+v", list)
	}
	tag := "STARTUPS"
	list, _, err = db.FindQuestions(platform, ksp.QuestionFilter{Tag: &tag})
	must(t, err)
	if len(list) != 2 {
		t.Errorf("tag filter: %d", len(list))
	}
	bad := "no spaces allowed"
	_, _, err = db.FindQuestions(platform, ksp.QuestionFilter{Tag: &bad})
	wantCode(t, err, ksp.EINVALID)
	_, _, err = db.FindQuestions(context.Background(), ksp.QuestionFilter{Mine: true})
	wantCode(t, err, ksp.EINVALID)

	// Questions are in the search, for those who may see them.
	hits, _, err := db.Search(platform, ksp.SearchQuery{Q: "terms service", Types: []string{ksp.SearchQuestion}})
	must(t, err)
	if len(hits) != 1 || hits[0].ID != q.ID || hits[0].Type != ksp.SearchQuestion || hits[0].Title != q.Title {
		t.Errorf("search: %+v", hits)
	}
	hits, _, err = db.Search(context.Background(), ksp.SearchQuery{Q: "terms service"})
	must(t, err)
	if len(hits) != 0 {
		t.Errorf("anonymous found members' questions: %+v", hits)
	}
	for _, action := range []string{"question.answer", "question.accept", "question.vote", "question.unvote"} {
		if auditCount(t, db, action) == 0 {
			t.Errorf("%s not audited", action)
		}
	}
}

// testQuestionBadInput: every refusal names its field, and nothing is
// written on bad input or by someone who may not write.
func testQuestionBadInput(t *testing.T, open Opener) {
	db := open(t)
	w := newQAWorld(t, db)
	startup := As(w.Startup, w.StartAdm)
	long := make([]byte, ksp.MaxQuestionBody+1)
	for i := range long {
		long[i] = 'a'
	}
	tests := []struct {
		name  string
		q     *ksp.Question
		field string
	}{
		{"empty title", &ksp.Question{Title: "  ", Body: "b", Sharing: qaMembers}, "title"},
		{"empty body", &ksp.Question{Title: "t", Sharing: qaMembers}, "body"},
		{"long body", &ksp.Question{Title: "t", Body: string(long), Sharing: qaMembers}, "body"},
		{"bad tag", &ksp.Question{Title: "t", Body: "b", Tags: []string{"two words"}, Sharing: qaMembers}, "tags"},
		{"bad utf8", &ksp.Question{Title: "t\xff", Body: "b", Sharing: qaMembers}, "title"},
		{"public amber", &ksp.Question{Title: "t", Body: "b", Sharing: ksp.Sharing{Distribution: ksp.DistPublic, TLP: ksp.TLPAmber}}, "tlp"},
		{"red members", &ksp.Question{Title: "t", Body: "b", Sharing: ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPRed}}, "distribution"},
		{"no audience", &ksp.Question{Title: "t", Body: "b", Sharing: ksp.Sharing{Distribution: ksp.DistAudience, TLP: ksp.TLPAmber}}, "audience"},
		{"unknown audience", &ksp.Question{Title: "t", Body: "b", Sharing: ksp.Sharing{Distribution: ksp.DistAudience, Audience: []string{ksp.NewID()}, TLP: ksp.TLPAmber}}, "audience"},
		{"unknown distribution", &ksp.Question{Title: "t", Body: "b", Sharing: ksp.Sharing{Distribution: "friends", TLP: ksp.TLPGreen}}, "distribution"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.CreateQuestion(startup, tt.q)
			wantCode(t, err, ksp.EINVALID)
			var e *ksp.Error
			if ok := asError(err, &e); !ok || len(e.Fields) == 0 || e.Fields[0].Field != tt.field {
				t.Errorf("error %v, want field %s", err, tt.field)
			}
		})
	}
	// Who may not ask: anonymous, viewers, suspended orgs.
	wantCode(t, db.CreateQuestion(context.Background(), qaQuestion("anon", qaMembers)), ksp.EUNAUTHORIZED)
	wantCode(t, db.CreateQuestion(As(w.Platform, w.PlatView), qaQuestion("viewer", qaMembers)), ksp.EFORBIDDEN)
	wantCode(t, db.CreateQuestion(As(w.Susp, w.SuspUser), qaQuestion("suspended", qaMembers)), ksp.EFORBIDDEN)
	list, _, err := db.FindQuestions(Staff(), ksp.QuestionFilter{})
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("bad input wrote %d questions", len(list))
	}
	q := qaQuestion("ok", qaMembers)
	must(t, db.CreateQuestion(startup, q))
	for _, body := range []string{"", "   ", string(long), "bad \xff"} {
		_, err := db.AnswerQuestion(As(w.Platform, w.PlatAdmin), q.ID, body)
		wantCode(t, err, ksp.EINVALID)
	}
	_, err = db.AnswerQuestion(As(w.Platform, w.PlatView), q.ID, "a viewer's answer")
	wantCode(t, err, ksp.EFORBIDDEN)
	_, err = db.AnswerQuestion(As(w.Platform, w.PlatAdmin), "not-an-id", "x")
	wantCode(t, err, ksp.ENOTFOUND)
	got, err := db.FindQuestionByID(startup, q.ID)
	must(t, err)
	if got.AnswerCount != 0 || len(got.Answers) != 0 {
		t.Errorf("refused answers were written: %d", got.AnswerCount)
	}
}

// testQuestionVisibility: one question of every sharing; each viewer lists,
// reads, answers, votes and searches exactly those the sharing rule lets
// it see, and what it may not see is not found, never forbidden.
func testQuestionVisibility(t *testing.T, open Opener) {
	db := open(t)
	w := newQAWorld(t, db)
	owner := As(w.Platform, w.PlatAdmin)
	type item struct {
		s        ksp.Sharing
		id, ans  string
		expected bool
	}
	var items []item
	for _, s := range validSharings(w.Platform.ID, w.Startup.ID) {
		q := qaQuestion(fmt.Sprintf("visqword %s %s", s.Distribution, s.TLP), s)
		must(t, db.CreateQuestion(owner, q))
		a, err := db.AnswerQuestion(owner, q.ID, "an answer by the owner")
		must(t, err)
		items = append(items, item{s: s, id: q.ID, ans: a.ID})
	}
	staffUser := As(w.StaffOrg(t), w.StaffUser)
	viewers := []struct {
		name string
		ctx  context.Context
		v    ksp.Viewer
	}{
		{"owner", owner, ksp.Viewer{OrgID: w.Platform.ID}},
		{"audience member", As(w.Startup, w.StartAdm), ksp.Viewer{OrgID: w.Startup.ID}},
		{"other member", As(w.Gov, w.GovAdmin), ksp.Viewer{OrgID: w.Gov.ID}},
		{"suspended", As(w.Susp, w.SuspUser), ksp.Viewer{OrgID: w.Susp.ID, Suspended: true}},
		{"anonymous", context.Background(), ksp.Viewer{}},
		{"staff", staffUser, ksp.Viewer{OrgID: ksp.StaffOrgID, Staff: true}},
	}
	for _, vw := range viewers {
		t.Run(vw.name, func(t *testing.T) {
			var want []string
			for i := len(items) - 1; i >= 0; i-- {
				if ksp.CanSee(vw.v, items[i].s) {
					want = append(want, items[i].id)
				}
			}
			var got []string
			cursor := ""
			for pages := 0; ; pages++ {
				qs, next, err := db.FindQuestions(vw.ctx, ksp.QuestionFilter{Page: ksp.Page{Limit: 2, Cursor: cursor}})
				must(t, err)
				if len(qs) == 0 && next != "" || len(qs) > 2 {
					t.Fatalf("page of %d with next %q", len(qs), next)
				}
				for _, q := range qs {
					got = append(got, q.ID)
					if len(q.Audience) > 0 && !(vw.v.Staff || vw.v.OrgID == w.Platform.ID) {
						t.Errorf("audience %v shown to %s", q.Audience, vw.name)
					}
				}
				if next == "" {
					break
				}
				cursor = next
				if pages > len(items) {
					t.Fatal("paging does not end")
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("listed %d questions, want %d", len(got), len(want))
			}
			hits, _, err := db.Search(vw.ctx, ksp.SearchQuery{Q: "visqword", Types: []string{ksp.SearchQuestion}, Page: ksp.Page{Limit: 100}})
			must(t, err)
			var found []string
			for _, h := range hits {
				found = append(found, h.ID)
			}
			slices.Sort(found)
			sortedWant := slices.Clone(want)
			slices.Sort(sortedWant)
			if !slices.Equal(found, sortedWant) {
				t.Errorf("search found %d questions, want %d", len(found), len(sortedWant))
			}
			for _, it := range items {
				q, err := db.FindQuestionByID(vw.ctx, it.id)
				_, verr := db.VoteAnswer(vw.ctx, it.id, it.ans, true)
				_, aerr := db.AcceptAnswer(vw.ctx, it.id, it.ans)
				if !ksp.CanSee(vw.v, it.s) {
					for _, e := range []error{err, verr, aerr} {
						if code := ksp.ErrorCode(e); code != ksp.ENOTFOUND && code != ksp.EUNAUTHORIZED && !(vw.v.Suspended && code == ksp.EFORBIDDEN) {
							t.Errorf("%s on an invisible question: %v", vw.name, e)
						}
					}
					continue
				}
				must(t, err)
				if len(q.Answers) != 1 || q.Answers[0].ID != it.ans {
					t.Errorf("answers of a visible question: %+v", q.Answers)
				}
			}
		})
	}
	if n := auditCount(t, db, "question.staff_read") + auditCount(t, db, "question.staff_list"); n == 0 {
		t.Error("staff reads of restricted questions not audited")
	}
}
