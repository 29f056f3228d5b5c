package app

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"doorstep/app/cache"
	"doorstep/app/engine"
	"doorstep/backend"
	"doorstep/backend/filename"
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
	// DraftFiles are the files attached and not sent yet.
	DraftFiles []cache.DraftFile `json:"draftFiles"`
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
	t := Thread{Messages: msgs, Outbox: []cache.Outgoing{}, DraftFiles: []cache.DraftFile{}}
	t.HasMore = len(msgs) > 0 && msgs[0].Seq > 1
	if before == 0 {
		if t.Outbox, err = s.cache.Outbox(ctx, convID); err != nil {
			return t, err
		}
		t.Draft, _ = s.cache.Draft(ctx, convID)
		if t.DraftFiles, err = s.cache.DraftFiles(ctx, convID); err != nil {
			return t, err
		}
	}
	return t, nil
}

// Send puts the compose box's message in the outbox (durably, before any
// network call) and wakes the sender: the text, with the draft's files if
// any (the text is then an optional caption). The message shows as sending
// until the server confirms.
func (c *ChatService) Send(convID int64, text string) (cache.Outgoing, error) {
	s, err := c.accounts.active()
	if err != nil {
		return cache.Outgoing{}, err
	}
	ctx, cancel := c.ctx()
	defer cancel()
	if err := writable(ctx, s, convID); err != nil {
		return cache.Outgoing{}, err
	}
	files, err := s.cache.DraftFiles(ctx, convID)
	if err != nil {
		return cache.Outgoing{}, err
	}
	msg := backend.SendMessage{Key: cache.NewKey(), Text: strings.TrimRight(text, " \t\r\n")}
	for _, f := range files {
		// The file may have changed or gone since it was attached.
		if err := checkLocalFile(&f); err != nil {
			return cache.Outgoing{}, backend.Errorf(backend.ErrorCode(err), "%s Remove it and attach it again.", backend.ErrorMessage(err))
		}
		msg.FileIDs = append(msg.FileIDs, f.ID) // stands in for the ids the upload will give
	}
	if len(files) > 0 {
		msg.Text = strings.TrimSpace(msg.Text)
	}
	if err := msg.Validate(); err != nil {
		return cache.Outgoing{}, err
	}
	o, err := s.cache.SendDraft(ctx, convID, msg.Text)
	if err != nil {
		return o, err
	}
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
	return fromServerOrKept(ctx,
		func() (backend.TenantRecord, error) { return s.client.TenantRecord(ctx, tenantID) },
		func(r backend.TenantRecord) { s.cache.PutTenantRecord(ctx, r) },
		func() (backend.TenantRecord, bool, error) { return s.cache.TenantRecord(ctx, tenantID) })
}

// DeliveryLog tells how the tenants of a conversation were told of it: each
// e-mail and text message, sent, waiting, failed or skipped, newest first.
// From the server when it can be reached, else the copy kept last time.
func (c *ChatService) DeliveryLog(convID int64) ([]backend.Notification, error) {
	s, err := c.accounts.active()
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.ctx()
	defer cancel()
	return fromServerOrKept(ctx,
		func() ([]backend.Notification, error) { return s.client.ConversationNotifications(ctx, convID) },
		func(log []backend.Notification) { s.cache.PutDeliveryLog(ctx, convID, log) },
		func() ([]backend.Notification, bool, error) { return s.cache.DeliveryLog(ctx, convID) })
}

// fromServerOrKept asks the server (fetch) and keeps its answer (keep); when
// the server cannot be reached it returns the copy kept last time (kept), or
// the server's error if there is none. Any other error is returned as is.
func fromServerOrKept[T any](ctx context.Context, fetch func() (T, error), keep func(T), kept func() (T, bool, error)) (T, error) {
	v, err := fetch()
	if err == nil {
		keep(v)
		return v, nil
	}
	var zero T
	if code := backend.ErrorCode(err); code != backend.EUNREACHABLE && code != backend.EUNAVAILABLE {
		return zero, err
	}
	cached, ok, cerr := kept()
	if cerr != nil || !ok {
		return zero, err
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

// EventDraftFiles tells the UI that a conversation's draft files changed
// outside a call of its own (files dropped on the window); the data is the
// conversation's id.
const EventDraftFiles = "chat:draft-files"

// EventAttachError tells the UI that files dropped on the window could not
// be attached; the data is a Problem, as a failed call would reject with.
const EventAttachError = "chat:attach-error"

// AttachFiles asks for files with the native dialog (the paper-clip) and
// adds them to the conversation's draft, where they wait, beside the text
// that becomes their caption, until the landlord presses Send. The paths
// come only from the dialog or a drop on the window, never from the page.
// It returns the draft's files; a cancelled dialog changes nothing.
func (c *ChatService) AttachFiles(convID int64) ([]cache.DraftFile, error) {
	if c.OpenDialog == nil {
		return nil, backend.Errorf(backend.EUNAVAILABLE, "Attaching files is not available here.")
	}
	paths, err := c.OpenDialog()
	if err != nil {
		return nil, err
	}
	return c.attach(convID, paths)
}

// attachDropped adds files dropped on the window to the draft of the
// conversation the landlord is looking at.
func (c *ChatService) attachDropped(paths []string) (int64, error) {
	s, err := c.accounts.active()
	if err != nil {
		return 0, err
	}
	conv := s.engine.Viewing()
	if conv == 0 {
		return 0, backend.Errorf(backend.EINVALID, "Open a conversation, then drop the files on it.")
	}
	_, err = c.attach(conv, paths)
	return conv, err
}

// FileDropHandler is the window's file-drop handler (for Wails
// runtime.OnFileDrop): it adds the dropped files to the open conversation's
// draft and tells the UI what happened. It is a function, not a method, so
// the page cannot call it with paths of its choosing.
func FileDropHandler(c *ChatService) func(x, y int, paths []string) {
	return func(_, _ int, paths []string) {
		conv, err := c.attachDropped(paths)
		if err != nil {
			c.emit(EventAttachError, Describe(c.accounts.logger, err))
			return
		}
		c.emit(EventDraftFiles, conv)
	}
}

func (c *ChatService) attach(convID int64, paths []string) ([]cache.DraftFile, error) {
	files := make([]cache.DraftFile, len(paths))
	for i, p := range paths {
		files[i] = cache.DraftFile{Path: p, Name: filepath.Base(p)}
	}
	return c.addDraftFiles(convID, files)
}

// checkLocalFile makes sure a file can be sent: a regular, readable file
// within the size limit. It fills in the size and the sniffed type.
func checkLocalFile(f *cache.DraftFile) error {
	fi, err := os.Stat(f.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return backend.Errorf(backend.EINVALID, "%s is no longer there.", f.Name)
	case errors.Is(err, fs.ErrPermission):
		return backend.Errorf(backend.EINVALID, "Doorstep is not allowed to read %s.", f.Name)
	case err != nil || !fi.Mode().IsRegular():
		return backend.Errorf(backend.EINVALID, "%s is not a file Doorstep can read.", f.Name)
	case fi.Size() == 0:
		return backend.Errorf(backend.EINVALID, "%s is empty.", f.Name)
	case fi.Size() > maxAttachmentBytes:
		return backend.Errorf(backend.ETOOLARGE, "%s is %d MB; files can be at most %d MB.", f.Name, fi.Size()>>20, maxAttachmentBytes>>20)
	}
	fh, err := os.Open(f.Path)
	if errors.Is(err, fs.ErrPermission) {
		return backend.Errorf(backend.EINVALID, "Doorstep is not allowed to read %s.", f.Name)
	} else if err != nil {
		return backend.Errorf(backend.EINVALID, "%s cannot be read.", f.Name)
	}
	defer fh.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(fh, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return backend.Errorf(backend.EINVALID, "%s cannot be read.", f.Name)
	}
	f.Size = fi.Size()
	f.ContentType = http.DetectContentType(head[:n])
	return nil
}

// writable refuses, before anything is queued, a conversation that is not
// kept here or that the server has closed because no member can read new
// messages any more (its reason is the server's sentence).
func writable(ctx context.Context, s *session, convID int64) error {
	conv, ok, err := s.cache.Conversation(ctx, convID)
	if err != nil || !ok {
		return backend.Errorf(backend.ENOTFOUND, "This conversation is not here.")
	}
	if conv.ReadOnly {
		return backend.Errorf(backend.ETENANTNOTACTIVE, "%s", conv.ReadOnlyReason)
	}
	return nil
}

// addDraftFiles checks local files and adds them to a conversation's
// draft, all or none. It returns the draft's files.
func (c *ChatService) addDraftFiles(convID int64, files []cache.DraftFile) ([]cache.DraftFile, error) {
	s, err := c.accounts.active()
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.ctx()
	defer cancel()
	if len(files) == 0 {
		return s.cache.DraftFiles(ctx, convID)
	}
	if err := writable(ctx, s, convID); err != nil {
		return nil, err
	}
	for i := range files {
		files[i].Name = filename.Safe(files[i].Name)
		if err := checkLocalFile(&files[i]); err != nil {
			return nil, err
		}
	}
	if err := s.cache.AddDraftFiles(ctx, convID, files); err != nil {
		return nil, err
	}
	return s.cache.DraftFiles(ctx, convID)
}

// RemoveAttachment takes a file out of a conversation's draft (the app's
// own copy of a pasted or dropped file is deleted) and returns the draft's
// files.
func (c *ChatService) RemoveAttachment(convID, id int64) ([]cache.DraftFile, error) {
	s, err := c.accounts.active()
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.ctx()
	defer cancel()
	f, ok, err := s.cache.RemoveDraftFile(ctx, convID, id)
	if err != nil {
		return nil, err
	}
	if ok && filepath.Dir(f.Path) == c.incomingDir() {
		os.Remove(f.Path)
	}
	return s.cache.DraftFiles(ctx, convID)
}

// incomingDir keeps the app's copies of pasted files and of files dropped
// where the page receives them, until they are sent or removed.
func (c *ChatService) incomingDir() string { return incomingDir(c.accounts.dataDir) }

// pastedTypes are the images that may be pasted into the compose box.
var pastedTypes = map[string]string{"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp"}

// AttachPasted adds an image pasted into the compose box to the draft. The
// page hands over the image's bytes (base64), never a path.
func (c *ChatService) AttachPasted(convID int64, name, data string) ([]cache.DraftFile, error) {
	return c.attachBytes(convID, name, data, true)
}

// AttachDropped adds a file dropped on the thread to the draft where the
// page receives the file itself (the browser, and webviews without native
// file drop): its bytes, never a path.
func (c *ChatService) AttachDropped(convID int64, name, data string) ([]cache.DraftFile, error) {
	return c.attachBytes(convID, name, data, false)
}

// attachBytes keeps bytes from the page in the app's data directory until
// they are sent or removed, and adds them to the draft.
func (c *ChatService) attachBytes(convID int64, name, data string, imagesOnly bool) ([]cache.DraftFile, error) {
	if len(data) > maxAttachmentBytes/3*4+4 {
		return nil, backend.Errorf(backend.ETOOLARGE, "Files can be at most %d MB.", maxAttachmentBytes>>20)
	}
	body, err := base64.StdEncoding.DecodeString(data)
	if err != nil || len(body) == 0 {
		return nil, backend.Errorf(backend.EINVALID, "The file could not be read.")
	}
	ext, isImage := pastedTypes[http.DetectContentType(body)]
	if imagesOnly && !isImage {
		return nil, backend.Errorf(backend.EINVALID, "Only images can be pasted; attach other files with the paper-clip.")
	}
	if strings.TrimSpace(name) == "" {
		name = "Pasted image" + ext
	}
	if err := os.MkdirAll(c.incomingDir(), 0o700); err != nil {
		return nil, fileProblem(err, keeping(filename.Safe(name)))
	}
	path := filepath.Join(c.incomingDir(), cache.NewKey())
	if err := os.WriteFile(path, body, 0o600); err != nil {
		os.Remove(path)
		return nil, fileProblem(err, keeping(filename.Safe(name)))
	}
	files, err := c.addDraftFiles(convID, []cache.DraftFile{{Path: path, Name: name}})
	if err != nil {
		os.Remove(path)
	}
	return files, err
}

// DraftThumbnail returns an image in a conversation's draft as a data: URL
// for the attachment tray, or "" when it is not an image the webview shows.
func (c *ChatService) DraftThumbnail(convID, id int64) (string, error) {
	s, err := c.accounts.active()
	if err != nil {
		return "", err
	}
	ctx, cancel := c.ctx()
	defer cancel()
	files, err := s.cache.DraftFiles(ctx, convID)
	if err != nil {
		return "", err
	}
	for _, f := range files {
		if f.ID == id {
			return imageDataURL(f.Path, f.ContentType, f.Size)
		}
	}
	return "", nil
}
