package postgres_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"doorstep/internal/pgtest"
	"doorstep/internal/wait"
)

// TestRunExclusive: two store instances on one database (two nodes) never
// run a round of the same job at once: while one runs, the other skips;
// other jobs go on; and when the instance running it is closed mid-round
// (a node that dies), the other takes the job over.
func TestRunExclusive(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	a, b := mustOpenAt(t, dsn), mustOpenAt(t, dsn)

	inRound, release := make(chan struct{}), make(chan struct{})
	aDone := make(chan bool, 1)
	go func() {
		ran, err := a.RunExclusive(ctx, "prune-events", 0, func(context.Context) error {
			close(inRound)
			<-release
			return nil
		})
		// A is closed mid-round, so its round cannot be recorded, as on
		// a node that died: the next node's round is not held off.
		if err == nil {
			t.Error("A's round was recorded after A was closed")
		}
		aDone <- ran
	}()
	<-inRound

	var bRounds atomic.Int32
	round := func(context.Context) error { bRounds.Add(1); return nil }
	if ran, err := b.RunExclusive(ctx, "prune-events", 0, round); err != nil || ran {
		t.Fatalf("B ran the round A is running: ran=%v err=%v", ran, err)
	}
	if ran, err := b.RunExclusive(ctx, "sign-heads", 0, round); err != nil || !ran {
		t.Fatalf("another job was held up: ran=%v err=%v", ran, err)
	}

	a.Close() // A dies mid-round: its lock goes with its connection
	wait.For(t, "B to take the job over from the closed A", func() bool {
		ran, err := b.RunExclusive(ctx, "prune-events", 0, round)
		if err != nil {
			t.Fatal(err)
		}
		return ran
	})
	close(release)
	if !<-aDone {
		t.Error("A's round did not count as run")
	}
	if got := bRounds.Load(); got != 2 {
		t.Errorf("B ran %d rounds, want 2 (the other job, then the one taken over)", got)
	}
	// Rounds one after the other both run: the lock lasts one round.
	if ran, err := b.RunExclusive(ctx, "prune-events", 0, round); err != nil || !ran {
		t.Errorf("the next round: ran=%v err=%v", ran, err)
	}
}

// TestRunExclusiveOncePerInterval: a round that finished on one node makes
// the other nodes skip theirs for most of the interval, as measured by the
// database's clock; a failed round counts for nothing, and a shorter
// interval (time has passed) lets the next round run.
func TestRunExclusiveOncePerInterval(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	a, b := mustOpenAt(t, dsn), mustOpenAt(t, dsn)
	var rounds atomic.Int32
	round := func(context.Context) error { rounds.Add(1); return nil }

	if ran, err := a.RunExclusive(ctx, "prune-events", time.Hour, round); err != nil || !ran {
		t.Fatalf("the first round: ran=%v err=%v", ran, err)
	}
	if ran, err := b.RunExclusive(ctx, "prune-events", time.Hour, round); err != nil || ran {
		t.Fatalf("B ran a round within the hour of A's: ran=%v err=%v", ran, err)
	}
	if ran, err := a.RunExclusive(ctx, "prune-events", time.Hour, round); err != nil || ran {
		t.Fatalf("A ran again within the hour: ran=%v err=%v", ran, err)
	}
	if ran, err := b.RunExclusive(ctx, "sign-heads", time.Hour, round); err != nil || !ran {
		t.Fatalf("another job waited for this one's interval: ran=%v err=%v", ran, err)
	}
	// A microsecond's interval has passed since A's round began.
	if ran, err := b.RunExclusive(ctx, "prune-events", time.Microsecond, round); err != nil || !ran {
		t.Fatalf("B's round after the interval: ran=%v err=%v", ran, err)
	}
	if got := rounds.Load(); got != 3 {
		t.Errorf("%d rounds ran, want 3", got)
	}

	broken := errors.New("the round failed")
	if ran, err := a.RunExclusive(ctx, "new-message-emails", time.Hour, func(context.Context) error { return broken }); !ran || !errors.Is(err, broken) {
		t.Fatalf("a failing round: ran=%v err=%v", ran, err)
	}
	if ran, err := b.RunExclusive(ctx, "new-message-emails", time.Hour, round); err != nil || !ran {
		t.Errorf("a failed round kept the next one from running: ran=%v err=%v", ran, err)
	}
}
