package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/demo"
	"doorstep/internal/wait"
)

// signedInWithBigThread signs the demo landlord in, adds a conversation of
// n messages to the cache, stops the server and returns the data directory,
// keys and the big conversation's id.
func signedInWithBigThread(b *testing.B, n int) (dataDir string, keys *memKeys, conv int64) {
	server, stop := demoServer(b)
	dataDir = b.TempDir()
	keys = &memKeys{m: map[string]string{}}
	a := NewAccountService(Config{ServerURL: server}, &Lifecycle{}, keys, dataDir, nil, quiet)
	if _, err := a.SignIn(server, demo.LandlordEmail, demo.Password); err != nil {
		b.Fatal(err)
	}
	s, _ := a.active()
	ctx := context.Background()
	wait.For(b, "the demo conversations are synced", func() bool {
		list, _ := s.cache.Conversations(ctx)
		return len(list) >= 3
	})
	conv = 1_000_000
	cv := backend.Conversation{ID: conv, Kind: backend.ConversationDirect, Title: "Big Thread", CreatedAt: time.Now()}
	events := []backend.Event{{ID: 1 << 40, Type: backend.EventConversation, Conversation: &cv}}
	from := backend.Sender{Kind: backend.KindTenant, ID: 99, Name: "Tenant"}
	for seq := int64(1); seq <= int64(n); seq++ {
		m := backend.Message{ID: 1<<40 + seq, ConversationID: conv, Seq: seq, Sender: from, Text: fmt.Sprint("message ", seq), CreatedAt: time.Now()}
		events = append(events, backend.Event{ID: 1<<40 + seq, Type: backend.EventMessage, Message: &m})
		if len(events) == 1000 {
			if err := s.cache.ApplyEvents(ctx, s.me.Principal, events); err != nil {
				b.Fatal(err)
			}
			events = events[:0]
		}
	}
	s.cache.ApplyEvents(ctx, s.me.Principal, events)
	a.shutdown()
	stop()
	return dataDir, keys, conv
}

// BenchmarkStartToList: the app starts with the server down and restores
// the session, then reads the conversation list: what the first paint waits for.
func BenchmarkStartToList(b *testing.B) {
	dataDir, keys, _ := signedInWithBigThread(b, 1000)
	b.ResetTimer()
	for range b.N {
		a := NewAccountService(Config{}, &Lifecycle{}, keys, dataDir, nil, quiet)
		if st, err := a.Restore(); err != nil || !st.SignedIn {
			b.Fatalf("restore: %+v, %v", st, err)
		}
		list, err := NewConversationService(a).Conversations()
		if err != nil || len(list) < 4 {
			b.Fatalf("list: %d, %v", len(list), err)
		}
		b.StopTimer()
		a.shutdown()
		b.StartTimer()
	}
}

// BenchmarkOpenBigThread: opening a 100,000-message conversation (what a
// click on it asks the Go side for, offline).
func BenchmarkOpenBigThread(b *testing.B) {
	dataDir, keys, conv := signedInWithBigThread(b, 100_000)
	a := NewAccountService(Config{}, &Lifecycle{}, keys, dataDir, nil, quiet)
	defer a.shutdown()
	if _, err := a.Restore(); err != nil {
		b.Fatal(err)
	}
	chat := NewConversationService(a)
	b.ResetTimer()
	for range b.N {
		th, err := chat.Thread(conv, 0)
		if err != nil || len(th.Messages) != pageSize || th.Messages[pageSize-1].Seq != 100_000 {
			b.Fatalf("thread: %d messages, %v", len(th.Messages), err)
		}
	}
}
