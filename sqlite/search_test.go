package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/kspplatform/ksp/internal/sqlstore"
	"github.com/kspplatform/ksp/sqlite"
	"github.com/kspplatform/ksp/storetest"
)

// TestSearchUpgrade applies the search migration to a database with
// entities and resources in it (storetest.RunSearchUpgrade).
func TestSearchUpgrade(t *testing.T) {
	sdb, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "old.db")+"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	sdb.SetMaxOpenConns(1)
	db := sqlstore.New(sdb, sqlite.Dialect, nil, nil)
	t.Cleanup(func() { db.Close() })
	storetest.RunSearchUpgrade(t, db)
}

// BenchmarkSearchResources measures one search over 10,000 resources
// (p50-ms, p90-ms).
func BenchmarkSearchResources(b *testing.B) { storetest.BenchSearchResources(b, open(b)) }

// BenchmarkSearchEntities measures one search over the 2024 UN list.
func BenchmarkSearchEntities(b *testing.B) { storetest.BenchSearchEntities(b, open(b)) }
