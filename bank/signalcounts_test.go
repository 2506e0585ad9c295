package bank_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/bank"
	"github.com/kspplatform/ksp/sqlite"
	"github.com/kspplatform/ksp/storetest"
)

// TestSignalMatchCounts checks what the matcher records per signal: one
// match per request that returned the signal (a value asked twice, or met
// through several of an image's hashes, counts once), by the org that
// asked, written on flush; a signal the asker may not see is not returned,
// so not counted.
func TestSignalMatchCounts(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ksp.db"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f := storetest.NewFixture(t, db)
	owner := storetest.As(f.Platform, f.PlatAdmin)
	shared, err := db.Submit(owner, storetest.Submission(1, ksp.DistMembers, ksp.TLPGreen))
	if err != nil {
		t.Fatal(err)
	}
	private, err := db.Submit(owner, storetest.Submission(2, ksp.DistOwner, ksp.TLPRed))
	if err != nil {
		t.Fatal(err)
	}
	b := bank.New(db, quiet)
	if err := b.Load(ctx); err != nil {
		t.Fatal(err)
	}
	startup := storetest.As(f.Startup, f.StartAdm)
	q := func(n int) ksp.MatchQuery { return ksp.MatchQuery{Type: ksp.TypePDQ, Value: storetest.PDQValue(n)} }
	for range 3 {
		res, err := b.Match(startup, []ksp.MatchQuery{q(1), q(1), q(2)}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(res[0].Matches) != 1 || len(res[1].Matches) != 1 || len(res[2].Matches) != 0 {
			t.Fatalf("matches %+v", res)
		}
	}
	if _, err := b.Match(owner, []ksp.MatchQuery{q(1), q(2)}, 0); err != nil {
		t.Fatal(err)
	}
	b.FlushCounts(ctx)
	b.FlushCounts(ctx) // nothing left: must add nothing
	counts := map[[2]string]int{}
	rows, err := db.SQL().Query(`SELECT signal_id, org_id, matches FROM signal_match_days`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var sig, org string
		var n int
		if err := rows.Scan(&sig, &org, &n); err != nil {
			t.Fatal(err)
		}
		counts[[2]string{sig, org}] += n
	}
	want := map[[2]string]int{
		{shared.Signal.ID, f.Startup.ID}:   3,
		{shared.Signal.ID, f.Platform.ID}:  1,
		{private.Signal.ID, f.Platform.ID}: 1,
	}
	if len(counts) != len(want) {
		t.Fatalf("counts %v, want %v", counts, want)
	}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%v: %d matches, want %d", k, counts[k], n)
		}
	}
}
