package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/demo"
	"doorstep/backend/signingkey"
	"doorstep/internal/pgtest"
	"doorstep/internal/wait"
)

// startNATS runs a NATS server in the test process on loopback, on port
// (0: any free one), until the test ends or it is shut down.
func startNATS(t testing.TB, port int) *natsserver.Server {
	t.Helper()
	if port == 0 {
		port = -1 // NATS's "any free port"
	}
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: port, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("the NATS server did not start")
	}
	t.Cleanup(ns.Shutdown)
	return ns
}

// startNodes runs n server nodes on loopback sharing one new PostgreSQL
// database and the NATS server at natsURL, each with a data directory of
// its own holding the same signing key, and returns their URLs. The first
// seeds the demo.
func startNodes(t *testing.T, n int, natsURL string) []string {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	first := filepath.Join(t.TempDir(), "node0")
	url, _, stdout := startServe(t, first, "-demo", "-store", dsn, "-nats", natsURL)
	if !strings.Contains(stdout.String(), "NATS (-nats)") {
		t.Errorf("stdout = %q; want it to say live events go through NATS", stdout)
	}
	key, err := os.ReadFile(signingkey.Path(first))
	if err != nil {
		t.Fatal(err)
	}
	urls := []string{url}
	for i := 1; i < n; i++ {
		dir := filepath.Join(t.TempDir(), fmt.Sprintf("node%d", i))
		if err := os.MkdirAll(filepath.Dir(signingkey.Path(dir)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(signingkey.Path(dir), key, 0o600); err != nil {
			t.Fatal(err)
		}
		url, _, _ := startServe(t, dir, "-store", dsn, "-nats", natsURL)
		urls = append(urls, url)
	}
	return urls
}

// landlordOn signs the demo landlord in on the node at url.
func landlordOn(t testing.TB, url string) *client.Client {
	t.Helper()
	c, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := c.SignIn(context.Background(), demo.LandlordEmail, demo.Password)
	if err != nil {
		t.Fatal(err)
	}
	return c.WithSession(sess.Token)
}

// follower reads one client's events the way the apps do: live, and when
// the server closes the stream as too slow (or it is moved to another
// node), again from the last event it saw, with since.
type follower struct {
	mu       sync.Mutex
	messages []int64 // the ids of the messages seen, in order
	last     int64   // the id of the last event seen
	resumed  int     // how often it reconnected with since
	problems []string
	cancel   context.CancelFunc
	done     chan struct{}
}

func follow(t *testing.T, c *client.Client, since int64) *follower {
	t.Helper()
	f := &follower{last: since}
	f.start(t, c)
	return f
}

// start reads from the node c talks to until stop.
func (f *follower) start(t *testing.T, c *client.Client) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel, f.done = cancel, make(chan struct{})
	f.mu.Lock()
	since := f.last
	f.mu.Unlock()
	s, err := c.Events(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		defer close(f.done)
		defer func() { s.Close() }()
		for {
			ev, err := s.Next(ctx)
			var closed *client.ErrStreamClosed
			switch {
			case ctx.Err() != nil:
				return
			case errors.As(err, &closed) && closed.Code == backend.CloseTooSlow:
				s.Close()
				f.mu.Lock()
				f.resumed++
				since := f.last
				f.mu.Unlock()
				if s, err = c.Events(ctx, since); err != nil {
					f.problem("reconnecting: %v", err)
					return
				}
				continue
			case err != nil:
				f.problem("reading: %v", err)
				return
			}
			f.mu.Lock()
			switch {
			case ev.Type == backend.EventReady:
				select {
				case <-ready:
				default:
					close(ready)
				}
			case ev.ID <= f.last:
				f.problems = append(f.problems, fmt.Sprintf("event %d after %d", ev.ID, f.last))
			default:
				f.last = ev.ID
				if ev.Type == backend.EventMessage {
					f.messages = append(f.messages, ev.Message.ID)
				}
			}
			f.mu.Unlock()
		}
	}()
	wait.For(t, "the stream is live", func() bool {
		select {
		case <-ready:
			return true
		case <-f.done:
			return true
		default:
			return false
		}
	})
}

func (f *follower) problem(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.problems = append(f.problems, fmt.Sprintf(format, args...))
}

// stop ends the reading and waits for it.
func (f *follower) stop() {
	f.cancel()
	<-f.done
}

func (f *follower) seen() (messages []int64, problems []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int64(nil), f.messages...), append([]string(nil), f.problems...)
}

// sawAll reports whether f saw exactly the messages want, in order.
func (f *follower) sawAll(want []int64) bool {
	got, _ := f.seen()
	return fmt.Sprint(got) == fmt.Sprint(want)
}

// checkExactly fails the test unless f saw exactly want, in order, with
// no event twice or out of order.
func (f *follower) checkExactly(t *testing.T, who string, want []int64) {
	t.Helper()
	got, problems := f.seen()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s saw messages %v; want %v", who, got, want)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", who, p)
	}
}

// send sends one message through c and returns its id.
func send(t *testing.T, c *client.Client, convID int64, key string) int64 {
	t.Helper()
	m, err := c.SendMessage(context.Background(), convID, backend.SendMessage{Key: key, Text: "Sent as " + key})
	if err != nil {
		t.Fatalf("sending %s: %v", key, err)
	}
	return m.ID
}

// TestNodesPassLiveEventsThroughNATS: three nodes share one PostgreSQL and
// one NATS. What is sent through node A reaches the websockets open on B
// and C live; a client moving from B to C with since sees every event
// exactly once, in order.
func TestNodesPassLiveEventsThroughNATS(t *testing.T) {
	ns := startNATS(t, 0)
	urls := startNodes(t, 3, ns.ClientURL())
	a, b, c := landlordOn(t, urls[0]), landlordOn(t, urls[1]), landlordOn(t, urls[2])
	convs, err := a.Conversations(context.Background())
	if err != nil || len(convs) == 0 {
		t.Fatalf("conversations: %v", err)
	}
	conv := convs[0].ID

	onB, onC := follow(t, b, client.Live), follow(t, c, client.Live)
	sent := []int64{send(t, a, conv, "through-a-1"), send(t, a, conv, "through-a-2")}
	wait.For(t, "B and C see A's messages live", func() bool { return onB.sawAll(sent) && onC.sawAll(sent) })
	onC.stop()
	onC.checkExactly(t, "C", sent)

	// The client on B moves to C mid-stream while messages keep coming
	// through all three nodes.
	senders := []*client.Client{a, b, c}
	for i := range 5 {
		sent = append(sent, send(t, senders[i%3], conv, fmt.Sprintf("before-move-%d", i)))
	}
	wait.For(t, "B sees the messages sent before the move", func() bool { return onB.sawAll(sent) })
	onB.stop()
	for i := range 5 {
		sent = append(sent, send(t, senders[i%3], conv, fmt.Sprintf("while-moving-%d", i)))
	}
	onB.start(t, c) // resumes with since on C
	for i := range 5 {
		sent = append(sent, send(t, senders[i%3], conv, fmt.Sprintf("after-move-%d", i)))
	}
	wait.For(t, "the moved client sees every message", func() bool { return onB.sawAll(sent) })
	onB.stop()
	onB.checkExactly(t, "the client that moved from B to C", sent)
}

// TestNodesCatchUpAfterNATSRestarts: NATS goes away mid-stream and comes
// back on the same address. Messages sent through A meanwhile reach the
// client on B from the log (B sends it to catch up once NATS is back), and
// live delivery resumes: nothing missed, nothing twice.
func TestNodesCatchUpAfterNATSRestarts(t *testing.T) {
	ns := startNATS(t, 0)
	port := ns.Addr().(*net.TCPAddr).Port
	urls := startNodes(t, 2, ns.ClientURL())
	a, b := landlordOn(t, urls[0]), landlordOn(t, urls[1])
	convs, err := a.Conversations(context.Background())
	if err != nil || len(convs) == 0 {
		t.Fatalf("conversations: %v", err)
	}
	conv := convs[0].ID
	onB := follow(t, b, client.Live)
	defer onB.stop()

	var sent []int64
	for i := range 3 {
		sent = append(sent, send(t, a, conv, fmt.Sprintf("before-nats-%d", i)))
	}
	wait.For(t, "B sees A's messages live", func() bool { return onB.sawAll(sent) })

	ns.Shutdown()
	ns.WaitForShutdown()
	for i := range 3 {
		sent = append(sent, send(t, a, conv, fmt.Sprintf("nats-away-%d", i)))
	}
	startNATS(t, port)
	wait.For(t, "B's client catches up with what was sent while NATS was away", func() bool { return onB.sawAll(sent) })
	onB.mu.Lock()
	resumed := onB.resumed
	onB.mu.Unlock()
	if resumed == 0 {
		t.Error("the client caught up without being sent to the log")
	}

	// Live again: a message sent now arrives without a reconnection (the
	// nodes may still be sending their clients to the log once more, so
	// wait until they are done: A has told B to resync by the time one of
	// A's messages reaches B live).
	for i := 0; ; i++ {
		sent = append(sent, send(t, a, conv, fmt.Sprintf("after-nats-%d", i)))
		wait.For(t, "B's client sees the message sent after NATS came back", func() bool { return onB.sawAll(sent) })
		onB.mu.Lock()
		again := onB.resumed
		onB.mu.Unlock()
		if again == resumed {
			break
		}
		resumed = again
		if i == 5 {
			t.Fatalf("the client is still being sent to the log after %d messages", i+1)
		}
	}
	onB.stop()
	onB.checkExactly(t, "B's client", sent)
}

// TestNATSFlag: -nats (or DOORSTEP_NATS_URL) takes nats:// URLs, only
// with a PostgreSQL store, and a refusal does not repeat the URL.
func TestNATSFlag(t *testing.T) {
	parse := func(args []string, environ map[string]string) (serveConfig, error) {
		return parseServeConfig(args, env(environ), &syncBuffer{})
	}
	pg := []string{"-store", "postgres://db/doorstep"}
	if cfg, err := parse(append(pg, "-nats", "nats://flag:4222"), map[string]string{"DOORSTEP_NATS_URL": "nats://env:4222"}); err != nil || cfg.NATS != "nats://flag:4222" {
		t.Errorf("flag and env: %q, %v; want the flag's", cfg.NATS, err)
	}
	if cfg, err := parse(pg, map[string]string{"DOORSTEP_NATS_URL": "nats://a:4222,nats://b:4222"}); err != nil || cfg.NATS != "nats://a:4222,nats://b:4222" {
		t.Errorf("env: %q, %v", cfg.NATS, err)
	}
	_, err := parse([]string{"-nats", "nats://user:secret@nats:4222"}, nil)
	if err == nil || !strings.Contains(err.Error(), "-store postgres://") || strings.Contains(err.Error(), "secret") {
		t.Errorf("-nats on SQLite: %v; want a refusal naming -store, without the URL", err)
	}
	_, err = parse(append(pg, "-nats", "http://user:secret@nats:4222"), nil)
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("-nats with another scheme: %v; want a refusal without the URL", err)
	}
}
