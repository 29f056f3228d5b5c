package app

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"doorstep/app/attach"
	"doorstep/app/cache"
	"doorstep/app/engine"
	"doorstep/backend"
)

// pageSize is how many messages a thread shows at a time.
const pageSize = 50

// Thread is a page of a conversation as the UI shows it: confirmed messages
// and, after them, the outbox (sending or failed).
type Thread struct {
	Messages []backend.Message `json:"messages"`
	Outbox   []cache.Outgoing  `json:"outbox"`
	// HasMore says whether older messages exist (cached or on the server).
	HasMore bool `json:"hasMore"`
	// HasNewer says whether newer messages follow this page (a thread
	// opened at an older message; see SearchService.ThreadAt).
	HasNewer bool   `json:"hasNewer,omitempty"`
	Draft    string `json:"draft"`
	// DraftFiles are the files attached and not sent yet.
	DraftFiles []cache.DraftFile `json:"draftFiles"`
	// Receipts say who has seen each of the landlord's messages of the
	// page, from the cached read positions (so offline too).
	Receipts []backend.Receipt `json:"receipts"`
	// Urgent are the page's urgent messages with why: marked so by their
	// tenant, or holding an emergency word (as the notifications decide).
	Urgent []backend.UrgentMark `json:"urgent"`
}

// ConversationService is the Chat tab's conversations: the list, threads,
// sending (with the outbox's retry, cancel and discard), drafts, starting a
// chat and how its tenants were told. It reads the cache first, so
// everything already seen works offline. Bound to the UI as
// window.go.app.ConversationService.
type ConversationService struct {
	accounts *AccountService
}

// NewConversationService returns the conversations of the signed-in account.
func NewConversationService(accounts *AccountService) *ConversationService {
	return &ConversationService{accounts: accounts}
}

// Conversations lists the cached conversations, most recent first.
func (c *ConversationService) Conversations() ([]backend.Conversation, error) {
	return withSession(c.accounts, func(ctx context.Context, s *session) ([]backend.Conversation, error) {
		return s.cache.Conversations(ctx)
	})
}

// Thread returns the messages before seq (0: the newest page, with the
// outbox and the draft). When the cache runs out it asks the server for
// older ones and keeps them.
func (c *ConversationService) Thread(convID, before int64) (Thread, error) {
	return withSession(c.accounts, func(ctx context.Context, s *session) (Thread, error) {
		msgs, err := s.page(ctx, convID, before)
		if err != nil {
			return Thread{}, err
		}
		t := Thread{Messages: msgs, Outbox: []cache.Outgoing{}, DraftFiles: []cache.DraftFile{}, HasMore: len(msgs) > 0 && msgs[0].Seq > 1}
		if err := s.annotate(ctx, convID, &t); err != nil {
			return Thread{}, err
		}
		if before == 0 {
			err = s.unsent(ctx, convID, &t)
		}
		return t, err
	})
}

// annotate adds what the page's messages carry beside them: who has seen
// the landlord's (from the cached read positions) and which are urgent.
func (s *session) annotate(ctx context.Context, convID int64, t *Thread) error {
	conv, _, err := s.cache.Conversation(ctx, convID)
	if err != nil {
		return err
	}
	t.Receipts = backend.Receipts(conv, t.Messages)
	t.Urgent = backend.UrgentMarks(t.Messages, s.engine.Attention().EmergencyWords)
	return nil
}

// page returns the cached messages before seq (0: the newest), topped up
// with older ones from the server (kept) when the cache has too few, or a
// gap: a thread never skips messages the cache happens to lack (a page
// kept from a search, a history the fill has not reached). The server not
// answering leaves the page as the cache has it.
func (s *session) page(ctx context.Context, convID, before int64) ([]backend.Message, error) {
	msgs, err := s.cache.Messages(ctx, convID, before, pageSize)
	if err != nil {
		return nil, err
	}
	run := msgs
	if len(msgs) > 0 {
		top := before - 1
		if before <= 0 {
			top = msgs[len(msgs)-1].Seq
		}
		run = runEndingAt(msgs, top)
	}
	first := before
	if len(run) > 0 {
		first = run[0].Seq
	}
	if len(run) == pageSize || first == 1 {
		return run, nil
	}
	older, err := s.client.Messages(ctx, convID, backend.MessagePage{Limit: pageSize - len(run), Before: first})
	if err != nil || len(older) == 0 {
		return msgs, nil
	}
	s.cache.PutMessages(ctx, older)
	return append(older, run...), nil
}

// runEndingAt returns the messages at the end of msgs (in seq order) whose
// seqs follow each other up to top, the last one; none if top is not last.
func runEndingAt(msgs []backend.Message, top int64) []backend.Message {
	if len(msgs) == 0 || msgs[len(msgs)-1].Seq != top {
		return nil
	}
	i := len(msgs) - 1
	for i > 0 && msgs[i-1].Seq == msgs[i].Seq-1 {
		i--
	}
	return msgs[i:]
}

// runAround returns the messages of msgs (in seq order) whose seqs follow
// each other without a gap on both sides of seq; none if seq is not there.
func runAround(msgs []backend.Message, seq int64) []backend.Message {
	at := slices.IndexFunc(msgs, func(m backend.Message) bool { return m.Seq == seq })
	if at < 0 {
		return nil
	}
	lo, hi := at, at+1
	for lo > 0 && msgs[lo-1].Seq == msgs[lo].Seq-1 {
		lo--
	}
	for hi < len(msgs) && msgs[hi].Seq == msgs[hi-1].Seq+1 {
		hi++
	}
	return msgs[lo:hi]
}

// unsent fills in what the landlord has not sent yet: the outbox, the
// draft and its files.
func (s *session) unsent(ctx context.Context, convID int64, t *Thread) (err error) {
	if t.Outbox, err = s.cache.Outbox(ctx, convID); err != nil {
		return err
	}
	t.Draft, _ = s.cache.Draft(ctx, convID)
	t.DraftFiles, err = s.cache.DraftFiles(ctx, convID)
	return err
}

// Send puts the compose box's message in the outbox (durably, before any
// network call) and wakes the sender: the text, with the draft's files if
// any (the text is then an optional caption). The message shows as sending
// until the server confirms.
func (c *ConversationService) Send(convID int64, text string) (cache.Outgoing, error) {
	return withSession(c.accounts, func(ctx context.Context, s *session) (cache.Outgoing, error) {
		text, err := s.checkSend(ctx, convID, text)
		if err != nil {
			return cache.Outgoing{}, err
		}
		o, err := s.cache.SendDraft(ctx, convID, text)
		if err != nil {
			return o, err
		}
		c.accounts.emit(engine.EventOutbox, convID)
		s.engine.Kick()
		return o, nil
	})
}

// checkSend refuses, before anything is queued, what the server would
// refuse: a closed conversation, a draft file that changed or went since it
// was attached, a message over the server's limits or not valid. It returns
// the text as it will be sent.
func (s *session) checkSend(ctx context.Context, convID int64, text string) (string, error) {
	if err := s.writable(ctx, convID); err != nil {
		return "", err
	}
	files, err := s.cache.DraftFiles(ctx, convID)
	if err != nil {
		return "", err
	}
	limits := s.limits(ctx)
	msg := backend.SendMessage{Key: cache.NewKey(), Text: strings.TrimRight(text, " \t\r\n")}
	for _, f := range files {
		if _, err := attach.Check(f.Path, f.Name, limits.MaxUploadBytes); err != nil {
			return "", backend.Errorf(backend.ErrorCode(err), "%s Remove it and attach it again.", backend.ErrorMessage(err))
		}
		msg.FileIDs = append(msg.FileIDs, f.ID) // stands in for the ids the upload will give
	}
	if len(files) > 0 {
		msg.Text = strings.TrimSpace(msg.Text)
	}
	if utf8.RuneCountInString(msg.Text) > limits.MaxMessageRunes {
		return "", backend.Errorf(backend.ETOOLARGE, "A message can be at most %d characters.", limits.MaxMessageRunes)
	}
	return msg.Text, msg.Validate()
}

// Retry puts a refused message back in line, with its original key.
func (c *ConversationService) Retry(localID int64) error {
	return inSession(c.accounts, func(ctx context.Context, s *session) error {
		if err := s.cache.Retry(ctx, localID); err != nil {
			return err
		}
		s.engine.Kick()
		return nil
	})
}

// Cancel stops sending a message (and uploading its files) and removes it
// from the outbox. A message the server already stored cannot be cancelled.
func (c *ConversationService) Cancel(localID int64) error {
	return inSession(c.accounts, func(ctx context.Context, s *session) error {
		return s.engine.Cancel(ctx, localID)
	})
}

// Discard drops a refused message from the outbox.
func (c *ConversationService) Discard(localID int64) error {
	return inSession(c.accounts, func(ctx context.Context, s *session) error {
		return s.cache.Discard(ctx, localID)
	})
}

// MarkRead clears a conversation's unread count here and on the server.
// Offline, the count is cleared here and the server is told on the next
// connection.
func (c *ConversationService) MarkRead(convID, seq int64) error {
	return inSession(c.accounts, func(ctx context.Context, s *session) error {
		if err := s.engine.MarkRead(ctx, convID, seq); err != nil {
			return err
		}
		c.accounts.emit(engine.EventConversations, nil)
		return nil
	})
}

// MarkUnread sets the landlord's read position back so that the newest
// tenant message shows unread, on the server (so every device of theirs
// shows it) and then here. It needs the server.
func (c *ConversationService) MarkUnread(convID int64) error {
	return inSession(c.accounts, func(ctx context.Context, s *session) error {
		conv, err := s.client.MarkUnread(ctx, convID)
		if err != nil {
			return err
		}
		if err := s.cache.SetReadPosition(ctx, convID, conv.ReadSeq, conv.Unread); err != nil {
			return err
		}
		c.accounts.emit(engine.EventConversations, nil)
		return nil
	})
}

// Start opens a chat with a tenant or a unit (the existing one if there is
// one). It needs the server.
func (c *ConversationService) Start(tenantID, unitID int64) (backend.Conversation, error) {
	return withSession(c.accounts, func(ctx context.Context, s *session) (backend.Conversation, error) {
		conv, err := s.client.StartConversation(ctx, backend.StartConversation{TenantID: tenantID, UnitID: unitID})
		if err != nil {
			return conv, err
		}
		if err := s.cache.PutConversations(ctx, []backend.Conversation{conv}); err != nil {
			return conv, err
		}
		c.accounts.emit(engine.EventConversations, nil)
		return conv, nil
	})
}

// SetDraft keeps the compose box of a conversation across switches and restarts.
func (c *ConversationService) SetDraft(convID int64, text string) error {
	return inSession(c.accounts, func(ctx context.Context, s *session) error {
		return s.cache.SetDraft(ctx, convID, text)
	})
}

// SetViewing tells which conversation is open and whether the window has
// focus, so its messages do not notify.
func (c *ConversationService) SetViewing(convID int64, focused bool) error {
	return inSession(c.accounts, func(_ context.Context, s *session) error {
		s.engine.SetViewing(convID, focused)
		return nil
	})
}

// DeliveryLog tells how the tenants of a conversation were told of it: each
// e-mail and text message, sent, waiting, failed or skipped, newest first.
// From the server when it can be reached, else the copy kept last time.
func (c *ConversationService) DeliveryLog(convID int64) ([]backend.Notification, error) {
	return withSession(c.accounts, func(ctx context.Context, s *session) ([]backend.Notification, error) {
		return fromServerOrKept(
			func() ([]backend.Notification, error) { return s.client.ConversationNotifications(ctx, convID) },
			func(log []backend.Notification) { s.cache.PutDeliveryLog(ctx, convID, log) },
			func() ([]backend.Notification, bool, error) { return s.cache.DeliveryLog(ctx, convID) })
	})
}
