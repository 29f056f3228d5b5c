package engine_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"doorstep/app/cache"
	"doorstep/app/engine"
	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/demo"
	"doorstep/backend/httpapi"
	"doorstep/backend/sqlite"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// server is the real server on a fixed loopback address that can be stopped
// and started again, over one database seeded with the demo landlord.
type server struct {
	t     *testing.T
	db    *sqlite.DB
	addr  string
	srv   *httpapi.Server
	http  *http.Server
	conns *connSet
}

func newServer(t *testing.T) *server {
	t.Helper()
	sqlite.BcryptCost = bcrypt.MinCost
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "server.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := demo.Seed(ctx, db, time.Now()); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, db: db}
	s.srv = httpapi.NewServer(db, quiet)
	db.SetEventSink(s.srv.Hub().Publish)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(s.stop)
	return s
}

func (s *server) url() string { return "http://" + s.addr }

func (s *server) serve(ln net.Listener) {
	s.conns = &connSet{Listener: ln, open: map[net.Conn]bool{}}
	s.http = &http.Server{Handler: s.srv.Handler()}
	go s.http.Serve(s.conns)
}

// stop takes the server off the network: every connection is cut,
// websockets included, as in an outage.
func (s *server) stop() {
	if s.http != nil {
		s.http.Close()
		s.conns.closeAll()
		s.http = nil
	}
}

// connSet is a listener that remembers its connections, because
// http.Server.Close leaves hijacked (websocket) ones open.
type connSet struct {
	net.Listener
	mu   sync.Mutex
	open map[net.Conn]bool
}

func (l *connSet) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.open[c] = true
		l.mu.Unlock()
	}
	return c, err
}

func (l *connSet) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.open {
		c.Close()
	}
}

func (s *server) start() {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.t.Fatal(err)
	}
	s.serve(ln)
}

// landlord signs in the demo landlord.
func (s *server) landlord() (*client.Client, backend.Me) {
	s.t.Helper()
	c, _ := client.New(s.url())
	sess, err := c.SignIn(context.Background(), demo.LandlordEmail, demo.Password)
	if err != nil {
		s.t.Fatal(err)
	}
	return c.WithSession(sess.Token), sess.Me
}

// tenant opens a session for a demo tenant by name.
func (s *server) tenant(landlord *client.Client, name string) *client.Client {
	s.t.Helper()
	ctx := context.Background()
	dir, err := landlord.Directory(ctx, name)
	if err != nil || len(dir.Tenants) == 0 {
		s.t.Fatalf("tenant %s: %v", name, err)
	}
	tok, err := landlord.CreateTenantInvite(ctx, dir.Tenants[0].ID)
	if err != nil {
		s.t.Fatal(err)
	}
	anon, _ := client.New(s.url())
	sess, err := anon.RedeemInvite(ctx, tok)
	if err != nil {
		s.t.Fatal(err)
	}
	return anon.WithSession(sess.Token)
}

// recorder keeps what the engine told the UI and notified.
type recorder struct {
	mu       sync.Mutex
	events   []string
	states   []string
	notified []backend.Message
}

func (r *recorder) emit(name string, data any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, name)
	if s, ok := data.(engine.SyncState); ok {
		r.states = append(r.states, s.State)
	}
}

func (r *recorder) notify(_ backend.Conversation, m backend.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notified = append(r.notified, m)
}

func (r *recorder) notifications() []backend.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]backend.Message(nil), r.notified...)
}

// eventually polls cond for up to 15 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type harness struct {
	srv      *server
	landlord *client.Client
	me       backend.Me
	cache    *cache.Cache
	eng      *engine.Engine
	rec      *recorder
	cancel   context.CancelFunc
	done     chan struct{}
}

func start(t *testing.T, s *server, cachePath string) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c, err := cache.Open(ctx, cachePath, "test")
	if err != nil {
		t.Fatal(err)
	}
	landlord, me := s.landlord()
	h := &harness{srv: s, landlord: landlord, me: me, cache: c, rec: &recorder{}, cancel: cancel, done: make(chan struct{})}
	h.eng = engine.New(c, landlord, me.Principal, h.rec.emit, h.rec.notify, quiet)
	go func() { defer close(h.done); h.eng.Run(ctx) }()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	h.cancel()
	<-h.done
	h.cache.Close()
}

func (h *harness) cachedMessages(t *testing.T) int {
	n := 0
	list, err := h.cache.Conversations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		msgs, _ := h.cache.Messages(context.Background(), c.ID, 0, 1000)
		n += len(msgs)
	}
	return n
}

func TestCatchUpAndLive(t *testing.T) {
	s := newServer(t)
	h := start(t, s, filepath.Join(t.TempDir(), "cache.db"))
	ctx := context.Background()
	serverConvs, _ := h.landlord.Conversations(ctx)
	eventually(t, "the demo history is cached", func() bool { return h.cachedMessages(t) == 9 && h.eng.State().State == engine.StateOnline })
	cached, _ := h.cache.Conversations(ctx)
	if len(cached) != len(serverConvs) || cached[0].ID != serverConvs[0].ID {
		t.Fatalf("cached %d conversations (first %d), server has %d (first %d)", len(cached), cached[0].ID, len(serverConvs), serverConvs[0].ID)
	}

	olivia := s.tenant(h.landlord, "Olivia Brown")
	list, _ := olivia.Conversations(ctx)
	conv := list[0].ID
	was, _, _ := h.cache.Conversation(ctx, conv)
	m, err := olivia.SendMessage(ctx, conv, backend.SendMessage{Key: "olivia-0001", Text: "Can I paint the bedroom?\nBlue, maybe."})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the tenant's message is cached and notified", func() bool {
		n := h.rec.notifications()
		return len(n) == 1 && n[0].ID == m.ID
	})
	c, _, _ := h.cache.Conversation(ctx, conv)
	if c.Unread != was.Unread+1 || c.LastMessage.ID != m.ID {
		t.Errorf("cached conversation = %+v", c)
	}

	// Looking at the conversation in a focused window: no notification.
	h.eng.SetViewing(conv, true)
	olivia.SendMessage(ctx, conv, backend.SendMessage{Key: "olivia-0002", Text: "Never mind!"})
	// Own messages never notify either.
	h.landlord.SendMessage(ctx, conv, backend.SendMessage{Key: "pat-000001", Text: "Blue is fine."})
	eventually(t, "both messages cached", func() bool {
		msgs, _ := h.cache.Messages(ctx, conv, 0, 100)
		return len(msgs) == 5
	})
	if n := h.rec.notifications(); len(n) != 1 {
		t.Errorf("%d notifications, want only the first one", len(n))
	}
}

func TestOutboxOfflineThenDeliveredOnceInOrder(t *testing.T) {
	s := newServer(t)
	cachePath := filepath.Join(t.TempDir(), "cache.db")
	h := start(t, s, cachePath)
	ctx := context.Background()
	eventually(t, "online", func() bool { return h.eng.State().State == engine.StateOnline })
	list, _ := h.cache.Conversations(ctx)
	conv := list[0].ID
	before, _ := h.landlord.Messages(ctx, conv, backend.MessagePage{})

	s.stop()
	eventually(t, "offline", func() bool { return h.eng.State().State == engine.StateOffline })
	for _, text := range []string{"one", "two", "three"} {
		if _, err := h.cache.Enqueue(ctx, conv, text, nil); err != nil {
			t.Fatal(err)
		}
		h.eng.Kick()
	}
	time.Sleep(300 * time.Millisecond)
	if out, _ := h.cache.Outbox(ctx, conv); len(out) != 3 {
		t.Fatalf("outbox while offline = %+v", out)
	}

	// The app is killed while offline and started again.
	h.stop()
	s.start()
	h = start(t, s, cachePath)
	eventually(t, "the outbox is delivered", func() bool {
		out, _ := h.cache.Outbox(ctx, conv)
		return len(out) == 0
	})
	after, _ := h.landlord.Messages(ctx, conv, backend.MessagePage{})
	got := after[len(before):]
	if len(got) != 3 || got[0].Text != "one" || got[1].Text != "two" || got[2].Text != "three" {
		t.Fatalf("delivered %+v, want one, two, three once each", got)
	}
	// Sending again (a crash after the server stored it, before the cache
	// knew) creates nothing new: same keys.
	o, _ := h.cache.Enqueue(ctx, conv, "four", nil)
	if _, err := h.landlord.SendMessage(ctx, conv, backend.SendMessage{Key: o.Key, Text: "four"}); err != nil {
		t.Fatal(err)
	}
	h.eng.Kick()
	eventually(t, "four confirmed", func() bool { out, _ := h.cache.Outbox(ctx, conv); return len(out) == 0 })
	final, _ := h.landlord.Messages(ctx, conv, backend.MessagePage{})
	if len(final) != len(after)+1 {
		t.Errorf("a retried message was stored twice: %d → %d", len(after), len(final))
	}
}

func TestPermanentRefusalIsMarkedFailed(t *testing.T) {
	s := newServer(t)
	h := start(t, s, filepath.Join(t.TempDir(), "cache.db"))
	ctx := context.Background()
	eventually(t, "online", func() bool { return h.eng.State().State == engine.StateOnline })
	bad, _ := h.cache.Enqueue(ctx, 99999, "to nowhere", nil)
	list, _ := h.cache.Conversations(ctx)
	good, _ := h.cache.Enqueue(ctx, list[0].ID, "after it", nil)
	h.eng.Kick()
	eventually(t, "the refusal is recorded", func() bool {
		out, _ := h.cache.Outbox(ctx, 0)
		return len(out) == 1 && out[0].LocalID == bad.LocalID && out[0].State == "failed"
	})
	out, _ := h.cache.Outbox(ctx, 0)
	if out[0].ErrorCode != backend.ENOTFOUND || !strings.Contains(out[0].ErrorMessage, "conversation") {
		t.Errorf("failed entry = %+v", out[0])
	}
	_ = good
}

func TestResync(t *testing.T) {
	s := newServer(t)
	cachePath := filepath.Join(t.TempDir(), "cache.db")
	h := start(t, s, cachePath)
	ctx := context.Background()
	eventually(t, "synced", func() bool { return h.cachedMessages(t) == 9 })
	h.stop()

	// While the app is closed, messages arrive and the server prunes them
	// from its event log.
	olivia := s.tenant(h.landlord, "Olivia Brown")
	list, _ := olivia.Conversations(ctx)
	for i := range 3 {
		olivia.SendMessage(ctx, list[0].ID, backend.SendMessage{Key: "while-away-" + string(rune('a'+i)), Text: "while you were away"})
	}
	if _, err := s.db.PruneEvents(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	h = start(t, s, cachePath)
	eventually(t, "the resync reloads what was missed", func() bool { return h.cachedMessages(t) == 12 })
	eventually(t, "online after the resync", func() bool { return h.eng.State().State == engine.StateOnline })
}
