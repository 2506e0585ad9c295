package sqlite_test

import (
	"testing"

	"github.com/kspplatform/ksp/storetest"
)

// BenchmarkQuestions measures the community's lists, a question with its
// answers and the question search over 10,000 questions.
func BenchmarkQuestions(b *testing.B) { storetest.BenchQuestions(b, open(b)) }
