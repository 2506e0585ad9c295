package sqlite_test

import (
	"testing"

	"github.com/kspplatform/ksp/storetest"
)

// BenchmarkTakeNotices measures the incident mail fan-out to 1,000 member
// organisations (5,000 users).
func BenchmarkTakeNotices(b *testing.B) { storetest.BenchNotices(b, open(b), 1000) }
