package storetest

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

// trBulkInsert writes rows into table in multi-row INSERTs of up to 500
// rows, in transactions of up to 50,000 rows.
func trBulkInsert(b *testing.B, db Store, table string, cols []string, n int, row func(i int) []any) {
	b.Helper()
	w, ok := db.(AuditWriter)
	if !ok {
		b.Skipf("%T has no WriteTx", db)
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for start := 0; start < n; start += 50000 {
		end := min(start+50000, n)
		err := w.WriteTx(Staff(), func(tx *sql.Tx, _ func(string, string, string, map[string]any) error) error {
			for s := start; s < end; s += 500 {
				e := min(s+500, end)
				var args []any
				for i := s; i < e; i++ {
					args = append(args, row(i)...)
				}
				q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", e-s), ", ")
				if _, err := tx.Exec(db.Rebind(q), args...); err != nil {
					return fmt.Errorf("bulk insert %s: %w", table, err)
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchTransparencyYear measures computing a year's platform-wide report
// (as staff, and as the public sees it) over submissions submissions on
// 80 % as many signals and alerts alerts, from 60 orgs, spread over two
// years, the year measured being the second. Rows are bulk-inserted
// before the timer starts.
func BenchTransparencyYear(b *testing.B, db Store, submissions, alerts int) {
	rng := rand.New(rand.NewPCG(1, 16))
	var orgs []string
	kinds := []ksp.OrgKind{ksp.KindPlatform, ksp.KindPlatform, ksp.KindPlatform, ksp.KindGovernment, ksp.KindAcademia, ksp.KindCivilSociety}
	for i := 0; i < 60; i++ {
		o := &ksp.Org{Name: fmt.Sprintf("Bench Org %d", i), Kind: kinds[i%len(kinds)]}
		if o.Kind == ksp.KindPlatform {
			o.Size = ksp.SizeSmall
		}
		if err := db.CreateOrg(Staff(), o); err != nil {
			b.Fatal(err)
		}
		orgs = append(orgs, o.ID)
	}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	twoYears := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Sub(start)
	at := func() int64 { return start.Add(time.Duration(rng.Int64N(int64(twoYears)))).UnixMicro() }
	nSignals := submissions * 4 / 5
	types := []string{"pdq", "pdq", "md5", "sha256", "url"}
	sigIDs := make([]string, nSignals)
	sigAt := make([]int64, nSignals)
	t0 := time.Now()
	trBulkInsert(b, db, "signals", []string{"id", "type", "value", "created_at"}, nSignals, func(i int) []any {
		sigIDs[i], sigAt[i] = ksp.NewRandomID(), at()
		return []any{sigIDs[i], types[i%len(types)], fmt.Sprintf("%064x", i), sigAt[i]}
	})
	tlps := []string{"GREEN", "GREEN", "AMBER", "RED"}
	trBulkInsert(b, db, "submissions", []string{"id", "signal_id", "org_id", "owner_org_id", "distribution", "tlp", "content_type", "labels", "label_bits",
		"basis", "severity", "flags", "policy_version", "digest", "created_at", "updated_at", "change_seq"}, submissions, func(i int) []any {
		s, t, org := i, sigAt[i%nSignals], orgs[(8*i)%len(orgs)]
		if i >= nSignals {
			// A second org's submission of a signal: each signal at most once.
			s = ((i - nSignals) * 3) % nSignals
			t = sigAt[s] + rng.Int64N(int64(30*24*time.Hour/time.Microsecond))
			org = orgs[(8*s+1)%len(orgs)]
		}
		l1, l2 := rng.IntN(8), rng.IntN(8)
		labels := []string{ksp.Labels[l1], ksp.Labels[l2]}
		dist := "members"
		if i%10 == 0 {
			dist = "owner"
		}
		return []any{ksp.NewID(), sigIDs[s], org, org, dist, tlps[i%len(tlps)], "photo", jsonOf(labels), int(ksp.LabelMask(labels)),
			[]string{"other", "branded_publication"}[i%2], "medium", "[]", "1", "d", t, t, i + 1}
	})
	senders := orgs
	var receivers []string
	for i, o := range orgs {
		if kinds[i%len(kinds)] == ksp.KindPlatform {
			receivers = append(receivers, o)
		}
	}
	actions := []string{"removed", "removed", "restricted", "no_violation", "not_found", ""}
	tiers := []string{"designation", "crisis", "threat_to_life"}
	trBulkInsert(b, db, "alerts", []string{"id", "url", "host", "kind", "tier", "tlp", "sender_org_id", "receiver_org_id", "status", "created_at",
		"clock_start", "deadline_at", "response_action", "responded_at"}, alerts, func(i int) []any {
		t := at()
		kind, tier := "referral", tiers[i%len(tiers)]
		if i%20 == 0 {
			kind, tier = "tco_removal_order", ""
		}
		action := actions[i%len(actions)]
		var responded any
		if action != "" {
			responded = t + rng.Int64N(int64(4*time.Hour/time.Microsecond))
		}
		return []any{ksp.NewID(), fmt.Sprintf("https://h%d.example/%d", i%50, i), "h.example", kind, tier, "AMBER", senders[i%len(senders)],
			receivers[i%len(receivers)], "responded", t, t, t + int64(24*time.Hour/time.Microsecond), action, responded}
	})
	// Statistics, as autovacuum (PostgreSQL) or a periodic ANALYZE
	// (SQLite) keep them on a live database.
	if _, err := db.SQL().Exec("ANALYZE"); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d submissions, %d signals, %d alerts in %s", submissions, nSignals, alerts, time.Since(t0).Round(time.Second))
	p, err := ksp.ParseCalendarPeriod("2025")
	if err != nil {
		b.Fatal(err)
	}
	// "public" computes the staff figures and suppresses them, which is
	// what a public request costs when the store's short-lived cache of
	// public reports misses.
	for _, c := range []struct {
		name     string
		suppress bool
	}{{"staff", false}, {"public", true}} {
		b.Run(c.name, func(b *testing.B) {
			// cpu-ms is this process's CPU time a report: the whole
			// work on SQLite (in-process), the client's on PostgreSQL.
			cpu := processCPU()
			for b.Loop() {
				r, err := db.TransparencyReport(Staff(), ksp.TransparencyQuery{Period: p})
				if err != nil {
					b.Fatal(err)
				}
				if c.suppress {
					r.Suppress()
				}
				if r.Submissions.Added.N == 0 {
					b.Fatal("no submissions in the year")
				}
			}
			b.ReportMetric(float64((processCPU()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}
