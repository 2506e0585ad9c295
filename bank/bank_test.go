package bank_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/bank"
	"github.com/kspplatform/ksp/sqlite"
	"github.com/kspplatform/ksp/storetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// TestMatchAgreesWithStore builds random signals with random sharing and
// feedback and checks that what the matcher answers for each viewer is
// exactly what the store shows that viewer.
func TestMatchAgreesWithStore(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ksp.db"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f := storetest.NewFixture(t, db)
	actors := []context.Context{storetest.As(f.Platform, f.PlatAdmin), storetest.As(f.Startup, f.StartAdm), storetest.As(f.Gov, f.GovAdmin)}
	orgs := []*ksp.Org{f.Platform, f.Startup, f.Gov}
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 60
	pairs := [][2]string{{"owner", "RED"}, {"owner", "GREEN"}, {"audience", "AMBER"}, {"audience", "RED"}, {"members", "GREEN"}, {"members", "AMBER+STRICT"}, {"members", "CLEAR"}}
	for i := 0; i < n; i++ {
		for j, a := range actors {
			if rng.IntN(3) == 0 {
				continue
			}
			p := pairs[rng.IntN(len(pairs))]
			var aud []string
			if p[0] == "audience" {
				aud = []string{orgs[(j+1)%3].ID}
			}
			in := storetest.Submission(i, ksp.Distribution(p[0]), ksp.TLP(p[1]), aud...)
			in.Labels = []string{ksp.Labels[rng.IntN(len(ksp.Labels))]}
			if i%5 == 4 { // exact-match types go through other maps
				in.Type, in.Value, in.Quality = ksp.TypeMD5, md5Value(i), nil
			}
			if _, err := db.Submit(a, in); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Resolutions and feedback before loading exercise the load path;
	// feedback after it, Sync.
	before, _, err := db.FindSignals(storetest.Staff(), ksp.SignalFilter{Page: ksp.Page{Limit: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range before[:9] {
		in := ksp.ResolveInput{Resolution: []string{"upheld", "relabelled", "removed"}[i%3], Reason: "test"}
		if in.Resolution == "relabelled" {
			in.Labels = []string{"manifesto", "recruitment"}
		}
		if _, err := db.GiveFeedback(actors[i%3], s.ID, ksp.FeedbackInput{Verdict: ksp.VerdictDisputed}); err != nil && ksp.ErrorCode(err) != ksp.ENOTFOUND {
			t.Fatal(err)
		}
		if _, err := db.Resolve(storetest.Staff(), s.ID, in); err != nil {
			t.Fatal(err)
		}
	}
	// Retractions, confirmations and negative-bank entries before loading
	// too, of both PDQ and exact values.
	for i, s := range before[9:] {
		switch i % 4 {
		case 0:
			for _, a := range actors {
				if _, err := db.Retract(a, s.ID); err != nil && ksp.ErrorCode(err) != ksp.ENOTFOUND && ksp.ErrorCode(err) != ksp.EINVALID {
					t.Fatal(err)
				}
			}
		case 1:
			if _, err := db.GiveFeedback(actors[0], s.ID, ksp.FeedbackInput{Verdict: ksp.VerdictTruePositive}); err != nil && ksp.ErrorCode(err) != ksp.ENOTFOUND {
				t.Fatal(err)
			}
		case 2:
			if i%8 == 2 {
				if _, err := db.AddNegative(storetest.Staff(), ksp.NegativeInput{Type: s.Type, Value: s.Value, Reason: "stock image"}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	b := bank.New(db, quiet)
	if err := b.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	query := func(i int) ksp.MatchQuery {
		if i%5 == 4 {
			return ksp.MatchQuery{Type: ksp.TypeMD5, Value: md5Value(i)}
		}
		return ksp.MatchQuery{Type: ksp.TypePDQ, Value: storetest.PDQValue(i)}
	}
	check := func(stage string) {
		t.Helper()
		for vi, a := range append(actors, storetest.Staff()) {
			for i := 0; i < n; i++ {
				res, err := b.Match(a, []ksp.MatchQuery{query(i)}, 0)
				if err != nil {
					t.Fatal(err)
				}
				list, _, err := db.FindSignals(a, ksp.SignalFilter{Page: ksp.Page{Limit: 1000}})
				if err != nil {
					t.Fatal(err)
				}
				var want *ksp.Signal
				for _, s := range list {
					if s.Value == query(i).Value {
						want = s
					}
				}
				got := res[0].Matches
				if want == nil {
					if len(got) != 0 {
						t.Fatalf("%s, viewer %d, value %d: matcher shows a signal the store hides", stage, vi, i)
					}
					continue
				}
				if len(got) != 1 {
					t.Fatalf("%s, viewer %d, value %d: %d matches, the store shows one", stage, vi, i, len(got))
				}
				h := got[0]
				if h.SignalID != want.ID || !slices.Equal(h.Labels, want.Labels) || h.TLP != want.TLP || h.Confidence != want.Confidence || h.Actionable != want.Actionable || h.NotActionable != want.NotActionable {
					t.Fatalf("%s, viewer %d, value %d:\nmatcher %+v\nstore   %+v", stage, vi, i, h, want)
				}
			}
		}
	}
	check("after load")
	// Feedback after loading exercises Sync.
	all, _, err := db.FindSignals(storetest.Staff(), ksp.SignalFilter{Page: ksp.Page{Limit: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		a := actors[rng.IntN(3)]
		v := ksp.Verdicts[rng.IntN(len(ksp.Verdicts))]
		if _, err := db.GiveFeedback(a, s.ID, ksp.FeedbackInput{Verdict: v}); err != nil && ksp.ErrorCode(err) != ksp.ENOTFOUND {
			t.Fatal(err)
		}
	}
	if err := b.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	check("after sync")
}

func md5Value(n int) string {
	s := md5.Sum([]byte(fmt.Sprint("md5", n)))
	return hex.EncodeToString(s[:])
}

// TestConcurrentMatchAndSync matches while writes and syncs run (run it
// with -race).
func TestConcurrentMatchAndSync(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ksp.db"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f := storetest.NewFixture(t, db)
	plat := storetest.As(f.Platform, f.PlatAdmin)
	b := bank.New(db, quiet)
	if err := b.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := b.Match(plat, []ksp.MatchQuery{{Type: "pdq", Value: storetest.PDQValue(i % 40)}}, 31); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := 0; i < 40; i++ {
		if _, err := db.Submit(plat, storetest.Submission(i, ksp.DistMembers, ksp.TLPGreen)); err != nil {
			t.Fatal(err)
		}
		if err := b.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	res, _ := b.Match(plat, []ksp.MatchQuery{{Type: "pdq", Value: storetest.PDQValue(39)}}, 0)
	if len(res[0].Matches) != 1 || b.Len() != 40 {
		t.Fatalf("after sync: %d matches, %d signals", len(res[0].Matches), b.Len())
	}
}

// TestLoadDuringWrites loads the bank while another goroutine submits,
// retracts and disputes: the two scans of the load may see different
// commits, and the Sync after it must leave the bank exactly as the store.
func TestLoadDuringWrites(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ksp.db"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f := storetest.NewFixture(t, db)
	plat, start := storetest.As(f.Platform, f.PlatAdmin), storetest.As(f.Startup, f.StartAdm)
	const n = 300
	ids := make([]string, n)
	for i := 0; i < n/3; i++ {
		s, err := db.Submit(plat, storetest.Submission(i, ksp.DistMembers, ksp.TLPGreen))
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = s.Signal.ID
	}
	done := make(chan error, 1)
	go func() {
		for i := n / 3; i < n; i++ {
			s, err := db.Submit(plat, storetest.Submission(i, ksp.DistMembers, ksp.TLPGreen))
			if err != nil {
				done <- err
				return
			}
			ids[i] = s.Signal.ID
			switch i % 3 {
			case 1: // retract an older one
				_, err = db.Retract(plat, ids[i-n/3])
			case 2:
				_, err = db.GiveFeedback(start, s.Signal.ID, ksp.FeedbackInput{Verdict: ksp.VerdictDisputed})
			}
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	b := bank.New(db, quiet)
	if err := b.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded %d of %d signals while writing", b.Len(), n)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		res, err := b.Match(start, []ksp.MatchQuery{{Type: ksp.TypePDQ, Value: storetest.PDQValue(i)}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		want, err := db.FindSignalByID(start, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		got := res[0].Matches
		if len(got) != 1 || got[0].SignalID != want.ID || got[0].Actionable != want.Actionable || got[0].NotActionable != want.NotActionable {
			t.Fatalf("value %d: matcher %+v, store %+v", i, got, want)
		}
	}
}
