// Package pgtest gives tests their own PostgreSQL schema in the database
// named by KSP_TEST_POSTGRES, and skips them clearly when it is unset.
package pgtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Schema creates an empty schema and returns a URL whose search_path is
// that schema; the schema is dropped when the test ends (after cleanups
// registered later, such as closing a pool).
func Schema(t testing.TB) string {
	t.Helper()
	base := os.Getenv("KSP_TEST_POSTGRES")
	if base == "" {
		t.Skip("PostgreSQL tests skipped: set KSP_TEST_POSTGRES=postgres://user@127.0.0.1:5432/db?sslmode=disable (.ci/run does)")
	}
	ctx := context.Background()
	schema := fmt.Sprintf("ksp_t%d", rand.Uint64()>>1)
	c, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect %s: %v", base, err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), base); err == nil {
			c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
