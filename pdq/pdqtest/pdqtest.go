// Package pdqtest locates the shared PDQ test vectors for the tests of pdq
// and of the packages built on it.
package pdqtest

import (
	"path/filepath"
	"testing"

	"github.com/kspplatform/ksp/internal/sharedtest"
)

// SkipMessage is the reason given when the shared test data is missing.
const SkipMessage = sharedtest.SkipMessage

// SharedDir returns the shared test data folder with the PDQ vectors:
// $KSP_SHARED, else shared/ beside the module root. It skips the test when
// neither has them (and fails it under CI=true).
func SharedDir(t testing.TB) string {
	t.Helper()
	return sharedtest.Dir(t, "pdq")
}

// Dir returns the folder of the PDQ test vectors (shared/testdata/pdq), or
// skips the test.
func Dir(t testing.TB) string {
	return filepath.Join(SharedDir(t), "testdata", "pdq")
}
