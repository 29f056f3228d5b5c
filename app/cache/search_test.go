package cache_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"doorstep/app/cache"
	"doorstep/backend"
)

// hostileText is a message that tries to be markup, and to be the marks
// around a snippet's matches: bare private-use marks, and a mark of the
// same shape as a search's own (the marks around a nonce).
const hostileText = "<img src=x onerror=alert(1)> boiler <b>hot</b> \uE000 \uE001 " +
	"\uE0000123456789abcdef\uE001fake\uE0010123456789abcdef\uE000 \"quoted\""

// searchFixture is a cache with three conversations: a one-to-one chat with
// tenant 7 (conversation 1), the group chat of unit 40 whose members are
// tenants 7 and 8 (conversation 2), and a one-to-one chat with tenant 9
// (conversation 3).
func searchFixture(t *testing.T) *cache.Cache {
	t.Helper()
	ctx := context.Background()
	c := openCache(t)
	convs := []backend.Conversation{
		{ID: 1, Kind: backend.ConversationDirect, Title: "Alice Brown", TenantID: 7, Members: []backend.TenantRef{{ID: 7, Name: "Alice Brown"}}, CreatedAt: t0},
		{ID: 2, Kind: backend.ConversationGroup, Title: "Maple Court · 2B", UnitID: 40,
			Members: []backend.TenantRef{{ID: 7, Name: "Alice Brown"}, {ID: 8, Name: "Bob Stone"}}, CreatedAt: t0},
		{ID: 3, Kind: backend.ConversationDirect, Title: "Carla Díaz", TenantID: 9, Members: []backend.TenantRef{{ID: 9, Name: "Carla Díaz"}}, CreatedAt: t0},
	}
	if err := c.PutConversations(ctx, convs); err != nil {
		t.Fatal(err)
	}
	// Alice and Bob rent 2B (unit 40); Carla rented 3A (unit 41) before.
	dir := backend.Directory{Tenants: []backend.DirectoryTenant{
		{ID: 7, Name: "Alice Brown", Leases: []backend.Lease{{UnitID: 40, UnitName: "2B", PropertyName: "Maple Court", Status: backend.LeaseActive}}},
		{ID: 8, Name: "Bob Stone", Leases: []backend.Lease{{UnitID: 40, UnitName: "2B", PropertyName: "Maple Court", Status: backend.LeaseActive}}},
		{ID: 9, Name: "Carla Díaz", Leases: []backend.Lease{{UnitID: 41, UnitName: "3A", PropertyName: "Maple Court", Status: backend.LeaseExpired}}},
	}}
	if err := c.PutDirectory(ctx, dir); err != nil {
		t.Fatal(err)
	}
	bob := backend.Sender{Kind: backend.KindTenant, ID: 8, Name: "Bob Stone"}
	carla := backend.Sender{Kind: backend.KindTenant, ID: 9, Name: "Carla Díaz"}
	pat := backend.Sender{Kind: backend.KindUser, ID: 1, Name: "Pat"}
	lease := msg(14, 2, 3, pat, "Here is the new contract")
	lease.Files = []backend.File{{ID: 1, Name: "Lease_Maple-2B.pdf"}, {ID: 2, Name: "inventory.xlsx"}}
	photo := msg(15, 3, 2, carla, "")
	photo.Files = []backend.File{{ID: 3, Name: "boiler-photo.jpg"}}
	msgs := []backend.Message{
		msg(10, 1, 1, tenant, "The boiler makes a noise"),
		msg(11, 1, 2, pat, "The plumber comes Thursday"),
		msg(12, 2, 1, bob, "The leaking sink in the kitchen"),
		msg(13, 2, 2, tenant, "The sink is leaking again, boiler too"),
		lease,
		msg(16, 3, 1, carla, "Meet me at the Café Crème on the corner"),
		photo,
		msg(17, 3, 3, carla, hostileText),
	}
	if err := c.PutMessages(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	return c
}

// found lists the ids of the messages found, in the order given.
func found(t *testing.T, c *cache.Cache, q cache.SearchQuery) []int64 {
	t.Helper()
	res, err := c.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	ids := []int64{}
	for _, g := range res.Groups {
		for _, h := range g.Hits {
			ids = append(ids, h.MessageID)
		}
	}
	return ids
}

func marked(runs []cache.Run) []string {
	out := []string{}
	for _, r := range runs {
		if r.Mark {
			out = append(out, r.Text)
		}
	}
	return out
}

func plain(runs []cache.Run) string {
	var b strings.Builder
	for _, r := range runs {
		b.WriteString(r.Text)
	}
	return b.String()
}

func TestSearch(t *testing.T) {
	t.Parallel()
	c := searchFixture(t)
	ctx := context.Background()
	cases := []struct {
		name, text string
		want       []int64
	}{
		{"WordsAnyCase", "BOILER", []int64{17, 15, 13, 10}},
		{"PrefixOfTheLastWord", "the plum", []int64{11}},
		{"NoPrefixOnEarlierWords", "plum comes", []int64{}},
		{"NoPrefixOnAFinishedWord", "plum ", []int64{}},
		{"OneLetterIsAWholeWord", "x", []int64{17}},
		{"EveryWordMustMatch", "boiler noise", []int64{10}},
		{"PhraseInQuotes", `"leaking sink"`, []int64{12}},
		{"PhraseKeepsItsOrder", `"sink is leaking"`, []int64{13}},
		{"UnclosedPhraseIsTypedAsPrefix", `"sink is lea`, []int64{13}},
		{"AccentsIgnored", "cafe creme", []int64{16}},
		{"AccentsIgnoredTheOtherWay", "meet", []int64{16}},
		{"AccentTypedMatchesPlain", "bóiler nóise", []int64{10}},
		{"FileNames", "lease", []int64{14}},
		{"FileNamePrefix", "invent", []int64{14}},
		{"FileNameOnlyMessage", "photo", []int64{15}},
		{"Nothing", "   ", []int64{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := found(t, c, cache.SearchQuery{Text: tc.text}); !slices.Equal(got, tc.want) {
				t.Errorf("%q found %v, want %v", tc.text, got, tc.want)
			}
		})
	}

	t.Run("QuerySyntaxIsText", func(t *testing.T) {
		for _, text := range []string{`" OR 1=1 --`, `NEAR(`, `NEAR(boiler sink)`, `*`, `boiler*`, `"`, `"""`, `boiler"`, `"boiler`,
			`text:boiler`, `{text file_names}: x`, `^boiler`, `boiler AND NOT sink`, `-boiler`, `(`, `)`, `+`, `'; DROP TABLE messages; --`,
			"\x00", "\uE000", `\"`, strings.Repeat("a ", 500), strings.Repeat(`"`, 301)} {
			if _, err := c.Search(ctx, cache.SearchQuery{Text: text}); err != nil {
				t.Errorf("%q: %v", text, err)
			}
		}
		// Operators are words like any other: NOT does not exclude, OR does
		// not widen.
		if got := found(t, c, cache.SearchQuery{Text: "boiler NOT sink"}); len(got) != 0 {
			t.Errorf("NOT worked as an operator: %v", got)
		}
		if got := found(t, c, cache.SearchQuery{Text: "boiler OR plumber"}); len(got) != 0 {
			t.Errorf("OR worked as an operator: %v", got)
		}
		if got := found(t, c, cache.SearchQuery{Text: "text:boiler"}); !slices.Equal(got, []int64{}) {
			t.Errorf("a column filter worked: %v", got)
		}
		// The filters' own column is not searched.
		for _, text := range []string{"hasfiles", "c2", "tags"} {
			if got := found(t, c, cache.SearchQuery{Text: text}); len(got) != 0 {
				t.Errorf("%q found %v", text, got)
			}
		}
		if got := found(t, c, cache.SearchQuery{Text: `boiler"`}); !slices.Equal(got, []int64{17, 15, 13, 10}) {
			t.Errorf("a stray quote changed the search: %v", got)
		}
	})

	t.Run("Filters", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			q    cache.SearchQuery
			want []int64
		}{
			{"TenantOneToOneAndGroups", cache.SearchQuery{Text: "the", TenantID: 7}, []int64{14, 13, 12, 11, 10}},
			{"TenantInGroupsOnly", cache.SearchQuery{Text: "the", TenantID: 8}, []int64{14, 13, 12}},
			// The unit's group chat, and the one-to-one chat of a tenant of it.
			{"Unit", cache.SearchQuery{Text: "boiler", UnitID: 40}, []int64{13, 10}},
			{"UnitOfAPastLease", cache.SearchQuery{Text: "boiler", UnitID: 41}, []int64{17, 15}},
			{"HasFiles", cache.SearchQuery{Text: "boiler", HasFiles: true}, []int64{15}},
			{"From", cache.SearchQuery{Text: "boiler", From: t0.Add(13 * time.Minute)}, []int64{17, 15, 13}},
			{"UntilExcluded", cache.SearchQuery{Text: "boiler", Until: t0.Add(13 * time.Minute)}, []int64{10}},
			{"Range", cache.SearchQuery{Text: "boiler", From: t0.Add(11 * time.Minute), Until: t0.Add(16 * time.Minute)}, []int64{15, 13}},
			{"Limit", cache.SearchQuery{Text: "boiler", Limit: 2}, []int64{17, 15}},
			// Filters without words: every message that passes them.
			{"FilesOnly", cache.SearchQuery{HasFiles: true}, []int64{15, 14}},
			{"TenantOnly", cache.SearchQuery{TenantID: 9}, []int64{17, 16, 15}},
			{"UnitWithFilesOnly", cache.SearchQuery{UnitID: 40, HasFiles: true}, []int64{14}},
			{"RangeOnly", cache.SearchQuery{From: t0.Add(11 * time.Minute), Until: t0.Add(16 * time.Minute)}, []int64{15, 14, 13, 12, 11}},
			{"NothingAsked", cache.SearchQuery{Text: "  "}, []int64{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := found(t, c, tc.q); !slices.Equal(got, tc.want) {
					t.Errorf("found %v, want %v", got, tc.want)
				}
			})
		}
	})

	t.Run("FilesWithoutWordsAreAllShown", func(t *testing.T) {
		res, err := c.Search(ctx, cache.SearchQuery{HasFiles: true, TenantID: 8})
		if err != nil || res.Count != 1 || len(res.Conversations) != 0 {
			t.Fatalf("results = %+v, %v", res, err)
		}
		h := res.Groups[0].Hits[0]
		if len(h.Files) != 2 || plain(h.Files[0]) != "Lease_Maple-2B.pdf" || plain(h.Files[1]) != "inventory.xlsx" || len(marked(h.Files[0])) != 0 {
			t.Errorf("files = %+v", h.Files)
		}
		if plain(h.Snippet) != "Here is the new contract" || len(marked(h.Snippet)) != 0 {
			t.Errorf("snippet = %+v", h.Snippet)
		}
	})

	t.Run("ConversationsByName", func(t *testing.T) {
		for _, tc := range []struct {
			q    cache.SearchQuery
			want []int64
		}{
			{cache.SearchQuery{Text: "carla di"}, []int64{3}},
			{cache.SearchQuery{Text: "alice"}, []int64{2, 1}}, // her chat, and the group she is in
			{cache.SearchQuery{Text: "maple 2b"}, []int64{2}},
			{cache.SearchQuery{Text: "alice", UnitID: 40}, []int64{2, 1}},
			{cache.SearchQuery{Text: "alice", TenantID: 8}, []int64{2}},
			{cache.SearchQuery{Text: "alice", HasFiles: true}, []int64{}}, // files are in messages, not names
			{cache.SearchQuery{Text: "boiler"}, []int64{}},
		} {
			res, err := c.Search(ctx, tc.q)
			if err != nil || !slices.Equal(res.Conversations, tc.want) {
				t.Errorf("%+v: conversations %v, want %v (%v)", tc.q, res.Conversations, tc.want, err)
			}
		}
	})

	t.Run("Choices", func(t *testing.T) {
		tenants, units, err := c.SearchChoices(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantTenants := []cache.SearchChoice{{TenantID: 7, Label: "Alice Brown"}, {TenantID: 8, Label: "Bob Stone"}, {TenantID: 9, Label: "Carla Díaz"}}
		wantUnits := []cache.SearchChoice{{UnitID: 40, Label: "Maple Court · 2B"}, {UnitID: 41, Label: "Maple Court · 3A"}}
		if !slices.Equal(tenants, wantTenants) || !slices.Equal(units, wantUnits) {
			t.Errorf("choices: %+v %+v", tenants, units)
		}
	})

	t.Run("GroupedByConversationNewestFirst", func(t *testing.T) {
		res, err := c.Search(ctx, cache.SearchQuery{Text: "boiler", Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if res.Count != 3 || !res.More || len(res.Groups) != 2 {
			t.Fatalf("results = %+v", res)
		}
		g := res.Groups[0]
		if g.ConversationID != 3 || g.Title != "Carla Díaz" || g.Kind != backend.ConversationDirect || len(g.Hits) != 2 {
			t.Errorf("first group = %+v", g)
		}
		if res.Groups[1].Title != "Maple Court · 2B" || res.Groups[1].Hits[0].Sender.Name != "Alice" {
			t.Errorf("second group = %+v", res.Groups[1])
		}
		h := g.Hits[0]
		if h.Seq != 3 || h.Sender.Name != "Carla Díaz" || !h.CreatedAt.Equal(t0.Add(17*time.Minute)) {
			t.Errorf("hit = %+v", h)
		}
	})

	t.Run("SnippetsMarkTheMatches", func(t *testing.T) {
		res, _ := c.Search(ctx, cache.SearchQuery{Text: "cafe cr"})
		h := res.Groups[0].Hits[0]
		if got := marked(h.Snippet); !slices.Equal(got, []string{"Café", "Crème"}) {
			t.Errorf("marked %q in %+v", got, h.Snippet)
		}
		if plain(h.Snippet) != "Meet me at the Café Crème on the corner" {
			t.Errorf("snippet text %q", plain(h.Snippet))
		}
	})

	t.Run("SnippetOfALongMessageIsCut", func(t *testing.T) {
		long := strings.Repeat("filler words here ", 40) + "the needle is here " + strings.Repeat("more filler ", 40)
		c.PutMessages(ctx, []backend.Message{msg(30, 1, 30, tenant, long)})
		res, _ := c.Search(ctx, cache.SearchQuery{Text: "needle"})
		s := plain(res.Groups[0].Hits[0].Snippet)
		if len(s) > 200 || !strings.Contains(s, "needle") || !strings.HasPrefix(s, "…") || !strings.HasSuffix(s, "…") {
			t.Errorf("snippet %q", s)
		}
	})

	t.Run("FileNamesMarked", func(t *testing.T) {
		res, _ := c.Search(ctx, cache.SearchQuery{Text: "maple lease"})
		h := res.Groups[0].Hits[0]
		if len(h.Files) != 1 || plain(h.Files[0]) != "Lease_Maple-2B.pdf" || !slices.Equal(marked(h.Files[0]), []string{"Lease", "Maple"}) {
			t.Errorf("files = %+v", h.Files)
		}
		if !h.HasFiles || plain(h.Snippet) != "Here is the new contract" {
			t.Errorf("hit = %+v", h)
		}
	})

	t.Run("HostileTextIsText", func(t *testing.T) {
		res, _ := c.Search(ctx, cache.SearchQuery{Text: "img onerror"})
		if res.Count != 1 {
			t.Fatalf("results = %+v", res)
		}
		h := res.Groups[0].Hits[0]
		want := hostileText
		if plain(h.Snippet) != want {
			t.Errorf("snippet text %q, want %q", plain(h.Snippet), want)
		}
		if got := marked(h.Snippet); !slices.Equal(got, []string{"img", "onerror"}) {
			t.Errorf("marked %q", got)
		}
		// The marker-like characters in the text stay text and mark nothing.
		res, _ = c.Search(ctx, cache.SearchQuery{Text: "quoted"})
		if got := marked(res.Groups[0].Hits[0].Snippet); !slices.Equal(got, []string{"quoted"}) {
			t.Errorf("marked %q in %+v", got, res.Groups[0].Hits[0].Snippet)
		}
	})
}

func TestMatchExpression(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"boiler":              `"boiler"*`,
		"boiler ":             `"boiler"`,
		"b":                   `"b"`,
		"leaking sink":        `"leaking" "sink"*`,
		`"leaking sink"`:      `"leaking sink"`,
		`"leaking sink`:       `"leaking sink"*`,
		`" OR 1=1 --`:         `" OR 1=1 --"`,
		`NEAR(a b)`:           `"NEAR(a" "b)"`,
		`*`:                   ``,
		`""`:                  ``,
		`-- ;`:                ``,
		`o'brien`:             `"o'brien"*`,
		`café`:                `"café"*`,
		`ab"cd`:               `"ab" "cd"*`,
		"text:boiler sink":    `"text:boiler" "sink"*`,
		"\u00a0tab\tsplit\n ": `"tab" "split"`,
	} {
		if got := cache.MatchExpression(in); got != want {
			t.Errorf("MatchExpression(%q) = %s, want %s", in, got, want)
		}
	}
	if got := cache.MatchExpression(strings.Repeat("w ", 100)); strings.Count(got, `"w"`) != 16 {
		t.Errorf("terms not bounded: %s", got)
	}
}

func TestMessagesAround(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := openCache(t)
	var msgs []backend.Message
	for seq := int64(1); seq <= 300; seq++ {
		msgs = append(msgs, msg(1000+seq, 4, seq, tenant, "m"))
	}
	c.PutMessages(ctx, msgs)
	seqs := func(ms []backend.Message) (first, last int64, n int) {
		return ms[0].Seq, ms[len(ms)-1].Seq, len(ms)
	}
	got, err := c.MessagesAround(ctx, 4, 150, 25, 24)
	if f, l, n := seqs(got); err != nil || f != 125 || l != 174 || n != 50 {
		t.Errorf("around 150: %d..%d (%d), %v", f, l, n, err)
	}
	got, _ = c.MessagesAround(ctx, 4, 3, 25, 24)
	if f, l, n := seqs(got); f != 1 || l != 27 || n != 27 {
		t.Errorf("around 3: %d..%d (%d)", f, l, n)
	}
	got, _ = c.MessagesAround(ctx, 4, 299, 25, 24)
	if f, l, n := seqs(got); f != 274 || l != 300 || n != 27 {
		t.Errorf("around 299: %d..%d (%d)", f, l, n)
	}
	got, _ = c.MessagesAfter(ctx, 4, 290, 50)
	if f, l, n := seqs(got); f != 291 || l != 300 || n != 10 {
		t.Errorf("after 290: %d..%d (%d)", f, l, n)
	}
}

// hashed is a message as the server sends it, with its link in the chain.
func hashed(id, conv, seq int64, from backend.Sender, text string) backend.Message {
	m := msg(id, conv, seq, from, text)
	m.Hash = fmt.Sprintf("%064x", id)
	return m
}

// The fill keeps what the server sends with each message: its hash (an
// export made offline carries the chain) and the tenant's urgent mark (the
// thread shows it). A message held without its hash (cached by a version
// that dropped it) counts as missing until the fill has completed it.
func TestHistoryFillKeepsHashAndUrgent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := openCache(t)
	c.PutConversations(ctx, []backend.Conversation{{ID: 4, Kind: backend.ConversationDirect, Title: "Alice", CreatedAt: t0, LastSeq: 3}})
	urgent := hashed(1001, 4, 1, tenant, "water through the ceiling")
	urgent.Urgent = true
	if added, err := c.PutHistory(ctx, 4, 1, []backend.Message{urgent}); err != nil || added != 1 {
		t.Fatalf("PutHistory added %d, %v", added, err)
	}
	// Held as an older fill left them: no hash, no urgent mark.
	bare := msg(1002, 4, 2, tenant, "the heater is off")
	c.PutMessages(ctx, []backend.Message{bare, hashed(1003, 4, 3, tenant, "thanks")})
	if got, _ := c.MissingBelow(ctx, 4, 3); got != 2 {
		t.Errorf("MissingBelow(3) = %d, want 2 (held without its hash)", got)
	}
	if have, total, _ := c.HistoryProgress(ctx); have != 2 || total != 3 {
		t.Errorf("progress %d of %d, want 2 of 3", have, total)
	}
	complete := hashed(1002, 4, 2, tenant, "the heater is off")
	complete.Urgent = true
	if added, err := c.PutHistory(ctx, 4, 1, []backend.Message{complete}); err != nil || added != 1 {
		t.Errorf("completing a message counted %d, %v", added, err)
	}
	if got, _ := c.MissingBelow(ctx, 4, 3); got != 0 {
		t.Errorf("MissingBelow(3) = %d once complete", got)
	}
	msgs, err := c.Messages(ctx, 4, 0, 10)
	if err != nil || len(msgs) != 3 {
		t.Fatalf("messages %+v, %v", msgs, err)
	}
	for _, m := range msgs[:2] {
		if !m.Urgent || m.Hash != fmt.Sprintf("%064x", m.ID) {
			t.Errorf("message %d: urgent %v, hash %q", m.Seq, m.Urgent, m.Hash)
		}
	}
	if msgs[2].Urgent {
		t.Error("an ordinary message became urgent")
	}
	// Completing it again changes and counts nothing.
	if added, _ := c.PutHistory(ctx, 4, 1, []backend.Message{complete}); added != 0 {
		t.Errorf("a complete message counted again: %d", added)
	}
	if conv, _, _ := c.Conversation(ctx, 4); conv.Unread != 0 {
		t.Errorf("history made %d unread", conv.Unread)
	}
}

func TestHistoryFill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := openCache(t)
	c.PutConversations(ctx, []backend.Conversation{{ID: 4, Kind: backend.ConversationDirect, Title: "Alice", CreatedAt: t0, LastSeq: 100}})
	var msgs []backend.Message
	for _, seq := range []int64{1, 2, 3, 50, 51, 98, 99, 100} {
		msgs = append(msgs, hashed(1000+seq, 4, seq, tenant, "m"))
	}
	c.PutMessages(ctx, msgs)
	for top, want := range map[int64]int64{100: 97, 97: 97, 60: 60, 51: 49, 3: 0, 0: 0} {
		if got, err := c.MissingBelow(ctx, 4, top); err != nil || got != want {
			t.Errorf("MissingBelow(%d) = %d, %v; want %d", top, got, err, want)
		}
	}
	if have, total, err := c.HistoryProgress(ctx); err != nil || have != 8 || total != 100 {
		t.Errorf("progress %d of %d, %v", have, total, err)
	}
	if start, _ := c.HistoryStart(ctx, 4, 100); start != 100 {
		t.Errorf("start without a position = %d", start)
	}
	var page []backend.Message
	for seq := int64(52); seq <= 97; seq++ {
		page = append(page, hashed(1000+seq, 4, seq, tenant, "page"))
	}
	page = append(page, hashed(1051, 4, 51, tenant, "m")) // already held
	if added, err := c.PutHistory(ctx, 4, 51, page); err != nil || added != 46 {
		t.Errorf("PutHistory added %d, %v", added, err)
	}
	if start, _ := c.HistoryStart(ctx, 4, 100); start != 50 {
		t.Errorf("start below the position = %d, want 50", start)
	}
	// A message coming live above keeps the position; a gap above it (a
	// resync) makes the fill look from the top again.
	c.PutMessages(ctx, []backend.Message{hashed(1101, 4, 101, tenant, "live")})
	if start, _ := c.HistoryStart(ctx, 4, 101); start != 50 {
		t.Errorf("start after a live message = %d, want 50", start)
	}
	if start, _ := c.HistoryStart(ctx, 4, 110); start != 110 {
		t.Errorf("start with a gap above = %d, want 110", start)
	}
	if _, err := c.PutHistory(ctx, 5, 1, []backend.Message{msg(2000, 4, 5, tenant, "x")}); err == nil {
		t.Error("a message of another conversation was taken as history")
	}
	if res, _ := c.Search(ctx, cache.SearchQuery{Text: "page"}); res.Count != 46 {
		t.Errorf("the loaded history is not searchable: %d found", res.Count)
	}
}
