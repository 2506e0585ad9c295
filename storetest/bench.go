package storetest

import (
	"context"
	"database/sql"
	"io"
	"testing"

	"github.com/kspplatform/ksp"
)

// AuditWriter is a store that runs adapters' own audited writes
// (*sqlstore.DB and the adapters embedding it).
type AuditWriter interface {
	WriteTx(ctx context.Context, fn func(tx *sql.Tx, audit func(action, object, orgID string, details map[string]any) error) error) error
}

// BenchAuditAppend measures the cheapest audited write: a write
// transaction (with the dialect's write lock) that only appends one audit
// event, then commits. Reported as appends/s.
func BenchAuditAppend(b *testing.B, db Store) {
	w, ok := db.(AuditWriter)
	if !ok {
		b.Skipf("%T has no WriteTx", db)
	}
	ctx := Staff()
	b.ResetTimer()
	for b.Loop() {
		err := w.WriteTx(ctx, func(_ *sql.Tx, audit func(string, string, string, map[string]any) error) error {
			return audit("bench.append", "bench:1", ksp.StaffOrgID, nil)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
}

// BenchSubmitBatchNew measures SubmitBatch on new values, one batch of 1000
// records per iteration. Reported as rows/s.
func BenchSubmitBatchNew(b *testing.B, db Store) {
	ctx := Staff()
	const per = 1000
	n := 0
	b.ResetTimer()
	for b.Loop() {
		i := 0
		res, err := db.SubmitBatch(ctx, func() (int, *ksp.SubmissionInput, error) {
			if i == per {
				return i + 1, nil, io.EOF
			}
			i++
			n++
			in := Submission(n, ksp.DistMembers, ksp.TLPGreen)
			return i + 1, &in, nil
		}, "bench")
		if err != nil {
			b.Fatal(err)
		}
		if res.Created != per {
			b.Fatalf("%+v", res)
		}
	}
	b.ReportMetric(float64(b.N*per)/b.Elapsed().Seconds(), "rows/s")
}
