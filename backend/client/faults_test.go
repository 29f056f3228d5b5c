package client_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/client"
)

// TestImpatientSendersDoNotFailOthers: clients that give up on their sends
// after a fraction of a millisecond, beside clients that wait, through the
// real server. The ones that wait must never see an error, and each of
// their messages must be stored exactly once.
func TestImpatientSendersDoNotFailOthers(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	group := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{UnitID: w.unit["1A"]}))
	erin := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))
	// A big group: each message to it writes an event per member, so a
	// send spends long enough writing to be cut midway.
	hall := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{UnitID: w.bigUnit(t, "Hall", 200)}))
	type sender struct {
		c    *client.Client
		conv int64
		name string
	}
	patient := []sender{
		{w.landlord, group.ID, "landlord-group"}, {w.landlord, erin.ID, "landlord-erin"},
		{w.asTenant("Alice"), group.ID, "alice"}, {w.asTenant("Bob"), group.ID, "bob"}, {w.asTenant("Erin"), erin.ID, "erin"},
	}
	const perPatient, impatient = 20, 16
	stop := make(chan struct{})
	var impatientDone sync.WaitGroup
	var impatientSends, impatientOK atomic.Int64
	var answered sync.Map // keys of impatient sends answered as stored
	for i := range impatient {
		s := sender{w.landlord, hall.ID, "landlord-hall"}
		impatientDone.Add(1)
		go func() {
			defer impatientDone.Done()
			// Each impatient client homes in on the moment its sends are
			// being stored: it waits a little less after a send that made
			// it and a little more after one it gave up on, so its
			// requests end around the time their writes run.
			wait := time.Millisecond
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				cctx, cancel := context.WithTimeout(ctx, wait)
				k := fmt.Sprintf("impatient-%d-%d", i, n)
				_, err := s.c.SendMessage(cctx, s.conv, backend.SendMessage{Key: k, Text: "hurry up"})
				cancel()
				if err == nil {
					impatientOK.Add(1)
					answered.Store(k, true)
					wait = wait * 9 / 10
				} else {
					wait = wait * 11 / 10
				}
				impatientSends.Add(1)
			}
		}()
	}
	var wg sync.WaitGroup
	var failures atomic.Int64
	for _, s := range patient {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range perPatient {
				k := fmt.Sprintf("patient-%s-%03d", s.name, n)
				if _, err := s.c.SendMessage(ctx, s.conv, backend.SendMessage{Key: k, Text: "hello from " + k}); err != nil {
					if failures.Add(1) <= 3 {
						t.Errorf("%s: %v", k, err)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	impatientDone.Wait()
	t.Logf("%d impatient sends (%d answered as stored) beside %d patient ones: %d patient sends failed",
		impatientSends.Load(), impatientOK.Load(), len(patient)*perPatient, failures.Load())

	stored := map[string]int{} // key → times stored, read from the database file itself
	raw, err := sql.Open("sqlite3", "file:"+w.path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query("SELECT idem_key, count(*) FROM messages GROUP BY idem_key")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		var n int
		rows.Scan(&k, &n)
		stored[k] = n
	}
	rows.Close()
	for _, s := range patient {
		for n := range perPatient {
			if k := fmt.Sprintf("patient-%s-%03d", s.name, n); stored[k] != 1 {
				t.Errorf("%s stored %d times, want once", k, stored[k])
			}
		}
	}
	answered.Range(func(k, _ any) bool {
		if stored[k.(string)] != 1 {
			t.Errorf("%s was answered as stored but is stored %d times", k, stored[k.(string)])
		}
		return true
	})
}

// bigUnit adds a unit of Elm Court with n tenants on one active lease and
// returns its id.
func (w *world) bigUnit(t *testing.T, name string, n int) int64 {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+w.path+"?_busy_timeout=5000&_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	exec := func(q string, args ...any) int64 {
		t.Helper()
		res, err := raw.Exec(q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		id, _ := res.LastInsertId()
		return id
	}
	unit := exec("INSERT INTO units (property_id, name) SELECT property_id, ? FROM units WHERE id = ?", name, w.unit["1A"])
	lease := exec("INSERT INTO leases (unit_id, start_date) VALUES (?, '2025-01-01')", unit)
	for i := range n {
		tenant := exec("INSERT INTO tenants (org_id, name, created_at) SELECT org_id, ?, '2026-01-01T00:00:00Z' FROM tenants WHERE id = ?",
			fmt.Sprintf("%s tenant %d", name, i), w.tenant["Alice"])
		exec("INSERT INTO lease_tenants (lease_id, tenant_id) VALUES (?, ?)", lease, tenant)
	}
	return unit
}
