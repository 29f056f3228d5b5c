package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/signingkey"
	"doorstep/internal/pgtest"
	"doorstep/internal/wait"
)

// startNodeProcesses runs n server processes (the real binary) on loopback
// sharing the PostgreSQL database dsn and, unless natsURL is empty, the
// NATS server there; each has a data directory of its own holding the
// same signing key. The first seeds the demo.
func startNodeProcesses(tb testing.TB, bin string, n int, dsn, natsURL string) (procs []*exec.Cmd, urls []string) {
	tb.Helper()
	flags := []string{"-store", dsn}
	if natsURL != "" {
		flags = append(flags, "-nats", natsURL)
	}
	var key []byte
	for i := range n {
		dir := filepath.Join(tb.TempDir(), fmt.Sprintf("node%d", i))
		args := flags
		if i == 0 {
			args = append([]string{"-demo"}, flags...)
		} else {
			if err := os.MkdirAll(filepath.Dir(signingkey.Path(dir)), 0o700); err != nil {
				tb.Fatal(err)
			}
			if err := os.WriteFile(signingkey.Path(dir), key, 0o600); err != nil {
				tb.Fatal(err)
			}
		}
		proc, url := startProcess(tb, bin, "127.0.0.1:0", dir, args...)
		if i == 0 {
			var err error
			if key, err = os.ReadFile(signingkey.Path(dir)); err != nil {
				tb.Fatal(err)
			}
		}
		procs, urls = append(procs, proc), append(urls, url)
	}
	return procs, urls
}

// onEveryNode returns c's session as a client of each node in urls.
func onEveryNode(tb testing.TB, c *client.Client, urls []string) []*client.Client {
	tb.Helper()
	var cs []*client.Client
	for _, u := range urls {
		other, err := client.New(u)
		if err != nil {
			tb.Fatal(err)
		}
		cs = append(cs, other.WithSession(c.Token()))
	}
	return cs
}

// roamer reads one client's events the way the apps do when a node dies:
// on any break it connects again, to the same node or else the next one,
// resuming with since from the last event it saw. It counts the message
// events per message id.
type roamer struct {
	mu       sync.Mutex
	seen     map[int64]int // message id → times seen
	last     int64
	node     int // the index of the node it reads from now
	moves    int // how often it moved to another node
	problems []string
	stop     context.CancelFunc
	done     chan struct{}
}

// roam starts reading live events from nodes[first] and returns once the
// stream is live.
func roam(t *testing.T, nodes []*client.Client, first int) *roamer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &roamer{seen: map[int64]int{}, last: client.Live, node: first, stop: cancel, done: make(chan struct{})}
	live := make(chan struct{})
	var liveOnce sync.Once
	go func() {
		defer close(r.done)
		for ctx.Err() == nil {
			r.mu.Lock()
			since, node := r.last, r.node
			r.mu.Unlock()
			s, err := nodes[node].Events(ctx, since)
			if err != nil {
				r.mu.Lock()
				r.node = (r.node + 1) % len(nodes)
				r.moves++
				r.mu.Unlock()
				select { // a back-off, not a synchronisation: try again
				case <-ctx.Done():
				case <-time.After(25 * time.Millisecond):
				}
				continue
			}
			for {
				ev, err := s.Next(ctx)
				if err != nil {
					break
				}
				r.mu.Lock()
				switch {
				case ev.Type == backend.EventReady:
					if r.last == client.Live {
						r.last = 0 // from here on, resume from what was seen
					}
					liveOnce.Do(func() { close(live) })
				case ev.ID <= r.last:
					r.problems = append(r.problems, fmt.Sprintf("event %d after %d: repeated or out of order", ev.ID, r.last))
				default:
					r.last = ev.ID
					if ev.Type == backend.EventMessage && ev.Message != nil {
						r.seen[ev.Message.ID]++
					}
				}
				r.mu.Unlock()
			}
			s.Close()
		}
	}()
	select {
	case <-live:
	case <-time.After(30 * time.Second):
		t.Fatal("the websocket reader never connected")
	}
	return r
}

func (r *roamer) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

// end stops reading and checks that every message in want was seen
// exactly once and nothing else went wrong.
func (r *roamer) end(t *testing.T, who string, want map[int64]bool) {
	t.Helper()
	r.stop()
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	for id := range want {
		if r.seen[id] != 1 {
			t.Errorf("%s: message %d arrived %d times, want exactly once", who, id, r.seen[id])
		}
	}
	for id := range r.seen {
		if !want[id] {
			t.Errorf("%s: message %d arrived, and was never stored", who, id)
		}
	}
	for _, p := range r.problems {
		t.Errorf("%s: %s", who, p)
	}
	t.Logf("%s moved between nodes %d times", who, r.moves)
}

// TestNodesKillMidStream is the multi-node durability proof: three server
// processes share one PostgreSQL and one NATS; senders send through all
// three, one node is killed with SIGKILL mid-stream, and each sender
// retries what was not acknowledged, with the same key, through the
// surviving nodes. Every acknowledged message must be stored exactly once,
// in each sender's order, with gapless seqs; a reader on a surviving node
// and one that was on the killed node (and moves, resuming with since)
// must each see every message exactly once.
func TestNodesKillMidStream(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills real server processes")
	}
	ctx := context.Background()
	bin := buildServer(t)
	ns := startNATS(t, 0)
	procs, urls := startNodeProcesses(t, bin, 3, pgtest.NewDatabase(t), ns.ClientURL())
	const victim = 2 // the node killed
	landlord := landlordOn(t, urls[0])
	nodes := onEveryNode(t, landlord, urls)
	convs := writableConversations(t, landlord)
	before := map[int64]int{} // conversation → messages stored before the senders began
	for _, c := range convs {
		before[c] = len(allMessages(t, landlord, c))
	}

	onSurvivor := roam(t, nodes, 0)
	onVictim := roam(t, nodes, victim)

	// Three senders per conversation, each starting on a node of its own
	// and moving to the next one when its node cannot be reached.
	const perConv, perSender = 3, 30
	var acked atomic.Int64
	var ackMu sync.Mutex
	ackedIDs := map[string]int64{} // key → the message id acknowledged
	var wg sync.WaitGroup
	senders := 0
	for ci, conv := range convs {
		for si := range perConv {
			name := fmt.Sprintf("c%ds%d", ci, si)
			node := senders % len(nodes)
			senders++
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := range perSender {
					req := backend.SendMessage{Key: fmt.Sprintf("%s-%04d", name, n), Text: fmt.Sprintf("%s #%d", name, n)}
					for attempt := 0; ; attempt++ {
						m, err := nodes[node].SendMessage(ctx, conv, req)
						if err == nil {
							acked.Add(1)
							ackMu.Lock()
							ackedIDs[req.Key] = m.ID
							ackMu.Unlock()
							break
						}
						if code := backend.ErrorCode(err); code != backend.EUNREACHABLE && code != backend.EINVALID {
							t.Errorf("%s: %v", req.Key, err)
							return
						}
						if attempt > 400 {
							t.Errorf("%s: gave up: %v", req.Key, err)
							return
						}
						node = (node + 1) % len(nodes)
						time.Sleep(25 * time.Millisecond) // a back-off before the retry
					}
				}
			}()
		}
	}
	total := senders * perSender

	wait.For(t, "a third of the sends are acknowledged", func() bool { return acked.Load() >= int64(total/3) })
	if err := procs[victim].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	procs[victim].Wait()
	t.Logf("killed node %d after %d of %d sends were acknowledged", victim, acked.Load(), total)
	wg.Wait()
	if t.Failed() {
		return
	}

	// What is stored, read through a surviving node.
	stored := map[int64]bool{}
	for _, c := range convs {
		all := allMessages(t, nodes[1], c)
		seen := map[string]bool{}
		last := map[string]int{} // sender → its last n
		for i, m := range all {
			if m.Seq != int64(i+1) {
				t.Errorf("conversation %d: message %d has seq %d (gap or repeat)", c, i+1, m.Seq)
			}
			if i < before[c] {
				continue
			}
			stored[m.ID] = true
			if seen[m.Key] {
				t.Errorf("conversation %d: key %s stored twice", c, m.Key)
			}
			seen[m.Key] = true
			name, nStr, _ := strings.Cut(m.Key, "-")
			n, _ := strconv.Atoi(nStr)
			if prev, ok := last[name]; ok && n != prev+1 {
				t.Errorf("conversation %d: %s's message %d follows %d (out of order)", c, name, n, prev)
			}
			last[name] = n
			ackMu.Lock()
			if id, ok := ackedIDs[m.Key]; !ok || id != m.ID {
				t.Errorf("%s is stored as message %d, acknowledged as %d", m.Key, m.ID, id)
			}
			ackMu.Unlock()
		}
	}
	if len(stored) != total || len(ackedIDs) != total {
		t.Errorf("%d messages stored and %d acknowledged, want exactly %d", len(stored), len(ackedIDs), total)
	}

	// The readers catch up (what they missed is reported by end).
	wait.Until(wait.Timeout, func() bool { return onSurvivor.count() >= total && onVictim.count() >= total })
	onSurvivor.end(t, "the reader on a surviving node", stored)
	onVictim.end(t, "the reader that was on the killed node", stored)
}
