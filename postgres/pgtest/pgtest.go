// Package pgtest gives tests their own PostgreSQL schema in the database
// named by KSP_TEST_POSTGRES. Outside CI it skips them clearly when that
// is unset; under CI=true it fails them, so that CI never passes with the
// PostgreSQL tests silently skipped.
package pgtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// connectTimeout bounds the wait for a server that does not answer.
const connectTimeout = 10 * time.Second

// Schema creates an empty schema and returns a URL whose search_path is
// that schema; the schema is dropped when the test ends (after cleanups
// registered later, such as closing a pool).
//
// Without KSP_TEST_POSTGRES the test is skipped, or failed when the
// environment has CI=true. A server that does not answer at that URL
// fails the test either way: it was asked for.
func Schema(t testing.TB) string {
	t.Helper()
	base := os.Getenv("KSP_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("PostgreSQL tests cannot run: KSP_TEST_POSTGRES is unset and CI=true requires them (.ci/run sets it to postgres://postgres@127.0.0.1:5432/…)")
		}
		t.Skip("PostgreSQL tests skipped: set KSP_TEST_POSTGRES=postgres://user@127.0.0.1:5432/db?sslmode=disable (.ci/run does; CI=true makes this a failure)")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("KSP_TEST_POSTGRES is not a URL: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	c, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("PostgreSQL at KSP_TEST_POSTGRES=%s does not answer: %v", u.Redacted(), err)
	}
	defer c.Close(context.Background())
	schema := fmt.Sprintf("ksp_t%d", rand.Uint64()>>1)
	if _, err := c.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), base); err == nil {
			c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
