package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/demo"
	"doorstep/backend/postgres"
	"doorstep/internal/pgtest"
	"doorstep/internal/wait"
)

// queueNotifications adds n queued e-mails, due now, to the demo's first
// conversation with a tenant.
func queueNotifications(t *testing.T, db *postgres.DB, n int) {
	t.Helper()
	ctx := context.Background()
	err := db.Update(ctx, func(tx *postgres.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO notifications (org_id, conversation_id, tenant_id, kind, channel, recipient, state, next_attempt_at, created_at)
			SELECT c.org_id, c.id, ct.tenant_id, 'new_messages', 'email', 'tenant@example.org', 'queued', now(), now()
			FROM (SELECT * FROM conversation_tenants ORDER BY conversation_id, tenant_id LIMIT 1) ct
			JOIN conversations c ON c.id = ct.conversation_id, generate_series(1, $1)`, n)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNodesClaimEachNotificationOnce: two stores on one database (two
// server nodes) drain the outbox at once, and each notification is claimed
// by one of them only; what a node claimed passes to the other when that
// node goes away, and not before.
func TestNodesClaimEachNotificationOnce(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	a, b := mustOpenAt(t, dsn), mustOpenAt(t, dsn)
	if _, err := demo.Seed(ctx, a, time.Now()); err != nil {
		t.Fatal(err)
	}
	queueNotifications(t, a, 300)
	later := time.Now().Add(time.Hour)
	queued, err := a.QueuedNotifications(ctx)
	if err != nil || queued < 300 {
		t.Fatalf("queued = %d, %v", queued, err)
	}

	claimedBy := map[int64][]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, db := range map[string]*postgres.DB{"a": a, "b": b} {
		wg.Go(func() {
			for {
				due, err := db.DueNotifications(ctx, later, 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(due) == 0 {
					return
				}
				for _, n := range due {
					mu.Lock()
					claimedBy[n.ID] = append(claimedBy[n.ID], name)
					mu.Unlock()
					if err := db.NotificationSent(ctx, n.ID, ""); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if len(claimedBy) != queued {
		t.Errorf("%d notifications claimed; %d were queued", len(claimedBy), queued)
	}
	per := map[string]int{}
	for id, by := range claimedBy {
		if len(by) != 1 {
			t.Errorf("notification %d claimed by %v", id, by)
		}
		per[by[0]]++
	}
	t.Logf("claimed: %v", per)
	if left, _ := a.QueuedNotifications(ctx); left != 0 {
		t.Errorf("%d still queued", left)
	}

	// b claims and dies before recording the outcome.
	queueNotifications(t, a, 3)
	held, err := b.DueNotifications(ctx, later, 10)
	if err != nil || len(held) != 3 {
		t.Fatalf("b claimed %d, %v", len(held), err)
	}
	if again, err := b.DueNotifications(ctx, later, 10); err != nil || len(again) != 3 {
		t.Errorf("b sees %d of its own claims again (%v); want 3 until their outcome is recorded", len(again), err)
	}
	if got, err := a.DueNotifications(ctx, later, 10); err != nil || len(got) != 0 {
		t.Errorf("a got %d of b's claims while b is alive (%v)", len(got), err)
	}
	if _, ok, err := a.NextNotificationDue(ctx); ok || err != nil {
		t.Errorf("a waits for b's claims (%v, %v); they are b's to send", ok, err)
	}
	b.Close()
	// PostgreSQL drops b's lock once its server process has seen the
	// connection close, a moment after Close returns.
	var taken []backend.PendingNotification
	wait.For(t, "a to take b's 3 claims once b went away", func() bool {
		taken, err = a.DueNotifications(ctx, later, 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(taken) == 3
	})
	for i, n := range taken {
		if n.ID != held[i].ID {
			t.Errorf("a took %d, b held %d", n.ID, held[i].ID)
		}
	}
}
