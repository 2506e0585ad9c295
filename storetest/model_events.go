package storetest

import (
	"fmt"
	"slices"

	"github.com/kspplatform/ksp"
)

// mEvent is an event the model expects a step to append: its type, the
// value it is about, and the sharing of the submission it carries (the
// first one for signal.created, the retracting org's for
// signal.retracted), as it was at that moment.
type mEvent struct {
	typ   string
	value string
	owner int
	sub   mSub
}

// modelEvents follows the event table as each org reads it: the live feed
// (FindEventsAfter, the SQL form of the sharing rule) and the deliveries
// queued to each org's webhook (ksp.CanSee in Go, at append time). Both
// must give an org exactly the step's events the model says it may see.
type modelEvents struct {
	want  []mEvent // appended by the current step
	after []int64  // per viewer: the feed's cursor
	hooks []string // per viewer: its webhook's id ("" when it has none)
	seen  []map[string]bool
	// byID maps event ids to "type value", from the staff's feed (staff
	// see every event of the model).
	byID map[string]string
}

// expectEvent records an event the current step appended.
func (w *modelWorld) expectEvent(typ string, value string, owner int, s *mSub) {
	c := *s
	c.audience = slices.Clone(s.audience)
	w.ev.want = append(w.ev.want, mEvent{typ: typ, value: value, owner: owner, sub: c})
}

// registerModelHooks gives every org whose actor is an admin (and staff) a
// webhook for every event type; it is never delivered to (no worker runs),
// only its queued deliveries are read.
func (w *modelWorld) registerModelHooks() {
	w.ev.after = make([]int64, len(w.orgs))
	w.ev.hooks = make([]string, len(w.orgs))
	w.ev.seen = make([]map[string]bool, len(w.orgs))
	w.ev.byID = map[string]string{}
	for vi := range w.orgs {
		w.ev.seen[vi] = map[string]bool{}
		h, err := w.db.CreateWebhook(w.ctx[vi], ksp.WebhookInput{URL: fmt.Sprintf("https://hooks.example/org-%d", vi), Events: ksp.WebhookEventTypes})
		if ksp.ErrorCode(err) == ksp.EFORBIDDEN {
			continue // not an admin
		}
		must(w.t, err)
		w.ev.hooks[vi] = h.ID
	}
}

// checkEvents compares each org's new events and queued deliveries with
// the step's expected events, then forgets them.
func (w *modelWorld) checkEvents(fail func(string, ...any)) {
	values := map[string]string{} // signal id → value
	for v, id := range w.ids {
		values[id] = v
	}
	order := append([]int{w.m.staff}, slices.DeleteFunc(seq(len(w.orgs)), func(i int) bool { return i == w.m.staff })...)
	for _, vi := range order {
		var want []string
		for _, e := range w.ev.want {
			if w.m.sees(vi, e.owner, &e.sub) {
				want = append(want, e.typ+" "+e.value)
			}
		}
		slices.Sort(want)
		evs, err := w.db.FindEventsAfter(w.ctx[vi], w.ev.after[vi], ksp.MaxLimit)
		if err != nil {
			fail("viewer %d events: %v", vi, err)
			continue
		}
		var got []string
		for _, e := range evs {
			w.ev.after[vi] = e.Seq
			k := e.Type + " " + values[e.ObjectID]
			got = append(got, k)
			if vi == w.m.staff {
				w.ev.byID[e.ID] = k
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			fail("viewer %d live feed: events %v, want %v", vi, got, want)
		}
		if w.ev.hooks[vi] == "" {
			continue
		}
		ds, _, err := w.db.FindWebhookDeliveries(w.ctx[vi], w.ev.hooks[vi], ksp.Page{Limit: ksp.MaxLimit})
		if err != nil {
			fail("viewer %d deliveries: %v", vi, err)
			continue
		}
		got = nil
		for _, d := range ds {
			if !w.ev.seen[vi][d.ID] {
				w.ev.seen[vi][d.ID] = true
				got = append(got, w.ev.byID[d.EventID])
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			fail("viewer %d webhook: deliveries %v, want %v", vi, got, want)
		}
	}
	w.ev.want = nil
}

// seq returns 0, 1, …, n-1.
func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
