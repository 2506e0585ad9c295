package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/bank"
	"github.com/kspplatform/ksp/postgres"
	"github.com/kspplatform/ksp/postgres/pgtest"
	"github.com/kspplatform/ksp/storetest"
)

// TestChangeNotificationsWakeOtherReplicas runs two replicas' hash banks
// on one database with a poll interval far beyond the test, so that only
// the commit notifications can bring a change across: a signal submitted
// through one replica is matched on the other, a retraction stops it
// being actionable there, and both still hold after the other replica's listening
// connection is killed and comes back.
func TestChangeNotificationsWakeOtherReplicas(t *testing.T) {
	url := pgtest.Schema(t)
	a, b := openAt(t, url), openAt(t, url)
	live(t, b)
	f := storetest.NewFixture(t, a)
	submitter := storetest.As(f.Platform, f.PlatAdmin)
	viewer := storetest.As(f.Startup, f.StartAdm)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	follower := bank.New(b, nil)
	if err := follower.Load(ctx); err != nil {
		t.Fatal(err)
	}
	b.OnSignalChange(follower.Wake)
	go follower.Run(ctx, time.Hour)

	// matches tells whether value n is an actionable match on the
	// follower: a retracted signal still matches, but as retracted.
	matches := func(n int) bool {
		res, err := follower.Match(viewer, []ksp.MatchQuery{{Type: ksp.TypePDQ, Value: storetest.PDQValue(n)}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(res[0].Matches) == 1 && res[0].Matches[0].Actionable
	}
	step := func(n int) {
		t.Helper()
		r, err := a.Submit(submitter, storetest.Submission(n, ksp.DistMembers, ksp.TLPGreen))
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "matched on the other replica", func() bool { return matches(n) })
		if _, err := a.Retract(submitter, r.Signal.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "retracted on the other replica", func() bool { return !matches(n) })
	}
	step(1)

	// Kill the listening connection: the listener reconnects, and
	// notifications wake the follower again.
	pid := b.KeyListenerPID()
	if _, err := a.SQL().ExecContext(context.Background(), `SELECT pg_terminate_backend($1)`, int64(pid)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "listening again", func() bool { p := b.KeyListenerPID(); return p != 0 && p != pid })
	step(2)
}

// TestFollowerPollsWithoutListener holds the other replica's listening
// connection off for the whole test, as while the database refuses it:
// the follower still picks up a submission and its retraction through its
// poll.
func TestFollowerPollsWithoutListener(t *testing.T) {
	url := pgtest.Schema(t)
	a := openAt(t, url)
	b, err := postgres.OpenGated(context.Background(), url, make(chan struct{}))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	f := storetest.NewFixture(t, a)
	submitter := storetest.As(f.Platform, f.PlatAdmin)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	follower := bank.New(b, nil)
	if err := follower.Load(ctx); err != nil {
		t.Fatal(err)
	}
	b.OnSignalChange(follower.Wake)
	go follower.Run(ctx, 50*time.Millisecond)
	actionable := func() bool {
		res, err := follower.Match(storetest.As(f.Startup, f.StartAdm), []ksp.MatchQuery{{Type: ksp.TypePDQ, Value: storetest.PDQValue(3)}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(res[0].Matches) == 1 && res[0].Matches[0].Actionable
	}
	r, err := a.Submit(submitter, storetest.Submission(3, ksp.DistMembers, ksp.TLPGreen))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "matched by polling", actionable)
	if b.KeyCacheLive() {
		t.Fatal("the listener connected although held off")
	}
	if _, err := a.Retract(submitter, r.Signal.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "retraction seen by polling", func() bool { return !actionable() })
}
