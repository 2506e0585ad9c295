// Package pdqtest locates the shared PDQ test vectors for the tests of pdq
// and of the packages built on it.
package pdqtest

import (
	"os"
	"path/filepath"
	"testing"
)

// SkipMessage is the reason given when the shared test data is missing.
const SkipMessage = "shared test data not found: set KSP_SHARED or place shared/ beside the repository"

// SharedDir returns the shared test data folder: $KSP_SHARED, else shared/
// beside the module root (the nearest directory above the working directory
// holding go.mod). It skips the test when neither exists.
func SharedDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("KSP_SHARED"); d != "" {
		if _, err := os.Stat(d); err == nil {
			return d
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Skipf("%s (%v)", SkipMessage, err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			d := filepath.Join(dir, "..", "shared")
			if _, err := os.Stat(filepath.Join(d, "testdata", "pdq")); err == nil {
				return d
			}
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	t.Skip(SkipMessage)
	return ""
}

// Dir returns the folder of the PDQ test vectors (shared/testdata/pdq), or
// skips the test.
func Dir(t testing.TB) string {
	return filepath.Join(SharedDir(t), "testdata", "pdq")
}
