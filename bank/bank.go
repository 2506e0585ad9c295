// Package bank keeps the shared hash bank in memory for matching: an exact
// Hamming index over every PDQ signal, exact maps for MD5, SHA-256 and URLs,
// and for each signal the compact facts the sharing rule and actionability
// need. It loads from the store at start and follows the store's
// commit-ordered change sequence, so every replica answers the same.
package bank

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/hamming"
)

// sub is what the matcher keeps of one submission: 16 bytes and no
// pointers, so that millions of them cost little memory and nothing to the
// garbage collector's marking. Strings live once in the bank's tables.
type sub struct {
	owner     uint32 // index into Bank.orgs; noOwner: no submission
	audience  uint32 // index into Bank.audiences; 0: none
	entity    uint32 // index into Bank.entities; 0: none
	dist      uint8  // index into ksp.Distributions
	tlp       uint8  // index into ksp.TLPs
	labels    uint8  // bit i: ksp.Labels[i]
	retracted bool
}

// noOwner marks a signal whose submissions are not known (yet).
const noOwner = ^uint32(0)

// extra is what a few signals carry beyond their submissions: verdicts
// (with the orgs they are about) and staff's resolution.
type extra struct {
	feedback           []*ksp.FeedbackEntry
	resolution         string
	resolvedAt         *ksp.Time
	resolutionSubjects []string
}

var typeCode = map[string]uint8{ksp.TypePDQ: 1, ksp.TypeMD5: 2, ksp.TypeSHA256: 3, ksp.TypeURL: 4}
var typeName = []string{"", ksp.TypePDQ, ksp.TypeMD5, ksp.TypeSHA256, ksp.TypeURL}

// Sharing values unknown to this version read as the narrowest (fail
// closed): owner only, RED.
var (
	distCode = codes(ksp.Distributions)
	tlpCode  = codes(ksp.TLPs)
)

func codes[T ~string](list []T) map[T]uint8 {
	m := make(map[T]uint8, len(list))
	for i, v := range list {
		m[v] = uint8(i)
	}
	return m
}

func codeOf[T ~string](m map[T]uint8, v T, narrowest T) uint8 {
	if c, ok := m[v]; ok {
		return c
	}
	return m[narrowest]
}

// Bank is the in-memory matcher. It implements ksp.Matcher.
//
// Signals are held column by column, indexed by their position: the
// Hamming index and the exact maps give positions, and every column is a
// flat array (a signal with one submission, the common case, costs about
// 34 bytes beside its index entry and its id map slot).
type Bank struct {
	store ksp.SignalService
	log   *slog.Logger

	mu     sync.RWMutex
	ids    [][16]byte
	typ    []uint8
	first  []sub // first submission of each signal
	more   map[uint32][]sub
	extras map[uint32]*extra
	byID   map[[16]byte]uint32
	exact  map[string]uint32 // "type:value" for md5, sha256, url
	pdq    *hamming.Index

	orgs      strings32
	kinds     []ksp.OrgKind // by org number
	entities  strings32     // entities.list[0] is ""
	audiences [][]string    // audiences[0] is nil
	audIdx    map[string]uint32

	// The negative bank: every entry by "type:value", and PDQ entries in
	// an index whose ids are positions in negPDQ.
	neg      *hamming.Index
	negExact map[string][]ksp.NegativeRef
	negPDQ   []ksp.NegativeRef

	syncMu  sync.Mutex
	lastSeq int64
	loaded  bool
	// wake asks Run to sync now (Wake).
	wake chan struct{}
	// failing records Sync's failures (health.go).
	failing syncFailures

	countMu sync.Mutex
	counts  map[[2]string][2]int // (org, day) → queries, matches
	// sigCounts are the per-signal counts (signalcounts.go).
	sigCounts map[sigDayOrg]int
}

var _ ksp.Matcher = (*Bank)(nil)

// New returns an empty bank over store; call Load before serving.
func New(store ksp.SignalService, log *slog.Logger) *Bank {
	if log == nil {
		log = slog.Default()
	}
	b := &Bank{store: store, log: log, neg: hamming.New(), negExact: map[string][]ksp.NegativeRef{}, counts: map[[2]string][2]int{}, wake: make(chan struct{}, 1)}
	b.reset(0)
	return b
}

// reset empties the signal tables, sized for n signals.
func (b *Bank) reset(n int) {
	b.ids, b.typ, b.first = make([][16]byte, 0, n), make([]uint8, 0, n), make([]sub, 0, n)
	b.more, b.extras = map[uint32][]sub{}, map[uint32]*extra{}
	b.byID, b.exact = make(map[[16]byte]uint32, n), map[string]uint32{}
	b.pdq = hamming.New()
	b.orgs, b.kinds, b.entities = strings32{}, nil, strings32{}
	b.entities.add(nil)
	b.audiences, b.audIdx = [][]string{nil}, map[string]uint32{"": 0}
}

// hexVal is the value of each hex digit, 0xff for other bytes.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range "0123456789abcdef" {
		t[c] = byte(i)
	}
	for i, c := range "ABCDEF" {
		t[c] = byte(10 + i)
	}
	return t
}()

// words parses a 64-hex-digit hash into the index's representation.
func words[T string | []byte](v T) ([4]uint64, bool) {
	var w [4]uint64
	if len(v) != 64 {
		return w, false
	}
	for i := range 4 {
		var x uint64
		bad := byte(0)
		for _, c := range []byte(v[i*16 : i*16+16]) {
			d := hexVal[c]
			bad |= d
			x = x<<4 | uint64(d&0xf)
		}
		if bad&0xf0 != 0 {
			return [4]uint64{}, false
		}
		w[i] = x
	}
	return w, true
}

// strings32 numbers distinct strings: each is held once, and the matcher's
// submissions refer to it by number. The bank's tables of them are written
// while b.mu is held for writing, or, during Load, by the submissions pass
// alone.
type strings32 struct {
	list []string
	num  map[string]uint32
}

// add returns the number of s, numbering it if it is new.
func (t *strings32) add(s []byte) uint32 {
	if i, ok := t.num[string(s)]; ok {
		return i
	}
	if t.num == nil {
		t.num = map[string]uint32{}
	}
	i := uint32(len(t.list))
	t.list = append(t.list, string(s))
	t.num[string(s)] = i
	return i
}

func (b *Bank) audience(orgs []string) uint32 {
	if len(orgs) == 0 {
		return 0
	}
	key := strings.Join(orgs, ",")
	if i, ok := b.audIdx[key]; ok {
		return i
	}
	i := uint32(len(b.audiences))
	b.audiences = append(b.audiences, slices.Clone(orgs))
	b.audIdx[key] = i
	return i
}

func (b *Bank) compactSub(org, entity []byte, dist ksp.Distribution, tlp ksp.TLP, labels, audience []string, retracted bool) sub {
	s := sub{owner: b.orgs.add(org), entity: b.entities.add(entity), dist: codeOf(distCode, dist, ksp.DistOwner),
		tlp: codeOf(tlpCode, tlp, ksp.TLPRed), labels: ksp.LabelMask(labels), retracted: retracted}
	if dist == ksp.DistAudience {
		s.audience = b.audience(audience)
	}
	return s
}

// setExtra records a signal's verdicts and resolution (Sync).
func (b *Bank) setExtra(n uint32, st *ksp.SignalState) {
	if len(st.Feedback) == 0 && st.Resolution == "" {
		delete(b.extras, n)
		return
	}
	b.extras[n] = &extra{feedback: st.Feedback, resolution: st.Resolution, resolvedAt: st.ResolvedAt, resolutionSubjects: st.ResolutionSubjects}
}

// addSignal appends a signal without submissions yet and returns its
// position; the caller indexes its value.
func (b *Bank) addSignal(id [16]byte, typ string) uint32 {
	n := uint32(len(b.ids))
	b.ids, b.typ, b.first = append(b.ids, id), append(b.typ, typeCode[typ]), append(b.first, sub{owner: noOwner})
	b.byID[id] = n
	return n
}

// put stores a signal's full state (Sync). Callers hold b.mu for writing.
func (b *Bank) put(st *ksp.SignalState) {
	id, ok := ksp.ParseUUID(st.ID)
	if !ok {
		return
	}
	var subs []sub
	for _, s := range st.Submissions {
		c := b.compactSub([]byte(s.OrgID), []byte(s.EntityID), s.Distribution, s.TLP, s.Labels, s.Audience, s.Retracted != nil)
		b.setKind(c.owner, s.OrgKind)
		subs = append(subs, c)
	}
	n, known := b.byID[id]
	if !known {
		n = b.addSignal(id, st.Type)
		if st.Type == ksp.TypePDQ {
			if w, ok := words(st.Value); ok {
				b.pdq.Add(uint64(n), w)
			}
		} else {
			b.exact[st.Type+":"+st.Value] = n
		}
	}
	b.first[n] = sub{owner: noOwner}
	delete(b.more, n)
	if len(subs) > 0 {
		b.first[n] = subs[0]
	}
	if len(subs) > 1 {
		b.more[n] = subs[1:]
	}
	b.setExtra(n, st)
}

// setKind records the kind of org number i.
func (b *Bank) setKind(i uint32, k ksp.OrgKind) {
	for int(i) >= len(b.kinds) {
		b.kinds = append(b.kinds, "")
	}
	b.kinds[i] = k
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
	// Sized up front: growing arrays of a million entries copies them
	// again and again.
	n, err := b.store.CountSignals(ctx)
	if err != nil {
		return fmt.Errorf("bank: %w", err)
	}
	n += n/64 + 1024 // signals added while loading
	b.mu.Lock()
	b.reset(n)
	pdqIDs, pdqVals := make([]uint64, 0, n), make([][4]uint64, 0, n)
	// The submissions pass runs beside the signals pass and cannot know
	// positions yet: its rows wait here for the join.
	type pending struct {
		signal [16]byte
		s      sub
	}
	subs := make([]pending, 0, n)
	facts, err := b.store.ScanIndex(ctx, ksp.IndexScan{
		Signal: func(r *ksp.IndexSignal) error {
			id, ok := ksp.ParseUUID(r.ID)
			if !ok {
				return fmt.Errorf("signal id %q", r.ID)
			}
			i := b.addSignal(id, r.Type)
			if r.Type == ksp.TypePDQ {
				if w, ok := words(r.Value); ok {
					pdqIDs, pdqVals = append(pdqIDs, uint64(i)), append(pdqVals, w)
				}
			} else {
				b.exact[r.Type+":"+string(r.Value)] = i
			}
			return nil
		},
		Submission: func(r *ksp.IndexSubmission) error {
			id, ok := ksp.ParseUUID(r.SignalID)
			if !ok {
				return fmt.Errorf("signal id %q", r.SignalID)
			}
			subs = append(subs, pending{id, b.compactSub(r.OrgID, r.EntityID, r.Distribution, r.TLP, r.Labels, r.Audience, r.Retracted)})
			return nil
		},
	})
	if err != nil {
		b.reset(0)
		b.mu.Unlock()
		return fmt.Errorf("bank: load: %w", err)
	}
	scanned := time.Since(start)
	// The Hamming index builds on another core while submissions join
	// their signals here; judging needs it (negative-bank PDQ values).
	built := make(chan *hamming.Index)
	go func() { built <- hamming.Build(pdqIDs, pdqVals) }()
	for _, p := range subs {
		i, ok := b.byID[p.signal]
		switch {
		case !ok: // a signal committed after its pass: Sync brings it
		case b.first[i].owner == noOwner:
			b.first[i] = p.s
		default:
			b.more[i] = append(b.more[i], p.s)
		}
	}
	b.pdq = <-built
	b.loadFacts(facts)
	signals := len(b.ids)
	b.mu.Unlock()
	if err := b.syncNegatives(ctx); err != nil {
		return err
	}
	b.syncMu.Lock()
	b.lastSeq, b.loaded = seq, true
	b.syncMu.Unlock()
	b.log.Info("hash bank loaded", "signals", signals, "pdq", len(pdqIDs), "seconds", time.Since(start).Seconds(), "scan_seconds", scanned.Seconds())
	return nil
}

// subsOf returns signal n's submissions.
func (b *Bank) subsOf(n uint32) iter.Seq[*sub] {
	return func(yield func(*sub) bool) {
		if b.first[n].owner == noOwner || !yield(&b.first[n]) {
			return
		}
		if more, ok := b.more[n]; ok {
			for i := range more {
				if !yield(&more[i]) {
					return
				}
			}
		}
	}
}

// loadFacts records the org kinds, verdicts and resolutions read with the
// index scan.
func (b *Bank) loadFacts(f *ksp.IndexFacts) {
	for i, id := range b.orgs.list {
		b.setKind(uint32(i), f.OrgKinds[id])
	}
	byPos := func(id string) (uint32, bool) {
		u, ok := ksp.ParseUUID(id)
		if !ok {
			return 0, false
		}
		n, ok := b.byID[u]
		return n, ok
	}
	for id, fb := range f.Feedback {
		if n, ok := byPos(id); ok {
			b.extras[n] = &extra{feedback: fb}
		}
	}
	for id, r := range f.Resolutions {
		n, ok := byPos(id)
		if !ok {
			continue
		}
		x := b.extras[n]
		if x == nil {
			x = &extra{}
			b.extras[n] = x
		}
		x.resolution, x.resolvedAt, x.resolutionSubjects = r.Resolution, r.ResolvedAt, r.ResolutionSubjects
	}
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
	return len(b.ids)
}

// Sync applies the changes committed since the last Sync or Load.
func (b *Bank) Sync(ctx context.Context) error {
	b.syncMu.Lock()
	defer b.syncMu.Unlock()
	err := b.sync(ctx)
	b.failing.record(err, ctx.Err() != nil)
	return err
}

// sync is Sync under syncMu.
func (b *Bank) sync(ctx context.Context) error {
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
			b.put(st)
		}
		b.mu.Unlock()
	}
	if top == b.lastSeq {
		return nil
	}
	b.lastSeq = top
	return b.syncNegatives(ctx)
}

// syncNegatives reloads the negative bank. It is small beside the signals,
// and every change to it also moves the change sequence, so Sync reloads it
// whenever that moved.
func (b *Bank) syncNegatives(ctx context.Context) error {
	list, err := b.store.NegativeEntries(ctx)
	if err != nil {
		return fmt.Errorf("bank: negatives: %w", err)
	}
	exact := map[string][]ksp.NegativeRef{}
	var ids []uint64
	var vals [][4]uint64
	var refs []ksp.NegativeRef
	for _, e := range list {
		ref := e.Ref()
		exact[e.Type+":"+e.Value] = append(exact[e.Type+":"+e.Value], ref)
		if e.Type == ksp.TypePDQ {
			if w, ok := words(e.Value); ok {
				ids, vals, refs = append(ids, uint64(len(refs))), append(vals, w), append(refs, ref)
			}
		}
	}
	idx := hamming.Build(ids, vals)
	b.mu.Lock()
	b.negExact, b.negPDQ, b.neg = exact, refs, idx
	b.mu.Unlock()
	return nil
}

// Run keeps the bank in step with changes made by other replicas and
// flushes match counts, until ctx ends. It syncs every interval and
// whenever Wake is called.
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
		case <-b.wake:
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
	b.flushSignalCounts(ctx)
}

// Match looks up each query for the actor in ctx. Only signals the actor may
// see are returned, each judged as the actor sees it (ksp.SignalState.View:
// labels, confidence, status and actionability over what it may see). A
// query equal to, or for PDQ within the threshold of, a negative-bank entry
// that applies to the actor has all its matches marked not actionable.
// Staff matches that reach restricted signals are audited, one event per
// request.
func (b *Bank) Match(ctx context.Context, queries []ksp.MatchQuery, threshold int) ([]ksp.MatchResult, error) {
	a := ksp.ActorFrom(ctx)
	v := a.Viewer()
	out := make([]ksp.MatchResult, len(queries))
	total := 0
	var restricted []string
	var hits [][16]byte
	var scratch viewScratch
	b.mu.RLock()
	for i, q := range queries {
		out[i].Matches = []ksp.MatchHit{}
		negative := b.negExact[q.Type+":"+q.Value]
		var cands []hamming.Match
		if q.Type == ksp.TypePDQ {
			w, ok := words(q.Value)
			if !ok {
				continue
			}
			cands = b.pdq.Search(w, threshold)
			if len(cands) > 0 && b.neg.Len() > 0 {
				for _, m := range b.neg.Search(w, threshold) {
					negative = append(slices.Clip(negative), b.negPDQ[m.ID])
				}
			}
		} else if n, ok := b.exact[q.Type+":"+q.Value]; ok {
			cands = []hamming.Match{{ID: uint64(n)}}
		}
		for _, c := range cands {
			hit, ok := b.hit(&scratch, uint32(c.ID), v, c.Distance, negative)
			if !ok {
				continue
			}
			out[i].Matches = append(out[i].Matches, hit)
			hits = append(hits, b.ids[c.ID])
			if a != nil && a.Staff && scratch.st.RestrictedFor(a.OrgID) != nil {
				restricted = append(restricted, hit.SignalID)
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
		b.countSignals(a.OrgID, day, hits)
		b.countMu.Unlock()
	}
	if len(restricted) > 0 {
		slices.Sort(restricted)
		if err := b.store.RecordStaffReads(ctx, "signal.staff_match", slices.Compact(restricted)); err != nil {
			return nil, fmt.Errorf("bank: %w", err)
		}
	}
	return out, nil
}

// viewScratch is reused from hit to hit within one Match call.
type viewScratch struct {
	subs []ksp.Submission
	ptrs []*ksp.Submission
	st   ksp.SignalState
}

var retracted = &ksp.Time{}

// hit projects signal n for viewer v through ksp.SignalState.View, from
// the compact submissions and the signal's verdicts and resolution, with
// negative the negative-bank entries the query met (sc.st keeps the state
// until the next hit). ok is false when v may see no submission.
func (b *Bank) hit(sc *viewScratch, n uint32, v ksp.Viewer, dist int, negative []ksp.NegativeRef) (h ksp.MatchHit, ok bool) {
	sc.subs, sc.ptrs = sc.subs[:0], sc.ptrs[:0]
	for s := range b.subsOf(n) {
		x := ksp.Submission{OrgID: b.orgs.list[s.owner], OrgKind: b.kinds[s.owner], Distribution: ksp.Distributions[s.dist],
			Audience: b.audiences[s.audience], TLP: ksp.TLPs[s.tlp], EntityID: b.entities.list[s.entity], Labels: labelList(s.labels)}
		if s.retracted {
			x.Retracted = retracted
		}
		sc.subs = append(sc.subs, x)
	}
	for i := range sc.subs {
		sc.ptrs = append(sc.ptrs, &sc.subs[i])
	}
	sc.st = ksp.SignalState{ID: ksp.FormatUUID(b.ids[n]), Type: typeName[b.typ[n]], Submissions: sc.ptrs, Negatives: negative}
	if x := b.extras[n]; x != nil {
		sc.st.Feedback, sc.st.Resolution, sc.st.ResolvedAt, sc.st.ResolutionSubjects = x.feedback, x.resolution, x.resolvedAt, x.resolutionSubjects
	}
	sig := sc.st.View(v, false)
	if sig == nil {
		return h, false
	}
	h = ksp.MatchHit{SignalID: sig.ID, Type: sig.Type, Distance: dist, Labels: sig.Labels, TLP: sig.TLP,
		Confidence: sig.Confidence, Actionable: sig.Actionable, NotActionable: sig.NotActionable}
	if len(sig.EntityIDs) > 0 {
		h.EntityID = sig.EntityIDs[0]
	}
	return h, true
}

// labelList returns the labels of a label mask (shared lists, never
// modified).
func labelList(m uint8) []string {
	return labelLists[m]
}

var labelLists = func() (t [256][]string) {
	for m := range t {
		for i, l := range ksp.Labels {
			if m&(1<<i) != 0 {
				t[m] = append(t[m], l)
			}
		}
	}
	return t
}()
