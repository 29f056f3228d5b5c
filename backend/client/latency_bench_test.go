package client_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"doorstep/backend"
	"doorstep/backend/client"
)

// groupsOfOneToTen adds units whose Active leases hold 1, 2, … 10, 1, 2, …
// tenants until there are n tenants, starts a group chat per unit, and
// returns the conversations with their members' clients.
func (w *world) groupsOfOneToTen(n int) (convs []int64, members [][]*client.Client) {
	w.t.Helper()
	ctx := context.Background()
	raw, err := sql.Open("sqlite3", "file:"+w.path+"?_busy_timeout=5000")
	if err != nil {
		w.t.Fatal(err)
	}
	defer raw.Close()
	var org, prop int64
	raw.QueryRow("SELECT org_id, id FROM properties WHERE name = 'Elm Court'").Scan(&org, &prop)
	made := 0
	for u := 0; made < n; u++ {
		size := min(u%10+1, n-made)
		res, _ := raw.Exec("INSERT INTO units (property_id, name) VALUES (?, ?)", prop, fmt.Sprint("G", u))
		unit, _ := res.LastInsertId()
		res, _ = raw.Exec("INSERT INTO leases (unit_id, start_date) VALUES (?, '2025-01-01')", unit)
		lease, _ := res.LastInsertId()
		var group []*client.Client
		for range size {
			name := fmt.Sprint("Member ", made)
			res, _ = raw.Exec("INSERT INTO tenants (org_id, name, created_at) VALUES (?, ?, '2025-01-01T00:00:00Z')", org, name)
			tid, _ := res.LastInsertId()
			if _, err := raw.Exec("INSERT INTO lease_tenants (lease_id, tenant_id) VALUES (?, ?)", lease, tid); err != nil {
				w.t.Fatal(err)
			}
			w.tenant[name] = tid
			made++
		}
		conv, err := w.landlord.StartConversation(ctx, backend.StartConversation{UnitID: unit})
		if err != nil {
			w.t.Fatal(err)
		}
		for i := made - size; i < made; i++ {
			group = append(group, w.asTenant(fmt.Sprint("Member ", i)))
		}
		convs = append(convs, conv.ID)
		members = append(members, group)
	}
	return convs, members
}

func percentile(d []time.Duration, p int) float64 {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return float64(d[min(len(d)-1, len(d)*p/100)].Microseconds()) / 1000
}

// echoLatency is the floor: one message through a raw gorilla/websocket
// echo server on loopback and back, halved (one way), p50 and p99.
func echoLatency(b *testing.B, n int) (p50, p99 float64) {
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			t, m, err := c.ReadMessage()
			if err != nil || c.WriteMessage(t, m) != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	msg := []byte(`{"id":1,"type":"message","message":{"text":"Is the plumber coming today?"}}`)
	var lat []time.Duration
	for range n {
		t0 := time.Now()
		if c.WriteMessage(websocket.TextMessage, msg) != nil {
			b.Fatal("echo write")
		}
		if _, _, err := c.ReadMessage(); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0)/2)
		time.Sleep(time.Millisecond)
	}
	return percentile(lat, 50), percentile(lat, 99)
}

// BenchmarkDeliveryLatency: 1,000 tenants connected over websockets, in unit
// group chats of 1 to 10 members; the landlord sends b.N messages at 100 per
// second round the groups; each delivery's latency is from the start of the
// send call to the event arriving at the member. Reports p50/p99 and, from
// the same run, a raw gorilla/websocket echo's one-way p50/p99 as the floor.
func BenchmarkDeliveryLatency(b *testing.B) {
	const receivers = 1000
	w := newWorld(b)
	convs, members := w.groupsOfOneToTen(receivers)
	ctx := context.Background()

	var mu sync.Mutex
	var lat []time.Duration
	expected := 0
	for g := range b.N {
		expected += len(members[g%len(convs)])
	}
	done := make(chan struct{})
	received := 0
	for _, group := range members {
		for _, m := range group {
			s, err := m.Events(ctx, client.Live)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			go func() {
				for {
					ev, err := s.Next(ctx)
					if err != nil {
						return
					}
					if ev.Message == nil {
						continue
					}
					sent, _ := strconv.ParseInt(ev.Message.Text, 10, 64)
					d := time.Since(time.Unix(0, sent))
					mu.Lock()
					lat = append(lat, d)
					received++
					if received == expected {
						close(done)
					}
					mu.Unlock()
				}
			}()
		}
	}
	for w.srv.Hub().Subscribers() < receivers {
		time.Sleep(10 * time.Millisecond)
	}
	floor50, floor99 := echoLatency(b, 500)

	b.ResetTimer()
	tick := time.NewTicker(10 * time.Millisecond) // 100 sends per second
	defer tick.Stop()
	for i := range b.N {
		<-tick.C
		go func() {
			text := strconv.FormatInt(time.Now().UnixNano(), 10)
			if _, err := w.landlord.SendMessage(ctx, convs[i%len(convs)], backend.SendMessage{Key: fmt.Sprintf("lat-%09d", i), Text: text}); err != nil {
				b.Error(err)
			}
		}()
	}
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		b.Fatalf("only %d of %d deliveries arrived", received, expected)
	}
	b.StopTimer()
	mu.Lock()
	defer mu.Unlock()
	p50, p99 := percentile(lat, 50), percentile(lat, 99)
	b.ReportMetric(p50, "p50-ms")
	b.ReportMetric(p99, "p99-ms")
	b.ReportMetric(floor50, "echo-p50-ms")
	b.ReportMetric(floor99, "echo-p99-ms")
	b.ReportMetric(p99/floor99, "p99-x-echo")
	b.ReportMetric(float64(len(lat))/float64(b.N), "deliveries/send")
}
