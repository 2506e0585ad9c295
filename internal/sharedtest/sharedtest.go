// Package sharedtest finds the shared test data (Meta's PDQ vectors, the UN
// list snapshots) that sits beside the repository, for tests.
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// SkipMessage is the reason given when the shared test data is missing.
const SkipMessage = "shared test data not found: set KSP_SHARED or place shared/ beside the repository"

// Dir returns the shared test data folder holding testdata/sub: $KSP_SHARED,
// else shared/ beside the module root (the nearest directory above the
// working directory holding go.mod). When neither has it the test is
// skipped, or, under CI=true (where it must be there), failed.
func Dir(t testing.TB, sub string) string {
	t.Helper()
	has := func(d string) bool {
		_, err := os.Stat(filepath.Join(d, "testdata", sub))
		return err == nil
	}
	if d := os.Getenv("KSP_SHARED"); d != "" && has(d) {
		return d
	}
	dir, err := os.Getwd()
	for err == nil {
		if _, e := os.Stat(filepath.Join(dir, "go.mod")); e == nil {
			if d := filepath.Join(dir, "..", "shared"); has(d) {
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
	if os.Getenv("CI") == "true" {
		t.Fatal(SkipMessage + " (CI=true: the tests need it)")
	}
	t.Skip(SkipMessage)
	return ""
}
