package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
)

// The bank list's search and sorts (SignalFilter.Query, .Sort): what they
// find, their order by each viewer's own figures across pages, and that
// another org's owner-only submission changes nothing a viewer gets.

// bankWorld shares a few signals: URLs and hashes, some owner-only, with
// verdicts, so that figures differ per viewer.
type bankWorld struct {
	db            Store
	f             *Fixture
	plat, start   context.Context
	privateValue  string // the platform's owner-only value nobody else has
	sharedPrivate string // shared by the startup, earlier owner-only by the platform
}

func urlSubmission(u string, d ksp.Distribution) ksp.SubmissionInput {
	return ksp.SubmissionInput{Type: ksp.TypeURL, Value: u, ContentType: "url", Labels: []string{"propaganda"}, Basis: "branded_publication",
		Distribution: d, TLP: ksp.TLPGreen}
}

// newBankWorld builds the world; with private false the platform's
// owner-only submissions are left out, for comparing what the startup gets.
func newBankWorld(t *testing.T, db Store, private bool) *bankWorld {
	f := NewFixture(t, db)
	w := &bankWorld{db: db, f: f, plat: As(f.Platform, f.PlatAdmin), start: As(f.Startup, f.StartAdm)}
	w.privateValue, w.sharedPrivate = PDQValue(900), PDQValue(901)
	submit := func(ctx context.Context, in ksp.SubmissionInput) *ksp.Signal {
		t.Helper()
		res, err := db.Submit(ctx, in)
		must(t, err)
		return res.Signal
	}
	if private {
		// First of all, owner-only: it must neither date the startup's
		// later submission of the same value nor show at all.
		submit(w.plat, Submission(901, ksp.DistOwner, ksp.TLPRed))
		submit(w.plat, Submission(900, ksp.DistOwner, ksp.TLPRed))
	}
	for i := 0; i < 6; i++ {
		submit(w.plat, Submission(i, ksp.DistMembers, ksp.TLPGreen))
	}
	submit(w.start, Submission(901, ksp.DistMembers, ksp.TLPGreen))
	submit(w.plat, urlSubmission("https://Example.test/a/long/path/final-part?x=1", ksp.DistMembers))
	submit(w.plat, urlSubmission("http://example.test/other", ksp.DistMembers))
	submit(w.start, urlSubmission("https://elsewhere.test/example.test/", ksp.DistMembers))
	for i := 10; i < 14; i++ {
		sig := submit(w.start, Submission(i, ksp.DistMembers, ksp.TLPGreen))
		if i%2 == 0 {
			_, err := db.GiveFeedback(w.plat, sig.ID, ksp.FeedbackInput{Verdict: ksp.VerdictTruePositive})
			must(t, err)
		}
		if i == 13 {
			_, err := db.GiveFeedback(w.plat, sig.ID, ksp.FeedbackInput{Verdict: ksp.VerdictFalsePositive})
			must(t, err)
		}
	}
	// A later update of an early signal moves its last seen, not its first.
	in := Submission(0, ksp.DistMembers, ksp.TLPGreen)
	in.Severity = "high"
	submit(w.plat, in)
	return w
}

// listAll pages through a list two at a time.
func listAll(t *testing.T, db Store, ctx context.Context, f ksp.SignalFilter) []*ksp.Signal {
	t.Helper()
	f.Limit = 2
	var out []*ksp.Signal
	for i := 0; ; i++ {
		page, next, err := db.FindSignals(ctx, f)
		must(t, err)
		out = append(out, page...)
		if next == "" {
			return out
		}
		if i > 100 {
			t.Fatal("the list does not end")
		}
		f.Cursor = next
	}
}

func valuesOf(list []*ksp.Signal) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.Value
	}
	return out
}

func testBankSearchSort(t *testing.T, open Opener) {
	db := open(t)
	w := newBankWorld(t, db, true)
	viewers := map[string]context.Context{"platform": w.plat, "startup": w.start, "government": As(w.f.Gov, w.f.GovAdmin), "staff": As(w.f.StaffOrg(t), w.f.StaffUser)}
	for name, ctx := range viewers {
		all, _, err := db.FindSignals(ctx, ksp.SignalFilter{Page: ksp.Page{Limit: 1000}})
		must(t, err)
		// Search: what the prefix covers among what the viewer sees.
		for _, q := range []string{PDQValue(3)[:6], strings.ToUpper(PDQValue(11)[:10]), PDQValue(2), "example.test", "EXAMPLE.test/a/", "https://example.test/", "http://", "elsewhere", "nothing.test", "00000000000000000000000000000000000"} {
			var want []string
			ranges, err := ksp.SearchRanges(q)
			must(t, err)
			for _, s := range all {
				if slices.ContainsFunc(ranges, func(r ksp.ValueRange) bool { return r.Type == s.Type && strings.HasPrefix(s.Value, r.Lo) }) {
					want = append(want, s.Value)
				}
			}
			got := valuesOf(listAll(t, db, ctx, ksp.SignalFilter{Query: q}))
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s: search %q found %v, want %v", name, q, got, want)
			}
			if q == "example.test" && len(want) != 2 {
				t.Errorf("%s: the host finds %d URLs, want 2 (not the one with it in its path)", name, len(want))
			}
		}
		// Sorts: the viewer's own figures, ties by id, across pages.
		for _, sortName := range ksp.SignalSorts {
			for _, desc := range []bool{false, true} {
				key := func(s *ksp.Signal) float64 {
					switch sortName {
					case "first_seen":
						return float64(s.FirstSeen.UnixMicro())
					case "last_seen":
						return float64(s.LastSeen.UnixMicro())
					}
					return s.Confidence
				}
				want := slices.Clone(all)
				slices.SortFunc(want, func(x, y *ksp.Signal) int {
					r := 0
					switch kx, ky := key(x), key(y); {
					case kx < ky:
						r = -1
					case kx > ky:
						r = 1
					default:
						r = strings.Compare(x.ID, y.ID)
					}
					if desc {
						r = -r
					}
					return r
				})
				s := sortName
				if desc {
					s = "-" + s
				}
				got := listAll(t, db, ctx, ksp.SignalFilter{Sort: s})
				// Ties may go by signal or by submission id: the keys in
				// order, and the same signals.
				keys := func(l []*ksp.Signal) []float64 {
					out := make([]float64, len(l))
					for i, x := range l {
						out[i] = key(x)
					}
					return out
				}
				gv, wv := valuesOf(got), valuesOf(want)
				slices.Sort(gv)
				slices.Sort(wv)
				if !slices.Equal(keys(got), keys(want)) || !slices.Equal(gv, wv) {
					t.Errorf("%s: sort %s gave %v, want %v", name, s, valuesOf(got), valuesOf(want))
				}
				// With a search and a status filter too.
				st := ksp.StatusActive
				got = listAll(t, db, ctx, ksp.SignalFilter{Sort: s, Query: "example.test", Status: &st})
				if len(got) != 2 && name != "startup" && name != "government" {
					t.Errorf("%s: sort %s of a search: %d signals", name, s, len(got))
				}
			}
		}
	}

	// Own: the signals with an active submission of the viewer's org, in
	// any order and with a sort.
	for _, vc := range []struct {
		ctx context.Context
		org string
	}{{w.plat, w.f.Platform.ID}, {w.start, w.f.Startup.ID}} {
		all, _, err := db.FindSignals(vc.ctx, ksp.SignalFilter{Page: ksp.Page{Limit: 1000}})
		must(t, err)
		var want []string
		for _, s := range all {
			full, err := db.FindSignalByID(vc.ctx, s.ID)
			must(t, err)
			if slices.ContainsFunc(full.Details, func(d *ksp.Submission) bool { return d.OrgID == vc.org && d.Retracted == nil }) {
				want = append(want, s.Value)
			}
		}
		slices.Sort(want)
		if len(want) == 0 || len(want) == len(all) {
			t.Fatalf("own: %d of %d signals; the world does not test the filter", len(want), len(all))
		}
		for _, sortName := range []string{"", "-first_seen", "confidence"} {
			got := valuesOf(listAll(t, db, vc.ctx, ksp.SignalFilter{Own: true, Sort: sortName}))
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("own, sort %q: %v, want %v", sortName, got, want)
			}
		}
	}

	// Bad input names its field.
	for _, f := range []ksp.SignalFilter{{Sort: "matches"}, {Sort: "first_seen;DROP"}, {Sort: "--first_seen"}, {Query: "ftp://x"}, {Query: "a b"}, {Query: strings.Repeat("a", 5000)}} {
		_, _, err := db.FindSignals(w.start, f)
		wantCode(t, err, ksp.EINVALID)
		var ke *ksp.Error
		if !errors.As(err, &ke) || len(ke.Fields) == 0 || (ke.Fields[0].Field != "sort" && ke.Fields[0].Field != "q") {
			t.Errorf("%.40v: error %v", f, err)
		}
	}
	// A cursor of one sort is refused by another.
	_, next, err := db.FindSignals(w.start, ksp.SignalFilter{Sort: "first_seen", Page: ksp.Page{Limit: 1}})
	must(t, err)
	for _, other := range []string{"-first_seen", "confidence", ""} {
		_, _, err = db.FindSignals(w.start, ksp.SignalFilter{Sort: other, Page: ksp.Page{Limit: 1, Cursor: next}})
		if other != "" {
			wantCode(t, err, ksp.EINVALID)
		}
	}
}

// testBankSortLeak is the attack: the startup searches and sorts a bank in
// which the platform holds owner-only submissions, one of a value only it
// has, one of a value the startup shared later. Whatever the startup
// asks, it gets exactly what it gets from the same bank without them:
// the same signals in the same order, with the same first seen.
func testBankSortLeak(t *testing.T, open Opener) {
	with := newBankWorld(t, open(t), true)
	without := newBankWorld(t, open(t), false)
	type answer struct {
		values []string
		first  []int64 // first seen relative to the startup's own first
		conf   []string
	}
	ask := func(w *bankWorld, f ksp.SignalFilter) answer {
		list := listAll(t, w.db, w.start, f)
		var a answer
		a.values = valuesOf(list)
		for _, s := range list {
			a.conf = append(a.conf, fmt.Sprintf("%.3f", s.Confidence))
		}
		if strings.HasSuffix(f.Sort, "confidence") {
			// Ties go by signal id, random in each bank: compare the
			// scores in order and the signals as a set.
			slices.Sort(a.values)
		}
		var base int64
		for _, s := range listAll(t, w.db, w.start, ksp.SignalFilter{Sort: "first_seen"}) {
			base = s.FirstSeen.UnixMicro()
			break
		}
		for _, s := range list {
			a.first = append(a.first, s.FirstSeen.UnixMicro()-base)
		}
		return a
	}
	for _, f := range []ksp.SignalFilter{
		{Sort: "first_seen"}, {Sort: "-first_seen"}, {Sort: "last_seen"}, {Sort: "-last_seen"}, {Sort: "confidence"}, {Sort: "-confidence"},
		{Query: with.privateValue}, {Query: with.privateValue[:8]}, {Query: with.sharedPrivate}, {Query: with.sharedPrivate[:8], Sort: "first_seen"},
		{Query: with.sharedPrivate[:3], Sort: "-confidence"}, {},
	} {
		a, b := ask(with, f), ask(without, f)
		if !slices.Equal(a.values, b.values) || !slices.Equal(a.conf, b.conf) {
			t.Errorf("%+v: with the platform's owner-only submissions the startup gets %v, without %v", f, a.values, b.values)
		}
		if slices.Contains(a.values, with.privateValue) {
			t.Errorf("%+v: the startup finds the platform's owner-only value", f)
		}
		// Relative first-seen figures may differ by the writes' timing, but
		// the shared-private value's first seen is the startup's own.
		for i, v := range a.values {
			if v == with.sharedPrivate {
				own := listAll(t, with.db, with.start, ksp.SignalFilter{Query: v})
				det, err := with.db.FindSignalByID(with.start, own[0].ID)
				must(t, err)
				for _, d := range det.Details {
					if d.OrgID == with.f.Platform.ID {
						t.Errorf("the startup sees the platform's owner-only submission")
					}
				}
				if a.first[i] < 0 || !own[0].FirstSeen.Equal(det.Details[0].Created.Time) {
					t.Errorf("%+v: the startup's first seen of the value is %v, not its own submission's %v", f, own[0].FirstSeen, det.Details[0].Created)
				}
			}
		}
	}
}
