package app

import (
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"doorstep/app/cache"
	"doorstep/app/engine"
	"doorstep/backend"
	"doorstep/backend/filestore"
)

// pageSize is how many messages a thread shows at a time.
const pageSize = 50

// Thread is a page of a conversation as the UI shows it: confirmed messages
// and, after them, the outbox (sending or failed).
type Thread struct {
	Messages []backend.Message `json:"messages"`
	Outbox   []cache.Outgoing  `json:"outbox"`
	// HasMore says whether older messages exist (cached or on the server).
	HasMore bool   `json:"hasMore"`
	Draft   string `json:"draft"`
}

// ChatService is the Chat tab: conversations, threads, sending, New Chat.
// It reads the cache first, so everything already seen works offline.
// Bound to the UI as window.go.app.ChatService.
type ChatService struct {
	accounts *AccountService
	emit     engine.Emitter
	// OpenDialog asks for files to attach (the native dialog in the app).
	OpenDialog func() ([]string, error)
}

// NewChatService returns the chat service of the signed-in account.
func NewChatService(accounts *AccountService) *ChatService {
	return &ChatService{accounts: accounts, emit: accounts.emit}
}

func (c *ChatService) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.accounts.life.Context(), 15*time.Second)
}

// Conversations lists the cached conversations, most recent first.
func (c *ChatService) Conversations() ([]backend.Conversation, error) {
	s, err := c.accounts.active()
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.ctx()
	defer cancel()
	return s.cache.Conversations(ctx)
}

// Thread returns the messages before seq (0: the newest page). When the
// cache runs out it asks the server for older ones and keeps them.
func (c *ChatService) Thread(convID, before int64) (Thread, error) {
	s, err := c.accounts.active()
	if err != nil {
		return Thread{}, err
	}
	ctx, cancel := c.ctx()
	defer cancel()
	msgs, err := s.cache.Messages(ctx, convID, before, pageSize)
	if err != nil {
		return Thread{}, err
	}
	first := before
	if len(msgs) > 0 {
		first = msgs[0].Seq
	}
	if len(msgs) < pageSize && first != 1 {
		page := backend.MessagePage{Limit: pageSize - len(msgs), Before: first}
		if older, err := s.client.Messages(ctx, convID, page); err == nil && len(older) > 0 {
			s.cache.PutMessages(ctx, older)
			msgs = append(older, msgs...)
		}
	}
	t := Thread{Messages: msgs, Outbox: []cache.Outgoing{}}
	t.HasMore = len(msgs) > 0 && msgs[0].Seq > 1
	if before == 0 {
		if t.Outbox, err = s.cache.Outbox(ctx, convID); err != nil {
			return t, err
		}
		t.Draft, _ = s.cache.Draft(ctx, convID)
	}
	return t, nil
}

// Send puts a message in the outbox (durably, before any network call) and
// wakes the sender. The message shows as sending until the server confirms.
func (c *ChatService) Send(convID int64, text string) (cache.Outgoing, error) {
	s, err := c.accounts.active()
	if err != nil {
		return cache.Outgoing{}, err
	}
	text = strings.TrimRight(text, " \t\r\n")
	if err := (backend.SendMessage{Key: cache.NewKey(), Text: text}).Validate(); err != nil {
		return cache.Outgoing{}, err
	}
	ctx, cancel := c.ctx()
	defer cancel()
	o, err := s.cache.Enqueue(ctx, convID, text, nil)
	if err != nil {
		return o, err
	}
	s.cache.SetDraft(ctx, convID, "")
	c.emit(engine.EventOutbox, convID)
	s.engine.Kick()
	return o, nil
}

// Retry puts a refused message back in line, with its original key.
func (c *ChatService) Retry(localID int64) error {
	s, err := c.accounts.active()
	if err != nil {
		return err
	}
	ctx, cancel := c.ctx()
	defer cancel()
	if err := s.cache.Retry(ctx, localID); err != nil {
		return err
	}
	s.engine.Kick()
	return nil
}

// Cancel stops sending a message (and uploading its files) and removes it
// from the outbox. A message the server already stored cannot be cancelled.
func (c *ChatService) Cancel(localID int64) error {
	s, err := c.accounts.active()
	if err != nil {
		return err
	}
	ctx, cancel := c.ctx()
	defer cancel()
	return s.engine.Cancel(ctx, localID)
}

// Discard drops a refused message from the outbox.
func (c *ChatService) Discard(localID int64) error {
	s, err := c.accounts.active()
	if err != nil {
		return err
	}
	ctx, cancel := c.ctx()
	defer cancel()
	return s.cache.Discard(ctx, localID)
}

// MarkRead clears a conversation's unread count here and on the server.
func (c *ChatService) MarkRead(convID, seq int64) error {
	s, err := c.accounts.active()
	if err != nil {
		return err
	}
	ctx, cancel := c.ctx()
	defer cancel()
	if err := s.cache.MarkReadLocally(ctx, convID, seq); err != nil {
		return err
	}
	go func() {
		ctx, cancel := c.ctx()
		defer cancel()
		s.client.MarkRead(ctx, convID, seq) // offline: the count is cleared here; the server catches up on the next read
	}()
	c.emit(engine.EventConversations, nil)
	return nil
}

// Directory searches tenants and units for the New Chat "To" field: on the
// server when it can be reached, else in the cached copy.
func (c *ChatService) Directory(query string) (backend.Directory, error) {
	s, err := c.accounts.active()
	if err != nil {
		return backend.Directory{}, err
	}
	ctx, cancel := c.ctx()
	defer cancel()
	full, err := s.client.Directory(ctx, "")
	if err == nil {
		s.cache.PutDirectory(ctx, full)
	} else {
		var ok bool
		if full, ok, _ = s.cache.Directory(ctx); !ok {
			return backend.Directory{}, err
		}
	}
	return filterDirectory(full, query), nil
}

// filterDirectory keeps the tenants and units matching every word of query
// (any case) in names, unit, property, address, e-mail or phone.
func filterDirectory(d backend.Directory, query string) backend.Directory {
	words := strings.Fields(strings.ToLower(query))
	if len(words) == 0 {
		return d
	}
	matches := func(hay string) bool {
		for _, w := range words {
			if !strings.Contains(hay, w) {
				return false
			}
		}
		return true
	}
	out := backend.Directory{Tenants: []backend.DirectoryTenant{}, Units: []backend.DirectoryUnit{}}
	for _, t := range d.Tenants {
		hay := strings.ToLower(t.Name + " " + t.Email + " " + t.Phone)
		for _, l := range t.Leases {
			hay += strings.ToLower(" " + l.PropertyName + " " + l.UnitName)
		}
		if matches(hay) {
			out.Tenants = append(out.Tenants, t)
		}
	}
	for _, u := range d.Units {
		if matches(strings.ToLower(u.PropertyName + " " + u.Name + " " + u.Address)) {
			out.Units = append(out.Units, u)
		}
	}
	return out
}

// Start opens a chat with a tenant or a unit (the existing one if there is
// one). It needs the server.
func (c *ChatService) Start(tenantID, unitID int64) (backend.Conversation, error) {
	s, err := c.accounts.active()
	if err != nil {
		return backend.Conversation{}, err
	}
	ctx, cancel := c.ctx()
	defer cancel()
	conv, err := s.client.StartConversation(ctx, backend.StartConversation{TenantID: tenantID, UnitID: unitID})
	if err != nil {
		return conv, err
	}
	if err := s.cache.PutConversations(ctx, []backend.Conversation{conv}); err != nil {
		return conv, err
	}
	c.emit(engine.EventConversations, nil)
	return conv, nil
}

// SetDraft keeps the compose box of a conversation across switches and restarts.
func (c *ChatService) SetDraft(convID int64, text string) error {
	s, err := c.accounts.active()
	if err != nil {
		return err
	}
	ctx, cancel := c.ctx()
	defer cancel()
	return s.cache.SetDraft(ctx, convID, text)
}

// SetViewing tells which conversation is open and whether the window has
// focus, so its messages do not notify.
func (c *ChatService) SetViewing(convID int64, focused bool) error {
	s, err := c.accounts.active()
	if err != nil {
		return err
	}
	s.engine.SetViewing(convID, focused)
	return nil
}

// TenantRecord returns everything known about a tenant (Tenant Info and the
// Tenant Record): from the server when it can be reached, else the copy kept
// from the last time.
func (c *ChatService) TenantRecord(tenantID int64) (backend.TenantRecord, error) {
	s, err := c.accounts.active()
	if err != nil {
		return backend.TenantRecord{}, err
	}
	ctx, cancel := c.ctx()
	defer cancel()
	r, err := s.client.TenantRecord(ctx, tenantID)
	if err == nil {
		s.cache.PutTenantRecord(ctx, r)
		return r, nil
	}
	if code := backend.ErrorCode(err); code != backend.EUNREACHABLE && code != backend.EUNAVAILABLE {
		return r, err
	}
	cached, ok, cerr := s.cache.TenantRecord(ctx, tenantID)
	if cerr != nil || !ok {
		return backend.TenantRecord{}, err
	}
	return cached, nil
}

// GroupDetails returns the Tenant Record of every member of a conversation.
func (c *ChatService) GroupDetails(convID int64) ([]backend.TenantRecord, error) {
	s, err := c.accounts.active()
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.ctx()
	defer cancel()
	conv, ok, err := s.cache.Conversation(ctx, convID)
	if err != nil || !ok {
		return nil, backend.Errorf(backend.ENOTFOUND, "There is no such conversation.")
	}
	out := []backend.TenantRecord{}
	for _, m := range conv.Members {
		r, err := c.TenantRecord(m.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// maxAttachmentBytes is checked when a file is attached, for a clear early
// answer; the server enforces its own limit too.
const maxAttachmentBytes = 25 << 20

// AttachFiles asks for files with the native dialog (the paper-clip) and
// queues them, with caption, as one message. The paths come only from the
// dialog or a drop on the window, never from the page.
func (c *ChatService) AttachFiles(convID int64, caption string) (cache.Outgoing, error) {
	if c.OpenDialog == nil {
		return cache.Outgoing{}, backend.Errorf(backend.EUNAVAILABLE, "Attaching files is not available here.")
	}
	paths, err := c.OpenDialog()
	if err != nil || len(paths) == 0 {
		return cache.Outgoing{}, err
	}
	return c.attach(convID, caption, paths)
}

// attachDropped queues files dropped on the window for the conversation
// the landlord is looking at.
func (c *ChatService) attachDropped(paths []string) (cache.Outgoing, error) {
	s, err := c.accounts.active()
	if err != nil {
		return cache.Outgoing{}, err
	}
	conv := s.engine.Viewing()
	if conv == 0 {
		return cache.Outgoing{}, backend.Errorf(backend.EINVALID, "Open a conversation, then drop the files on it.")
	}
	return c.attach(conv, "", paths)
}

// FileDropHandler is the window's file-drop handler (for Wails
// runtime.OnFileDrop): it attaches the dropped files to the open
// conversation and tells the UI what happened. It is a function, not a
// method, so the page cannot call it with paths of its choosing.
func FileDropHandler(c *ChatService) func(x, y int, paths []string) {
	return func(_, _ int, paths []string) {
		o, err := c.attachDropped(paths)
		if err != nil {
			c.emit(EventAttachError, backend.ErrorMessage(err))
			return
		}
		c.emit(engine.EventOutbox, o.ConversationID)
	}
}

// EventAttachError carries a sentence about files that could not be attached.
const EventAttachError = "chat:attach-error"

func (c *ChatService) attach(convID int64, caption string, paths []string) (cache.Outgoing, error) {
	files := make([]cache.Attachment, len(paths))
	for i, p := range paths {
		files[i] = cache.Attachment{Path: p, Name: filepath.Base(p)}
	}
	return c.attachFiles(convID, caption, files)
}

// attachFiles checks local files and queues them as one message.
func (c *ChatService) attachFiles(convID int64, caption string, files []cache.Attachment) (cache.Outgoing, error) {
	s, err := c.accounts.active()
	if err != nil {
		return cache.Outgoing{}, err
	}
	if len(files) > backend.MaxFilesPerMessage {
		return cache.Outgoing{}, backend.Errorf(backend.ETOOLARGE, "Attach at most %d files at a time.", backend.MaxFilesPerMessage)
	}
	var atts []cache.Attachment
	for _, file := range files {
		p, name := file.Path, filestore.SafeName(file.Name)
		fi, err := os.Stat(p)
		switch {
		case err != nil || !fi.Mode().IsRegular():
			return cache.Outgoing{}, backend.Errorf(backend.EINVALID, "%s is not a file Doorstep can read.", name)
		case fi.Size() > maxAttachmentBytes:
			return cache.Outgoing{}, backend.Errorf(backend.ETOOLARGE, "%s is %d MB; files can be at most %d MB.", name, fi.Size()>>20, maxAttachmentBytes>>20)
		}
		f, err := os.Open(p)
		if err != nil {
			return cache.Outgoing{}, backend.Errorf(backend.EINVALID, "%s cannot be read.", name)
		}
		f.Close()
		atts = append(atts, cache.Attachment{Path: p, Name: name})
	}
	caption = strings.TrimSpace(caption)
	if err := (backend.SendMessage{Key: cache.NewKey(), Text: caption, FileIDs: []int64{1}}).Validate(); err != nil {
		return cache.Outgoing{}, err
	}
	ctx, cancel := c.ctx()
	defer cancel()
	o, err := s.cache.EnqueueWithFiles(ctx, convID, caption, nil, atts)
	if err != nil {
		return o, err
	}
	c.emit(engine.EventOutbox, convID)
	s.engine.Kick()
	return o, nil
}

// pastedTypes are the images that may be pasted into the compose box.
var pastedTypes = map[string]string{"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp"}

// AttachPasted queues an image pasted into the compose box. The page hands
// over the image's bytes (base64), never a path.
func (c *ChatService) AttachPasted(convID int64, name, data string) (cache.Outgoing, error) {
	return c.attachBytes(convID, name, data, true)
}

// AttachDropped queues a file dropped on the thread where the page receives
// the file itself (the browser, and webviews without native file drop): its
// bytes, never a path.
func (c *ChatService) AttachDropped(convID int64, name, data string) (cache.Outgoing, error) {
	return c.attachBytes(convID, name, data, false)
}

// attachBytes keeps bytes from the page in the app's data directory until
// they are sent, and queues them.
func (c *ChatService) attachBytes(convID int64, name, data string, imagesOnly bool) (cache.Outgoing, error) {
	if len(data) > maxAttachmentBytes/3*4+4 {
		return cache.Outgoing{}, backend.Errorf(backend.ETOOLARGE, "Files can be at most %d MB.", maxAttachmentBytes>>20)
	}
	body, err := base64.StdEncoding.DecodeString(data)
	if err != nil || len(body) == 0 {
		return cache.Outgoing{}, backend.Errorf(backend.EINVALID, "The file could not be read.")
	}
	ext, isImage := pastedTypes[http.DetectContentType(body)]
	if imagesOnly && !isImage {
		return cache.Outgoing{}, backend.Errorf(backend.EINVALID, "Only images can be pasted; attach other files with the paper-clip.")
	}
	if strings.TrimSpace(name) == "" {
		name = "Pasted image" + ext
	}
	dir := filepath.Join(c.accounts.dataDir, "incoming")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return cache.Outgoing{}, err
	}
	path := filepath.Join(dir, cache.NewKey())
	if err := os.WriteFile(path, body, 0o600); err != nil {
		return cache.Outgoing{}, err
	}
	return c.attachFiles(convID, "", []cache.Attachment{{Path: path, Name: name}})
}
