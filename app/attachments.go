package app

import (
	"context"
	"path/filepath"

	"doorstep/app/attach"
	"doorstep/app/cache"
	"doorstep/backend"
	"doorstep/backend/filename"
)

// EventDraftFiles tells the UI that a conversation's draft files changed
// outside a call of its own (files dropped on the window); the data is the
// conversation's id.
const EventDraftFiles = "chat:draft-files"

// EventAttachError tells the UI that files dropped on the window could not
// be attached; the data is a Problem, as a failed call would reject with.
const EventAttachError = "chat:attach-error"

// AttachmentService is the compose box's files: attached with the
// paper-clip, pasted, or dropped, they wait in the conversation's draft,
// beside the text that becomes their caption, until the landlord presses
// Send. Each is checked against the server's limits when it is attached.
// Local paths come only from the native dialog or a drop on the window,
// never from the page. Bound to the UI as window.go.app.AttachmentService.
type AttachmentService struct {
	accounts *AccountService
	incoming attach.Incoming
	// OpenDialog asks for files to attach (the native dialog in the app).
	OpenDialog func() ([]string, error)
}

// NewAttachmentService returns the attachments of the signed-in account.
func NewAttachmentService(accounts *AccountService) *AttachmentService {
	return &AttachmentService{accounts: accounts, incoming: attach.IncomingDir(accounts.dataDir)}
}

// AttachFiles asks for files with the native dialog (the paper-clip) and
// adds them to the conversation's draft. It returns the draft's files; a
// cancelled dialog changes nothing.
func (a *AttachmentService) AttachFiles(convID int64) ([]cache.DraftFile, error) {
	if a.OpenDialog == nil {
		return nil, backend.Errorf(backend.EUNAVAILABLE, "Attaching files is not available here.")
	}
	paths, err := a.OpenDialog() // before the call's time starts: the landlord may take a while
	if err != nil {
		return nil, err
	}
	return withSession(a.accounts, func(ctx context.Context, s *session) ([]cache.DraftFile, error) {
		return a.addDraftFiles(ctx, s, convID, filesAt(paths))
	})
}

// AttachPastedImage adds an image pasted into the compose box to the
// draft. The page hands over the image's bytes (base64), never a path.
func (a *AttachmentService) AttachPastedImage(convID int64, name, data string) ([]cache.DraftFile, error) {
	return a.attachBytes(convID, name, data, true)
}

// AttachDroppedBytes adds a file dropped on the thread to the draft where
// the page receives the file itself (the browser, and webviews without
// native file drop): its bytes (base64), never a path. In the desktop
// window a drop reaches Go as paths instead (FileDropHandler).
func (a *AttachmentService) AttachDroppedBytes(convID int64, name, data string) ([]cache.DraftFile, error) {
	return a.attachBytes(convID, name, data, false)
}

// Remove takes a file out of a conversation's draft (the app's own copy of
// a pasted or dropped file is deleted) and returns the draft's files.
func (a *AttachmentService) Remove(convID, id int64) ([]cache.DraftFile, error) {
	return withSession(a.accounts, func(ctx context.Context, s *session) ([]cache.DraftFile, error) {
		f, ok, err := s.cache.RemoveDraftFile(ctx, convID, id)
		if err != nil {
			return nil, err
		}
		if ok {
			a.incoming.Discard(f.Path)
		}
		return s.cache.DraftFiles(ctx, convID)
	})
}

// DraftThumbnail returns an image in a conversation's draft as a data: URL
// for the attachment tray, or "" when it is not an image the webview shows.
func (a *AttachmentService) DraftThumbnail(convID, id int64) (string, error) {
	return withSession(a.accounts, func(ctx context.Context, s *session) (string, error) {
		files, err := s.cache.DraftFiles(ctx, convID)
		if err != nil {
			return "", err
		}
		for _, f := range files {
			if f.ID == id {
				return attach.ImageDataURL(f.Path, f.ContentType, f.Size), nil
			}
		}
		return "", nil
	})
}

// FileDropHandler is the window's file-drop handler (for Wails
// runtime.OnFileDrop): it adds the dropped files to the open conversation's
// draft and tells the UI what happened. It is a function, not a method, so
// the page cannot call it with paths of its choosing.
func FileDropHandler(a *AttachmentService) func(x, y int, paths []string) {
	return func(_, _ int, paths []string) {
		conv, err := a.attachDroppedPaths(paths)
		if err != nil {
			a.accounts.emit(EventAttachError, Describe(a.accounts.logger, err))
			return
		}
		a.accounts.emit(EventDraftFiles, conv)
	}
}

// attachDroppedPaths adds files dropped on the window (their paths, from
// the window system) to the draft of the conversation the landlord is
// looking at, and returns that conversation's id.
func (a *AttachmentService) attachDroppedPaths(paths []string) (int64, error) {
	return withSession(a.accounts, func(ctx context.Context, s *session) (int64, error) {
		conv := s.engine.Viewing()
		if conv == 0 {
			return 0, backend.Errorf(backend.EINVALID, "Open a conversation, then drop the files on it.")
		}
		_, err := a.addDraftFiles(ctx, s, conv, filesAt(paths))
		return conv, err
	})
}

// attachBytes keeps a file the page handed over in the app's own folder
// until it is sent or removed, and adds it to the draft.
func (a *AttachmentService) attachBytes(convID int64, name, data string, imagesOnly bool) ([]cache.DraftFile, error) {
	return withSession(a.accounts, func(ctx context.Context, s *session) ([]cache.DraftFile, error) {
		body, name, err := attach.FromPage(name, data, imagesOnly, s.limits(ctx).MaxUploadBytes)
		if err != nil {
			return nil, err
		}
		path, err := a.incoming.Keep(body)
		if err != nil {
			return nil, fileProblem(err, keeping(filename.Safe(name)))
		}
		files, err := a.addDraftFiles(ctx, s, convID, []cache.DraftFile{{Path: path, Name: name}})
		if err != nil {
			a.incoming.Discard(path)
		}
		return files, err
	})
}

// addDraftFiles checks local files against the server's limits and adds
// them to a conversation's draft, all or none. It returns the draft's files.
func (a *AttachmentService) addDraftFiles(ctx context.Context, s *session, convID int64, files []cache.DraftFile) ([]cache.DraftFile, error) {
	if len(files) == 0 {
		return s.cache.DraftFiles(ctx, convID)
	}
	if err := s.writable(ctx, convID); err != nil {
		return nil, err
	}
	limits := s.limits(ctx)
	for i := range files {
		files[i].Name = filename.Safe(files[i].Name)
		info, err := attach.Check(files[i].Path, files[i].Name, limits.MaxUploadBytes)
		if err != nil {
			return nil, err
		}
		files[i].Size, files[i].ContentType = info.Size, info.ContentType
	}
	if err := s.cache.AddDraftFiles(ctx, convID, files, limits.MaxFilesPerMessage); err != nil {
		return nil, err
	}
	return s.cache.DraftFiles(ctx, convID)
}

// filesAt are draft files for local paths, named by their base names.
func filesAt(paths []string) []cache.DraftFile {
	files := make([]cache.DraftFile, len(paths))
	for i, p := range paths {
		files[i] = cache.DraftFile{Path: p, Name: filepath.Base(p)}
	}
	return files
}
