package storetest

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/bank"
)

// The model-based test: a small reference of the sharing rule and of every
// figure derived from it, written independently of ksp.SignalState.View,
// driven by random operations and compared after each step with what every
// org gets from the store and the matcher.
var (
	modelSteps = flag.Int("model.steps", 0, "steps of the model-based sharing test (0: the store's default)")
	modelSeed  = flag.Uint64("model.seed", 0, "seed of the model-based sharing test (0: from the clock)")
)

// mSub is one org's submission in the model.
type mSub struct {
	dist      ksp.Distribution
	tlp       ksp.TLP
	audience  []int // org numbers
	labels    []string
	retracted bool
	sent      string // the record as last sent: sending it again changes nothing
	order     int    // creation order: the list's sort key
	created   time.Time
	updated   time.Time
}

// mVerdict is one org's current verdict, and what it was about.
type mVerdict struct {
	verdict  string
	subjects map[int]bool // orgs whose submissions the giver saw
	at       int          // logical time
}

type mSignal struct {
	typ, value string
	subs       map[int]*mSub
	verdicts   map[int]*mVerdict
	resolution string
	resAt      int
	resSubj    map[int]bool
	// log holds the subjects of every verdict and resolution given (the
	// history).
	log []map[int]bool
}

type mNegative struct {
	id       string
	org      int
	typ, val string
	scope    string
	approved bool
}

// model is the reference world: orgs numbered 0..len(orgs)-1, the last one
// the staff org.
type model struct {
	kinds    []ksp.OrgKind
	staff    int
	signals  []*mSignal // the value pool, by number
	neg      []*mNegative
	clock    int
	subOrder int
}

func (m *model) sees(viewer, owner int, s *mSub) bool {
	switch {
	case viewer == m.staff, owner == viewer, s.dist == ksp.DistMembers:
		return true
	case s.dist == ksp.DistAudience:
		return slices.Contains(s.audience, viewer)
	}
	return false
}

// mView is what the model says viewer sees of a signal.
type mView struct {
	visible    bool
	status     string
	actionable bool
	reason     string
	confidence float64
	feedback   map[string]int
	labels     []string
	active     int
	tlp        ksp.TLP
	first      time.Time
	last       time.Time
	resolution string
	history    int
}

var tlpOrder = []ksp.TLP{ksp.TLPClear, ksp.TLPGreen, ksp.TLPAmber, ksp.TLPAmberStrict, ksp.TLPRed}

// view computes the reference figures; keep narrows the submissions that
// count (an export's).
func (m *model) view(viewer int, sig *mSignal, keep func(*mSub) bool) mView {
	vis := map[int]*mSub{}
	for o, s := range sig.subs {
		if m.sees(viewer, o, s) && (keep == nil || keep(s)) {
			vis[o] = s
		}
	}
	v := mView{feedback: map[string]int{}, labels: []string{}}
	if len(vis) == 0 {
		return v
	}
	v.visible = true
	seesAny := func(orgs map[int]bool) bool {
		for o := range orgs {
			if vis[o] != nil {
				return true
			}
		}
		return false
	}
	govOnly := true
	tlp := -1
	for o, s := range vis {
		if v.first.IsZero() || s.created.Before(v.first) {
			v.first = s.created
		}
		if s.updated.After(v.last) {
			v.last = s.updated
		}
		if s.retracted {
			continue
		}
		v.active++
		for _, l := range s.labels {
			if !slices.Contains(v.labels, l) {
				v.labels = append(v.labels, l)
			}
		}
		if i := slices.Index(tlpOrder, s.tlp); i > tlp {
			tlp = i
		}
		if m.kinds[o] != ksp.KindGovernment {
			govOnly = false
		}
	}
	slices.Sort(v.labels)
	if tlp >= 0 {
		v.tlp = tlpOrder[tlp]
	}
	resAt := -1
	if sig.resolution != "" && seesAny(sig.resSubj) {
		resAt, v.resolution = sig.resAt, sig.resolution
	}
	var disputes, against, tp int
	for o, fb := range sig.verdicts {
		if !seesAny(fb.subjects) {
			continue
		}
		v.feedback[fb.verdict]++
		if fb.verdict == ksp.VerdictTruePositive && m.kinds[o] == ksp.KindPlatform {
			govOnly = false
		}
		if fb.at <= resAt {
			continue
		}
		switch fb.verdict {
		case ksp.VerdictDisputed:
			disputes++
		case ksp.VerdictFalsePositive, ksp.VerdictNewsworthy:
			against++
		case ksp.VerdictTruePositive:
			tp++
		}
	}
	for _, subj := range sig.log {
		if seesAny(subj) {
			v.history++
		}
	}
	s := float64(v.active + v.feedback[ksp.VerdictTruePositive])
	c := s / (s + float64(v.feedback[ksp.VerdictFalsePositive]+v.feedback[ksp.VerdictDisputed]) + float64(v.feedback[ksp.VerdictNewsworthy])/2 + 1)
	v.confidence = float64(int(c*1000+0.5)) / 1000
	negative := false
	for _, n := range m.neg {
		if n.typ == sig.typ && n.val == sig.value && (n.org == viewer || (n.scope == ksp.NegativeProgramme && n.approved)) {
			negative = true
		}
	}
	switch {
	case v.active == 0:
		v.status, v.reason = ksp.StatusRetracted, "retracted"
	case disputes > 0 || (against >= 2 && against >= tp):
		v.status, v.reason = ksp.StatusDisputed, "disputed"
	case negative:
		v.status, v.reason = ksp.StatusActive, "negative_bank"
	case govOnly:
		v.status, v.reason = ksp.StatusActive, "government_only_unconfirmed"
	default:
		v.status, v.actionable = ksp.StatusActive, true
	}
	return v
}

// position is where viewer lists the signal under an optional label: the
// creation order of its newest visible submission (active and carrying the
// label, when a label filters), or -1 when it is not listed by that.
func (m *model) position(viewer int, sig *mSignal, label string) int {
	pos := -1
	for o, s := range sig.subs {
		if !m.sees(viewer, o, s) || (label != "" && (s.retracted || !slices.Contains(s.labels, label))) {
			continue
		}
		pos = max(pos, s.order)
	}
	return pos
}

// modelWorld is the store and matcher under test and their actors.
type modelWorld struct {
	t     *testing.T
	db    Store
	bank  *bank.Bank
	orgs  []*ksp.Org
	ctx   []context.Context // acting as a person of each org
	m     *model
	rng   *rand.Rand
	feeds []map[string]bool // per viewer: value → upserted, as a follower applied the feed
	after []int64
	ids   map[string]string // value → signal id
	// touched is the value the last step changed.
	touched int
	// ev follows the events and webhook deliveries.
	ev modelEvents
}

var sharingPairs = func() (out [][2]string) {
	for _, d := range []ksp.Distribution{ksp.DistOwner, ksp.DistAudience, ksp.DistMembers} {
		for _, tl := range tlpOrder {
			if tl == ksp.TLPRed && d == ksp.DistMembers {
				continue
			}
			out = append(out, [2]string{string(d), string(tl)})
		}
	}
	return out
}()

// RunModel runs the model-based test for steps steps (the -model.steps
// flag overrides it), printing the seed (-model.seed replays a run).
func RunModel(t *testing.T, open Opener, steps int) {
	if raceDetector {
		steps /= 10
	}
	if *modelSteps > 0 {
		steps = *modelSteps
	}
	seed := *modelSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("model-based sharing test: %d steps, seed %d (replay with -model.seed=%d)", steps, seed, seed)
	db := open(t)
	f := NewFixture(t, db)
	uni := &ksp.Org{Name: "Open University", Kind: ksp.KindAcademia, Domains: []ksp.Domain{{Domain: "open-university.example", Verified: true}}}
	must(t, db.CreateOrg(Staff(), uni))
	uniUser, _, err := db.CreateUser(Staff(), uni.ID, ksp.NewUser{Email: "analyst@uni.example", Name: "Analyst", Role: ksp.RoleAnalyst, Password: "a long enough password"})
	must(t, err)
	staffOrg := f.StaffOrg(t)
	w := &modelWorld{t: t, db: db, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), ids: map[string]string{},
		orgs: []*ksp.Org{f.Platform, f.Startup, f.Gov, uni, staffOrg},
		ctx:  []context.Context{As(f.Platform, f.PlatAdmin), As(f.Startup, f.StartAdm), As(f.Gov, f.GovAdmin), As(uni, uniUser), As(staffOrg, f.StaffUser)}}
	w.m = &model{staff: 4}
	for _, o := range w.orgs {
		w.m.kinds = append(w.m.kinds, o.Kind)
	}
	for i := range 14 {
		sig := &mSignal{typ: ksp.TypePDQ, value: PDQValue(9000 + i), subs: map[int]*mSub{}, verdicts: map[int]*mVerdict{}}
		if i%3 == 2 {
			sum := md5.Sum([]byte(fmt.Sprint("model", i)))
			sig.typ, sig.value = ksp.TypeMD5, hex.EncodeToString(sum[:])
		}
		w.m.signals = append(w.m.signals, sig)
	}
	w.feeds = make([]map[string]bool, len(w.orgs))
	w.after = make([]int64, len(w.orgs))
	for i := range w.feeds {
		w.feeds[i] = map[string]bool{}
	}
	w.registerModelHooks()
	w.bank = bank.New(db, nil)
	must(t, w.bank.Load(context.Background()))
	for step := range steps {
		op, touched := w.step()
		must(t, w.bank.Sync(context.Background()))
		// A step changes one value's figures only: GET, history and match
		// are read for that value, and for every value every 25 steps in
		// case a change reached further than it should; lists, the feed
		// and the export cover every value at every step.
		if step%25 == 0 {
			touched = -1
		}
		if !w.check(touched, step%25 == 0) {
			t.Fatalf("step %d (%s) diverged from the model (seed %d)", step, op, seed)
		}
	}
}

// step performs one random operation on the store and the model, and
// returns what it did and the number of the value it touched.
func (w *modelWorld) step() (string, int) {
	op := w.op()
	return op, w.touched
}

// op performs the operation of step.
func (w *modelWorld) op() string {
	m, rng := w.m, w.rng
	m.clock++
	n := rng.IntN(len(m.signals))
	w.touched = n
	sig := m.signals[n]
	org := rng.IntN(len(w.orgs) - 1) // members act; staff below
	ctx := w.ctx[org]
	visibleBefore := func(o int) bool { return m.view(o, sig, nil).visible }
	switch r := rng.IntN(100); {
	case r < 40: // submit or re-submit, with any sharing
		p := sharingPairs[rng.IntN(len(sharingPairs))]
		in := ksp.SubmissionInput{Type: sig.typ, Value: sig.value, ContentType: "photo", Basis: "branded_publication",
			Labels: []string{ksp.Labels[rng.IntN(3)]}, Distribution: ksp.Distribution(p[0]), TLP: ksp.TLP(p[1])}
		if sig.typ == ksp.TypeMD5 {
			in.ContentType = "video"
		}
		var aud []int
		if in.Distribution == ksp.DistAudience {
			a := (org + 1 + rng.IntN(len(w.orgs)-2)) % (len(w.orgs) - 1)
			aud = []int{a}
			in.Audience = []string{w.orgs[a].ID}
		}
		wasVisible := visibleBefore(org)
		newSignal := w.ids[sig.value] == ""
		res, err := w.db.Submit(ctx, in)
		if err != nil {
			w.t.Fatalf("submit: %v", err)
		}
		if res.Created == wasVisible && !res.Unchanged {
			w.t.Errorf("submit answered created=%v to an org that could see the signal: %v", res.Created, wasVisible)
		}
		w.ids[sig.value] = res.Signal.ID
		sent := fmt.Sprint(in)
		s := sig.subs[org]
		unchanged := s != nil && !s.retracted && s.sent == sent
		if res.Unchanged != unchanged {
			w.t.Errorf("submit answered unchanged=%v, want %v", res.Unchanged, unchanged)
		}
		if unchanged {
			return fmt.Sprintf("org %d sends value %d again", org, n)
		}
		if s == nil {
			m.subOrder++
			s = &mSub{order: m.subOrder}
			sig.subs[org] = s
		}
		s.dist, s.tlp, s.audience, s.labels, s.retracted, s.sent = in.Distribution, in.TLP, aud, in.Labels, false, sent
		if newSignal {
			w.expectEvent(ksp.EventSignalCreated, sig.value, org, s)
		}
		return fmt.Sprintf("org %d submits value %d as %s/%s", org, n, p[0], p[1])
	case r < 62: // a verdict, from a member or staff
		if rng.IntN(5) == 0 {
			org, ctx = m.staff, w.ctx[m.staff]
		}
		verdict := []string{ksp.VerdictTruePositive, ksp.VerdictFalsePositive, ksp.VerdictDisputed, ksp.VerdictNewsworthy, ksp.VerdictSeen}[rng.IntN(5)]
		id := w.ids[sig.value]
		_, err := w.db.GiveFeedback(ctx, id, ksp.FeedbackInput{Verdict: verdict, Comment: "secret note"})
		if !visibleBefore(org) {
			if id != "" {
				wantCode(w.t, err, ksp.ENOTFOUND)
			}
			return "verdict refused"
		}
		must(w.t, err)
		subj := map[int]bool{}
		for o, s := range sig.subs {
			if m.sees(org, o, s) {
				subj[o] = true
			}
		}
		sig.verdicts[org] = &mVerdict{verdict: verdict, subjects: subj, at: m.clock}
		sig.log = append(sig.log, subj)
		return fmt.Sprintf("org %d says %s on value %d", org, verdict, n)
	case r < 74: // retraction
		id := w.ids[sig.value]
		if id == "" {
			return "nothing to retract"
		}
		_, err := w.db.Retract(ctx, id)
		s := sig.subs[org]
		switch {
		case !visibleBefore(org):
			wantCode(w.t, err, ksp.ENOTFOUND)
		case s == nil:
			wantCode(w.t, err, ksp.EINVALID)
		case s.retracted:
			wantCode(w.t, err, ksp.ECONFLICT)
		default:
			must(w.t, err)
			s.retracted = true
			w.expectEvent(ksp.EventSignalRetracted, sig.value, org, s)
		}
		return fmt.Sprintf("org %d retracts value %d", org, n)
	case r < 80: // staff resolve
		id := w.ids[sig.value]
		if id == "" {
			return "nothing to resolve"
		}
		in := ksp.ResolveInput{Resolution: ksp.Resolutions[rng.IntN(3)], Reason: "settled"}
		if in.Resolution == "relabelled" {
			in.Labels = []string{ksp.Labels[3+rng.IntN(2)]}
		}
		_, err := w.db.Resolve(w.ctx[m.staff], id, in)
		must(w.t, err)
		subj := map[int]bool{}
		for o, s := range sig.subs {
			subj[o] = true
			switch in.Resolution {
			case "removed":
				s.retracted = true
			case "relabelled":
				// The submission no longer says what was sent: sending it
				// again restores the org's labels.
				s.labels, s.sent = in.Labels, ""
			}
		}
		sig.resolution, sig.resAt, sig.resSubj = in.Resolution, m.clock, subj
		sig.log = append(sig.log, subj)
		return fmt.Sprintf("staff %s value %d", in.Resolution, n)
	case r < 88: // a negative-bank entry
		scope := ksp.NegativeOrg
		if rng.IntN(2) == 0 {
			scope = ksp.NegativeProgramme
		}
		e, err := w.db.AddNegative(ctx, ksp.NegativeInput{Type: sig.typ, Value: sig.value, Reason: "benign", Scope: scope})
		for _, x := range m.neg {
			if x.org == org && x.typ == sig.typ && x.val == sig.value {
				wantCode(w.t, err, ksp.ECONFLICT)
				return "negative entry exists"
			}
		}
		must(w.t, err)
		m.neg = append(m.neg, &mNegative{id: e.ID, org: org, typ: sig.typ, val: sig.value, scope: scope})
		return fmt.Sprintf("org %d adds value %d to its negative bank (%s)", org, n, scope)
	case r < 94: // staff approve a proposal
		for _, x := range m.neg {
			if x.scope == ksp.NegativeProgramme && !x.approved {
				_, err := w.db.ApproveNegative(w.ctx[m.staff], x.id)
				must(w.t, err)
				x.approved = true
				return "staff approve a programme-wide entry"
			}
		}
		return "nothing to approve"
	default: // remove an entry: its own org, or staff
		if len(m.neg) == 0 {
			return "nothing to remove"
		}
		i := rng.IntN(len(m.neg))
		x := m.neg[i]
		by := org
		if rng.IntN(3) == 0 {
			by = m.staff
		}
		err := w.db.RemoveNegative(w.ctx[by], x.id)
		if by != m.staff && by != x.org {
			if c := ksp.ErrorCode(err); c != ksp.ENOTFOUND && c != ksp.EFORBIDDEN {
				w.t.Fatalf("another org removed an entry: %v", err)
			}
			return "removal refused"
		}
		must(w.t, err)
		m.neg = slices.Delete(m.neg, i, i+1)
		return fmt.Sprintf("org %d removes an entry of org %d", by, x.org)
	}
}

// check compares every viewer's reads with the model (GET, history and
// match for value only, or for all with -1); it reports false after
// logging the differences.
func (w *modelWorld) check(value int, paging bool) bool {
	w.syncTimes(value)
	ok := true
	fail := func(format string, args ...any) {
		w.t.Helper()
		w.t.Errorf(format, args...)
		ok = false
	}
	m := w.m
	for vi := range w.orgs {
		ctx := w.ctx[vi]
		// GET and history.
		for n, sig := range m.signals {
			id := w.ids[sig.value]
			if id == "" || (value >= 0 && n != value) {
				continue
			}
			want := m.view(vi, sig, nil)
			got, err := w.db.FindSignalByID(ctx, id)
			if !want.visible {
				if ksp.ErrorCode(err) != ksp.ENOTFOUND {
					fail("viewer %d value %d: GET answered %v, want not found", vi, n, err)
				}
				continue
			}
			if err != nil {
				fail("viewer %d value %d: GET: %v", vi, n, err)
				continue
			}
			w.compare(fail, fmt.Sprintf("viewer %d value %d GET", vi, n), got, want)
			if !got.FirstSeen.Equal(want.first) || !got.LastSeen.Equal(want.last) {
				fail("viewer %d value %d: first/last seen %v/%v, want %v/%v", vi, n, got.FirstSeen, got.LastSeen, want.first, want.last)
			}
			hist, err := w.db.SignalHistory(ctx, id)
			if err != nil || len(hist) != want.history {
				fail("viewer %d value %d: history has %d entries (%v), want %d", vi, n, len(hist), err, want.history)
			}
		}
		// Lists: unfiltered, by status, by label, by type; all in one page,
		// and sometimes page by page.
		filters := []ksp.SignalFilter{}
		for _, st := range []string{ksp.StatusActive, ksp.StatusDisputed, ksp.StatusRetracted} {
			filters = append(filters, ksp.SignalFilter{Status: ptr(st)})
		}
		filters = append(filters, ksp.SignalFilter{Label: ptr(ksp.Labels[w.rng.IntN(5)])}, ksp.SignalFilter{Type: ptr(ksp.TypeMD5)})
		// Every filter every 25th step (and page by page); in between the
		// whole list and one filter chosen at random.
		if !paging {
			filters = filters[w.rng.IntN(len(filters)):][:1]
		}
		filters = append(filters, ksp.SignalFilter{})
		for _, f := range filters {
			want := w.wantList(vi, f)
			f.Limit = ksp.MaxLimit
			got, _, err := w.db.FindSignals(ctx, f)
			if err != nil {
				fail("viewer %d list %s: %v", vi, describe(f), err)
				continue
			}
			if g := values(got); !slices.Equal(g, want) {
				fail("viewer %d list %s: %v, want %v", vi, describe(f), g, want)
			}
			if !paging {
				continue
			}
			var paged []string
			f.Limit, f.Cursor = 2, ""
			for range 20 {
				page, next, err := w.db.FindSignals(ctx, f)
				if err != nil {
					fail("viewer %d list %s paged: %v", vi, describe(f), err)
					break
				}
				paged = append(paged, values(page)...)
				if next == "" {
					break
				}
				f.Cursor = next
			}
			if !slices.Equal(paged, want) {
				fail("viewer %d list %s page by page: %v, want %v", vi, describe(f), paged, want)
			}
		}
		// Matching every value at once.
		var queries []ksp.MatchQuery
		var asked []int
		for n, sig := range m.signals {
			if value < 0 || n == value {
				queries = append(queries, ksp.MatchQuery{Type: sig.typ, Value: sig.value})
				asked = append(asked, n)
			}
		}
		res, err := w.bank.Match(ctx, queries, ksp.DefaultThreshold)
		if err != nil {
			fail("viewer %d match: %v", vi, err)
		} else {
			for qi, n := range asked {
				sig := m.signals[n]
				want := m.view(vi, sig, nil)
				hits := res[qi].Matches
				switch {
				case !want.visible && len(hits) > 0:
					fail("viewer %d value %d: match reveals a hidden signal", vi, n)
				case want.visible && len(hits) != 1:
					fail("viewer %d value %d: %d matches, want 1", vi, n, len(hits))
				case want.visible:
					h := hits[0]
					if h.Actionable != want.actionable || h.NotActionable != want.reason || h.Confidence != want.confidence || !slices.Equal(h.Labels, want.labels) || (want.active > 0 && h.TLP != want.tlp) {
						fail("viewer %d value %d: match %+v, want %+v", vi, n, h, want)
					}
				}
			}
		}
		w.checkFeed(fail, vi)
		w.checkExport(fail, vi)
	}
	w.checkEvents(fail)
	return ok
}

// compare checks one signal as the store shows it against the model.
func (w *modelWorld) compare(fail func(string, ...any), what string, got *ksp.Signal, want mView) {
	fb := map[string]int{}
	for k, v := range got.Feedback {
		if v != 0 {
			fb[k] = v
		}
	}
	if got.Status != want.status || got.Actionable != want.actionable || got.NotActionable != want.reason || got.Confidence != want.confidence ||
		!maps.Equal(fb, want.feedback) || !slices.Equal(got.Labels, want.labels) || got.Submissions != want.active || got.Resolution != want.resolution ||
		(want.active > 0 && got.TLP != want.tlp) {
		fail("%s: status %s actionable %v %q confidence %v feedback %v labels %v submissions %d tlp %s resolution %q; want %s %v %q %v %v %v %d %s %q",
			what, got.Status, got.Actionable, got.NotActionable, got.Confidence, fb, got.Labels, got.Submissions, got.TLP, got.Resolution,
			want.status, want.actionable, want.reason, want.confidence, want.feedback, want.labels, want.active, want.tlp, want.resolution)
	}
}

// wantList is the model's list for viewer under f, newest position first.
func (w *modelWorld) wantList(vi int, f ksp.SignalFilter) []string {
	type row struct {
		pos   int
		value string
	}
	var rows []row
	for _, sig := range w.m.signals {
		v := w.m.view(vi, sig, nil)
		label := ""
		if f.Label != nil {
			label = *f.Label
		}
		pos := w.m.position(vi, sig, label)
		if !v.visible || pos < 0 || (f.Status != nil && v.status != *f.Status) || (f.Type != nil && sig.typ != *f.Type) {
			continue
		}
		rows = append(rows, row{pos, sig.value})
	}
	slices.SortFunc(rows, func(a, b row) int { return b.pos - a.pos })
	out := []string{}
	for _, r := range rows {
		out = append(out, r.value)
	}
	return out
}

func values(list []*ksp.Signal) []string {
	out := []string{}
	for _, s := range list {
		out = append(out, s.Value)
	}
	return out
}

func describe(f ksp.SignalFilter) string {
	switch {
	case f.Status != nil:
		return "status=" + *f.Status
	case f.Label != nil:
		return "label=" + *f.Label
	case f.Type != nil:
		return "type=" + *f.Type
	}
	return "(all)"
}

// checkFeed follows viewer's changes feed from where it stopped and checks
// that a follower applying it holds exactly the signals the model says are
// visible, active and actionable for it.
func (w *modelWorld) checkFeed(fail func(string, ...any), vi int) {
	for {
		changes, last, err := w.db.Changes(w.ctx[vi], w.after[vi], 50)
		if err != nil {
			fail("viewer %d feed: %v", vi, err)
			return
		}
		for _, c := range changes {
			if c.Seq <= w.after[vi] {
				fail("viewer %d feed: seq %d repeated or out of order (after %d)", vi, c.Seq, w.after[vi])
			}
			w.after[vi] = c.Seq
			value := ""
			for v, id := range w.ids {
				if id == c.SignalID {
					value = v
				}
			}
			if value == "" {
				fail("viewer %d feed: unknown signal %s", vi, c.SignalID)
				continue
			}
			w.feeds[vi][value] = c.Op == "upsert"
		}
		w.after[vi] = max(w.after[vi], last)
		if len(changes) == 0 {
			break
		}
	}
	for n, sig := range w.m.signals {
		v := w.m.view(vi, sig, nil)
		want := v.visible && v.status == ksp.StatusActive && v.actionable
		if w.feeds[vi][sig.value] != want {
			fail("viewer %d value %d: follower holds %v, want %v (%+v)", vi, n, w.feeds[vi][sig.value], want, v)
		}
	}
}

// checkExport compares what may leave towards the viewer's org.
func (w *modelWorld) checkExport(fail func(string, ...any), vi int) {
	got := map[string]*ksp.Signal{}
	err := w.db.ExportSignals(w.ctx[vi], nil, func(s *ksp.Signal, _ ksp.Distribution, _ *ksp.Submission) error {
		got[s.Value] = s
		return nil
	})
	if err != nil {
		fail("viewer %d export: %v", vi, err)
		return
	}
	// Staff export as their org, like any member.
	m := *w.m
	m.staff = -1
	for n, sig := range w.m.signals {
		want := m.view(vi, sig, func(s *mSub) bool {
			return !s.retracted && s.tlp != ksp.TLPRed && s.tlp != ksp.TLPAmberStrict
		})
		s := got[sig.value]
		switch {
		case !want.visible && s != nil:
			fail("viewer %d value %d: export carries what may not leave", vi, n)
		case want.visible && s == nil:
			fail("viewer %d value %d: export misses it", vi, n)
		case want.visible:
			w.compare(fail, fmt.Sprintf("viewer %d value %d export", vi, n), s, want)
		}
	}
}

// syncTimes reads the creation and update times of value's submissions
// (every value's with -1) from staff's view, so that first and last seen
// can be checked per viewer.
func (w *modelWorld) syncTimes(value int) {
	byID := map[string]int{}
	for i, o := range w.orgs {
		byID[o.ID] = i
	}
	for n, sig := range w.m.signals {
		id := w.ids[sig.value]
		if id == "" || (value >= 0 && n != value) {
			continue
		}
		st, err := w.db.FindSignalByID(Staff(), id)
		must(w.t, err)
		for _, d := range st.Details {
			if s := sig.subs[byID[d.OrgID]]; s != nil {
				s.created, s.updated = d.Created.Time, d.Updated.Time
			}
		}
	}
}
