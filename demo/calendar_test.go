package demo_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/demo"
	"github.com/kspplatform/ksp/sqlite"
)

// TestSeedCalendarAndAssessments seeds events and Pixelboard's
// self-assessments after the library: past and upcoming public events
// (one with a full agenda and a recording), a completed assessment whose
// reading list names demo library resources, and nothing more on a second
// start.
func TestSeedCalendarAndAssessments(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ksp.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := &demo.Seeder{Store: db, Log: log, Extend: []func(context.Context, *demo.World) error{demo.SeedLibrary, demo.SeedCalendar, demo.SeedAssessments}}
	for start := 1; start <= 2; start++ {
		w, err := s.Run(context.Background(), io.Discard)
		if err != nil {
			t.Fatalf("start %d: %v", start, err)
		}
		anon := context.Background()
		now := time.Now()
		past, _, err := db.FindCalendarEvents(anon, ksp.CalendarEventFilter{Past: true, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		upcoming, _, err := db.FindCalendarEvents(anon, ksp.CalendarEventFilter{Upcoming: true, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if len(past) != 1 || len(upcoming) != 1 {
			t.Fatalf("start %d: %d past and %d upcoming public events, want 1 and 1", start, len(past), len(upcoming))
		}
		if p := past[0]; len(p.Agenda) < 5 || p.RecordingURL == "" || p.Agenda[1].Speaker == "" || p.Agenda[1].Affiliation == "" {
			t.Fatalf("past event %+v lacks a full agenda or a recording", p)
		}
		pix := ksp.NewContext(context.Background(), w.Actor("admin@pixelboard.example"))
		list, _, err := db.FindAssessments(pix, ksp.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Overall <= list[1].Overall {
			t.Fatalf("start %d: assessments %v, want two showing progress", start, list)
		}
		got, err := db.FindAssessmentByID(pix, list[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		reading := 0
		for _, r := range got.Recommendations {
			reading += len(r.Reading)
		}
		if len(got.Recommendations) == 0 || reading == 0 {
			t.Fatalf("no reading list from the demo library: %+v", got.Recommendations)
		}
	}
}
