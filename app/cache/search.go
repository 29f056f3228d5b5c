package cache

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"doorstep/backend"
)

// Bounds on what a search asks of the index: a query is what a person
// types, never a document.
const (
	maxQueryRunes = 256
	maxQueryTerms = 16
	// minPrefixRunes: a word being typed is looked up as a prefix from its
	// second letter; "b*" would read a large part of the index for little.
	minPrefixRunes = 2
	// snippetTokens is how many words a snippet shows around the match.
	snippetTokens = 16
)

// MatchExpression turns what the landlord typed into an FTS5 query that
// can never be a syntax error nor mean more than the words: each word, and
// each "phrase in quotes", becomes a quoted FTS5 string, all of which must
// match. The last word, still being typed, matches as a prefix; so does a
// phrase whose closing quote is not typed yet. Operators, parentheses,
// column names and stars in the text are only text. An empty result
// means nothing to search for.
func MatchExpression(input string) string {
	if utf8.RuneCountInString(input) > maxQueryRunes {
		input = string([]rune(input)[:maxQueryRunes])
	}
	var terms []string
	prefix := false // whether the last term is still being typed
	rest := input
	for len(terms) < maxQueryTerms {
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		if rest == "" {
			break
		}
		var term string
		if rest[0] == '"' {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				term, rest, prefix = rest[1:], "", true
			} else {
				term, rest, prefix = rest[1:1+end], rest[2+end:], false
			}
		} else {
			end := strings.IndexFunc(rest, func(r rune) bool { return r == '"' || unicode.IsSpace(r) })
			if end < 0 {
				term, rest, prefix = rest, "", true
			} else {
				term, rest, prefix = rest[:end], rest[end:], false
			}
		}
		if !hasWord(term) {
			prefix = false
			continue
		}
		terms = append(terms, `"`+strings.ReplaceAll(term, `"`, `""`)+`"`)
	}
	if len(terms) == 0 {
		return ""
	}
	if prefix && rest == "" && lastWordRunes(input) >= minPrefixRunes {
		terms[len(terms)-1] += "*"
	}
	return strings.Join(terms, " ")
}

// hasWord reports whether s holds something the index keeps (a letter or a
// digit); a quoted string of punctuation alone would match nothing.
func hasWord(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) >= 0
}

// lastWordRunes counts the letters and digits at the end of s.
func lastWordRunes(s string) int {
	n := 0
	for len(s) > 0 {
		r, size := utf8.DecodeLastRuneInString(s)
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.Is(unicode.Mn, r) {
			break
		}
		n++
		s = s[:len(s)-size]
	}
	return n
}

// SearchQuery is a search of the cache: the words typed and the filters.
type SearchQuery struct {
	Text string
	// TenantID keeps the conversations with this tenant (one-to-one, or a
	// group they are a member of); 0: any.
	TenantID int64
	// UnitID keeps the conversations of this unit: its group chat, and the
	// one-to-one chats with whoever has (or had) a lease on it; 0: any.
	UnitID int64
	// HasFiles keeps messages that share files.
	HasFiles bool
	// From and Until bound when a message was written (Until excluded);
	// zero: no bound.
	From, Until time.Time
	// Limit bounds the messages found (the newest first).
	Limit int
}

// Run is a piece of a snippet: text as written, marked where it matched.
// A snippet is a list of runs, so the page shows the matches as marks
// around plain text and never reads markup out of the database.
type Run struct {
	Text string `json:"text"`
	Mark bool   `json:"mark,omitempty"`
}

// SearchHit is one message found.
type SearchHit struct {
	MessageID      int64          `json:"messageId"`
	ConversationID int64          `json:"conversationId"`
	Seq            int64          `json:"seq"`
	Sender         backend.Sender `json:"sender"`
	CreatedAt      time.Time      `json:"createdAt"`
	// Snippet is the part of the text around the matching words.
	Snippet []Run `json:"snippet"`
	// Files are the names of the message's files that match, each as runs.
	Files    [][]Run `json:"files"`
	HasFiles bool    `json:"hasFiles"`
}

// SearchGroup is the messages found in one conversation, newest first.
type SearchGroup struct {
	ConversationID int64       `json:"conversationId"`
	Title          string      `json:"title"`
	Kind           string      `json:"kind"`
	Hits           []SearchHit `json:"hits"`
}

// SearchResults are the messages found, grouped by conversation; the
// conversation of the newest message comes first.
type SearchResults struct {
	// Conversations are the conversations whose title, unit or members
	// match the words typed (backend.NameMatches), most recent first:
	// found by name, as the list's filter did.
	Conversations []int64       `json:"conversations"`
	Groups        []SearchGroup `json:"groups"`
	// Count is how many messages were found (at most the query's limit).
	Count int `json:"count"`
	// More says the limit cut the list: older messages match too.
	More bool `json:"more"`
}

// Search finds the cached messages whose text or file names hold every
// word of q.Text, newest first, with the filters of q, and grouped by
// conversation. Accents and case are ignored.
func (c *Cache) Search(ctx context.Context, q SearchQuery) (SearchResults, error) {
	res := SearchResults{Groups: []SearchGroup{}, Conversations: []int64{}}
	match := MatchExpression(q.Text)
	filtered := q.TenantID != 0 || q.UnitID != 0 || q.HasFiles || !q.From.IsZero() || !q.Until.IsZero()
	if match == "" && !filtered {
		return res, nil
	}
	if match != "" && !q.HasFiles && q.From.IsZero() && q.Until.IsZero() {
		var err error
		if res.Conversations, err = c.conversationsNamed(ctx, q); err != nil {
			return res, err
		}
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	// Marks no message can hold: private-use characters around a random
	// nonce, new for each search.
	nonce := make([]byte, 8)
	rand.Read(nonce)
	open, closing := "\uE000"+hex.EncodeToString(nonce)+"\uE001", "\uE001"+hex.EncodeToString(nonce)+"\uE000"

	// The filters are part of the match, on the tags column (see migration
	// 0007), and the words typed are looked for in the other two columns
	// only: the index walks just the messages that pass every filter.
	// Filters without words find every message that passes them ("the
	// files Maria sent"); a date range alone, every message of the range.
	var terms []string
	if match != "" {
		terms = append(terms, "{text file_names} : ("+match+")")
	}
	if q.TenantID != 0 || q.UnitID != 0 {
		convs, err := c.filteredConversations(ctx, q.TenantID, q.UnitID)
		if err != nil || len(convs) == 0 {
			return res, err
		}
		terms = append(terms, "tags : ("+strings.Join(convs, " OR ")+")")
	}
	if q.HasFiles {
		terms = append(terms, `tags : "hasfiles"`)
	}
	columns := `snippet(message_search, 0, ?, ?, '…', ` + fmt.Sprint(snippetTokens) + `), highlight(message_search, 1, ?, ?)`
	from := "message_search JOIN messages m ON m.id = message_search.rowid"
	// Newest first is the order of this id (the server's ids grow with
	// time), which the index walks backwards without sorting: the first
	// page of a common word costs the same as that of a rare one.
	id := "message_search.rowid"
	where := []string{"message_search MATCH ?"}
	args := []any{open, closing, open, closing, strings.Join(terms, " AND ")}
	if len(terms) == 0 {
		// A date range alone: nothing for the index to match, and the
		// range is one of ids (below) the messages' own key seeks to.
		columns = "m.text, v.file_names"
		from = "messages m JOIN message_search_content v ON v.id = m.id"
		id = "m.id"
		where, args = []string{"1"}, nil
	}
	// A date range is also a range of ids (the server's grow with time),
	// which the index seeks to instead of walking the newer messages. The
	// dates are checked as well (the unary + keeps the planner on the
	// index's order rather than the dates').
	if !q.From.IsZero() || !q.Until.IsZero() {
		lo, hi, err := c.idRange(ctx, q.From, q.Until)
		if err != nil || lo > hi {
			return res, err
		}
		where = append(where, id+" BETWEEN ? AND ?")
		args = append(args, lo, hi)
	}
	if !q.From.IsZero() {
		where = append(where, "+m.created_at >= ?")
		args = append(args, formatTime(q.From))
	}
	if !q.Until.IsZero() {
		where = append(where, "+m.created_at < ?")
		args = append(args, formatTime(q.Until))
	}
	args = append(args, limit+1)
	rows, err := c.db.QueryContext(ctx, `SELECT m.id, m.conversation_id, m.seq, m.sender_kind, m.sender_id, m.sender_name, m.created_at,
			m.files <> '[]', `+columns+`
		FROM `+from+`
		WHERE `+strings.Join(where, " AND ")+`
		ORDER BY `+id+` DESC LIMIT ?`, args...)
	if err != nil {
		return res, fmt.Errorf("cache search: %w", err)
	}
	defer rows.Close()
	byConv := map[int64]int{}
	for rows.Next() {
		var h SearchHit
		var kind, created, snippet, names string
		if err := rows.Scan(&h.MessageID, &h.ConversationID, &h.Seq, &kind, &h.Sender.ID, &h.Sender.Name, &created,
			&h.HasFiles, &snippet, &names); err != nil {
			return res, fmt.Errorf("cache search: %w", err)
		}
		if res.Count == limit {
			res.More = true
			break
		}
		res.Count++
		h.Sender.Kind = backend.PrincipalKind(kind)
		h.CreatedAt, _ = time.Parse(timeLayout, created)
		if len(terms) == 0 {
			snippet = leadingWords(snippet, snippetTokens)
		}
		h.Snippet = markedRuns(snippet, open, closing)
		h.Files = matchingLines(markedRuns(names, open, closing), match == "")
		i, ok := byConv[h.ConversationID]
		if !ok {
			i = len(res.Groups)
			byConv[h.ConversationID] = i
			res.Groups = append(res.Groups, SearchGroup{ConversationID: h.ConversationID})
		}
		res.Groups[i].Hits = append(res.Groups[i].Hits, h)
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("cache search: %w", err)
	}
	rows.Close()
	return res, c.nameGroups(ctx, res.Groups)
}

// idRange returns the ids of the first and the last cached message written
// in [from, until) (zero: open); lo > hi when there is none. Ids and times
// grow together, so the first by time is the lowest id: the server dates a
// new message no earlier than the newest it holds, even when its clock
// steps back (backend/sqlite, insertMessage).
func (c *Cache) idRange(ctx context.Context, from, until time.Time) (lo, hi int64, err error) {
	lo, hi = 1, 1<<62
	if !from.IsZero() {
		err = c.db.QueryRowContext(ctx, "SELECT coalesce((SELECT id FROM messages WHERE created_at >= ? ORDER BY created_at LIMIT 1), 1 << 62)",
			formatTime(from)).Scan(&lo)
	}
	if err == nil && !until.IsZero() {
		err = c.db.QueryRowContext(ctx, "SELECT coalesce((SELECT id FROM messages WHERE created_at < ? ORDER BY created_at DESC LIMIT 1), 0)",
			formatTime(until)).Scan(&hi)
	}
	if err != nil {
		err = fmt.Errorf("cache search: %w", err)
	}
	return lo, hi, err
}

// filteredConversations returns the tags (see migration 0005) of the
// conversations of filterIDs.
func (c *Cache) filteredConversations(ctx context.Context, tenantID, unitID int64) ([]string, error) {
	ids, err := c.filterIDs(ctx, tenantID, unitID)
	tags := make([]string, len(ids))
	for i, id := range ids {
		tags[i] = fmt.Sprintf(`"c%d"`, id)
	}
	return tags, err
}

// filterIDs returns the ids of the conversations with the tenant tenantID
// (one-to-one, or a group they are a member of) and of the unit unitID (its
// group chat, and the one-to-one chats with the tenants of any of its
// leases, past ones too, as the cached directory lists them), most recent
// first; 0 is any.
func (c *Cache) filterIDs(ctx context.Context, tenantID, unitID int64) ([]int64, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT id FROM conversations WHERE (?1 = 0 OR json_extract(data, '$.tenant_id') = ?1
			OR EXISTS (SELECT 1 FROM json_each(data, '$.members') WHERE json_extract(value, '$.id') = ?1))
		AND (?2 = 0 OR json_extract(data, '$.unit_id') = ?2
			OR json_extract(data, '$.tenant_id') IN (
				SELECT json_extract(t.value, '$.id') FROM directory d, json_each(d.data, '$.tenants') t, json_each(t.value, '$.leases') l
				WHERE json_extract(l.value, '$.unit_id') = ?2))
		ORDER BY activity DESC, id DESC`, tenantID, unitID)
	if err != nil {
		return nil, fmt.Errorf("cache search: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("cache search: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// conversationsNamed returns the conversations (within q's tenant or unit)
// whose title, place or members' names match q.Text.
func (c *Cache) conversationsNamed(ctx context.Context, q SearchQuery) ([]int64, error) {
	filtered := q.TenantID != 0 || q.UnitID != 0
	keep := map[int64]bool{}
	if filtered {
		ids, err := c.filterIDs(ctx, q.TenantID, q.UnitID)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			keep[id] = true
		}
	}
	rows, err := c.db.QueryContext(ctx, "SELECT id, data FROM conversations ORDER BY activity DESC, id DESC")
	if err != nil {
		return nil, fmt.Errorf("cache search: %w", err)
	}
	defer rows.Close()
	found := []int64{}
	for rows.Next() {
		var id int64
		var data string
		if err := rows.Scan(&id, &data); err != nil {
			return nil, fmt.Errorf("cache search: %w", err)
		}
		var conv backend.Conversation
		if err := json.Unmarshal([]byte(data), &conv); err != nil {
			continue
		}
		names := conv.Title + " " + conv.Place
		for _, m := range conv.Members {
			names += " " + m.Name
		}
		if (!filtered || keep[id]) && backend.NameMatches(names, q.Text) {
			found = append(found, id)
		}
	}
	return found, rows.Err()
}

// SearchChoice is one entry of the search's "Tenant or unit" filter.
type SearchChoice struct {
	TenantID int64  `json:"tenantId,omitempty"`
	UnitID   int64  `json:"unitId,omitempty"`
	Label    string `json:"label"`
}

// SearchChoices are the tenants and the units the landlord has
// conversations with or about, by name: the tenants of the cached
// conversations, and the units of the group chats and of those tenants'
// leases (from the cached directory).
func (c *Cache) SearchChoices(ctx context.Context) (tenants, units []SearchChoice, err error) {
	convs, err := c.Conversations(ctx)
	if err != nil {
		return nil, nil, err
	}
	dir, _, err := c.Directory(ctx)
	if err != nil {
		return nil, nil, err
	}
	leases := map[int64][]backend.Lease{}
	for _, t := range dir.Tenants {
		leases[t.ID] = t.Leases
	}
	tenantNames, unitNames := map[int64]string{}, map[int64]string{}
	addTenant := func(id int64, name string) {
		if id == 0 {
			return
		}
		tenantNames[id] = name
		for _, l := range leases[id] {
			unitNames[l.UnitID] = backend.UnitTitle(l.PropertyName, l.UnitName)
		}
	}
	for _, conv := range convs {
		if conv.Kind == backend.ConversationGroup && conv.UnitID != 0 {
			unitNames[conv.UnitID] = conv.Title
		}
		if conv.TenantID != 0 {
			addTenant(conv.TenantID, conv.Title)
		}
		for _, m := range conv.Members {
			if _, ok := tenantNames[m.ID]; !ok {
				addTenant(m.ID, m.Name)
			}
		}
	}
	for id, name := range tenantNames {
		tenants = append(tenants, SearchChoice{TenantID: id, Label: name})
	}
	for id, name := range unitNames {
		units = append(units, SearchChoice{UnitID: id, Label: name})
	}
	byLabel := func(a, b SearchChoice) int { return strings.Compare(a.Label, b.Label) }
	slices.SortFunc(tenants, byLabel)
	slices.SortFunc(units, byLabel)
	return tenants, units, nil
}

// nameGroups fills in each group's conversation title and kind.
func (c *Cache) nameGroups(ctx context.Context, groups []SearchGroup) error {
	for i := range groups {
		var title, kind sql.NullString
		err := c.db.QueryRowContext(ctx, "SELECT json_extract(data, '$.title'), json_extract(data, '$.kind') FROM conversations WHERE id = ?",
			groups[i].ConversationID).Scan(&title, &kind)
		if err != nil && err != sql.ErrNoRows {
			return fmt.Errorf("cache search: %w", err)
		}
		groups[i].Title, groups[i].Kind = title.String, kind.String
	}
	return nil
}

// markedRuns splits text marked by FTS5 (open … closing around each
// match) into runs.
func markedRuns(s, open, closing string) []Run {
	runs := []Run{}
	add := func(text string, mark bool) {
		if text == "" {
			return
		}
		if n := len(runs); n > 0 && runs[n-1].Mark == mark {
			runs[n-1].Text += text
			return
		}
		runs = append(runs, Run{Text: text, Mark: mark})
	}
	for s != "" {
		i := strings.Index(s, open)
		if i < 0 {
			add(s, false)
			break
		}
		add(s[:i], false)
		s = s[i+len(open):]
		j := strings.Index(s, closing)
		if j < 0 {
			add(s, true)
			break
		}
		add(s[:j], true)
		s = s[j+len(closing):]
	}
	return runs
}

// leadingWords is the start of text, n words at most, with "…" when cut:
// a snippet of a message found by filters alone.
func leadingWords(text string, n int) string {
	words := strings.Fields(text)
	if len(words) <= n {
		return strings.Join(words, " ")
	}
	return strings.Join(words[:n], " ") + "…"
}

// matchingLines splits runs at line ends (the file names, one a line) and
// keeps the lines that hold a match (all of them: every line).
func matchingLines(runs []Run, all bool) [][]Run {
	out := [][]Run{}
	line := []Run{}
	marked := false
	flush := func() {
		if marked || all && len(line) > 0 {
			out = append(out, line)
		}
		line, marked = []Run{}, false
	}
	for _, r := range runs {
		parts := strings.Split(r.Text, "\n")
		for i, p := range parts {
			if i > 0 {
				flush()
			}
			if p != "" {
				line = append(line, Run{Text: p, Mark: r.Mark})
				marked = marked || r.Mark
			}
		}
	}
	flush()
	return out
}

// MessagesAround returns a conversation's cached messages around seq: up
// to before messages before it, the message itself, and up to after
// messages after it, in sequence order.
func (c *Cache) MessagesAround(ctx context.Context, convID, seq int64, before, after int) ([]backend.Message, error) {
	older, err := c.messagesWhere(ctx, "WHERE conversation_id = ? AND seq <= ? ORDER BY seq DESC LIMIT ?", convID, seq, before+1)
	if err != nil {
		return nil, err
	}
	for i, j := 0, len(older)-1; i < j; i, j = i+1, j-1 {
		older[i], older[j] = older[j], older[i]
	}
	newer, err := c.MessagesAfter(ctx, convID, seq, after)
	return append(older, newer...), err
}

// MessagesAfter returns up to limit cached messages of a conversation after
// seq, in sequence order.
func (c *Cache) MessagesAfter(ctx context.Context, convID, after int64, limit int) ([]backend.Message, error) {
	return c.messagesWhere(ctx, "WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?", convID, after, limit)
}
