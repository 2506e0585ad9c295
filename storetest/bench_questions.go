package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/kspplatform/ksp"
)

// seedQuestions inserts n questions of four orgs under every distribution
// in one transaction (rows as CreateQuestion writes them), for benchmarks.
// Every 100th carries the tag "rare" and the word "needle" in its body.
func seedQuestions(b *testing.B, db Store, f *Fixture, n int) {
	w, ok := db.(AuditWriter)
	if !ok {
		b.Skipf("%T has no WriteTx", db)
	}
	owners := []string{f.Platform.ID, f.Startup.ID, f.Gov.ID, ksp.StaffOrgID}
	dists := []ksp.Distribution{ksp.DistPublic, ksp.DistMembers, ksp.DistMembers, ksp.DistOwner, ksp.DistAudience}
	err := w.WriteTx(Staff(), func(tx *sql.Tx, audit func(string, string, string, map[string]any) error) error {
		ins, err := tx.Prepare(db.Rebind(`INSERT INTO questions (id, title, body, tags, tag_lines, owner_org_id, author_id, author_name, distribution, tlp, votes, answer_count, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, '', 'bench', ?, ?, ?, 0, ?, ?)`))
		if err != nil {
			return err
		}
		defer ins.Close()
		aud, err := tx.Prepare(db.Rebind(`INSERT INTO audiences (item_id, org_id) VALUES (?, ?)`))
		if err != nil {
			return err
		}
		defer aud.Close()
		now := ksp.Now().UnixMicro()
		for i := range n {
			id := ksp.NewID()
			tags, tagLines, body := `["policy"]`, "\npolicy\n", "How do others handle appeals against removals of propaganda?"
			if i%100 == 0 {
				tags, tagLines, body = `["policy","rare"]`, "\npolicy\nrare\n", "A needle in the haystack of moderation questions."
			}
			d := dists[i%len(dists)]
			tlp := ksp.TLPGreen
			if d == ksp.DistPublic {
				tlp = ksp.TLPClear
			}
			t := now - int64(n-i)*1000
			if _, err := ins.Exec(id, fmt.Sprintf("Question %d about terms of service", i), body, tags, tagLines, owners[i%len(owners)], string(d), string(tlp), i%7, t, t); err != nil {
				return err
			}
			if d == ksp.DistAudience {
				if _, err := aud.Exec(id, f.Startup.ID); err != nil {
					return err
				}
			}
		}
		return audit("bench.questions", "questions", ksp.StaffOrgID, map[string]any{"n": n})
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchQuestions measures the community's reads over 10,000 questions: a
// page of 50 as a member and anonymously, the tag filter, one question
// with 20 answers, and a search of questions (common and rare words).
func BenchQuestions(b *testing.B, db Store) {
	f := NewFixture(b, db)
	seedQuestions(b, db, f, 10_000)
	member := As(f.Gov, f.GovAdmin)
	q := &ksp.Question{Title: "A question with many answers", Body: "Which answer is best?", Sharing: ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen}}
	if err := db.CreateQuestion(As(f.Startup, f.StartAdm), q); err != nil {
		b.Fatal(err)
	}
	for i := range 20 {
		if _, err := db.AnswerQuestion(As(f.Platform, f.PlatAdmin), q.ID, fmt.Sprintf("Answer %d: it depends on your platform's size.", i)); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := db.SQL().Exec("ANALYZE"); err != nil {
		b.Fatal(err)
	}
	tag := "rare"
	lists := []struct {
		name string
		ctx  context.Context
		f    ksp.QuestionFilter
	}{
		{"list-member", member, ksp.QuestionFilter{}},
		{"list-anonymous", context.Background(), ksp.QuestionFilter{}},
		{"list-member-tag-1pct", member, ksp.QuestionFilter{Tag: &tag}},
		{"list-member-unanswered", member, ksp.QuestionFilter{Unanswered: true}},
	}
	for _, c := range lists {
		b.Run(c.name, func(b *testing.B) {
			c.f.Page.Limit = 50
			for b.Loop() {
				list, _, err := db.FindQuestions(c.ctx, c.f)
				if err != nil || len(list) == 0 {
					b.Fatalf("%d questions, %v", len(list), err)
				}
			}
		})
	}
	b.Run("get-20-answers", func(b *testing.B) {
		for b.Loop() {
			got, err := db.FindQuestionByID(member, q.ID)
			if err != nil || len(got.Answers) != 20 {
				b.Fatalf("%v", err)
			}
		}
	})
	for _, words := range []string{"terms service", "needle"} {
		b.Run("search-"+words, func(b *testing.B) {
			for b.Loop() {
				hits, _, err := db.Search(member, ksp.SearchQuery{Q: words, Types: []string{ksp.SearchQuestion}, Page: ksp.Page{Limit: 20}})
				if err != nil || len(hits) == 0 {
					b.Fatalf("%d hits, %v", len(hits), err)
				}
			}
		})
	}
}
