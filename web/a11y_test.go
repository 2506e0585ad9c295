package web

import (
	"testing"

	"github.com/kspplatform/ksp/internal/a11y"
)

// TestStylesheetAccessible checks the contrast of every colour pair the
// stylesheet declares and that keyboard focus is visible.
func TestStylesheetAccessible(t *testing.T) {
	for _, p := range a11y.CheckCSS(Stylesheet()) {
		t.Error(p)
	}
}
