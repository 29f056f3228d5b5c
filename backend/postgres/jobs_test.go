package postgres_test

import (
	"context"
	"sync/atomic"
	"testing"

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
		ran, err := a.RunExclusive(ctx, "prune-events", func(context.Context) error {
			close(inRound)
			<-release
			return nil
		})
		if err != nil {
			t.Error(err)
		}
		aDone <- ran
	}()
	<-inRound

	var bRounds atomic.Int32
	round := func(context.Context) error { bRounds.Add(1); return nil }
	if ran, err := b.RunExclusive(ctx, "prune-events", round); err != nil || ran {
		t.Fatalf("B ran the round A is running: ran=%v err=%v", ran, err)
	}
	if ran, err := b.RunExclusive(ctx, "sign-heads", round); err != nil || !ran {
		t.Fatalf("another job was held up: ran=%v err=%v", ran, err)
	}

	a.Close() // A dies mid-round: its lock goes with its connection
	wait.For(t, "B to take the job over from the closed A", func() bool {
		ran, err := b.RunExclusive(ctx, "prune-events", round)
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
	if ran, err := b.RunExclusive(ctx, "prune-events", round); err != nil || !ran {
		t.Errorf("the next round: ran=%v err=%v", ran, err)
	}
}
