package bank_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
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

// BenchmarkMatch matches single PDQ queries, read from the file named by
// KSP_BENCH_VALUES (one hex value a line), against the bank loaded from
// KSP_BENCH_DB, as the staff org (which sees everything):
//
//	KSP_BENCH_DB=/tmp/s1.db KSP_BENCH_VALUES=/tmp/vals.txt go test -run - -bench Match ./bank
func BenchmarkMatch(b *testing.B) {
	path, valuesPath := os.Getenv("KSP_BENCH_DB"), os.Getenv("KSP_BENCH_VALUES")
	if path == "" || valuesPath == "" {
		b.Skip("set KSP_BENCH_DB to a database and KSP_BENCH_VALUES to a file of PDQ values")
	}
	raw, err := os.ReadFile(valuesPath)
	if err != nil {
		b.Fatal(err)
	}
	values := strings.Fields(string(raw))
	db, err := sqlite.Open(context.Background(), path, quiet)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	bk := bank.New(db, quiet)
	if err := bk.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	ctx := ksp.NewContext(context.Background(), ksp.SystemActor("bench"))
	b.ResetTimer()
	i, matched := 0, 0
	for b.Loop() {
		res, err := bk.Match(ctx, []ksp.MatchQuery{{Type: ksp.TypePDQ, Value: values[i%len(values)]}}, 31)
		if err != nil {
			b.Fatal(err)
		}
		matched += len(res[0].Matches)
		i++
	}
	b.ReportMetric(float64(matched)/float64(i), "matches/op")
}
