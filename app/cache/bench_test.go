package cache_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"doorstep/app/cache"
	"doorstep/backend"
)

// BenchmarkCatchUp applies a 100,000-message catch-up (events in batches of
// 500, as the sync engine does) to an empty cache.
func BenchmarkCatchUp(b *testing.B) {
	const total, batch = 100_000, 500
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		c := openCache(b)
		conv := backend.Conversation{ID: 1, Kind: backend.ConversationDirect, Title: "Alice", CreatedAt: t0}
		c.ApplyEvents(ctx, me, []backend.Event{{ID: 1, Type: backend.EventConversation, Conversation: &conv}})
		events := make([]backend.Event, 0, batch)
		b.StartTimer()
		start := time.Now()
		for i := int64(1); i <= total; i++ {
			m := msg(i, 1, i, tenant, fmt.Sprintf("message number %d about the boiler", i))
			events = append(events, msgEvent(i+1, m))
			if len(events) == batch {
				if err := c.ApplyEvents(ctx, me, events); err != nil {
					b.Fatal(err)
				}
				events = events[:0]
			}
		}
		b.ReportMetric(float64(total)/time.Since(start).Seconds(), "events/s")
	}
}

// bigThread makes a cache holding one conversation of n messages, and 200
// smaller conversations beside it.
func bigThread(b *testing.B, n int) (*cache.Cache, int64) {
	ctx := context.Background()
	c := openCache(b)
	var events []backend.Event
	id := int64(0)
	flush := func() {
		if err := c.ApplyEvents(ctx, me, events); err != nil {
			b.Fatal(err)
		}
		events = events[:0]
	}
	for conv := int64(1); conv <= 201; conv++ {
		cv := backend.Conversation{ID: conv, Kind: backend.ConversationDirect, Title: fmt.Sprint("Tenant ", conv), CreatedAt: t0}
		id++
		events = append(events, backend.Event{ID: id, Type: backend.EventConversation, Conversation: &cv})
		count := 20
		if conv == 1 {
			count = n
		}
		for seq := int64(1); seq <= int64(count); seq++ {
			id++
			events = append(events, msgEvent(id, msg(id, conv, seq, tenant, fmt.Sprintf("message %d", seq))))
			if len(events) >= 1000 {
				flush()
			}
		}
	}
	flush()
	return c, 1
}

// BenchmarkOpenNewestPage reads the newest 50 messages of a 100,000-message
// thread (what opening it in the UI reads).
func BenchmarkOpenNewestPage(b *testing.B) {
	c, conv := bigThread(b, 100_000)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		msgs, err := c.Messages(ctx, conv, 0, 50)
		if err != nil || len(msgs) != 50 || msgs[49].Seq != 100_000 {
			b.Fatalf("%d messages, %v", len(msgs), err)
		}
	}
}

// BenchmarkConversationList reads the conversation list (201 conversations,
// each with its last message): the first paint at start-up.
func BenchmarkConversationList(b *testing.B) {
	c, _ := bigThread(b, 1000)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		list, err := c.Conversations(ctx)
		if err != nil || len(list) != 201 {
			b.Fatalf("%d conversations, %v", len(list), err)
		}
	}
}
