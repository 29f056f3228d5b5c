package app

import (
	"context"
	"slices"
	"time"

	"doorstep/app/cache"
	"doorstep/app/engine"
	"doorstep/backend"
)

// searchLimit bounds the messages one search returns (the newest).
const searchLimit = 100

// SearchFilters are the search box's filters as the page sends them.
type SearchFilters struct {
	TenantID int64 `json:"tenantId"`
	UnitID   int64 `json:"unitId"`
	HasFiles bool  `json:"hasFiles"`
	// From and To are days ("2026-11-24", local time), both included;
	// empty: no bound.
	From string `json:"from"`
	To   string `json:"to"`
}

// SearchService searches every cached message and shared file name, so it
// works offline, and opens a conversation at a message found. The cache
// holds the whole history once the engine's background fill is done
// (HistoryProgress). Bound to the UI as window.go.app.SearchService.
type SearchService struct {
	accounts *AccountService
}

// NewSearchService returns the search of the signed-in account.
func NewSearchService(accounts *AccountService) *SearchService {
	return &SearchService{accounts: accounts}
}

// SearchResults are what a search found (cache.SearchResults, whose
// fields they repeat: Wails' models lose the types of an embedded struct's
// fields), and the line that counts them.
type SearchResults struct {
	Conversations []int64             `json:"conversations"`
	Groups        []cache.SearchGroup `json:"groups"`
	Count         int                 `json:"count"`
	More          bool                `json:"more"`
	// CountLabel is the line above the messages (backend.SearchCountLabel):
	// "12 messages", "100+ messages (the newest shown)", "No message
	// matches.".
	CountLabel string `json:"countLabel"`
}

// Search finds the messages whose text or file names hold every word of
// text (the last one as a prefix, "phrases" in quotes, accents and case
// ignored), newest first, grouped by conversation.
func (s *SearchService) Search(text string, filters SearchFilters) (SearchResults, error) {
	return withSession(s.accounts, func(ctx context.Context, sess *session) (SearchResults, error) {
		q := cache.SearchQuery{Text: text, TenantID: filters.TenantID, UnitID: filters.UnitID, HasFiles: filters.HasFiles, Limit: searchLimit}
		var err error
		if q.From, q.Until, err = dayRange(filters.From, filters.To, time.Local); err != nil {
			return SearchResults{}, err
		}
		found, err := sess.cache.Search(ctx, q)
		return SearchResults{Conversations: found.Conversations, Groups: found.Groups, Count: found.Count, More: found.More,
			CountLabel: backend.SearchCountLabel(found.Count, found.More)}, err
	})
}

// SearchChoices are what the search's "Tenant or unit" filter offers.
type SearchChoices struct {
	Tenants []cache.SearchChoice `json:"tenants"`
	Units   []cache.SearchChoice `json:"units"`
}

// Choices are the tenants and units the landlord has conversations with or
// about, for the search's filter (from the cache, offline too).
func (s *SearchService) Choices() (SearchChoices, error) {
	return withSession(s.accounts, func(ctx context.Context, sess *session) (SearchChoices, error) {
		tenants, units, err := sess.cache.SearchChoices(ctx)
		if tenants == nil {
			tenants = []cache.SearchChoice{}
		}
		if units == nil {
			units = []cache.SearchChoice{}
		}
		return SearchChoices{Tenants: tenants, Units: units}, err
	})
}

// dayRange turns the days from and to (both included, in loc) into the
// instants [from, until); an empty day leaves that side open.
func dayRange(from, to string, loc *time.Location) (start, until time.Time, err error) {
	const layout = "2006-01-02"
	if from != "" {
		if start, err = time.ParseInLocation(layout, from, loc); err != nil {
			return start, until, backend.ErrSearchDay
		}
	}
	if to != "" {
		end, err := time.ParseInLocation(layout, to, loc)
		if err != nil {
			return start, until, backend.ErrSearchDay
		}
		until = end.AddDate(0, 0, 1)
	}
	if !start.IsZero() && !until.IsZero() && !start.Before(until) {
		return start, until, backend.ErrSearchDaysOrder
	}
	return start, until, nil
}

// HistoryProgress is how much of the history the background fill has
// loaded so far, and the sentence saying it.
func (s *SearchService) HistoryProgress() (engine.HistoryProgress, error) {
	return withSession(s.accounts, func(_ context.Context, sess *session) (engine.HistoryProgress, error) {
		return sess.engine.HistoryProgress(), nil
	})
}

// Around is how many messages a thread opened at a message shows before it
// (and one fewer after it).
const around = pageSize / 2

// ThreadAt returns the page of a conversation around the message seq,
// however far back it is: from the cache, topped up from the server when
// the cache lacks neighbours. HasNewer says newer messages follow (Newer
// loads them); the outbox is in the page only once it reaches the newest.
func (s *SearchService) ThreadAt(convID, seq int64) (Thread, error) {
	return withSession(s.accounts, func(ctx context.Context, sess *session) (Thread, error) {
		cached, err := sess.cache.MessagesAround(ctx, convID, seq, around, around-1)
		if err != nil {
			return Thread{}, err
		}
		// Only the run around seq: what the cache lacks beside it comes
		// from the server, so the page never skips a gap.
		msgs := sess.topUpOlder(ctx, convID, runAround(cached, seq), seq, around)
		before := slices.IndexFunc(msgs, func(m backend.Message) bool { return m.Seq >= seq })
		if before < 0 {
			before = len(msgs)
		}
		msgs = sess.topUpNewer(ctx, convID, msgs, before+around)
		if len(msgs) < len(cached) { // the server could not fill the gaps
			msgs = cached
		}
		return sess.threadPage(ctx, convID, msgs)
	})
}

// Newer returns the messages after seq (the next page towards the newest),
// for a thread opened at an older message.
func (s *SearchService) Newer(convID, after int64) (Thread, error) {
	return withSession(s.accounts, func(ctx context.Context, sess *session) (Thread, error) {
		cached, err := sess.cache.MessagesAfter(ctx, convID, after, pageSize)
		if err != nil {
			return Thread{}, err
		}
		// From after+1 on without a gap, the rest from the server.
		run := runAround(cached, after+1)
		var msgs []backend.Message
		if len(run) == 0 {
			msgs = sess.topUpNewer(ctx, convID, []backend.Message{{Seq: after}}, pageSize)[1:]
		} else {
			msgs = sess.topUpNewer(ctx, convID, run, pageSize)
		}
		if len(msgs) < len(cached) { // the server could not fill the gaps
			msgs = cached
		}
		return sess.threadPage(ctx, convID, msgs)
	})
}

// topUpOlder adds, from the server, the messages right before msgs that
// the cache lacks, so that up to want messages come before seq; the
// server not answering leaves msgs as they are.
func (s *session) topUpOlder(ctx context.Context, convID int64, msgs []backend.Message, seq int64, want int) []backend.Message {
	if len(msgs) == 0 { // not cached at all: the page ending after it
		page, err := s.client.Messages(ctx, convID, backend.MessagePage{Before: seq + int64(want), Limit: 2 * want})
		if err != nil {
			return msgs
		}
		s.cache.PutMessages(ctx, page)
		return page
	}
	held := 0
	for _, m := range msgs {
		if m.Seq < seq {
			held++
		}
	}
	if held >= want || msgs[0].Seq <= 1 {
		return msgs
	}
	older, err := s.client.Messages(ctx, convID, backend.MessagePage{Before: msgs[0].Seq, Limit: min(want-held, backend.MaxPageSize)})
	if err != nil || len(older) == 0 {
		return msgs
	}
	s.cache.PutMessages(ctx, older)
	return append(older, msgs...)
}

// topUpNewer adds, from the server, the messages right after msgs that the
// cache lacks (when the conversation goes further), up to want in all.
func (s *session) topUpNewer(ctx context.Context, convID int64, msgs []backend.Message, want int) []backend.Message {
	conv, ok, err := s.cache.Conversation(ctx, convID)
	if err != nil || !ok || len(msgs) == 0 || len(msgs) >= want {
		return msgs
	}
	last := msgs[len(msgs)-1].Seq
	if last >= conv.LastSeq {
		return msgs
	}
	newer, err := s.client.Messages(ctx, convID, backend.MessagePage{After: &last, Limit: min(want-len(msgs), backend.MaxPageSize)})
	if err != nil || len(newer) == 0 {
		return msgs
	}
	s.cache.PutMessages(ctx, newer)
	return append(msgs, newer...)
}

// threadPage makes a Thread of msgs: whether older and newer messages
// exist, the draft, and the outbox when msgs reach the newest.
func (s *session) threadPage(ctx context.Context, convID int64, msgs []backend.Message) (Thread, error) {
	t := Thread{Messages: msgs, Outbox: []cache.Outgoing{}, DraftFiles: []cache.DraftFile{}}
	if err := s.annotate(ctx, convID, &t); err != nil {
		return t, err
	}
	if len(msgs) > 0 {
		t.HasMore = msgs[0].Seq > 1
		if conv, ok, err := s.cache.Conversation(ctx, convID); err == nil && ok {
			t.HasNewer = msgs[len(msgs)-1].Seq < conv.LastSeq
		}
	}
	if err := s.unsent(ctx, convID, &t); err != nil {
		return t, err
	}
	if t.HasNewer {
		t.Outbox = []cache.Outgoing{}
	}
	return t, nil
}
