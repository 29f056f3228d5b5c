package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/internal/pgtest"
)

// benchSetup is one way of running the server, as real processes on
// loopback: the landlord sends through every node (senders, one client
// per node) and reads events on receiver's, the last node (the same node
// when there is one).
type benchSetup struct {
	senders  []*client.Client
	receiver *client.Client
	convs    []int64
}

// setups are the configurations BenchmarkNodes compares, in order.
var setups = []struct {
	name  string
	start func(b *testing.B, bin string) []string // the nodes' URLs
}{
	{"sqlite-1node", func(b *testing.B, bin string) []string {
		_, url := startProcess(b, bin, "127.0.0.1:0", filepath.Join(b.TempDir(), "data"), "-demo")
		return []string{url}
	}},
	{"postgres-1node", func(b *testing.B, bin string) []string {
		_, urls := startNodeProcesses(b, bin, 1, pgtest.NewDatabase(b), "")
		return urls
	}},
	{"postgres-2nodes-nats", func(b *testing.B, bin string) []string {
		_, urls := startNodeProcesses(b, bin, 2, pgtest.NewDatabase(b), startNATS(b, 0).ClientURL())
		return urls
	}},
	{"postgres-3nodes-nats", func(b *testing.B, bin string) []string {
		_, urls := startNodeProcesses(b, bin, 3, pgtest.NewDatabase(b), startNATS(b, 0).ClientURL())
		return urls
	}},
}

// BenchmarkNodes compares 1 node on SQLite, 1 node on PostgreSQL and 2
// and 3 nodes on PostgreSQL + NATS, each the real server binary on
// loopback with the demo's data. Timed: b.N durable sends from 16
// concurrent senders spread over the nodes (sends/s, and the
// acknowledgement's p99). Then,
// untimed, 300 sends at 100 per second through the first node, each
// timed from the start of the send to its event arriving on a websocket
// of the last node (delivery p50/p99). Figures, never pass/fail.
func BenchmarkNodes(b *testing.B) {
	bin := buildServer(b)
	for _, s := range setups {
		// Made here rather than in b.Run: the framework runs a
		// sub-benchmark more than once, and the nodes are to last for all
		// of its runs (they end with BenchmarkNodes).
		urls := s.start(b, bin)
		sender := landlordOn(b, urls[0])
		setup := &benchSetup{
			senders:  append([]*client.Client{sender}, onEveryNode(b, sender, urls[1:])...),
			receiver: onEveryNode(b, sender, urls[len(urls)-1:])[0],
			convs:    writableConversations(b, sender),
		}
		b.Run(s.name, func(b *testing.B) {
			benchSends(b, setup)
			if b.N > 1 { // not the framework's first probing run
				benchDelivery(b, setup, 300, 10*time.Millisecond)
			}
		})
	}
}

// benchSends sends b.N messages from 16 concurrent senders, timed.
func benchSends(b *testing.B, s *benchSetup) {
	const senders = 16
	ctx := context.Background()
	run := time.Now().UnixNano() // keys unique across the framework's runs
	var next, errs atomic.Int64
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
				_, err := s.senders[i%len(s.senders)].SendMessage(ctx, s.convs[int(n)%len(s.convs)], backend.SendMessage{Key: fmt.Sprintf("bench-%d-%09d", run, n), Text: "Is the plumber coming today?"})
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
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "sends/s")
	b.ReportMetric(percentileMS(slices.Concat(lat...), 99), "send-p99-ms")
	b.ReportMetric(float64(errs.Load()), "errors")
}

// benchDelivery sends n messages, one every interval, through the first
// node and times each from the start of its send to its event on
// s.receiver's websocket.
func benchDelivery(b *testing.B, s *benchSetup, n int, interval time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	prefix := fmt.Sprintf("lat-%d-", time.Now().UnixNano())
	var mu sync.Mutex
	var lat []time.Duration
	all := make(chan struct{})
	ready := make(chan struct{})
	go func() {
		var once sync.Once
		since := int64(client.Live)
		for ctx.Err() == nil {
			stream, err := s.receiver.Events(ctx, since)
			if err != nil {
				select { // a back-off before connecting again
				case <-ctx.Done():
				case <-time.After(25 * time.Millisecond):
				}
				continue
			}
			for {
				ev, err := stream.Next(ctx)
				var closed *client.ErrStreamClosed
				if errors.As(err, &closed) && closed.Code == backend.CloseTooSlow {
					break // read on from since: the message events are what is timed
				}
				if err != nil {
					stream.Close()
					return
				}
				if ev.Type == backend.EventReady {
					once.Do(func() { close(ready) })
					continue
				}
				since = ev.ID
				if ev.Message == nil || !strings.HasPrefix(ev.Message.Key, prefix) {
					continue
				}
				sent, _ := strconv.ParseInt(ev.Message.Text, 10, 64)
				mu.Lock()
				lat = append(lat, time.Since(time.Unix(0, sent)))
				if len(lat) == n {
					close(all)
				}
				mu.Unlock()
			}
			stream.Close()
		}
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		b.Fatal("the receiver's websocket never became live")
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var errs atomic.Int64
	for i := range n {
		<-tick.C
		go func() {
			text := strconv.FormatInt(time.Now().UnixNano(), 10)
			if _, err := s.senders[0].SendMessage(ctx, s.convs[i%len(s.convs)], backend.SendMessage{Key: fmt.Sprint(prefix, i), Text: text}); err != nil {
				errs.Add(1)
			}
		}()
	}
	select {
	case <-all:
	case <-time.After(60 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		b.Fatalf("only %d of %d deliveries arrived (%d sends failed)", len(lat), n, errs.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	b.ReportMetric(percentileMS(lat, 50), "delivery-p50-ms")
	b.ReportMetric(percentileMS(lat, 99), "delivery-p99-ms")
}

// percentileMS is the p-th percentile of d, in milliseconds.
func percentileMS(d []time.Duration, p int) float64 {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return float64(d[min(len(d)-1, len(d)*p/100)].Microseconds()) / 1000
}
