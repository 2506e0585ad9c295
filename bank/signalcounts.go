package bank

import (
	"bytes"
	"context"
	"slices"

	"github.com/kspplatform/ksp"
)

// Per-signal match counts (the "what your signals did" figures) are kept
// in memory by (signal, day, org) and written with the per-org counts on
// every flush, so that a match request costs a map increment per hit, not
// a write.

// sigDayOrg keys one day's matches of a signal by an org.
type sigDayOrg struct {
	signal     [16]byte
	day, orgID string
}

// countSignals adds one match for org on day of each signal in hits, the
// signals one request returned: a signal returned for several of the
// request's queries (an image's MD5, PDQ and rotations, a value pasted
// twice) counts once, so that repeating a query cannot inflate what the
// submitter is shown. Called with countMu held.
func (b *Bank) countSignals(org, day string, hits [][16]byte) {
	if len(hits) == 0 {
		return
	}
	if b.sigCounts == nil {
		b.sigCounts = map[sigDayOrg]int{}
	}
	slices.SortFunc(hits, func(x, y [16]byte) int { return bytes.Compare(x[:], y[:]) })
	for _, h := range slices.Compact(hits) {
		b.sigCounts[sigDayOrg{h, day, org}]++
	}
}

// flushSignalCounts writes the accumulated per-signal counts; on failure
// they are kept for the next flush (counts are aggregates: late is better
// than lost).
func (b *Bank) flushSignalCounts(ctx context.Context) {
	b.countMu.Lock()
	counts := b.sigCounts
	b.sigCounts = nil
	b.countMu.Unlock()
	if len(counts) == 0 {
		return
	}
	list := make([]ksp.SignalMatchCount, 0, len(counts))
	for k, n := range counts {
		list = append(list, ksp.SignalMatchCount{SignalID: ksp.FormatUUID(k.signal), Day: k.day, OrgID: k.orgID, Matches: n})
	}
	if err := b.store.RecordSignalMatches(ctx, list); err != nil {
		b.log.Warn("could not record per-signal match counts", "err", err)
		b.countMu.Lock()
		for k, n := range counts {
			if b.sigCounts == nil {
				b.sigCounts = map[sigDayOrg]int{}
			}
			b.sigCounts[k] += n
		}
		b.countMu.Unlock()
	}
}
