package postgres_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	"doorstep/internal/pgtest"
	"doorstep/internal/wait"
)

// TestPresenceAcrossNodes: what each instance (node) reports as its
// online tenants is seen from every instance; a new report replaces the
// last; and an instance that is gone (a node that died, its connection
// with it) counts for nothing at once.
func TestPresenceAcrossNodes(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	a, b := mustOpenAt(t, dsn), mustOpenAt(t, dsn)
	online := func() string {
		t.Helper()
		set, err := a.OnlineTenants(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(slices.Sorted(maps.Keys(set)))
	}
	if got := online(); got != "[]" {
		t.Fatalf("online before any report: %s", got)
	}
	if err := a.ReportOnline(ctx, []int64{1, 2}); err != nil {
		t.Fatal(err)
	}
	if err := b.ReportOnline(ctx, []int64{2, 3}); err != nil {
		t.Fatal(err)
	}
	if got := online(); got != "[1 2 3]" {
		t.Errorf("online with A reporting 1, 2 and B 2, 3: %s", got)
	}
	if err := b.ReportOnline(ctx, []int64{4}); err != nil {
		t.Fatal(err)
	}
	if got := online(); got != "[1 2 4]" {
		t.Errorf("online once B reported 4 alone: %s", got)
	}
	if err := a.ReportOnline(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := online(); got != "[4]" {
		t.Errorf("online once A reported no one: %s", got)
	}
	b.Close() // B dies without a last report
	// Its report stops counting once PostgreSQL has seen B's connection
	// close, a moment after Close returns.
	wait.For(t, "B's report to count for nothing once B is gone", func() bool { return online() == "[]" })
}
