package demo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kspplatform/ksp"
)

// UNSnapshot is the UN Security Council Consolidated List the demo loads
// from the shared folder.
const UNSnapshot = "consolidated-2024-09-26.xml"

// SeedEntities imports the 2024 UN list from the shared folder, when there
// is one. Importing it again on a later start changes nothing; a database
// that already holds a newer list keeps it.
func SeedEntities(ctx context.Context, w *World) error {
	if w.SharedDir == "" {
		return nil
	}
	f, err := os.Open(filepath.Join(w.SharedDir, "testdata", "unsc", UNSnapshot))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("demo entities: %w", err)
	}
	defer f.Close()
	sys := ksp.NewContext(ctx, ksp.SystemActor("system:demo"))
	if _, err := w.Store.ImportUNSC(sys, f, false); err != nil && ksp.ErrorCode(err) != ksp.ECONFLICT {
		return fmt.Errorf("demo entities: %w", err)
	}
	return nil
}
