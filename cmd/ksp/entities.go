package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/kspplatform/ksp"
)

// importUNSC is "ksp import unsc [--force] FILE": it brings the designated
// entities up to date from a UN Security Council Consolidated List XML.
func (m *Main) importUNSC(ctx context.Context, args []string) error {
	var c common
	fs := m.flags("import unsc", "import unsc [--force] [--json] FILE", &c)
	force := fs.Bool("force", false, "import even a list generated before the last one imported")
	asJSON := fs.Bool("json", false, "print the counts as one JSON object")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return exitError{code: 2, msg: "name exactly one file"}
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return exitError{code: 1, msg: err.Error()}
	}
	defer f.Close()
	db, err := m.open(ctx, &c)
	if err != nil {
		return err
	}
	defer db.Close()
	counts, err := db.ImportUNSC(ksp.NewContext(ctx, cliActor()), f, *force)
	var ke *ksp.Error
	if errors.As(err, &ke) {
		hint := ""
		if ke.Code == ksp.ECONFLICT {
			hint = " (--force imports it anyway)"
		}
		return exitError{code: 1, msg: fmt.Sprintf("%s: %s; nothing was imported%s", fs.Arg(0), ke.Message, hint)}
	}
	if err != nil {
		return fmt.Errorf("import %s: %w", fs.Arg(0), err)
	}
	if *asJSON {
		if err := json.NewEncoder(m.Stdout).Encode(counts); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		return nil
	}
	fmt.Fprintf(m.Stdout, "added=%d updated=%d delisted=%d unchanged=%d", counts.Added, counts.Updated, counts.Delisted, counts.Unchanged)
	if counts.Flagged > 0 {
		// Signals attributed to a delisted entity, now in staff's queue.
		fmt.Fprintf(m.Stdout, " flagged=%d", counts.Flagged)
	}
	fmt.Fprintln(m.Stdout)
	return nil
}
