package filehash

import (
	"os"
	"path/filepath"
	"testing"
)

// sharedDir returns the shared test data folder: $KSP_SHARED, else shared/
// beside the module root (the directory holding go.mod). It skips the test
// when neither exists.
func sharedDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("KSP_SHARED"); d != "" {
		if _, err := os.Stat(d); err == nil {
			return d
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Skipf("shared test data not found: set KSP_SHARED or place shared/ beside the repository (%v)", err)
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
	t.Skip("shared test data not found: set KSP_SHARED or place shared/ beside the repository")
	return ""
}

// pdqData returns the folder of the PDQ test vectors.
func pdqData(t testing.TB) string {
	return filepath.Join(sharedDir(t), "testdata", "pdq")
}
