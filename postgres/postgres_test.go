package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kspplatform/ksp/postgres"
	"github.com/kspplatform/ksp/storetest"
)

// open gives each test its own schema in the database named by
// KSP_TEST_POSTGRES, dropped afterwards.
func open(t testing.TB) *postgres.DB {
	t.Helper()
	base := os.Getenv("KSP_TEST_POSTGRES")
	if base == "" {
		t.Skip("PostgreSQL tests skipped: set KSP_TEST_POSTGRES=postgres://user@127.0.0.1:5432/db?sslmode=disable (.ci/run does)")
	}
	ctx := context.Background()
	schema := fmt.Sprintf("ksp_t%d", rand.Uint64()>>1)
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect %s: %v", base, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := postgres.Open(ctx, u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		c, err := pgx.Connect(context.Background(), base)
		if err == nil {
			c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	return db
}

// TestConformance runs the suite on *postgres.DB itself, so that its own
// methods (the COPY bulk path) are the ones tested.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return open(t) })
}
