package app

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"doorstep/app/cache"
	"doorstep/backend"
	"doorstep/backend/evidence"
	"doorstep/backend/filename"
	"doorstep/internal/pdf"
)

// EventExportVerified tells the UI the outcome of checking an export that
// was dropped on the window (a VerifyOutcome).
const EventExportVerified = "export:verified"

// exportTimeout bounds an export: it may download every file it lacks.
const exportTimeout = 30 * time.Minute

// maxDroppedExport bounds an export the page hands over as bytes (a plain
// browser; the desktop window gives paths).
const maxDroppedExport = 256 << 20

// ExportService makes a conversation's record for a dispute
// (backend/export) and checks one. It works from the cache for everything
// kept on this computer, downloads the files it lacks when the server can
// be reached, has the server sign the history now, and offline uses the
// newest signature kept, saying what is missing and what is not signed.
// Paths come only from the native dialogs or a drop on the window, never
// from the page. Bound to the UI as window.go.app.ExportService.
type ExportService struct {
	accounts *AccountService
	files    *FileService
	// SaveDialog asks where to export (the native dialog in the app,
	// titled title, which says how to choose a folder), opening in dir
	// with name offered: a name ending in .zip makes a zip, any other a
	// folder. "" when the landlord cancels.
	SaveDialog func(title, dir, name string) (string, error)
	// OpenDialog asks for an export to check: its .zip, or the
	// manifest.json in its folder. "" when the landlord cancels.
	OpenDialog func(dir string) (string, error)

	now     func() time.Time
	mu      sync.Mutex
	lastDir string
	// dropped are the files the page is handing over in pieces, by id.
	dropped  map[string]*droppedFile
	verifyMu sync.Mutex // one dropped export checked at a time
}

// NewExportService returns the exports of the signed-in account.
func NewExportService(accounts *AccountService, files *FileService) *ExportService {
	return &ExportService{accounts: accounts, files: files, now: time.Now}
}

// ExportResult is what an export made, as the UI shows it.
type ExportResult struct {
	// Path is empty when the landlord cancelled the dialog.
	Path     string `json:"path"`
	Sentence string `json:"sentence"`
	// Notes say what is missing and what no signature covers.
	Notes         []string `json:"notes"`
	Conversations int      `json:"conversations"`
	Messages      int      `json:"messages"`
	Files         int      `json:"files"`
}

// VerifyOutcome is a check of an export: its report, or why there is none.
type VerifyOutcome struct {
	Name    string           `json:"name"` // the export's file or folder name
	Report  *evidence.Report `json:"report,omitempty"`
	Problem *Problem         `json:"problem,omitempty"`
}

// ExportConversation asks where, then exports one conversation.
func (e *ExportService) ExportConversation(convID int64) (ExportResult, error) {
	s, err := e.accounts.active()
	if err != nil {
		return ExportResult{}, err
	}
	conv, ok, err := s.cache.Conversation(e.accounts.life.Context(), convID)
	if err != nil || !ok {
		return ExportResult{}, backend.Errorf(backend.ENOTFOUND, "This conversation is not here.")
	}
	return e.exportTo("Export conversation", conv.Title, []backend.Conversation{conv})
}

// ExportTenant asks where, then exports every conversation with a tenant
// (one-to-one and group chats alike) as one export, each conversation in
// a folder of its own, checked together.
func (e *ExportService) ExportTenant(tenantID int64) (ExportResult, error) {
	s, err := e.accounts.active()
	if err != nil {
		return ExportResult{}, err
	}
	ctx := e.accounts.life.Context()
	all, err := s.cache.Conversations(ctx)
	if err != nil {
		return ExportResult{}, err
	}
	var convs []backend.Conversation
	name := ""
	for _, c := range all {
		i := slices.IndexFunc(c.Members, func(m backend.TenantRef) bool { return m.ID == tenantID })
		if c.TenantID == tenantID || i >= 0 {
			convs = append(convs, c)
			if i >= 0 && name == "" {
				name = c.Members[i].Name
			}
		}
	}
	if len(convs) == 0 {
		return ExportResult{}, backend.Errorf(backend.ENOTFOUND, "There is no conversation with this tenant to export.")
	}
	// Oldest first, as a reader goes through them.
	slices.SortStableFunc(convs, func(a, b backend.Conversation) int { return a.CreatedAt.Compare(b.CreatedAt) })
	if name == "" {
		name = convs[0].Title
	}
	return e.exportTo("Export all conversations", name+" – all conversations", convs)
}

// exportTo asks where to export (before the export's time starts: the
// landlord may take a while), then exports convs there.
func (e *ExportService) exportTo(dialog, title string, convs []backend.Conversation) (ExportResult, error) {
	if e.SaveDialog == nil {
		return ExportResult{}, backend.Errorf(backend.EUNAVAILABLE, "Exporting is not available here.")
	}
	offered := filename.Safe(fmt.Sprintf("%s %s.zip", title, e.now().Format("2006-01-02")))
	dest, err := e.SaveDialog(evidence.SaveAsTitle(dialog), e.dir(), offered)
	if err != nil || dest == "" {
		return ExportResult{}, err
	}
	s, err := e.accounts.active()
	if err != nil {
		return ExportResult{}, err
	}
	ctx, cancel := context.WithTimeout(e.accounts.life.Context(), exportTimeout)
	defer cancel()
	in, err := e.gather(ctx, s, convs)
	if err != nil {
		return ExportResult{}, err
	}
	sum, err := evidence.Write(dest, in, pdf.Render)
	if err != nil {
		return ExportResult{}, fileProblem(err, savingAs(filepath.Base(dest)))
	}
	e.mu.Lock()
	e.lastDir = filepath.Dir(filepath.Clean(dest))
	e.mu.Unlock()
	notes := sum.Notes
	if notes == nil {
		notes = []string{}
	}
	return ExportResult{Path: sum.Path, Sentence: sum.Sentence(), Notes: notes, Conversations: sum.Conversations,
		Messages: sum.Messages, Files: sum.SharedFiles}, nil
}

// dir is where the export dialogs open: where the last export went, else
// where Save as… opens.
func (e *ExportService) dir() string {
	e.mu.Lock()
	last := e.lastDir
	e.mu.Unlock()
	if fi, err := os.Stat(last); last != "" && err == nil && fi.IsDir() {
		return last
	}
	return e.files.saveDir()
}

// gather collects an export's input: from the server what it can give
// (a head signed now, messages and files this computer lacks, the key),
// else from the cache, noting what is missing.
func (e *ExportService) gather(ctx context.Context, s *session, convs []backend.Conversation) (evidence.Input, error) {
	online := true
	in := evidence.Input{Organisation: s.me.OrgName, Exporter: s.me.Name, ExportedAt: e.now(), Location: time.UTC}
	if loc, err := time.LoadLocation(s.me.TimeZone); err == nil && s.me.TimeZone != "" {
		in.Location = loc
	}
	for _, conv := range convs {
		c, err := e.gatherConversation(ctx, s, conv, &online)
		if err != nil {
			return in, err
		}
		in.Conversations = append(in.Conversations, c)
	}
	in.Server = e.server(ctx, s, online, in.Conversations)
	return in, nil
}

func (e *ExportService) gatherConversation(ctx context.Context, s *session, conv backend.Conversation, online *bool) (evidence.Conversation, error) {
	c := evidence.Conversation{Conversation: conv, Signature: evidence.NotSigned, Files: map[string]string{}, Missing: map[string]evidence.MissingReason{}}
	if *online {
		head, err := s.client.ChainHead(ctx, conv.ID)
		switch {
		case err == nil:
			s.cache.PutSignedHead(ctx, head)
			c.Signed, c.Signature = &head, evidence.SignedNow
		case unreachable(err):
			*online = false
		default:
			// The server refuses to sign (its stored history no longer
			// holds, say): that is the landlord's to know, not to paper over.
			return c, err
		}
	}
	if c.Signed == nil {
		if kept, ok, _ := s.cache.SignedHead(ctx, conv.ID); ok {
			c.Signed, c.Signature = &kept, evidence.SignedEarlier
		}
	}
	msgs, missing, err := e.messages(ctx, s, conv, c.Signed, c.Signature == evidence.SignedNow, online)
	if err != nil {
		return c, err
	}
	c.Messages, c.MissingMessages = msgs, missing
	if c.Signed != nil && c.Signature == evidence.SignedEarlier && !slices.ContainsFunc(msgs, func(m backend.Message) bool { return m.Seq == c.Signed.Seq }) {
		// A signature of messages this computer does not have proves
		// nothing about the ones it has.
		c.Signed, c.Signature = nil, evidence.NotSigned
	}
	for _, m := range msgs {
		for _, f := range m.Files {
			sum := strings.ToLower(f.SHA256)
			if _, done := c.Files[sum]; done || c.Missing[sum] != "" {
				continue
			}
			path, reason := e.fileAt(f, online)
			if reason != "" {
				c.Missing[sum] = reason
				continue
			}
			c.Files[sum] = path
		}
	}
	ids := make([]int64, len(conv.Members))
	for i, m := range conv.Members {
		ids[i] = m.ID
	}
	c.Tenants = s.recordsAtHand(ctx, ids, *online)
	for _, m := range conv.Members {
		if !slices.ContainsFunc(c.Tenants, func(r backend.TenantRecord) bool { return r.ID == m.ID }) {
			// The documents' header would say "none recorded" of them.
			c.MissingTenants = append(c.MissingTenants, m)
		}
	}
	return c, nil
}

// messages are a conversation's messages for its export: up to the head
// signed now, else all this computer has. Those the cache lacks (or holds
// without their hash) are fetched when the server can be reached, and kept;
// what cannot be had is returned as missing.
func (e *ExportService) messages(ctx context.Context, s *session, conv backend.Conversation, head *backend.SignedHead, signedNow bool, online *bool) ([]backend.Message, []evidence.SeqRange, error) {
	cached, err := s.cache.Messages(ctx, conv.ID, 0, 1<<30)
	if err != nil {
		return nil, nil, err
	}
	have := make(map[int64]backend.Message, len(cached))
	last := conv.LastSeq
	for _, m := range cached {
		have[m.Seq] = m
		last = max(last, m.Seq)
	}
	if signedNow {
		last = head.Seq
	}
	// From the newest down, a page of the server's at a time, wherever
	// something is lacking.
	for seq := last; seq >= 1 && *online; seq-- {
		if m, ok := have[seq]; ok && m.Hash != "" {
			continue
		}
		page, err := s.client.Messages(ctx, conv.ID, backend.MessagePage{Before: seq + 1, Limit: backend.MaxPageSize})
		if unreachable(err) {
			*online = false
			break
		}
		if err != nil {
			return nil, nil, err
		}
		if len(page) == 0 {
			break
		}
		s.cache.PutMessages(ctx, page)
		for _, m := range page {
			have[m.Seq] = m
		}
		seq = page[0].Seq // the loop goes on below the page
	}
	var out []backend.Message
	var missing []evidence.SeqRange
	for seq := int64(1); seq <= last; seq++ {
		m, ok := have[seq]
		switch {
		case ok:
			out = append(out, m)
		case len(missing) > 0 && missing[len(missing)-1].To == seq-1:
			missing[len(missing)-1].To = seq
		default:
			missing = append(missing, evidence.SeqRange{From: seq, To: seq})
		}
	}
	return out, missing, nil
}

// fileAt is the checked local copy of a shared file: the one kept from an
// earlier download, else downloaded now when the server can be reached.
func (e *ExportService) fileAt(f backend.File, online *bool) (string, evidence.MissingReason) {
	kept := filepath.Join(e.files.downloadsDir(), strings.ToLower(f.SHA256))
	if sum, err := fileSHA256(kept); err == nil && sum == strings.ToLower(f.SHA256) {
		return kept, ""
	}
	if !*online {
		return "", evidence.MissingOffline
	}
	path, err := e.files.local(f)
	switch {
	case err == nil:
		return path, ""
	case unreachable(err):
		*online = false
		return "", evidence.MissingOffline
	default:
		e.accounts.logger.Warn("export: a file could not be had", "file", f.ID, "err", err)
		return "", evidence.MissingRefused
	}
}

// server is the server and its key as the export names them: as the
// server says now, else as it said last time, else as its signatures
// carry it.
func (e *ExportService) server(ctx context.Context, s *session, online bool, convs []evidence.Conversation) evidence.Server {
	if online {
		if k, err := s.client.ServerKey(ctx); err == nil {
			s.cache.SetServerKey(ctx, k)
			return evidence.ServerFromKey(k.ServerID, k.PublicKey)
		}
	}
	if k, ok, _ := s.cache.ServerKey(ctx); ok {
		return evidence.ServerFromKey(k.ServerID, k.PublicKey)
	}
	id, _ := s.cache.ServerID(ctx)
	for _, c := range convs {
		if c.Signed != nil {
			return evidence.ServerFromKey(c.Signed.ServerID, c.Signed.PublicKey)
		}
	}
	return evidence.Server{ID: id}
}

// KeepSignedHead has the server sign a conversation's head when this
// computer keeps none up to its newest message, and keeps it: what an
// export made offline later carries. Offline it does nothing.
func (e *ExportService) KeepSignedHead(convID int64) error {
	return inSession(e.accounts, func(ctx context.Context, s *session) error {
		conv, ok, err := s.cache.Conversation(ctx, convID)
		if err != nil || !ok || conv.LastSeq == 0 {
			return err
		}
		if kept, ok, _ := s.cache.SignedHead(ctx, convID); ok && kept.Seq >= conv.LastSeq {
			return nil
		}
		head, err := s.client.ChainHead(ctx, convID)
		if err != nil {
			if unreachable(err) {
				return nil
			}
			return err
		}
		return s.cache.PutSignedHead(ctx, head)
	})
}

// ServerKey is the server's signing key and its fingerprint, for the
// About box: as the server says now, else as it said last time.
func (e *ExportService) ServerKey() (backend.ServerKey, error) {
	return withSession(e.accounts, func(ctx context.Context, s *session) (backend.ServerKey, error) {
		return fromServerOrKept(
			func() (backend.ServerKey, error) { return s.client.ServerKey(ctx) },
			func(k backend.ServerKey) { s.cache.SetServerKey(ctx, k) },
			func() (backend.ServerKey, bool, error) { return s.cache.ServerKey(ctx) })
	})
}

// VerifyExport asks for an export with the native dialog and checks it.
// A cancelled dialog gives an empty outcome.
func (e *ExportService) VerifyExport() (VerifyOutcome, error) {
	if e.OpenDialog == nil {
		return VerifyOutcome{}, backend.Errorf(backend.EUNAVAILABLE, "Checking exports is not available here.")
	}
	path, err := e.OpenDialog(e.dir())
	if err != nil || path == "" {
		return VerifyOutcome{}, err
	}
	return e.verify(path), nil
}

// verify checks the export at path: with the key of the server this app
// is signed in to when it knows it (an export of another server is
// checked with its own key, and the report says so).
func (e *ExportService) verify(path string) VerifyOutcome {
	name := filepath.Base(path)
	if name == evidence.ManifestName {
		name = filepath.Base(filepath.Dir(path))
	}
	v := evidence.Verifier{PDF: pdf.Render}
	if s, err := e.accounts.active(); err == nil {
		ctx := e.accounts.life.Context()
		if k, ok, _ := s.cache.ServerKey(ctx); ok {
			if pub, err := base64.StdEncoding.DecodeString(k.PublicKey); err == nil && len(pub) == ed25519.PublicKeySize {
				v.Trusted, v.TrustedServer = ed25519.PublicKey(pub), k.ServerID
			}
		}
		v.Kept = keptHashes(ctx, s.cache)
	}
	r, err := v.Verify(path)
	if err != nil {
		p := Describe(e.accounts.logger, err)
		return VerifyOutcome{Name: name, Problem: &p}
	}
	return VerifyOutcome{Name: name, Report: &r}
}

// keptHashes gives a check the hashes this computer keeps of the messages
// of its server's conversations, read a conversation at a time: a message
// of an export that is not the one kept here is named, even in a history
// rewritten and signed again with another key.
func keptHashes(ctx context.Context, c *cache.Cache) func(server string, conv, seq int64) (string, bool) {
	mine, _ := c.ServerID(ctx)
	byConv := map[int64]map[int64]string{}
	return func(server string, conv, seq int64) (string, bool) {
		if mine == "" || server != mine {
			return "", false
		}
		hashes, ok := byConv[conv]
		if !ok {
			hashes, _ = c.MessageHashes(ctx, conv) // unreadable: nothing to compare with
			byConv[conv] = hashes
		}
		h, ok := hashes[seq]
		return h, ok
	}
}

// DroppedFile is a file dropped on the page, checked when it is an export.
type DroppedFile struct {
	// Export says whether it is an export; if not, it is the page's to
	// attach as any dropped file.
	Export  bool          `json:"export"`
	Outcome VerifyOutcome `json:"outcome"`
}

// A .zip dropped where the page receives the file itself (a plain
// browser) comes over as bytes (base64), never as a path, and in pieces:
// the browser's connection to the app carries one piece per message, and
// a large message would not arrive whole.
type droppedFile struct {
	name string
	path string
	size int64
}

// BeginDroppedFile starts taking a .zip dropped on the page, named name;
// it returns the id its pieces are sent with.
func (e *ExportService) BeginDroppedFile(name string) (string, error) {
	dir, err := os.MkdirTemp(e.accounts.dataDir, ".dropped-export-")
	if err != nil {
		return "", fileProblem(err, keeping(filename.Safe(name)))
	}
	id := filepath.Base(dir)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.dropped == nil {
		e.dropped = map[string]*droppedFile{}
	}
	e.dropped[id] = &droppedFile{name: filename.Safe(name), path: filepath.Join(dir, filename.Safe(name))}
	return id, nil
}

// AppendDroppedFile adds the next piece (base64) of a dropped file.
func (e *ExportService) AppendDroppedFile(id, data string) error {
	e.mu.Lock()
	f := e.dropped[id]
	e.mu.Unlock()
	if f == nil {
		return backend.Errorf(backend.ENOTFOUND, "The dropped file is no longer here. Drop it again.")
	}
	body, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return backend.Errorf(backend.EINVALID, "The dropped file could not be read.")
	}
	if f.size += int64(len(body)); f.size > maxDroppedExport {
		e.discardDropped(id)
		return backend.Errorf(backend.ETOOLARGE, "This is too large to check here; use Verify an export… instead.")
	}
	out, err := os.OpenFile(f.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err == nil {
		_, err = out.Write(body)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		e.discardDropped(id)
		return fileProblem(err, keeping(f.name))
	}
	return nil
}

// VerifyDroppedFile checks a dropped file once all its pieces are in,
// when it is an export, and forgets it. What is not an export is left to
// the page, which attaches it.
func (e *ExportService) VerifyDroppedFile(id string) (DroppedFile, error) {
	e.mu.Lock()
	f := e.dropped[id]
	e.mu.Unlock()
	if f == nil {
		return DroppedFile{}, backend.Errorf(backend.ENOTFOUND, "The dropped file is no longer here. Drop it again.")
	}
	defer e.discardDropped(id)
	if !evidence.IsExport(f.path) {
		return DroppedFile{}, nil
	}
	e.verifyMu.Lock()
	defer e.verifyMu.Unlock()
	return DroppedFile{Export: true, Outcome: e.verify(f.path)}, nil
}

func (e *ExportService) discardDropped(id string) {
	e.mu.Lock()
	f := e.dropped[id]
	delete(e.dropped, id)
	e.mu.Unlock()
	if f != nil {
		os.RemoveAll(filepath.Dir(f.path))
	}
}

// ExportDropHandler is the window's file-drop handler: one export dropped
// (its folder, its .zip, or its manifest.json) is checked and the outcome
// sent to the UI (EventExportVerified); anything else goes on to attach,
// the attachments' handler. What was dropped decides, not where: an
// export is never attached to a message by a drop (the paper-clip still
// attaches one, as any file).
func ExportDropHandler(e *ExportService, attach func(x, y int, paths []string)) func(x, y int, paths []string) {
	return func(x, y int, paths []string) {
		if len(paths) != 1 || !evidence.IsExport(paths[0]) {
			attach(x, y, paths)
			return
		}
		go func() {
			e.verifyMu.Lock()
			defer e.verifyMu.Unlock()
			e.accounts.emit(EventExportVerified, e.verify(paths[0]))
		}()
	}
}
