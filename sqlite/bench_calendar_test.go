package sqlite_test

import (
	"testing"

	"github.com/kspplatform/ksp/storetest"
)

// BenchmarkCalendar measures the events list, the public feed's query and
// the self-assessment aggregate (storetest.BenchCalendar).
func BenchmarkCalendar(b *testing.B) { storetest.BenchCalendar(b, open(b)) }
