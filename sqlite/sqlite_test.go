package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/sqlstore"
	"github.com/kspplatform/ksp/sqlite"
	"github.com/kspplatform/ksp/storetest"
)

func open(t testing.TB) *sqlstore.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ksp.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return open(t) })
}

func TestBackup(t *testing.T) {
	db := open(t)
	storetest.NewFixture(t, db)
	dst := filepath.Join(t.TempDir(), "copy.db")
	if err := sqlite.Backup(context.Background(), db, dst); err != nil {
		t.Fatal(err)
	}
	cp, err := sqlite.Open(context.Background(), dst, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if _, _, err := ksp.VerifyChain(context.Background(), cp, ""); err != nil {
		t.Fatalf("backup chain: %v", err)
	}
}

// TestModel drives the store and the matcher with random operations and
// compares every viewer's reads with the reference model (storetest).
func TestModel(t *testing.T) {
	storetest.RunModel(t, func(t *testing.T) storetest.Store { return open(t) }, 2000)
}
