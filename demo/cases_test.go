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

// TestSeedCases: the start-up gets three cases, one removed with its
// statement and preservation date; staff see only the count; a second
// start adds nothing.
func TestSeedCases(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ksp.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := &demo.Seeder{Store: db, Log: log, Extend: []func(context.Context, *demo.World) error{demo.SeedSignals, demo.SeedCases}}
	for start := 1; start <= 2; start++ {
		w, err := s.Run(context.Background(), io.Discard)
		if err != nil {
			t.Fatalf("start %d: %v", start, err)
		}
		var as context.Context
		for _, u := range w.Users {
			if u.OrgID == w.Orgs["pixelboard"].ID && u.Role == ksp.RoleAdmin {
				as = ksp.NewContext(context.Background(), w.Actor(u.Email))
			}
		}
		list, _, err := db.FindCases(as, ksp.CaseFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 3 {
			t.Fatalf("start %d: %d cases, want 3", start, len(list))
		}
		decided := 0
		for _, c := range list {
			if c.Status == ksp.CaseDecided {
				decided++
				if c.StatementOfReasons == nil || c.PreserveUntil == nil {
					t.Errorf("decided demo case lacks its paperwork: %+v", c)
				}
			}
		}
		if decided != 1 {
			t.Errorf("start %d: %d decided cases, want 1", start, decided)
		}
		n, err := db.CountCases(ksp.NewContext(context.Background(), ksp.SystemActor("test")), "")
		if err != nil || n.Open+n.Decided != 3 {
			t.Errorf("staff counts %+v (%v)", n, err)
		}
	}
}
