// Package bank keeps the shared hash bank in memory for matching: an exact
// Hamming index over every PDQ signal, exact maps for MD5, SHA-256 and URLs,
// and for each signal the compact facts the sharing rule and actionability
// need. It loads from the store at start and follows the store's
// commit-ordered change sequence, so every replica answers the same.
package bank

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/hamming"
)

// sub is what the matcher keeps of one submission.
type sub struct {
	owner     string
	audience  []string
	entity    string
	dist      ksp.Distribution
	tlp       ksp.TLP
	labels    uint8 // bit i: ksp.Labels[i]
	retracted bool
}

// entry is what the matcher keeps of one signal.
type entry struct {
	id         [16]byte
	typ        uint8
	subs       []sub
	feedback   [6]uint16 // counts per ksp.Verdicts
	relabelled uint8     // labels set by staff, when relabelled
	actionable bool
	reason     string
	live       bool
}

var typeCode = map[string]uint8{ksp.TypePDQ: 1, ksp.TypeMD5: 2, ksp.TypeSHA256: 3, ksp.TypeURL: 4}
var typeName = []string{"", ksp.TypePDQ, ksp.TypeMD5, ksp.TypeSHA256, ksp.TypeURL}

// Bank is the in-memory matcher. It implements ksp.Matcher.
type Bank struct {
	store ksp.SignalService
	log   *slog.Logger

	mu      sync.RWMutex
	entries []entry
	byID    map[[16]byte]uint32
	exact   map[string]uint32 // "type:value" for md5, sha256, url
	pdq     *hamming.Index
	neg     *hamming.Index
	negVals map[string]bool // "type:value" of every negative-bank entry
	negIDs  map[string]bool
	owners  map[string]string // interned org ids

	syncMu  sync.Mutex
	lastSeq int64
	loaded  bool

	countMu sync.Mutex
	counts  map[[2]string][2]int // (org, day) → queries, matches
}

var _ ksp.Matcher = (*Bank)(nil)

// New returns an empty bank over store; call Load before serving.
func New(store ksp.SignalService, log *slog.Logger) *Bank {
	if log == nil {
		log = slog.Default()
	}
	return &Bank{store: store, log: log, byID: map[[16]byte]uint32{}, exact: map[string]uint32{}, pdq: hamming.New(), neg: hamming.New(),
		negVals: map[string]bool{}, negIDs: map[string]bool{}, owners: map[string]string{}, counts: map[[2]string][2]int{}}
}

// words parses a 64-hex-digit hash into the index's representation.
func words(v string) ([4]uint64, bool) {
	var b [32]byte
	if len(v) != 64 {
		return [4]uint64{}, false
	}
	if _, err := hex.Decode(b[:], []byte(v)); err != nil {
		return [4]uint64{}, false
	}
	var w [4]uint64
	for i := 0; i < 4; i++ {
		for j := 0; j < 8; j++ {
			w[i] = w[i]<<8 | uint64(b[i*8+j])
		}
	}
	return w, true
}

func labelMask(labels []string) uint8 {
	var m uint8
	for _, l := range labels {
		if i := slices.Index(ksp.Labels, l); i >= 0 {
			m |= 1 << i
		}
	}
	return m
}

func (b *Bank) intern(s string) string {
	if x, ok := b.owners[s]; ok {
		return x
	}
	b.owners[s] = s
	return s
}

// compact turns a full state into an entry. Callers hold b.mu for writing
// (interning).
func (b *Bank) compact(st *ksp.SignalState) (entry, bool) {
	id, ok := ksp.ParseUUID(st.ID)
	if !ok {
		return entry{}, false
	}
	e := entry{id: id, typ: typeCode[st.Type], live: true}
	for _, s := range st.Submissions {
		cs := sub{owner: b.intern(s.OrgID), dist: s.Distribution, tlp: s.TLP, labels: labelMask(s.Labels), entity: s.EntityID, retracted: s.Retracted != nil}
		if len(s.Audience) > 0 {
			cs.audience = slices.Clone(s.Audience)
			for i, a := range cs.audience {
				cs.audience[i] = b.intern(a)
			}
		}
		e.subs = append(e.subs, cs)
	}
	for _, fb := range st.Feedback {
		if i := slices.Index(ksp.Verdicts, fb.Verdict); i >= 0 {
			e.feedback[i]++
		}
	}
	if st.Resolution == "relabelled" {
		e.relabelled = labelMask(st.ResolvedLabels)
	}
	e.actionable, e.reason = st.Actionability()
	return e, true
}

// Load builds the bank from the store. It records the change sequence
// first, so that changes committed while loading are applied by the next
// Sync (applying one twice is harmless).
func (b *Bank) Load(ctx context.Context) error {
	start := time.Now()
	seq, err := b.store.ChangeSeq(ctx)
	if err != nil {
		return fmt.Errorf("bank: %w", err)
	}
	// Sized up front: growing a slice of a million entries copies it
	// again and again, and the collector rescans each copy.
	n, err := b.store.CountSignals(ctx)
	if err != nil {
		return fmt.Errorf("bank: %w", err)
	}
	n += n/64 + 1024 // signals added while loading
	ids := make([]uint64, 0, n)
	vals := make([][4]uint64, 0, n)
	b.mu.Lock()
	b.entries = make([]entry, 0, n)
	b.byID = make(map[[16]byte]uint32, n)
	// Reading rows (the store) and compacting them (here) overlap on two
	// goroutines; the channel hands over batches to keep its cost low.
	batches := make(chan []*ksp.SignalState, 16)
	compacted := make(chan struct{})
	go func() {
		defer close(compacted)
		for batch := range batches {
			for _, st := range batch {
				e, ok := b.compact(st)
				if !ok {
					continue
				}
				n := uint32(len(b.entries))
				b.entries = append(b.entries, e)
				b.byID[e.id] = n
				switch st.Type {
				case ksp.TypePDQ:
					if w, ok := words(st.Value); ok {
						ids = append(ids, uint64(n))
						vals = append(vals, w)
					}
				default:
					b.exact[st.Type+":"+st.Value] = n
				}
			}
		}
	}()
	batch := make([]*ksp.SignalState, 0, 256)
	err = b.store.IndexStates(ctx, func(st *ksp.SignalState) error {
		batch = append(batch, st)
		if len(batch) == cap(batch) {
			batches <- batch
			batch = make([]*ksp.SignalState, 0, 256)
		}
		return nil
	})
	batches <- batch
	close(batches)
	<-compacted
	if err == nil {
		b.pdq = hamming.Build(ids, vals)
	}
	b.mu.Unlock()
	if err != nil {
		return fmt.Errorf("bank: load: %w", err)
	}
	if err := b.syncNegatives(ctx); err != nil {
		return err
	}
	b.syncMu.Lock()
	b.lastSeq, b.loaded = seq, true
	b.syncMu.Unlock()
	b.log.Info("hash bank loaded", "signals", len(b.entries), "pdq", len(ids), "seconds", time.Since(start).Seconds())
	return nil
}

// Loaded reports whether Load finished (readiness).
func (b *Bank) Loaded() bool {
	b.syncMu.Lock()
	defer b.syncMu.Unlock()
	return b.loaded
}

// Len returns the number of signals held.
func (b *Bank) Len() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.entries)
}

// Sync applies the changes committed since the last Sync or Load.
func (b *Bank) Sync(ctx context.Context) error {
	b.syncMu.Lock()
	defer b.syncMu.Unlock()
	ids, top, err := b.store.SignalChangesSince(ctx, b.lastSeq)
	if err != nil {
		return fmt.Errorf("bank sync: %w", err)
	}
	if len(ids) > 0 {
		var states []*ksp.SignalState
		if err := b.store.SignalStates(ctx, ids, func(st *ksp.SignalState) error { states = append(states, st); return nil }); err != nil {
			return fmt.Errorf("bank sync: %w", err)
		}
		b.mu.Lock()
		for _, st := range states {
			e, ok := b.compact(st)
			if !ok {
				continue
			}
			if n, ok := b.byID[e.id]; ok {
				b.entries[n] = e
				continue
			}
			n := uint32(len(b.entries))
			b.entries = append(b.entries, e)
			b.byID[e.id] = n
			if st.Type == ksp.TypePDQ {
				if w, ok := words(st.Value); ok {
					b.pdq.Add(uint64(n), w)
				}
			} else {
				b.exact[st.Type+":"+st.Value] = n
			}
		}
		b.mu.Unlock()
	}
	b.lastSeq = top
	return b.syncNegatives(ctx)
}

// syncNegatives adds negative-bank entries not yet held (the negative bank
// only grows).
func (b *Bank) syncNegatives(ctx context.Context) error {
	page := ksp.Page{Limit: ksp.MaxLimit}
	sys := ksp.NewContext(ctx, ksp.SystemActor("system:bank"))
	for {
		list, next, err := b.store.FindNegatives(sys, page)
		if err != nil {
			return fmt.Errorf("bank: negatives: %w", err)
		}
		fresh := false
		b.mu.Lock()
		for _, n := range list {
			if b.negIDs[n.ID] {
				continue
			}
			fresh = true
			b.negIDs[n.ID] = true
			b.negVals[n.Type+":"+n.Value] = true
			if n.Type == ksp.TypePDQ {
				if w, ok := words(n.Value); ok {
					b.neg.Add(uint64(len(b.negIDs)), w)
				}
			}
		}
		b.mu.Unlock()
		// Newest first: a page with nothing new means the rest is known.
		if next == "" || !fresh {
			return nil
		}
		page.Cursor = next
	}
}

// Run keeps the bank in step with changes made by other replicas and
// flushes match counts, until ctx ends.
func (b *Bank) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	flush := time.NewTicker(time.Minute)
	defer flush.Stop()
	for {
		select {
		case <-ctx.Done():
			b.FlushCounts(context.WithoutCancel(ctx))
			return
		case <-t.C:
			if err := b.Sync(ctx); err != nil && ctx.Err() == nil {
				b.log.Warn("hash bank sync failed", "err", err)
			}
		case <-flush.C:
			b.FlushCounts(ctx)
		}
	}
}

// FlushCounts writes the accumulated daily match counts.
func (b *Bank) FlushCounts(ctx context.Context) {
	b.countMu.Lock()
	counts := b.counts
	b.counts = map[[2]string][2]int{}
	b.countMu.Unlock()
	for k, v := range counts {
		if err := b.store.RecordMatches(ctx, k[0], k[1], v[0], v[1]); err != nil {
			b.log.Warn("could not record match counts", "err", err)
		}
	}
}

// Match looks up each query for the actor in ctx. Only signals the actor may
// see are returned, each marked actionable or not; a PDQ query within the
// threshold of a negative-bank hash has all its matches marked not
// actionable.
func (b *Bank) Match(ctx context.Context, queries []ksp.MatchQuery, threshold int) ([]ksp.MatchResult, error) {
	a := ksp.ActorFrom(ctx)
	v := a.Viewer()
	out := make([]ksp.MatchResult, len(queries))
	total := 0
	b.mu.RLock()
	for i, q := range queries {
		out[i].Matches = []ksp.MatchHit{}
		negative := b.negVals[q.Type+":"+q.Value]
		var cands []hamming.Match
		if q.Type == ksp.TypePDQ {
			w, ok := words(q.Value)
			if !ok {
				continue
			}
			cands = b.pdq.Search(w, threshold)
			if !negative && len(cands) > 0 && b.neg.Len() > 0 {
				negative = len(b.neg.Search(w, threshold)) > 0
			}
		} else if n, ok := b.exact[q.Type+":"+q.Value]; ok {
			cands = []hamming.Match{{ID: uint64(n)}}
		}
		for _, c := range cands {
			if hit, ok := b.hit(&b.entries[c.ID], v, c.Distance); ok {
				if negative && hit.Actionable {
					hit.Actionable, hit.NotActionable = false, "negative_bank"
				}
				out[i].Matches = append(out[i].Matches, hit)
			}
		}
		total += len(out[i].Matches)
	}
	b.mu.RUnlock()
	if a != nil && a.OrgID != "" {
		day := time.Now().UTC().Format("2006-01-02")
		b.countMu.Lock()
		c := b.counts[[2]string{a.OrgID, day}]
		b.counts[[2]string{a.OrgID, day}] = [2]int{c[0] + len(queries), c[1] + total}
		b.countMu.Unlock()
	}
	return out, nil
}

var tlpRank = map[ksp.TLP]int{ksp.TLPClear: 0, ksp.TLPGreen: 1, ksp.TLPAmber: 2, ksp.TLPAmberStrict: 3, ksp.TLPRed: 4}

// hit projects an entry for viewer v, as ksp.SignalState.View would: labels,
// entity and TLP over the visible active submissions, confidence from their
// count and the feedback. ok is false when v may see no submission.
func (b *Bank) hit(e *entry, v ksp.Viewer, dist int) (ksp.MatchHit, bool) {
	var labels uint8
	visible, active := false, 0
	h := ksp.MatchHit{Type: typeName[e.typ], Distance: dist}
	for i := range e.subs {
		s := &e.subs[i]
		if !ksp.CanSee(v, ksp.Sharing{OwnerOrgID: s.owner, Distribution: s.dist, Audience: s.audience, TLP: s.tlp}) {
			continue
		}
		visible = true
		if h.TLP == "" {
			h.TLP = s.tlp
		}
		if s.retracted {
			continue
		}
		if active == 0 || tlpRank[s.tlp] > tlpRank[h.TLP] {
			h.TLP = s.tlp
		}
		active++
		labels |= s.labels
		if h.EntityID == "" {
			h.EntityID = s.entity
		}
	}
	if !visible {
		return h, false
	}
	if e.relabelled != 0 {
		labels = e.relabelled
	}
	h.Labels = []string{}
	for i, l := range ksp.Labels {
		if labels&(1<<i) != 0 {
			h.Labels = append(h.Labels, l)
		}
	}
	slices.Sort(h.Labels)
	fb := map[string]int{}
	for i, n := range e.feedback {
		if n > 0 {
			fb[ksp.Verdicts[i]] = int(n)
		}
	}
	h.SignalID = ksp.FormatUUID(e.id)
	h.Confidence = ksp.Confidence(active, fb)
	h.Actionable, h.NotActionable = e.actionable, e.reason
	if active == 0 && h.Actionable {
		h.Actionable, h.NotActionable = false, "retracted"
	}
	return h, true
}
