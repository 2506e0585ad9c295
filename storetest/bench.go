package storetest

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"testing"
	"time"

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
	benchBatches(b, db, func(n int) ksp.SubmissionInput { return Submission(n, ksp.DistMembers, ksp.TLPGreen) })
}

// benchBatches submits batches of 1000 new records made by record (n counts
// from 1 across the whole run) as staff, one batch per iteration, and
// reports rows/s.
func benchBatches(b *testing.B, db Store, record func(n int) ksp.SubmissionInput) {
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
			in := record(n)
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

// BenchImportUNSC measures importing the 2024 UN list into a store without
// entities (875 added, one transaction), and, as "diff-ms", importing it
// over the 2017 list (156 added, 566 updated, 302 delisted). The file is
// parsed inside each import, as the CLI and the API do.
func BenchImportUNSC(b *testing.B, db Store) {
	y2017 := UNSCSnapshot(b, "consolidated-2017-07-03.xml")
	y2024 := UNSCSnapshot(b, "consolidated-2024-09-26.xml")
	ctx := Staff()
	clear := func() {
		for _, q := range []string{`DELETE FROM entity_lists`, `DELETE FROM entities`, `DELETE FROM list_imports`} {
			if _, err := db.SQL().Exec(q); err != nil {
				b.Fatal(err)
			}
		}
	}
	var diff time.Duration
	for b.Loop() {
		b.StopTimer()
		clear()
		if _, err := db.ImportUNSC(ctx, bytes.NewReader(y2017), false); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := db.ImportUNSC(ctx, bytes.NewReader(y2024), false); err != nil {
			b.Fatal(err)
		}
		diff += time.Since(start)
		clear()
		b.StartTimer()
		if _, err := db.ImportUNSC(ctx, bytes.NewReader(y2024), false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(diff.Milliseconds())/float64(b.N), "diff-ms")
}
