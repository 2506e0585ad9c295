package demo_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/demo"
	"github.com/kspplatform/ksp/sqlite"
)

// TestSeedCommunity seeds the demo's questions and mentorship twice: a few
// answered questions (one public, its named asker shown by name without
// its id), an open mentorship request with offers
// that cover it, and nothing more on the second start.
func TestSeedCommunity(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ksp.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := &demo.Seeder{Store: db, Log: log, Extend: []func(context.Context, *demo.World) error{demo.SeedQuestions, demo.SeedMentorship}}
	staff := ksp.NewContext(context.Background(), ksp.SystemActor("test"))
	for start := 1; start <= 2; start++ {
		if _, err := s.Run(context.Background(), io.Discard); err != nil {
			t.Fatalf("start %d: %v", start, err)
		}
		qs, _, err := db.FindQuestions(staff, ksp.QuestionFilter{})
		if err != nil {
			t.Fatal(err)
		}
		answered := 0
		for _, q := range qs {
			if q.AcceptedAnswerID != "" {
				answered++
			}
		}
		if len(qs) != 3 || answered != 2 {
			t.Fatalf("start %d: %d questions, %d answered; want 3 and 2", start, len(qs), answered)
		}
		reqs, _, err := db.FindMentorshipRequests(staff, ksp.MentorshipFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(reqs) != 1 || reqs[0].Status != ksp.MentorshipOpen {
			t.Fatalf("start %d: mentorship requests %+v", start, reqs)
		}
		offers, err := db.FindMentorshipOffers(staff)
		if err != nil || len(offers) != 2 {
			t.Fatalf("start %d: offers %d, %v", start, len(offers), err)
		}
	}
	pub, _, err := db.FindQuestions(context.Background(), ksp.QuestionFilter{})
	if err != nil || len(pub) != 1 || pub[0].Asker.Name != "Threadly" || pub[0].Asker.OrgID != "" {
		t.Fatalf("public questions: %+v %v", pub, err)
	}
}
