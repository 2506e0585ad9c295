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

// facts are what a few signals carry beyond their submissions: feedback
// counts and the labels staff set when relabelling.
type facts struct {
	feedback   [6]uint16 // counts per ksp.Verdicts
	relabelled uint8
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

	mu    sync.RWMutex
	ids   [][16]byte
	typ   []uint8
	state []uint8 // 0: actionable; else an index into reasons
	first []sub   // first submission of each signal
	more  map[uint32][]sub
	facts map[uint32]facts
	byID  map[[16]byte]uint32
	exact map[string]uint32 // "type:value" for md5, sha256, url
	pdq   *hamming.Index

	reasons   []string // why a signal is not actionable; reasons[0] is ""
	orgs      strings32
	entities  strings32  // entities.list[0] is ""
	audiences [][]string // audiences[0] is nil
	audIdx    map[string]uint32

	neg     *hamming.Index
	negVals map[string]bool // "type:value" of every negative-bank entry
	negIDs  map[string]bool

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
	b := &Bank{store: store, log: log, neg: hamming.New(), negVals: map[string]bool{}, negIDs: map[string]bool{}, counts: map[[2]string][2]int{}}
	b.reset(0)
	return b
}

// reset empties the signal tables, sized for n signals.
func (b *Bank) reset(n int) {
	b.ids, b.typ, b.state, b.first = make([][16]byte, 0, n), make([]uint8, 0, n), make([]uint8, 0, n), make([]sub, 0, n)
	b.more, b.facts = map[uint32][]sub{}, map[uint32]facts{}
	b.byID, b.exact = make(map[[16]byte]uint32, n), map[string]uint32{}
	b.pdq = hamming.New()
	b.reasons = []string{""}
	b.orgs, b.entities = strings32{}, strings32{}
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

func (b *Bank) reason(r string) uint8 {
	if i := slices.Index(b.reasons, r); i >= 0 {
		return uint8(i)
	}
	b.reasons = append(b.reasons, r)
	return uint8(len(b.reasons) - 1)
}

func (b *Bank) compactSub(org, entity []byte, dist ksp.Distribution, tlp ksp.TLP, labels, audience []string, retracted bool) sub {
	s := sub{owner: b.orgs.add(org), entity: b.entities.add(entity), dist: codeOf(distCode, dist, ksp.DistOwner),
		tlp: codeOf(tlpCode, tlp, ksp.TLPRed), labels: ksp.LabelMask(labels), retracted: retracted}
	if dist == ksp.DistAudience {
		s.audience = b.audience(audience)
	}
	return s
}

// judge records what a signal's full state says beyond its submissions:
// actionability, feedback counts and staff's labels.
func (b *Bank) judge(n uint32, st *ksp.SignalState) {
	ok, why := st.Actionability()
	b.state[n] = 0
	if !ok {
		b.state[n] = b.reason(why)
	}
	var f facts
	for _, fb := range st.Feedback {
		if i := slices.Index(ksp.Verdicts, fb.Verdict); i >= 0 {
			f.feedback[i]++
		}
	}
	if st.Resolution == "relabelled" {
		f.relabelled = ksp.LabelMask(st.ResolvedLabels)
	}
	if f != (facts{}) {
		b.facts[n] = f
	} else {
		delete(b.facts, n)
	}
}

// addSignal appends a signal without submissions yet and returns its
// position; the caller indexes its value.
func (b *Bank) addSignal(id [16]byte, typ string) uint32 {
	n := uint32(len(b.ids))
	b.ids, b.typ, b.state, b.first = append(b.ids, id), append(b.typ, typeCode[typ]), append(b.state, 0), append(b.first, sub{owner: noOwner})
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
		subs = append(subs, b.compactSub([]byte(s.OrgID), []byte(s.EntityID), s.Distribution, s.TLP, s.Labels, s.Audience, s.Retracted != nil))
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
	b.judge(n, st)
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
	b.judgeAll(facts)
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

// judgeAll decides every loaded signal's actionability with the one rule
// of ksp.SignalState.Actionability, on a state rebuilt from the compact
// submissions and the facts (reused from signal to signal).
func (b *Bank) judgeAll(f *ksp.IndexFacts) {
	kinds := make([]ksp.OrgKind, len(b.orgs.list))
	for i, id := range b.orgs.list {
		kinds[i] = f.OrgKinds[id]
	}
	byPos := func(id string) (uint32, bool) {
		u, ok := ksp.ParseUUID(id)
		if !ok {
			return 0, false
		}
		n, ok := b.byID[u]
		return n, ok
	}
	feedback := map[uint32][]*ksp.FeedbackEntry{}
	for id, fb := range f.Feedback {
		if n, ok := byPos(id); ok {
			feedback[n] = fb
		}
	}
	resolved := map[uint32]*ksp.SignalState{}
	for id, r := range f.Resolutions {
		if n, ok := byPos(id); ok {
			resolved[n] = r
		}
	}
	negative := map[uint32]bool{}
	for tv := range f.Negative {
		typ, v, _ := strings.Cut(tv, ":")
		if typ != ksp.TypePDQ {
			if n, ok := b.exact[tv]; ok {
				negative[n] = true
			}
			continue
		}
		if w, ok := words(v); ok {
			for _, m := range b.pdq.Search(w, 0) {
				negative[uint32(m.ID)] = true
			}
		}
	}
	var (
		st      ksp.SignalState
		buf     []ksp.Submission
		retired = &ksp.Time{}
	)
	for n := range b.ids {
		i := uint32(n)
		buf = buf[:0]
		st.Submissions = st.Submissions[:0]
		for s := range b.subsOf(i) {
			x := ksp.Submission{OrgKind: kinds[s.owner]}
			if s.retracted {
				x.Retracted = retired
			}
			buf = append(buf, x)
		}
		for j := range buf {
			st.Submissions = append(st.Submissions, &buf[j])
		}
		st.Feedback, st.Negative = feedback[i], negative[i]
		st.Resolution, st.ResolvedAt, st.ResolvedLabels = "", nil, nil
		if r := resolved[i]; r != nil {
			st.Resolution, st.ResolvedAt, st.ResolvedLabels = r.Resolution, r.ResolvedAt, r.ResolvedLabels
		}
		b.judge(i, &st)
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
			if hit, ok := b.hit(uint32(c.ID), v, c.Distance); ok {
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

// hit projects signal n for viewer v, as ksp.SignalState.View would:
// labels, entity and TLP over the visible active submissions, confidence
// from their count and the feedback. ok is false when v may see no
// submission.
func (b *Bank) hit(n uint32, v ksp.Viewer, dist int) (ksp.MatchHit, bool) {
	var labels uint8
	visible, active, tlp := false, 0, uint8(0)
	h := ksp.MatchHit{Type: typeName[b.typ[n]], Distance: dist}
	for s := range b.subsOf(n) {
		sh := ksp.Sharing{OwnerOrgID: b.orgs.list[s.owner], Distribution: ksp.Distributions[s.dist], Audience: b.audiences[s.audience], TLP: ksp.TLPs[s.tlp]}
		if !ksp.CanSee(v, sh) {
			continue
		}
		if !visible {
			tlp = s.tlp
		}
		visible = true
		if s.retracted {
			continue
		}
		// ksp.TLPs runs from CLEAR to RED: the highest index is the strictest.
		if active == 0 || s.tlp > tlp {
			tlp = s.tlp
		}
		active++
		labels |= s.labels
		if h.EntityID == "" {
			h.EntityID = b.entities.list[s.entity]
		}
	}
	if !visible {
		return h, false
	}
	h.TLP = ksp.TLPs[tlp]
	f := b.facts[n]
	if f.relabelled != 0 {
		labels = f.relabelled
	}
	h.Labels = []string{}
	for i, l := range ksp.Labels {
		if labels&(1<<i) != 0 {
			h.Labels = append(h.Labels, l)
		}
	}
	slices.Sort(h.Labels)
	var fb map[string]int
	if f.feedback != ([6]uint16{}) {
		fb = map[string]int{}
		for i, c := range f.feedback {
			if c > 0 {
				fb[ksp.Verdicts[i]] = int(c)
			}
		}
	}
	h.SignalID = ksp.FormatUUID(b.ids[n])
	h.Confidence = ksp.Confidence(active, fb)
	h.Actionable, h.NotActionable = b.state[n] == 0, b.reasons[b.state[n]]
	if active == 0 && h.Actionable {
		h.Actionable, h.NotActionable = false, "retracted"
	}
	return h, true
}
