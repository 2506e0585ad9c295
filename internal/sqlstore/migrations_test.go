package sqlstore

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
)

// TestLabelIndexes checks that every label of the vocabulary has the
// partial index FindSignals relies on (in submission order since migration
// 007), with exactly the condition it writes, and the backfills of label
// bits.
func TestLabelIndexes(t *testing.T) {
	body, err := migrations.ReadFile("migrations/006_label_bits.sql")
	if err != nil {
		t.Fatal(err)
	}
	body7, err := migrations.ReadFile("migrations/007_viewer_figures.sql")
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range ksp.Labels {
		bit := 1 << i
		index := fmt.Sprintf("ON submissions(id) WHERE (label_bits & %d) = %[1]d AND retracted_at IS NULL;", bit)
		backfill := fmt.Sprintf(`(CASE WHEN labels LIKE '%%"%s"%%' THEN %d ELSE 0 END)`, l, bit)
		if !strings.Contains(string(body7), index) || !strings.Contains(string(body), backfill) || !strings.Contains(string(body7), backfill) {
			t.Errorf("label %q: no partial index %q or backfill %q", l, index, backfill)
		}
		if int(ksp.LabelMask([]string{l})) != bit {
			t.Errorf("LabelMask(%q) = %d, want %d", l, ksp.LabelMask([]string{l}), bit)
		}
	}
}
