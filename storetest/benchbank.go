package storetest

import (
	"io"
	"testing"

	"github.com/kspplatform/ksp"
)

// BenchBankList measures the bank list's search and sorts over n signals
// (a tenth of them owner-only, of another organisation), read by a member
// that sees the rest: one page of 25 per iteration.
func BenchBankList(b *testing.B, db Store, n int) {
	f := NewFixture(b, db)
	plat, start := As(f.Platform, f.PlatAdmin), As(f.Startup, f.StartAdm)
	for from := 0; from < n; from += 10000 {
		i := from
		_, err := db.SubmitBatch(plat, func() (int, *ksp.SubmissionInput, error) {
			if i == min(from+10000, n) {
				return i + 2, nil, io.EOF
			}
			i++
			d := ksp.DistMembers
			if i%10 == 0 {
				d = ksp.DistOwner
			}
			in := Submission(i, d, ksp.TLPGreen)
			return i + 1, &in, nil
		}, "bench")
		if err != nil {
			b.Fatal(err)
		}
	}
	q := PDQValue(7)[:4]
	for _, c := range []struct {
		name string
		f    ksp.SignalFilter
	}{
		{"default", ksp.SignalFilter{}},
		{"search", ksp.SignalFilter{Query: q}},
		{"search-first_seen", ksp.SignalFilter{Query: q, Sort: "first_seen"}},
		{"search-confidence", ksp.SignalFilter{Query: q, Sort: "-confidence"}},
		{"first_seen", ksp.SignalFilter{Sort: "first_seen"}},
		{"-last_seen", ksp.SignalFilter{Sort: "-last_seen"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			c.f.Limit = 25
			for b.Loop() {
				page, _, err := db.FindSignals(start, c.f)
				if err != nil {
					b.Fatal(err)
				}
				if len(page) == 0 {
					b.Fatal("empty page")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
		})
	}
}
