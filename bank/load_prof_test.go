package bank_test

import (
	"context"
	"os"
	"testing"

	"github.com/kspplatform/ksp/bank"
	"github.com/kspplatform/ksp/sqlite"
)

// BenchmarkLoad loads the bank from an existing database named by
// KSP_BENCH_DB (e.g. one filled with `ksp import signals`):
//
//	KSP_BENCH_DB=/tmp/s1.db go test -run - -bench Load -benchtime 1x ./bank
func BenchmarkLoad(b *testing.B) {
	path := os.Getenv("KSP_BENCH_DB")
	if path == "" {
		b.Skip("set KSP_BENCH_DB to a database to load")
	}
	db, err := sqlite.Open(context.Background(), path, quiet)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for b.Loop() {
		bk := bank.New(db, quiet)
		if err := bk.Load(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(bk.Len()), "signals")
	}
}
