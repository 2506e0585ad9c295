package postgres_test

import (
	"context"
	"testing"

	"github.com/kspplatform/ksp/postgres"
	"github.com/kspplatform/ksp/postgres/pgtest"
	"github.com/kspplatform/ksp/storetest"
)

// open gives each test its own schema, dropped afterwards.
func open(t testing.TB) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), pgtest.Schema(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestConformance runs the suite on *postgres.DB itself, so that its own
// methods (the COPY bulk path) are the ones tested.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return open(t) })
}

// TestModel drives the store and the matcher with random operations and
// compares every viewer's reads with the reference model (storetest).
func TestModel(t *testing.T) {
	storetest.RunModel(t, func(t *testing.T) storetest.Store { return open(t) }, 300)
}
