package postgres_test

import (
	"database/sql"
	"testing"

	"github.com/kspplatform/ksp/internal/sqlstore"
	"github.com/kspplatform/ksp/postgres"
	"github.com/kspplatform/ksp/postgres/pgtest"
	"github.com/kspplatform/ksp/storetest"
)

// TestSearchUpgrade applies the search migration to a database with
// entities and resources in it (storetest.RunSearchUpgrade).
func TestSearchUpgrade(t *testing.T) {
	sdb, err := sql.Open("pgx", pgtest.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	db := sqlstore.New(sdb, postgres.Dialect, nil, nil)
	t.Cleanup(func() { db.Close() })
	storetest.RunSearchUpgrade(t, db)
}

// BenchmarkSearchResources measures one search over 10,000 resources
// (p50-ms, p90-ms).
func BenchmarkSearchResources(b *testing.B) { storetest.BenchSearchResources(b, open(b)) }

// BenchmarkSearchEntities measures one search over the 2024 UN list.
func BenchmarkSearchEntities(b *testing.B) { storetest.BenchSearchEntities(b, open(b)) }
