// Package engine keeps the desktop cache in step with the server: it follows
// the event stream (catching up from where it left off, reloading on
// "resync"), sends the outbox in order, and tells the UI what changed. It is
// plain Go, driven by the bound services and tested against a real server.
package engine

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"doorstep/app/cache"
	"doorstep/backend"
	"doorstep/backend/client"
)

// UI event names (Wails events), prefixed by area.
const (
	EventConversations = "chat:conversations" // the conversation list changed; payload none
	EventMessage       = "chat:message"       // a message arrived or was confirmed; payload backend.Message
	EventOutbox        = "chat:outbox"        // a conversation's outbox changed; payload conversation id
	EventSyncState     = "sync:state"         // payload SyncState
	EventUpload        = "chat:upload"        // payload UploadProgress
	EventReloaded      = "chat:reloaded"      // the cache was refilled from the server: every view reloads; payload none
	EventRead          = "chat:read"          // a member's read position moved (the receipts change); payload backend.ReadPosition
	EventAttention     = "settings:attention" // the attention settings changed (here or on another device); payload backend.AttentionSettings
)

// UploadProgress tells the UI how far a file of an outbox message is.
type UploadProgress struct {
	LocalID int64  `json:"localId"`
	Name    string `json:"name"`
	Sent    int64  `json:"sent"`
	Total   int64  `json:"total"`
}

// Sync states.
const (
	StateConnecting = "connecting"
	StateOnline     = "online"
	StateOffline    = "offline"
	StateSignedOut  = "signed_out" // the server no longer accepts the session
)

// SyncState is what the online/offline indicator shows.
type SyncState struct {
	State   string `json:"state"`
	Message string `json:"message,omitempty"`
}

// Emitter sends an event to the UI (runtime.EventsEmit in the app).
type Emitter func(name string, data any)

// Notifier shows a native notification for a tenant's message.
type Notifier func(conv backend.Conversation, m backend.Message)

// backoff is how long to wait before reconnecting, by attempt; capped.
var backoff = []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second}

// maxBatch bounds the events applied in one cache transaction.
const maxBatch = 500

// Engine syncs one account.
type Engine struct {
	cache  *cache.Cache
	client *client.Client
	me     backend.Principal
	emit   Emitter
	notify Notifier
	logger *slog.Logger

	wake chan struct{}
	// reloadViews is set when the cache forgot the server's history: the
	// views reload once the stream has caught up again.
	reloadViews atomic.Bool

	mu        sync.Mutex
	state     SyncState
	viewing   int64 // conversation open in the window
	focused   bool  // whether the window has focus
	uploading map[int64]context.CancelFunc
	heldUntil time.Time // the server asked to wait (rate_limited) until then

	// Clock is the engine's time, for waiting out a server's Retry-After
	// (tests set it together with the server's clock); nil: time.Now.
	Clock func() time.Time

	// OwnedDir holds copies the app made of pasted or dropped files; they
	// are deleted once their message is sent or cancelled.
	OwnedDir string

	// NotifyUrgent shows an urgent message's notification, which breaks
	// through mute and quiet hours (nil: as any other, through notify).
	NotifyUrgent Notifier
	// NotifySummary shows the one notification that sums up what quiet
	// hours held back, once they end (nil: none).
	NotifySummary func(messages, conversations int)
	// At is the engine's timer, for the end of quiet hours: its channel
	// receives once the clock reaches at (tests drive it with their clock,
	// together with Clock); nil: a real timer.
	At func(at time.Time) <-chan time.Time

	attention atomic.Pointer[backend.AttentionSettings]
	// life ends when Run returns: work started on the side (telling the
	// server of a read) stops with the engine.
	life      context.Context
	endLife   context.CancelFunc
	quietWake chan struct{} // the held notifications or the schedule changed

	// The background fill of the history (fill.go): woken by caughtUp,
	// its progress in history (under mu). HistoryPause is its pause
	// between pages (0: the default; negative: none) and HistoryPageSize
	// its page (0: the server's largest).
	caughtUp        chan struct{}
	history         HistoryProgress
	HistoryPause    time.Duration
	HistoryPageSize int
}

// New returns an engine for the signed-in principal me.
func New(c *cache.Cache, cl *client.Client, me backend.Principal, emit Emitter, notify Notifier, logger *slog.Logger) *Engine {
	if emit == nil {
		emit = func(string, any) {}
	}
	life, endLife := context.WithCancel(context.Background())
	return &Engine{cache: c, client: cl, me: me, emit: emit, notify: notify, logger: logger, life: life, endLife: endLife,
		wake: make(chan struct{}, 1), quietWake: make(chan struct{}, 1), caughtUp: make(chan struct{}, 1), state: SyncState{State: StateConnecting}, uploading: map[int64]context.CancelFunc{}}
}

// State is the current sync state.
func (e *Engine) State() SyncState {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state
}

func (e *Engine) setState(s SyncState) {
	e.mu.Lock()
	changed := e.state != s
	e.state = s
	e.mu.Unlock()
	if changed {
		e.emit(EventSyncState, s)
	}
}

// SetViewing tells the engine which conversation the landlord is looking
// at, and whether the window has focus: no notification for that one.
func (e *Engine) SetViewing(convID int64, focused bool) {
	e.mu.Lock()
	e.viewing, e.focused = convID, focused
	e.mu.Unlock()
	// What quiet hours held back there has now been seen.
	if focused && convID != 0 {
		if err := e.cache.ReleaseHeld(context.Background(), convID); err != nil {
			e.logger.Error("release held notifications", "err", err)
		}
	}
}

// Viewing is the conversation open in the window (0: none).
func (e *Engine) Viewing() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.viewing
}

// Kick makes the outbox sender look at the outbox now.
func (e *Engine) Kick() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Run syncs until ctx ends or the server refuses the session.
func (e *Engine) Run(ctx context.Context) {
	defer e.endLife()
	if s, _, err := e.cache.AttentionSettings(ctx); err != nil {
		e.logger.Error("cached attention settings", "err", err)
	} else {
		e.attention.Store(&s)
	}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); e.sendLoop(ctx) }()
	go func() { defer wg.Done(); e.quietLoop(ctx) }()
	go func() { defer wg.Done(); e.historyLoop(ctx) }()
	e.streamLoop(ctx)
	wg.Wait()
}

func (e *Engine) streamLoop(ctx context.Context) {
	for attempt := 0; ctx.Err() == nil; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff[min(attempt-1, len(backoff)-1)]):
			}
		}
		if e.State().State != StateOffline {
			e.setState(SyncState{State: StateConnecting})
		}
		if err := e.meetServer(ctx); err != nil {
			e.logger.Error("server history", "err", err)
			continue
		}
		since, err := e.cache.LastEventID(ctx)
		if err != nil {
			e.logger.Error("cache position", "err", err)
			continue
		}
		stream, err := e.client.Events(ctx, since)
		if err != nil {
			if backend.ErrorCode(err) == backend.EUNAUTHORIZED {
				e.setState(SyncState{State: StateSignedOut, Message: backend.SessionEndedMessage})
				return
			}
			e.setState(SyncState{State: StateOffline, Message: backend.ErrorMessage(err)})
			continue
		}
		attempt = 0
		e.Kick()
		err = e.follow(ctx, stream)
		stream.Close()
		if ctx.Err() != nil {
			return
		}
		// The server closed the stream because the session ended (signed
		// out elsewhere, revoked, expired): reconnecting would only be
		// refused, so stop here as when the session is refused.
		if backend.ErrorCode(err) == backend.EUNAUTHORIZED {
			e.logger.Info("event stream ended with the session", "err", err)
			e.setState(SyncState{State: StateSignedOut, Message: backend.SessionEndedMessage})
			return
		}
		e.logger.Info("event stream ended", "err", err)
		e.setState(SyncState{State: StateOffline, Message: "Reconnecting…"})
	}
}

// meetServer asks the server for its health before each connection. Its
// limits are kept in the cache, where the checks made before a message is
// queued find them, offline too. Its id says whether its history is still
// the one the cache holds: a server restored from a backup has a new one,
// and what the cache synced after that backup is forgotten (the outbox is
// kept, for the landlord to look at) before the stream starts over. When
// the server cannot say now, the cache stays as it is.
func (e *Engine) meetServer(ctx context.Context) error {
	h, err := e.client.Health(ctx)
	if err != nil {
		e.logger.Info("server health not learned", "err", err)
		return nil
	}
	if err := e.cache.SetLimits(ctx, h.Limits); err != nil {
		e.logger.Error("keep the server's limits", "err", err)
	}
	known, err := e.cache.ServerID(ctx)
	switch {
	case err != nil:
		return err
	case h.ServerID == "" || known == h.ServerID:
		return nil
	case known == "":
		return e.cache.AdoptServer(ctx, h.ServerID)
	}
	e.logger.Warn("the server's history is not the one kept here (restored from a backup?): starting over from it",
		"kept", known, "server", h.ServerID)
	if err := e.cache.ForgetServer(ctx, h.ServerID, backend.ECONFLICT, backend.HistoryRestoredMessage); err != nil {
		return err
	}
	e.reloadViews.Store(true)
	e.emit(EventReloaded, nil)
	return nil
}

// follow applies a stream's events in batches until it ends.
func (e *Engine) follow(ctx context.Context, stream *client.EventStream) error {
	events := make(chan backend.Event, 2*maxBatch)
	errc := make(chan error, 1)
	go func() {
		defer close(events)
		for {
			ev, err := stream.Next(ctx)
			if err != nil {
				errc <- err
				return
			}
			events <- ev
		}
	}()
	live := false // until the server says the replay is over
	// Urgent messages the replay brings (they came while the app was
	// closed, asleep or offline), the newest of each conversation: they
	// notify once the replay is over, unless read elsewhere meanwhile.
	missed := map[int64]backend.Message{}
	for ev := range events {
		batch := []backend.Event{ev}
	drain:
		for len(batch) < maxBatch && batch[len(batch)-1].Type != backend.EventReady {
			select {
			case more, ok := <-events:
				if !ok {
					break drain
				}
				batch = append(batch, more)
			default:
				break drain
			}
		}
		if last := batch[len(batch)-1]; last.Type == backend.EventReady {
			if err := e.apply(ctx, batch[:len(batch)-1], live, missed); err != nil {
				return err
			}
			// Caught up. What the server derives from dates (a chat closed
			// because every member's lease ended, a tenant's unit) is not
			// in the event log: take the list as the server shows it now.
			if !live {
				e.sendUnsentReads(ctx)
				if _, err := e.storeList(ctx); err != nil {
					return err
				}
				e.emit(EventConversations, nil)
				// Changes made while away arrived as events; this also
				// fills a new cache, and one from before settings existed.
				e.fetchAttention(ctx)
				e.fetchForTemplates(ctx)
				e.notifyMissedUrgent(ctx, missed)
				clear(missed)
				e.signalCaughtUp()
			}
			live = true
			if e.reloadViews.Swap(false) {
				e.emit(EventReloaded, nil) // the history starting over is all in
			}
			e.setState(SyncState{State: StateOnline})
			continue
		}
		if err := e.apply(ctx, batch, live, missed); err != nil {
			return err
		}
	}
	return <-errc
}

// apply stores a batch and tells the UI; a resync event reloads first. Live
// batches (after the replay) emit each message and may notify; in the
// replay, urgent messages from others are kept in missed.
func (e *Engine) apply(ctx context.Context, batch []backend.Event, live bool, missed map[int64]backend.Message) error {
	for i, ev := range batch {
		if ev.Type != backend.EventResync {
			continue
		}
		if err := e.apply(ctx, batch[:i], live, missed); err != nil {
			return err
		}
		if err := e.Reload(ctx); err != nil {
			return err
		}
		if err := e.cache.SetLastEventID(ctx, ev.ID); err != nil {
			return err
		}
		e.reloadViews.Store(true)
		return e.apply(ctx, batch[i+1:], live, missed)
	}
	if len(batch) == 0 {
		return nil
	}
	if err := e.cache.ApplyEvents(ctx, e.me, batch); err != nil {
		return err
	}
	e.emit(EventConversations, nil)
	for _, ev := range batch {
		if ev.Type == backend.EventRead && ev.Read != nil && live && !e.isMe(ev.Read.Reader) {
			e.emit(EventRead, *ev.Read)
		}
		if ev.Type == backend.EventSettings && ev.Settings != nil {
			if err := e.SetAttention(ctx, *ev.Settings); err != nil {
				return err
			}
		}
		if ev.Type == backend.EventTemplates {
			if err := e.SetTemplates(ctx, ev.Templates); err != nil {
				return err
			}
		}
	}
	for _, ev := range batch {
		if ev.Type != backend.EventMessage || ev.Message == nil {
			continue
		}
		if live {
			e.emit(EventMessage, *ev.Message)
			e.maybeNotify(ctx, *ev.Message)
			continue
		}
		if m := *ev.Message; missed != nil && !e.isMe(m.Sender) && backend.IsUrgent(m, e.Attention().EmergencyWords) {
			missed[m.ConversationID] = m
		}
	}
	return nil
}

// notifyMissedUrgent notifies the urgent messages that came while the app
// was away, the newest of each conversation, in the order they were sent:
// muted or not, quiet hours or not, as if they had come live. One the
// landlord has read since (on another device), or is looking at, does not.
func (e *Engine) notifyMissedUrgent(ctx context.Context, missed map[int64]backend.Message) {
	if len(missed) == 0 {
		return
	}
	readSeq := map[int64]int64{}
	if list, err := e.cache.Conversations(ctx); err == nil {
		for _, c := range list {
			readSeq[c.ID] = c.ReadSeq
		}
	}
	msgs := slices.SortedFunc(maps.Values(missed), func(a, b backend.Message) int { return cmp.Compare(a.ID, b.ID) })
	for _, m := range msgs {
		if readSeq[m.ConversationID] >= m.Seq {
			continue
		}
		e.logger.Info("urgent message while away", "conversation", m.ConversationID, "message", m.ID)
		e.maybeNotify(ctx, m)
	}
}

func (e *Engine) isMe(s backend.Sender) bool { return s.Kind == e.me.Kind && s.ID == e.me.ID }

// maybeNotify decides about a notification for someone else's live
// message, unless the landlord is looking at its conversation: an urgent
// one (marked so, or holding an emergency word) notifies at once, muted or
// not, quiet hours or not; a muted conversation's does not notify (it
// still counts as unread); in quiet hours it is held for the summary when
// they end; else it notifies.
func (e *Engine) maybeNotify(ctx context.Context, m backend.Message) {
	if e.notify == nil || e.isMe(m.Sender) {
		return
	}
	e.mu.Lock()
	looking := e.focused && e.viewing == m.ConversationID
	e.mu.Unlock()
	if looking {
		return
	}
	conv, ok, err := e.cache.Conversation(ctx, m.ConversationID)
	if err != nil || !ok {
		conv = backend.Conversation{ID: m.ConversationID}
	}
	settings, now := e.Attention(), e.now()
	switch {
	case backend.IsUrgent(m, settings.EmergencyWords):
		e.logger.Info("urgent message: notified at once", "conversation", m.ConversationID, "message", m.ID)
		if e.NotifyUrgent != nil {
			e.NotifyUrgent(conv, m)
		} else {
			e.notify(conv, m)
		}
	case backend.Muted(settings, m.ConversationID, now):
		e.logger.Info("muted conversation: not notified", "conversation", m.ConversationID, "message", m.ID)
	case backend.InQuietHours(settings.QuietHours, now):
		e.logger.Info("quiet hours: notification held", "conversation", m.ConversationID, "message", m.ID)
		if err := e.cache.Hold(ctx, m); err != nil {
			e.logger.Error("hold notification", "err", err)
		}
		e.wakeQuiet()
	default:
		e.notify(conv, m)
	}
}

// Attention are the attention settings in force: the server's, as last
// received (the defaults before any).
func (e *Engine) Attention() backend.AttentionSettings {
	if s := e.attention.Load(); s != nil {
		return *s
	}
	return backend.DefaultAttentionSettings()
}

// SetAttention keeps settings the server sent (an event, or the answer to
// a change made here) and applies them from now on.
func (e *Engine) SetAttention(ctx context.Context, s backend.AttentionSettings) error {
	if err := e.cache.SetAttentionSettings(ctx, s); err != nil {
		return err
	}
	e.attention.Store(&s)
	e.emit(EventAttention, s)
	e.wakeQuiet()
	return nil
}

// fetchAttention takes the server's attention settings; without them the
// cached ones stay in force.
func (e *Engine) fetchAttention(ctx context.Context) {
	s, err := e.client.AttentionSettings(ctx)
	if err == nil {
		err = e.SetAttention(ctx, s)
	}
	if err != nil {
		e.logger.Warn("attention settings not fetched", "err", err)
	}
}

func (e *Engine) wakeQuiet() {
	select {
	case e.quietWake <- struct{}{}:
	default:
	}
}

// at is a timer for an instant rather than a duration, so a clock moved
// between reading it and setting the timer cannot leave the timer behind.
func (e *Engine) at(t time.Time) <-chan time.Time {
	if e.At != nil {
		return e.At(t)
	}
	return time.After(time.Until(t))
}

// quietLoop shows the summary of held notifications once quiet hours are
// over: at their end by the schedule, or at once when the schedule changes
// so that they are (or when the app starts after they ended).
func (e *Engine) quietLoop(ctx context.Context) {
	for {
		var ends <-chan time.Time
		messages, conversations, err := e.cache.Held(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			e.logger.Error("held notifications", "err", err)
		case messages > 0:
			schedule, now := e.Attention().QuietHours, e.now()
			if !backend.InQuietHours(schedule, now) {
				if err := e.cache.ReleaseHeld(ctx, 0); err != nil {
					e.logger.Error("release held notifications", "err", err)
					break
				}
				e.logger.Info("quiet hours over: summary notified", "messages", messages, "conversations", conversations)
				if e.NotifySummary != nil {
					e.NotifySummary(messages, conversations)
				}
				continue
			}
			if end, ok := backend.QuietHoursEnd(schedule, now); ok {
				ends = e.at(end)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-e.quietWake:
		case <-ends:
		}
	}
}

// MarkRead clears a conversation's unread count here at once, and moves the
// landlord's read position on the server. Offline (or refused for now) the
// position waits in the cache and goes on the next connection, so that a
// conversation list from the server does not bring the unread count back.
func (e *Engine) MarkRead(ctx context.Context, convID, seq int64) error {
	if err := e.cache.MarkReadLocally(ctx, convID, seq); err != nil {
		return err
	}
	go func() {
		ctx, cancel := context.WithTimeout(e.life, readTimeout)
		defer cancel()
		e.sendRead(ctx, convID, seq)
	}()
	return nil
}

// readTimeout bounds telling the server of one read.
const readTimeout = 15 * time.Second

func (e *Engine) sendRead(ctx context.Context, convID, seq int64) {
	if err := e.client.MarkRead(ctx, convID, seq); err != nil {
		e.logger.Info("read position kept for later", "conversation", convID, "seq", seq, "err", err)
		return
	}
	if err := e.cache.ReadSent(ctx, convID, seq); err != nil {
		e.logger.Error("read position sent", "err", err)
	}
}

// sendUnsentReads tells the server of the reads made here while it could
// not be told.
func (e *Engine) sendUnsentReads(ctx context.Context) {
	reads, err := e.cache.UnsentReads(ctx)
	if err != nil {
		e.logger.Error("unsent reads", "err", err)
		return
	}
	for conv, seq := range reads {
		e.sendRead(ctx, conv, seq)
	}
}

// storeList stores the server's conversation list as it is now, and returns it.
func (e *Engine) storeList(ctx context.Context) ([]backend.Conversation, error) {
	list, err := e.client.Conversations(ctx)
	if err != nil {
		return nil, err
	}
	return list, e.cache.PutConversations(ctx, list)
}

// Reload replaces the cached conversation list and newest pages with the
// server's (first sync, and after a resync).
func (e *Engine) Reload(ctx context.Context) error {
	list, err := e.storeList(ctx)
	if err != nil {
		return err
	}
	for _, c := range list {
		msgs, err := e.client.Messages(ctx, c.ID, backend.MessagePage{})
		if err != nil {
			return err
		}
		if err := e.cache.PutMessages(ctx, msgs); err != nil {
			return err
		}
	}
	e.emit(EventConversations, nil)
	return nil
}

// transient errors leave a message queued; any other refusal is final.
func transient(err error) bool {
	switch backend.ErrorCode(err) {
	case backend.EUNREACHABLE, backend.EUNAVAILABLE, backend.EINTERNAL, backend.EUNAUTHORIZED, backend.ERATELIMITED:
		return true
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// upload sends an outbox entry's files that are not on the server yet, one
// by one, recording each as it lands; it returns all the message's file ids.
// Each file goes up as a resumable upload whose id is recorded first, so a
// try cut off midway (network, crash, restart) goes on from the bytes the
// server already holds.
func (e *Engine) upload(ctx context.Context, o cache.Outgoing) ([]int64, error) {
	ids := append([]int64(nil), o.FileIDs...)
	for i, a := range o.Attachments {
		if a.FileID != 0 {
			continue
		}
		uctx, cancel := context.WithCancel(ctx)
		e.mu.Lock()
		e.uploading[o.LocalID] = cancel
		e.mu.Unlock()
		uploaded, err := e.uploadOne(uctx, o, i, a)
		e.mu.Lock()
		delete(e.uploading, o.LocalID)
		e.mu.Unlock()
		cancelled := uctx.Err() != nil && ctx.Err() == nil
		cancel()
		if cancelled {
			return nil, errCancelled
		}
		if err != nil {
			if !transient(err) {
				return nil, backend.Errorf(backend.ErrorCode(err), "%s: %s", a.Name, backend.ErrorMessage(err))
			}
			return nil, err
		}
		if err := e.cache.Uploaded(ctx, o.LocalID, i, uploaded.ID); err != nil {
			return nil, err
		}
		ids = append(ids, uploaded.ID)
		e.emit(EventOutbox, o.ConversationID)
	}
	return ids, nil
}

// uploadOne sends attachment i of o, going on with its upload if one was
// begun before.
func (e *Engine) uploadOne(ctx context.Context, o cache.Outgoing, i int, a cache.Attachment) (backend.File, error) {
	unreadable := backend.Errorf(backend.EINVALID, "%s cannot be read any more; attach it again.", a.Name)
	f, err := os.Open(a.Path)
	if err != nil {
		return backend.File{}, unreadable
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return backend.File{}, unreadable
	}
	progress := func(held int64) {
		e.emit(EventUpload, UploadProgress{LocalID: o.LocalID, Name: a.Name, Sent: held, Total: fi.Size()})
	}
	// begin announces the file, hashed as it is now, and records the upload
	// before its first byte is sent. A resumed upload is not hashed again:
	// the server checks the whole file against the hash when it completes.
	begin := func() error {
		h := sha256.New()
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return unreadable
		}
		size, err := io.Copy(h, f)
		if err != nil {
			return unreadable
		}
		up, err := e.client.BeginUpload(ctx, backend.NewUpload{Name: a.Name, Size: size, SHA256: hex.EncodeToString(h.Sum(nil))})
		if err != nil {
			return err
		}
		a.UploadID = up.ID
		return e.cache.UploadBegun(ctx, o.LocalID, i, up.ID)
	}
	for try := 0; ; try++ {
		if a.UploadID == "" {
			if err := begin(); err != nil {
				return backend.File{}, err
			}
		}
		file, err := e.client.ContinueUpload(ctx, a.UploadID, f, progress)
		// Forgotten by the server (expired, or refused at the end because
		// the file changed since it began): begin again, once.
		if code := backend.ErrorCode(err); (code == backend.ENOTFOUND || code == backend.EINVALID) && try == 0 {
			a.UploadID = ""
			continue
		}
		return file, err
	}
}

// errCancelled: the landlord cancelled the message while its files uploaded.
var errCancelled = backend.Errorf(backend.EINVALID, "Cancelled.")

// Cancel stops a message's upload (if one is under way) and removes it from
// the outbox, whether it is pending or failed.
func (e *Engine) Cancel(ctx context.Context, localID int64) error {
	out, err := e.cache.Outbox(ctx, 0)
	if err != nil {
		return err
	}
	if err := e.cache.Remove(ctx, localID); err != nil {
		return err
	}
	for _, o := range out {
		if o.LocalID == localID {
			defer e.removeOwned(o)
			defer e.cancelUploads(o)
		}
	}
	e.mu.Lock()
	cancel := e.uploading[localID]
	e.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return nil
}

// cancelUploads tells the server to forget a cancelled message's unfinished
// uploads; if it cannot be reached, it forgets them itself in time.
func (e *Engine) cancelUploads(o cache.Outgoing) {
	for _, a := range o.Attachments {
		if a.UploadID != "" && a.FileID == 0 {
			go func(id string) {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				e.client.CancelUpload(ctx, id)
			}(a.UploadID)
		}
	}
}

// removeOwned deletes the app's own copies of a message's files.
func (e *Engine) removeOwned(o cache.Outgoing) {
	if e.OwnedDir == "" {
		return
	}
	for _, a := range o.Attachments {
		if filepath.Dir(a.Path) == filepath.Clean(e.OwnedDir) {
			os.Remove(a.Path)
		}
	}
}

// sendLoop sends the outbox, oldest first, whenever kicked and every few
// seconds; it stops at the first transient failure so order is kept.
func (e *Engine) sendLoop(ctx context.Context) {
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.wake:
		case <-tick.C:
		}
		e.SendPending(ctx)
	}
}

func (e *Engine) now() time.Time {
	if e.Clock != nil {
		return e.Clock()
	}
	return time.Now()
}

// holdIfAsked remembers how long the server asked the outbox to wait (a
// rate_limited answer's Retry-After), so neither the ticker nor a new
// message sends again before then.
func (e *Engine) holdIfAsked(err error) {
	if backend.ErrorCode(err) != backend.ERATELIMITED {
		return
	}
	wait := time.Duration(max(backend.RetryAfter(err), 1)) * time.Second
	e.mu.Lock()
	defer e.mu.Unlock()
	e.heldUntil = e.now().Add(wait)
}

func (e *Engine) held() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now().Before(e.heldUntil)
}

// SendPending sends what is pending in the outbox now; it returns how many
// were confirmed.
func (e *Engine) SendPending(ctx context.Context) int {
	if e.held() {
		return 0
	}
	out, err := e.cache.Outbox(ctx, 0)
	if err != nil {
		e.logger.Error("outbox", "err", err)
		return 0
	}
	sent := 0
	for _, o := range out {
		if o.State != "pending" {
			continue
		}
		fileIDs, err := e.upload(ctx, o)
		if errors.Is(err, errCancelled) {
			e.emit(EventOutbox, o.ConversationID)
			continue
		}
		if err != nil {
			if transient(err) {
				e.holdIfAsked(err)
				e.cache.Attempted(ctx, o.LocalID)
				return sent
			}
			e.cache.Failed(ctx, o.LocalID, backend.ErrorCode(err), backend.ErrorMessage(err))
			e.emit(EventOutbox, o.ConversationID)
			continue
		}
		if still, _ := e.cache.InOutbox(ctx, o.LocalID); !still { // cancelled meanwhile
			continue
		}
		m, err := e.client.SendMessage(ctx, o.ConversationID, backend.SendMessage{Key: o.Key, Text: o.Text, FileIDs: fileIDs})
		switch {
		case err == nil:
			if err := e.cache.Sent(ctx, o.LocalID, m); err != nil {
				e.logger.Error("outbox confirm", "err", err)
				return sent
			}
			e.removeOwned(o)
			sent++
			e.emit(EventMessage, m)
		case transient(err):
			e.holdIfAsked(err)
			e.cache.Attempted(ctx, o.LocalID)
			return sent // keep the order: try again from here later
		default:
			e.cache.Failed(ctx, o.LocalID, backend.ErrorCode(err), backend.ErrorMessage(err))
		}
		e.emit(EventOutbox, o.ConversationID)
		e.emit(EventConversations, nil)
	}
	return sent
}
