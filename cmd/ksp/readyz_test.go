package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kspplatform/ksp/sqlite"
)

// TestReadyzFailsWithTheDatabase breaks the SQLite database under a
// running server in the ways that lose writes while connections still
// answer "SELECT 1", and expects /readyz to answer 503 naming the cause.
func TestReadyzFailsWithTheDatabase(t *testing.T) {
	tests := []struct {
		name   string
		breaks func(t *testing.T, db string)
		status int
		reason string
	}{
		{"healthy", func(*testing.T, string) {}, 200, ""},
		{"write-ahead log deleted", func(t *testing.T, db string) {
			// What sqlite3 3.40 does on exit when it finds the file unlocked.
			for _, f := range []string{db + "-wal", db + "-shm"} {
				if err := os.Remove(f); err != nil {
					t.Fatal(err)
				}
			}
		}, 503, "-wal was deleted"},
		{"database file replaced", func(t *testing.T, db string) {
			other := filepath.Join(t.TempDir(), "other.db")
			o, err := sqlite.Open(context.Background(), other, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			o.Close()
			if err := os.Rename(other, db); err != nil {
				t.Fatal(err)
			}
		}, 503, "was replaced"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "ksp.db")
			_, addr, stop := runServe(t, "serve", "--db", db)
			defer stop()
			if code, body := getReadyz(t, addr); code != 200 {
				t.Fatalf("readyz before: %d %s", code, body)
			}
			tt.breaks(t, db)
			code, body := getReadyz(t, addr)
			if code != tt.status || !strings.Contains(body, tt.reason) {
				t.Fatalf("readyz: %d %s, want %d naming %q", code, body, tt.status, tt.reason)
			}
		})
	}
}

func getReadyz(t *testing.T, addr string) (int, string) {
	t.Helper()
	res, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatalf("readyz: %v", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("readyz body: %v", err)
	}
	return res.StatusCode, string(b)
}
