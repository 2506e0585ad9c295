package storetest

import (
	"database/sql"
	"fmt"
	"testing"

	"github.com/kspplatform/ksp"
)

// BenchVerifyChain measures verifying a 100,000-event audit chain (what
// the audit pages' "Verify" button runs), to decide between verifying on
// every page load and on demand. The chain is built with real audited
// writes, 10,000 events a transaction, half of them with details.
func BenchVerifyChain(b *testing.B, db Store) {
	w, ok := db.(AuditWriter)
	if !ok {
		b.Skipf("%T has no WriteTx", db)
	}
	ctx := Staff()
	const events, perTx = 100_000, 10_000
	for done := 0; done < events; done += perTx {
		err := w.WriteTx(ctx, func(_ *sql.Tx, audit func(string, string, string, map[string]any) error) error {
			for i := range perTx {
				var details map[string]any
				if i%2 == 0 {
					details = map[string]any{"n": done + i, "email": fmt.Sprintf("u%d@example.org", done+i)}
				}
				if err := audit("bench.verify", fmt.Sprint("bench:", done+i), ksp.StaffOrgID, details); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		n, _, err := ksp.VerifyChain(ctx, db, "")
		if err != nil {
			b.Fatal(err)
		}
		if n < events {
			b.Fatalf("verified %d events, want %d at least", n, events)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/verify")
}
