package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"doorstep/app/cache"
	"doorstep/app/engine"
	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/servertest"
	"doorstep/internal/wait"
)

// seedMessages stores n messages from the landlord in a conversation,
// straight into the server's store (eight writers at a time, as many
// clients would), each with text(i).
func seedMessages(t testing.TB, s *servertest.Server, p backend.Principal, convID int64, n int, text func(i int) string) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				if _, err := s.DB.SendMessage(ctx, p, convID, backend.SendMessage{Key: fmt.Sprintf("seed-%d-%d", convID, i), Text: text(i)}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
}

// withoutEventLog empties the server's event log, as its retention does
// with old history: a new cache is then filled by a resync (the newest page
// of each conversation) and the background fill, not by the stream.
func withoutEventLog(t testing.TB, s *servertest.Server) {
	t.Helper()
	if _, err := s.DB.PruneEvents(context.Background(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
}

// serverHistory is every message of every conversation of the landlord on
// the server, by id.
func serverHistory(t *testing.T, landlord *client.Client) map[int64]backend.Message {
	t.Helper()
	ctx := context.Background()
	out := map[int64]backend.Message{}
	convs, err := landlord.Conversations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range convs {
		before := int64(0)
		for {
			page, err := landlord.Messages(ctx, c.ID, backend.MessagePage{Before: before, Limit: backend.MaxPageSize})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, m := range page {
				out[m.ID] = m
			}
			before = page[0].Seq
		}
	}
	return out
}

// cacheHolds checks that the cache holds every message of want exactly once
// and nothing else.
func cacheHolds(t *testing.T, path string, want map[int64]backend.Message) {
	t.Helper()
	ctx := context.Background()
	c, err := cache.Open(ctx, path, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	convs, _ := c.Conversations(ctx)
	got := 0
	for _, conv := range convs {
		msgs, err := c.Messages(ctx, conv.ID, 0, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range msgs {
			w, ok := want[m.ID]
			if !ok || w.Seq != m.Seq || w.Text != m.Text || w.ConversationID != m.ConversationID {
				t.Fatalf("cached message %+v is not the server's %+v", m, w)
			}
			if m.Seq != int64(i+1) {
				t.Fatalf("conversation %d: seq %d at place %d (a gap or a repeat)", conv.ID, m.Seq, i+1)
			}
		}
		got += len(msgs)
	}
	if got != len(want) {
		t.Fatalf("cache holds %d messages, the server %d", got, len(want))
	}
}

func (r *recorder) lastHistory() (engine.HistoryProgress, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e == engine.EventHistory {
			n++
		}
	}
	return r.history, n
}

func TestHistoryFill(t *testing.T) {
	t.Parallel()
	s := servertest.StartDemo(t)
	landlord, me := s.Landlord(t)
	convs, err := landlord.Conversations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	big, small := convs[0].ID, convs[1].ID
	seedMessages(t, s, me.Principal, big, 1500, func(i int) string { return fmt.Sprintf("history line %d", i) })
	seedMessages(t, s, me.Principal, small, 130, func(i int) string { return fmt.Sprintf("second thread %d", i) })
	withoutEventLog(t, s)
	want := serverHistory(t, landlord)
	path := filepath.Join(t.TempDir(), "cache.db")
	slow := func(e *engine.Engine) { e.HistoryPause = 5 * time.Millisecond; e.HistoryPageSize = 40 }

	// Signed out midway: the fill stops with the engine.
	h := start(t, s, path, slow)
	wait.For(t, "part of the history is loaded", func() bool { p, _ := h.rec.lastHistory(); return p.Loaded > 400 })
	h.stop()
	p, reports := h.rec.lastHistory()
	if p.Done || p.Total < int64(len(want)) || reports < 5 {
		t.Fatalf("progress when stopped midway: %+v after %d reports", p, reports)
	}

	// The server goes away midway: the fill waits, and goes on when the
	// stream is back.
	h = start(t, s, path, slow)
	wait.For(t, "the fill goes on", func() bool { q, _ := h.rec.lastHistory(); return q.Loaded > p.Loaded+200 })
	s.Stop()
	wait.For(t, "offline", func() bool { return h.eng.State().State == engine.StateOffline })
	s.Start()
	wait.For(t, "the whole history is loaded", func() bool { q, _ := h.rec.lastHistory(); return q.Done })
	if q, _ := h.rec.lastHistory(); q.Loaded != q.Total || q.Total != int64(len(want)) {
		t.Errorf("progress at the end: %+v, the server holds %d", q, len(want))
	}
	h.stop()
	cacheHolds(t, path, want)

	// A later start finds nothing missing.
	h = start(t, s, path, slow)
	wait.For(t, "the fill has looked", func() bool { q, _ := h.rec.lastHistory(); return q.Done })
	h.stop()
	cacheHolds(t, path, want)
}
