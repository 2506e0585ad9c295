package signalio

import (
	"context"
	"fmt"

	"github.com/kspplatform/ksp"
)

// Exporter is the store's side of an export.
type Exporter interface {
	ExportSignals(ctx context.Context, since *ksp.Time, fn func(*ksp.Signal, ksp.Distribution, *ksp.Submission) error) error
}

// Export writes every signal that may leave towards the actor's
// organisation (changed at or after since, when given) to w and closes it:
// the one code path behind `ksp export signals` and the web's download, so
// that both apply the same TLP rule and re-import the same way. It returns
// how many signals were written.
func Export(ctx context.Context, src Exporter, w *Writer, since *ksp.Time) (int, error) {
	n := 0
	err := src.ExportSignals(ctx, since, func(s *ksp.Signal, d ksp.Distribution, own *ksp.Submission) error {
		n++
		return w.Write(Record(s, d, own))
	})
	if err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	return n, w.Close()
}
