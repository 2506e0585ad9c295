package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/demo"
	"github.com/kspplatform/ksp/internal/sqlstore"
)

// TestBrowserQuestions is the community's flow of UX.md's browser tests: a
// start-up's analyst asks a question with the form, reads an expert's
// answer (Markdown rendered, the answerer shown as an expert), accepts it,
// finds the question by search, and requests a mentor.
func TestBrowserQuestions(t *testing.T) {
	start := time.Now()
	s := startBrowserSite(t, nil)
	ctx, db, srv := s.ctx, s.db, s.srv
	sys := ksp.NewContext(ctx, ksp.SystemActor("test"))
	startup := &ksp.Org{Name: "Pixelboard", Kind: ksp.KindPlatform, Size: ksp.SizeStartup}
	large := &ksp.Org{Name: "Vidstream", Kind: ksp.KindPlatform, Size: ksp.SizeLarge}
	for _, o := range []*ksp.Org{startup, large} {
		if err := db.CreateOrg(sys, o); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := db.CreateUser(sys, startup.ID, ksp.NewUser{Email: "lea@pixelboard.example", Name: "Lea Novak", Role: ksp.RoleAnalyst, Password: "analyst passphrase 1"}); err != nil {
		t.Fatal(err)
	}
	expert, _, err := db.CreateUser(sys, large.ID, ksp.NewUser{Email: "tomas@vidstream.example", Name: "Tomás Ortega", Role: ksp.RoleAnalyst, Password: "analyst passphrase 2"})
	if err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, srv.URL)
	b.open("/login", "Sign in")
	b.fill(map[string]string{"f-email": "lea@pixelboard.example", "f-password": "analyst passphrase 1"}, []string{"f-email", "f-password"})
	b.submit(`form[action="/login"]`, "Dashboard")
	b.open("/community/questions", "Questions to the community")
	b.open("/community/questions/new", "Ask the community")
	b.fill(map[string]string{"f-title": "How do we write our first terms of service?", "f-body": "We are **six** people.\n\n<script>window.kspPwned = true</script>",
		"f-tags": "terms-of-service"}, []string{"f-title", "f-body", "f-tags"})
	b.submit(`form[action="/community/questions/new"]`, "How do we write our first terms of service?")
	if eval[bool](b, `window.kspPwned === true`) {
		t.Fatal("a script in the question ran")
	}
	if txt := eval[string](b, `document.querySelector(".notice").textContent`); !strings.Contains(txt, "Question asked, readable by all members (TLP:GREEN).") {
		t.Fatalf("notice %q", txt)
	}
	loc := eval[string](b, `location.pathname`)
	qid := loc[strings.LastIndex(loc, "/")+1:]

	// An expert at the large platform answers (through the store).
	ans := ksp.NewContext(ctx, &ksp.Actor{UserID: expert.ID, OrgID: large.ID, OrgKind: large.Kind, Role: expert.Role})
	if _, err := db.AnswerQuestion(ans, qid, "Start from the *model clauses*; keep examples on a separate page."); err != nil {
		t.Fatal(err)
	}
	b.open("/community/questions/"+qid, "How do we write our first terms of service?")
	if txt := eval[string](b, `document.querySelector(".answer h3").textContent`); !strings.Contains(txt, "Expert") || strings.Contains(txt, "Tomás") {
		t.Fatalf("answer heading %q", txt)
	}
	if n := eval[int](b, `document.querySelectorAll(".answer em").length`); n != 1 {
		t.Fatalf("answer Markdown not rendered: %d em", n)
	}
	b.shot("question")
	eval[bool](b, `window.kspOld = true`)
	b.do("accept", chromedp.Click(chromedp.CSS(`form[action$="/accept"] button`)))
	b.waitH1("How do we write our first terms of service?")
	if txt := eval[string](b, `document.querySelector(".answer h3").textContent`); !strings.HasPrefix(strings.TrimSpace(txt), "Accepted answer by") {
		t.Fatalf("accepted answer heading %q", txt)
	}

	// The question is found by search.
	b.open("/community/questions?q=terms+service", "Questions to the community")
	if n := eval[int](b, `document.querySelectorAll('.resources a[href="/community/questions/`+qid+`"]').length`); n != 1 {
		t.Fatalf("search lists the question %d times", n)
	}

	// A mentoring request: an unknown topic is impossible in the form;
	// no topic is refused, then two are accepted.
	b.open("/community/mentorship/new", "Request mentoring")
	b.submit(`form[action="/community/mentorship/new"]`, "Request mentoring")
	if txt := eval[string](b, `document.querySelector(".error-summary, [role=alert]") ? document.querySelector(".error-summary, [role=alert]").textContent : ""`); !strings.Contains(txt, "topic") {
		t.Fatalf("error summary %q", txt)
	}
	eval[bool](b, `(function(){document.getElementById("f-topics").checked = true; document.getElementById("f-topics-transparency").checked = true; return true})()`)
	b.submit(`form[action="/community/mentorship/new"]`, "Mentoring for Pixelboard")
	b.shot("mentorship")
	t.Logf("community browser flow: %d pages checked, %v", b.pages, time.Since(start).Round(time.Millisecond))
}

// TestBrowserCommunityPages walks the community's pages over the demo
// data as an analyst and as staff (tables, the matching form, the offer
// form), so that both accessibility checks see them with content.
func TestBrowserCommunityPages(t *testing.T) {
	var printout bytes.Buffer
	site := startBrowserSite(t, func(ctx context.Context, db *sqlstore.DB) {
		seeder := &demo.Seeder{Store: db, Log: slog.New(slog.DiscardHandler), Extend: []func(context.Context, *demo.World) error{demo.SeedQuestions, demo.SeedMentorship}}
		if _, err := seeder.Run(ctx, &printout); err != nil {
			t.Fatal(err)
		}
	})
	logins := map[string]demoLogin{}
	for _, m := range demoLoginRE.FindAllStringSubmatch(printout.String(), -1) {
		if _, ok := logins[m[5]]; !ok {
			logins[m[5]] = demoLogin{m[1], m[2], m[3], m[4], m[5]}
		}
	}
	for _, role := range []string{"analyst", "staff"} {
		t.Run(role, func(t *testing.T) {
			b := newBrowser(t, site.srv.URL)
			b.signIn(logins[role])
			b.walk([]pageVisit{{"/community/mentorship/offer", "Offer to mentor"}, {"/community/mentorship", "Mentoring"},
				{"/community/questions?unanswered=1", "Questions to the community"}, {"/community/questions", "Questions to the community"}})
			qs := b.links(`^/community/questions/[0-9a-f-]{36}$`)
			if len(qs) != 3 {
				t.Fatalf("%d questions listed", len(qs))
			}
			for _, href := range qs {
				b.visit(href, "")
			}
			if role == "staff" {
				b.visit("/community/mentorship", "Mentoring")
				ms := b.links(`^/community/mentorship/[0-9a-f-]{36}$`)
				if len(ms) != 1 {
					t.Fatalf("staff see %d mentorship requests", len(ms))
				}
				b.visit(ms[0], "Mentoring for Pixelboard")
				// Only the institute offered both topics of the request.
				if n := eval[int](b, `document.querySelectorAll('input[name="mentor_org_id"]').length`); n != 1 {
					t.Fatalf("%d mentors offered for matching, want 1", n)
				}
			}
		})
	}
}
