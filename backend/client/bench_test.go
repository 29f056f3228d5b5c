package client_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/client"
)

// addTenants gives the world's org A n more tenants on active leases, each
// with a one-to-one conversation, and returns a client and conversation per tenant.
func (w *world) addTenants(n int) (tenants []*client.Client, convs []int64) {
	w.t.Helper()
	ctx := context.Background()
	raw, err := sql.Open("sqlite3", "file:"+w.path+"?_busy_timeout=5000")
	if err != nil {
		w.t.Fatal(err)
	}
	defer raw.Close()
	var org, prop int64
	raw.QueryRow("SELECT org_id, id FROM properties WHERE name = 'Elm Court'").Scan(&org, &prop)
	for i := range n {
		res, _ := raw.Exec("INSERT INTO units (property_id, name) VALUES (?, ?)", prop, fmt.Sprint("B", i))
		unit, _ := res.LastInsertId()
		res, _ = raw.Exec("INSERT INTO leases (unit_id, start_date) VALUES (?, '2025-01-01')", unit)
		lease, _ := res.LastInsertId()
		res, _ = raw.Exec("INSERT INTO tenants (org_id, name, created_at) VALUES (?, ?, '2025-01-01T00:00:00Z')", org, fmt.Sprint("Bench ", i))
		tid, _ := res.LastInsertId()
		if _, err := raw.Exec("INSERT INTO lease_tenants (lease_id, tenant_id) VALUES (?, ?)", lease, tid); err != nil {
			w.t.Fatal(err)
		}
		name := fmt.Sprint("Bench ", i)
		w.tenant[name] = tid
		conv, err := w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: tid})
		if err != nil {
			w.t.Fatal(err)
		}
		tenants = append(tenants, w.asTenant(name))
		convs = append(convs, conv.ID)
	}
	return tenants, convs
}

// rawInsertRate measures the floor: one INSERT per transaction, committed
// with the same durability settings as the server (WAL, synchronous=FULL),
// from one goroutine, for d.
func rawInsertRate(b *testing.B, d time.Duration) float64 {
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(b.TempDir(), "raw.db")+"?_journal_mode=WAL&_synchronous=FULL")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("CREATE TABLE m (id INTEGER PRIMARY KEY, conv INTEGER, text TEXT)"); err != nil {
		b.Fatal(err)
	}
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		if _, err := db.Exec("INSERT INTO m (conv, text) VALUES (?, ?)", n%100, "hello there"); err != nil {
			b.Fatal(err)
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds()
}

// BenchmarkDurableSends: 100 concurrent senders over HTTP on loopback, each
// sending its next message as soon as the previous one is acknowledged
// (which the server does only after the commit is on disk). Reports sends/s,
// the raw one-commit-per-insert SQLite rate measured in the same run, their
// ratio, the send latency median and p99, and errors (want 0).
func BenchmarkDurableSends(b *testing.B) {
	const senders = 100
	w := newWorld(b)
	tenants, convs := w.addTenants(senders)
	floor := rawInsertRate(b, 2*time.Second)
	ctx := context.Background()

	var next atomic.Int64
	var errs atomic.Int64
	lat := make([][]time.Duration, senders)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				t0 := time.Now()
				_, err := tenants[i].SendMessage(ctx, convs[i], backend.SendMessage{Key: fmt.Sprintf("bench-%09d", n), Text: "Is the plumber coming today?"})
				lat[i] = append(lat[i], time.Since(t0))
				if err != nil {
					errs.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()

	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	rate := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(rate, "sends/s")
	b.ReportMetric(floor, "raw-inserts/s")
	b.ReportMetric(rate/floor, "x-raw")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(errs.Load()), "errors")
}
