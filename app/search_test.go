package app

import (
	"context"
	"fmt"
	"testing"
	"time"

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
	a := newAccounts(t, s.URL, t.TempDir(), &memKeys{m: map[string]string{}})
	if _, err := a.SignIn(s.URL, demo.LandlordEmail, demo.Password); err != nil {
		t.Fatal(err)
	}
	search := NewSearchService(a)
	wait.For(t, "the history is loaded", func() bool { p, _ := search.HistoryProgress(); return p.Done })

	res, err := search.Search("gutter garag", SearchFilters{})
	if err != nil || res.Count != 1 {
		t.Fatalf("search = %+v, %v", res, err)
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
		for _, f := range []SearchFilters{{From: "24/11/2026"}, {To: "2026-13-01"}, {From: "2026-11-25", To: "2026-11-24"}} {
			if _, err := search.Search("gutter", f); backend.ErrorCode(err) != backend.EINVALID {
				t.Errorf("%+v: %v", f, err)
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
