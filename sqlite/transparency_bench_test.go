package sqlite_test

import (
	"testing"

	"github.com/kspplatform/ksp/storetest"
)

// BenchmarkTransparencyYear computes a year's report over 1M submissions
// and 100k alerts (100k and 10k with -short).
func BenchmarkTransparencyYear(b *testing.B) {
	subs, alerts := 1_000_000, 100_000
	if testing.Short() {
		subs, alerts = 100_000, 10_000
	}
	storetest.BenchTransparencyYear(b, open(b), subs, alerts)
}
