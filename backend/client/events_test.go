package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/internal/wait"
)

// next reads one event, skipping "ready" markers, or fails after 10 s.
func next(t *testing.T, s *client.EventStream) backend.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		ev, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for an event: %v", err)
		}
		if ev.Type != backend.EventReady {
			return ev
		}
	}
}

func stream(t *testing.T, c *client.Client, since int64) *client.EventStream {
	t.Helper()
	s, err := c.Events(context.Background(), since)
	if err != nil {
		t.Fatalf("open events: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestEventsLive(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	group := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{UnitID: w.unit["1A"]}))
	direct := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))
	alice, erin := w.asTenant("Alice"), w.asTenant("Erin")
	ls, as, es := stream(t, w.landlord, client.Live), stream(t, alice, client.Live), stream(t, erin, client.Live)

	m := must[backend.Message](t)(w.landlord.SendMessage(ctx, group.ID, backend.SendMessage{Key: key(), Text: "to the group"}))
	for name, s := range map[string]*client.EventStream{"landlord": ls, "Alice": as} {
		ev := next(t, s)
		if ev.Type != backend.EventMessage || ev.Message == nil || ev.Message.ID != m.ID || ev.ID == 0 {
			t.Errorf("%s got %+v", name, ev)
		}
	}
	// Erin is not in the group: her next event is the one from her own chat.
	d := must[backend.Message](t)(w.landlord.SendMessage(ctx, direct.ID, backend.SendMessage{Key: key(), Text: "just you"}))
	if ev := next(t, es); ev.Message == nil || ev.Message.ID != d.ID {
		t.Errorf("Erin's first event is %+v, want only her own chat's message %d", ev, d.ID)
	}

	if err := alice.MarkRead(ctx, group.ID, m.Seq); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, ls); ev.Type != backend.EventMessage { // the direct message first
		t.Errorf("landlord got %+v", ev)
	}
	if ev := next(t, ls); ev.Type != backend.EventRead || ev.Read.Seq != m.Seq || ev.Read.Reader.Name != "Alice" {
		t.Errorf("landlord got %+v, want Alice's read position", ev)
	}

	started := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Bob"]}))
	bobEvents, err := w.db.Events(ctx, backend.Principal{Kind: backend.KindTenant, ID: w.tenant["Bob"], OrgID: 1}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if last := bobEvents[len(bobEvents)-1]; last.Type != backend.EventConversation || last.Conversation.ID != started.ID {
		t.Errorf("a new chat is announced to the tenant: got %+v", last)
	}
}

func TestEventsResume(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	conv := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))
	erin := w.asTenant("Erin")
	send := func(text string) backend.Message {
		return must[backend.Message](t)(w.landlord.SendMessage(ctx, conv.ID, backend.SendMessage{Key: key(), Text: text}))
	}

	t.Run("SinceReplaysExactlyWhatWasMissed", func(t *testing.T) {
		s := stream(t, erin, client.Live)
		send("one")
		last := next(t, s).ID
		s.Close()
		missed := []backend.Message{send("two"), send("three"), send("four")}
		s = stream(t, erin, last)
		for _, m := range missed {
			if ev := next(t, s); ev.Message == nil || ev.Message.ID != m.ID {
				t.Fatalf("replay gave %+v, want message %d", ev, m.ID)
			}
		}
		live := send("five")
		if ev := next(t, s); ev.Message == nil || ev.Message.ID != live.ID {
			t.Fatalf("after the replay: %+v, want the live message %d", ev, live.ID)
		}
	})

	t.Run("ReconnectsRacingSendsLoseAndRepeatNothing", func(t *testing.T) {
		const total = 150
		start := must[[]backend.Message](t)(erin.Messages(ctx, conv.ID, backend.MessagePage{}))
		firstSeq := start[len(start)-1].Seq + 1
		last, err := w.db.LatestEventID(ctx, must[backend.Me](t)(erin.Me(ctx)).Principal)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for i := range total {
				if _, err := w.landlord.SendMessage(ctx, conv.ID, backend.SendMessage{Key: key(), Text: fmt.Sprint("racing ", i)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		seen := map[int64]bool{}
		for len(seen) < total {
			s, err := erin.Events(ctx, last)
			if err != nil {
				t.Fatal(err)
			}
			for range 7 { // read a few, then drop the connection mid-stream
				ev := next(t, s)
				if ev.ID <= last {
					t.Fatalf("event %d after %d: repeated or out of order", ev.ID, last)
				}
				last = ev.ID
				if seen[ev.Message.Seq] {
					t.Fatalf("message seq %d delivered twice", ev.Message.Seq)
				}
				seen[ev.Message.Seq] = true
				if len(seen) == total {
					break
				}
			}
			s.Close()
		}
		for seq := firstSeq; seq < firstSeq+total; seq++ {
			if !seen[seq] {
				t.Errorf("message seq %d never delivered", seq)
			}
		}
	})

	t.Run("ResyncWhenSinceWasPruned", func(t *testing.T) {
		if _, err := w.db.PruneEvents(ctx, time.Now().Add(24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		latest, _ := w.db.LatestEventID(ctx, must[backend.Me](t)(erin.Me(ctx)).Principal)
		s := stream(t, erin, 0)
		ev := next(t, s)
		if ev.Type != backend.EventResync || ev.ID != latest {
			t.Fatalf("got %+v, want resync at %d", ev, latest)
		}
		m := send("after the resync")
		if ev := next(t, s); ev.Message == nil || ev.Message.ID != m.ID {
			t.Fatalf("after resync: %+v", ev)
		}
	})

	// A client that saw events the server no longer has (it was restored
	// from a backup) is told to reload, not left waiting for ids to catch
	// up with what it saw.
	t.Run("ResyncWhenSinceIsBeyondTheServersHistory", func(t *testing.T) {
		latest, _ := w.db.LatestEventID(ctx, must[backend.Me](t)(erin.Me(ctx)).Principal)
		s := stream(t, erin, latest+500)
		ev := next(t, s)
		if ev.Type != backend.EventResync || ev.ID != latest {
			t.Fatalf("got %+v, want resync at %d", ev, latest)
		}
		m := send("after the restore")
		if ev := next(t, s); ev.Message == nil || ev.Message.ID != m.ID {
			t.Fatalf("after resync: %+v", ev)
		}
	})
}

func TestEventsRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()

	t.Run("ErrMainUserOnly", func(t *testing.T) {
		_, err := w.subUser.Events(ctx, client.Live)
		wantCode(t, err, backend.EMAINUSERONLY)
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		_, err := w.anon().Events(ctx, 0)
		wantCode(t, err, backend.EUNAUTHORIZED)
		_, err = w.anon().WithSession("forged").Events(ctx, 0)
		wantCode(t, err, backend.EUNAUTHORIZED)
	})
	t.Run("ErrBadSince", func(t *testing.T) {
		_, err := dial(w, "?since=abc", nil)
		if err == nil || !strings.Contains(err.Error(), "400") {
			t.Errorf("since=abc: %v", err)
		}
	})
	t.Run("ErrForeignOrigin", func(t *testing.T) {
		_, err := dial(w, "", http.Header{"Origin": {"https://evil.example"}})
		if err == nil || !strings.Contains(err.Error(), "403") {
			t.Fatalf("foreign origin: %v, want 403", err)
		}
		host := strings.TrimPrefix(w.url, "http://")
		conn, err := dial(w, "", http.Header{"Origin": {"http://" + host}})
		if err != nil {
			t.Fatalf("same-origin page refused: %v", err)
		}
		conn.Close()
	})
	t.Run("OversizedClientMessageClosesTheStream", func(t *testing.T) {
		conn, err := dial(w, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.WriteMessage(websocket.TextMessage, []byte(strings.Repeat("x", 4096)))
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for err == nil { // the "ready" marker may come first
			_, _, err = conn.ReadMessage()
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
			t.Errorf("after an oversized message: %v, want close 1009", err)
		}
	})
}

// dial opens the events websocket as the landlord with extra headers.
func dial(w *world, query string, h http.Header) (*websocket.Conn, error) {
	if h == nil {
		h = http.Header{}
	}
	h.Set("Authorization", "Bearer "+w.landlord.Token())
	conn, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(w.url, "http")+"/api/v1/events"+query, h)
	if err != nil && resp != nil {
		return nil, fmt.Errorf("HTTP %d: %w", resp.StatusCode, err)
	}
	return conn, err
}

// TestSlowConsumer: a connection that stops reading is cut off with close
// code 4000 while another connection of the same landlord keeps receiving
// every event.
func TestSlowConsumer(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	me := must[backend.Me](t)(w.landlord.Me(context.Background()))
	slow, err := dial(w, "", nil) // never read until the end
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fast := stream(t, w.landlord, client.Live)
	wait.For(t, "both streams are subscribed", func() bool { return w.srv.Hub().Subscribers() >= 2 })

	big := strings.Repeat("x", 2000)
	var mu sync.Mutex
	id := int64(1 << 40)
	publish := func(n int) {
		mu.Lock()
		defer mu.Unlock()
		var ds []backend.Delivery
		for range n {
			id++
			ds = append(ds, backend.Delivery{To: me.Recipient(), Event: backend.Event{ID: id, Type: backend.EventMessage,
				Message: &backend.Message{ID: id, Text: big}}})
		}
		w.srv.Hub().Publish(ds)
	}
	received := 0
	for round := 0; w.srv.Hub().Subscribers() == 2; round++ {
		if round > 2000 {
			t.Fatal("the slow connection was never dropped")
		}
		publish(50)
		for range 50 {
			next(t, fast)
			received++
		}
	}
	publish(10)
	for range 10 {
		next(t, fast)
		received++
	}
	t.Logf("slow connection dropped after %d events; the fast one got all of them", received)

	slow.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		_, _, err := slow.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			if ce.Code != 4000 || !strings.Contains(ce.Text, "since=") {
				t.Errorf("slow consumer closed with %d %q, want 4000 and a since hint", ce.Code, ce.Text)
			}
			break
		}
		if err != nil {
			t.Fatalf("slow connection ended without a close frame: %v", err)
		}
	}
}
