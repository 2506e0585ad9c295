package bank_test

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/bank"
	"github.com/kspplatform/ksp/sqlite"
	"github.com/kspplatform/ksp/storetest"
)

// BenchmarkMatchHits measures match requests whose every query hits (ten
// PDQ values, each a signal the asker sees), from parallel goroutines: the
// case where the per-request counting (per org, and per signal since
// migration 013) costs most beside the lookup itself.
func BenchmarkMatchHits(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "ksp.db"), quiet)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	f := storetest.NewFixture(b, db)
	owner := storetest.As(f.Platform, f.PlatAdmin)
	n := 0
	next := func() (int, *ksp.SubmissionInput, error) {
		if n == 1000 {
			return 0, nil, io.EOF
		}
		in := storetest.Submission(n, ksp.DistMembers, ksp.TLPGreen)
		n++
		return n, &in, nil
	}
	if _, err := db.SubmitBatch(owner, next, "bench"); err != nil {
		b.Fatal(err)
	}
	bk := bank.New(db, quiet)
	if err := bk.Load(ctx); err != nil {
		b.Fatal(err)
	}
	asker := storetest.As(f.Startup, f.StartAdm)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			qs := make([]ksp.MatchQuery, 10)
			for j := range qs {
				qs[j] = ksp.MatchQuery{Type: ksp.TypePDQ, Value: storetest.PDQValue((i*10 + j) % 1000)}
			}
			i++
			res, err := bk.Match(asker, qs, 0)
			if err != nil || len(res[0].Matches) != 1 {
				b.Fatalf("match: %v %v", res, err)
			}
		}
	})
	b.StopTimer()
	bk.FlushCounts(ctx)
}
