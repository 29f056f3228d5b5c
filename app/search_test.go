package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"doorstep/app/cache"
	"doorstep/app/engine"
	"doorstep/backend"
	"doorstep/backend/demo"
	"doorstep/backend/servertest"
	"doorstep/internal/wait"
)

func TestSearchService(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := servertest.StartDemo(t)
	landlord, me := s.Landlord(t)
	convs, err := landlord.Conversations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conv := convs[0].ID
	const n = 600
	for i := range n {
		text := fmt.Sprintf("routine note %d", i)
		if i == 17 {
			text = "The gutter over the garage overflows"
		}
		if _, err := s.DB.SendMessage(ctx, me.Principal, conv, backend.SendMessage{Key: fmt.Sprintf("search-%d", i), Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	// Old history is not in the event log: the background fill loads it.
	if _, err := s.DB.PruneEvents(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var progress []any // the search:history events, as the UI gets them
	emit := func(name string, data any) {
		if name == engine.EventHistory {
			mu.Lock()
			progress = append(progress, data)
			mu.Unlock()
		}
	}
	a := NewAccountService(Config{ServerURL: s.URL}, &Lifecycle{}, &memKeys{m: map[string]string{}}, t.TempDir(), emit, quiet)
	t.Cleanup(a.shutdown)
	if _, err := a.SignIn(s.URL, demo.LandlordEmail, demo.Password); err != nil {
		t.Fatal(err)
	}
	search := NewSearchService(a)
	wait.For(t, "the history is loaded", func() bool { p, _ := search.HistoryProgress(); return p.Done })

	t.Run("HistoryLabel", func(t *testing.T) {
		if p, _ := search.HistoryProgress(); p.Label != "" {
			t.Errorf("loaded, yet the label is %q", p.Label)
		}
		mu.Lock()
		defer mu.Unlock()
		loading := 0
		for _, data := range progress {
			p, ok := data.(engine.HistoryProgress)
			if !ok {
				t.Fatalf("search:history carries a %T, not the worded HistoryProgress", data)
			}
			if p.Label != backend.HistoryLabel(p.Loaded, p.Total, p.Done) {
				t.Errorf("progress %+v: the label is not backend's", p)
			}
			if strings.HasPrefix(p.Label, "Loading history for search: ") {
				loading++
			}
		}
		if loading == 0 {
			t.Errorf("no event said the history was loading: %+v", progress)
		}
	})

	res, err := search.Search("gutter garag", SearchFilters{})
	if err != nil || res.Count != 1 || res.CountLabel != "1 message" {
		t.Fatalf("search = %+v, %v", res, err)
	}
	if res, err := search.Search("no such words here", SearchFilters{}); err != nil || res.CountLabel != "No message matches." {
		t.Errorf("nothing found: %+v, %v", res, err)
	}
	if res, err := search.Search("routine", SearchFilters{}); err != nil || !res.More || res.CountLabel != fmt.Sprintf("%d+ messages (the newest shown)", searchLimit) {
		t.Errorf("more than the limit: count %d, more %v, %q, %v", res.Count, res.More, res.CountLabel, err)
	}
	hit := res.Groups[0].Hits[0]
	last := convs[0].LastSeq + n
	if hit.ConversationID != conv || hit.Seq != convs[0].LastSeq+18 {
		t.Fatalf("hit = %+v", hit)
	}

	th, err := search.ThreadAt(conv, hit.Seq)
	if err != nil || len(th.Messages) == 0 {
		t.Fatalf("thread at %d: %+v, %v", hit.Seq, th, err)
	}
	first, end := th.Messages[0].Seq, th.Messages[len(th.Messages)-1].Seq
	if first != max(hit.Seq-around, 1) || end != hit.Seq+around-1 || !th.HasNewer || th.HasMore != (first > 1) {
		t.Errorf("thread at %d: %d..%d, older %v, newer %v", hit.Seq, first, end, th.HasMore, th.HasNewer)
	}
	for next := end; th.HasNewer; next = th.Messages[len(th.Messages)-1].Seq {
		if th, err = search.Newer(conv, next); err != nil || th.Messages[0].Seq != next+1 {
			t.Fatalf("newer after %d: %+v, %v", next, th.Messages[:1], err)
		}
	}
	if th.Messages[len(th.Messages)-1].Seq != last {
		t.Errorf("newer pages end at %d, the conversation at %d", th.Messages[len(th.Messages)-1].Seq, last)
	}

	t.Run("Filters", func(t *testing.T) {
		for _, f := range []SearchFilters{{UnitID: 99999}, {HasFiles: true}, {From: time.Now().AddDate(0, 0, 2).Format("2006-01-02")}} {
			if res, err := search.Search("gutter", f); err != nil || res.Count != 0 {
				t.Errorf("%+v: %+v, %v", f, res, err)
			}
		}
		today := time.Now().Format("2006-01-02")
		if res, err := search.Search("gutter", SearchFilters{From: today, To: today}); err != nil || res.Count != 1 {
			t.Errorf("today: %+v, %v", res, err)
		}
	})
	t.Run("ErrBadDates", func(t *testing.T) {
		for f, want := range map[SearchFilters]error{
			{From: "24/11/2026"}: backend.ErrSearchDay, {To: "2026-13-01"}: backend.ErrSearchDay,
			{From: "2026-11-25", To: "2026-11-24"}: backend.ErrSearchDaysOrder,
		} {
			if _, err := search.Search("gutter", f); backend.ErrorCode(err) != backend.EINVALID || backend.ErrorMessage(err) != backend.ErrorMessage(want) {
				t.Errorf("%+v: %v, want %v", f, err, want)
			}
		}
	})
	t.Run("ErrSignedOut", func(t *testing.T) {
		a.SignOut()
		if _, err := search.Search("gutter", SearchFilters{}); backend.ErrorCode(err) != backend.EUNAUTHORIZED {
			t.Errorf("signed out: %v", err)
		}
	})
}

// TestThreadAtFetchesWhatTheCacheLacks: a result whose neighbours were
// never cached (the fill has not reached them) opens with the page around
// it from the server, which the cache then keeps; with the server gone, it
// opens with what the cache holds, and no error.
func TestThreadAtFetchesWhatTheCacheLacks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := servertest.StartDemo(t)
	landlord, me := s.Landlord(t)
	convs, err := landlord.Conversations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conv := convs[0].ID
	for i := range 300 {
		if _, err := s.DB.SendMessage(ctx, me.Principal, conv, backend.SendMessage{Key: fmt.Sprintf("around-%d", i), Text: fmt.Sprintf("note %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	convs, _ = landlord.Conversations(ctx)
	last := convs[0].LastSeq
	hit := last - 150
	page, err := landlord.Messages(ctx, conv, backend.MessagePage{Before: hit + 1, Limit: 1})
	if err != nil || len(page) != 1 {
		t.Fatalf("the hit: %+v, %v", page, err)
	}

	// A session whose cache holds the conversation and the hit alone, and
	// whose engine does not run (no fill, no catch-up).
	cc, err := cache.Open(ctx, filepath.Join(t.TempDir(), "cache.db"), "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := cc.PutConversations(ctx, convs); err != nil {
		t.Fatal(err)
	}
	if err := cc.PutMessages(ctx, page); err != nil {
		t.Fatal(err)
	}
	a := newAccounts(t, s.URL, t.TempDir(), &memKeys{m: map[string]string{}})
	done := make(chan struct{})
	close(done)
	a.mu.Lock()
	a.sess = &session{me: me, server: s.URL, client: landlord, cache: cc, engine: engine.New(cc, landlord, me.Principal, nil, nil, quiet),
		cancel: func() {}, done: done} // shutdown closes the cache
	a.mu.Unlock()
	search := NewSearchService(a)

	th, err := search.ThreadAt(conv, hit)
	if err != nil || len(th.Messages) != 2*around {
		t.Fatalf("thread at %d: %d messages (%d..%d), %v", hit, len(th.Messages), th.Messages[0].Seq, th.Messages[len(th.Messages)-1].Seq, err)
	}
	for i, m := range th.Messages {
		if want := hit - around + int64(i); m.Seq != want {
			t.Fatalf("message %d of the page is seq %d, want %d", i, m.Seq, want)
		}
	}
	if !th.HasMore || !th.HasNewer {
		t.Errorf("older %v, newer %v: both go further", th.HasMore, th.HasNewer)
	}
	kept, err := cc.MessagesAround(ctx, conv, hit, around, around-1)
	if err != nil || len(kept) != 2*around {
		t.Errorf("the cache kept %d of the page, %v", len(kept), err)
	}

	// Newer pages go on from the page without skipping to the newest
	// message, the one other message cached.
	newer, err := search.Newer(conv, hit+around-1)
	if err != nil || len(newer.Messages) == 0 || newer.Messages[0].Seq != hit+around {
		t.Errorf("newer after the page: %d messages, %v", len(newer.Messages), err)
	}

	// Opening the conversation at its newest does not skip down to the
	// pages kept from the search, and neither does paging back.
	convSvc := NewConversationService(a)
	for _, before := range []int64{0, last - pageSize + 1} {
		th, err := convSvc.Thread(conv, before)
		top := last
		if before > 0 {
			top = before - 1
		}
		if err != nil || len(th.Messages) != pageSize || th.Messages[0].Seq != top-pageSize+1 || th.Messages[pageSize-1].Seq != top {
			t.Errorf("the page before %d: %d messages, %v", before, len(th.Messages), err)
		}
	}

	s.Stop()
	if th, err = search.ThreadAt(conv, hit); err != nil || len(th.Messages) != 2*around || th.Messages[around].Seq != hit {
		t.Errorf("the kept page with the server gone: %d messages, %v", len(th.Messages), err)
	}
	// Before the kept page nothing is cached: what the cache holds, and
	// no error.
	if th, err = search.ThreadAt(conv, hit-around); err != nil || len(th.Messages) == 0 || th.Messages[0].Seq != hit-around {
		t.Errorf("the page's first message with the server gone: %+v, %v", th.Messages, err)
	}
}
