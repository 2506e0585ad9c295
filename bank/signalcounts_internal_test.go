package bank

import (
	"log/slog"
	"testing"
)

// BenchmarkCountSignals measures what a match request with ten hits adds
// for the per-signal counts (under the count lock), to set beside
// BenchmarkMatchHits' whole request.
func BenchmarkCountSignals(b *testing.B) {
	bk := New(nil, slog.New(slog.DiscardHandler))
	hits := make([][16]byte, 10)
	for b.Loop() {
		for i := range hits {
			hits[i] = [16]byte{byte(i), byte(i * 7)}
		}
		bk.countMu.Lock()
		bk.countSignals("0190c0de-0000-7000-8000-000000000001", "2026-12-02", hits)
		bk.countMu.Unlock()
	}
}
