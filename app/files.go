package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"doorstep/app/attach"
	"doorstep/backend"
	"doorstep/backend/filename"
)

// FileService is View Files: the files shared in a conversation, opened or
// saved again. Downloads are kept in the app's data directory under their
// SHA-256, checked on the way in and on every use, so files already seen open
// offline. Nothing is opened or run unless the landlord asks. Bound to the UI
// as window.go.app.FileService.
type FileService struct {
	accounts *AccountService
	// SaveDialog asks where to save a file (the native dialog in the app),
	// opening in dir with name offered; it returns "" when the landlord
	// cancels.
	SaveDialog func(dir, name string) (string, error)
	// SaveDirs are the folders the first Save as… may open in, the first
	// that exists winning (the user's Downloads folder, then home); later
	// ones open where the landlord saved last.
	SaveDirs []string

	mu       sync.Mutex
	lastSave string // the folder of the last Save as…
	// OpenWith hands a file to the system's default application.
	OpenWith func(path string) error
}

// NewFileService returns the file service of the signed-in account.
func NewFileService(accounts *AccountService) *FileService {
	f := &FileService{accounts: accounts, OpenWith: openWithSystem}
	if home, err := os.UserHomeDir(); err == nil {
		f.SaveDirs = []string{filepath.Join(home, "Downloads"), home}
	}
	return f
}

// saveDir is the folder Save as… opens in.
func (f *FileService) saveDir() string {
	f.mu.Lock()
	last := f.lastSave
	f.mu.Unlock()
	for _, dir := range append([]string{last}, f.SaveDirs...) {
		if fi, err := os.Stat(dir); dir != "" && err == nil && fi.IsDir() {
			return dir
		}
	}
	return ""
}

// Files lists the files shared in a conversation, newest first: from the
// server when it can be reached, else from the cached messages.
func (f *FileService) Files(convID int64) ([]backend.SharedFile, error) {
	return withSession(f.accounts, func(ctx context.Context, s *session) ([]backend.SharedFile, error) {
		list, err := s.client.ConversationFiles(ctx, convID)
		if err == nil || !unreachable(err) {
			return list, err
		}
		return s.sharedFilesKept(ctx, convID)
	})
}

// sharedFilesKept lists the files of a conversation's cached messages,
// newest first.
func (s *session) sharedFilesKept(ctx context.Context, convID int64) ([]backend.SharedFile, error) {
	msgs, err := s.cache.Messages(ctx, convID, 0, 1<<30)
	if err != nil {
		return nil, err
	}
	out := []backend.SharedFile{}
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, file := range msgs[i].Files {
			out = append(out, backend.SharedFile{File: file, MessageID: msgs[i].ID, Seq: msgs[i].Seq, SharedBy: msgs[i].Sender, SharedAt: msgs[i].CreatedAt})
		}
	}
	return out, nil
}

// downloadsDir is where downloaded files are kept, named by their hash.
func (f *FileService) downloadsDir() string { return filepath.Join(f.accounts.dataDir, "downloads") }

// local returns the checked local copy of a file, downloading it if needed.
func (f *FileService) local(file backend.File) (string, error) {
	if len(file.SHA256) != 64 || strings.Trim(file.SHA256, "0123456789abcdef") != "" {
		return "", backend.Errorf(backend.EINVALID, "This file has no valid checksum.")
	}
	path := filepath.Join(f.downloadsDir(), file.SHA256)
	if sum, err := fileSHA256(path); err == nil && sum == file.SHA256 {
		return path, nil
	}
	s, err := f.accounts.active()
	if err != nil {
		return "", err
	}
	name := filename.Safe(file.Name)
	if err := os.MkdirAll(f.downloadsDir(), 0o700); err != nil {
		return "", fileProblem(err, keeping(name))
	}
	tmp, err := os.CreateTemp(f.downloadsDir(), ".download-*")
	if err != nil {
		return "", fileProblem(err, keeping(name))
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	ctx, cancel := context.WithTimeout(f.accounts.life.Context(), 30*time.Minute)
	defer cancel()
	w := &writeRecorder{w: tmp}
	if _, _, err := s.client.DownloadFile(ctx, file.ID, w); err != nil { // checks the SHA-256
		switch {
		case w.err != nil: // this computer could not keep what came
			return "", fileProblem(w.err, keeping(name))
		case backend.ErrorCode(err) == backend.EINTERNAL: // the connection broke midway
			return "", &withDetail{public: backend.Errorf(backend.EUNREACHABLE, "The connection to the server broke while downloading %s. Please try again.", name), detail: err}
		}
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		return "", fileProblem(err, keeping(name))
	}
	if err := tmp.Close(); err != nil {
		return "", fileProblem(err, keeping(name))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fileProblem(err, keeping(name))
	}
	return path, nil
}

// writeRecorder remembers the first error of the writer it wraps, telling
// a download that this computer could not keep from one the network cut.
type writeRecorder struct {
	w   io.Writer
	err error
}

func (r *writeRecorder) Write(p []byte) (int, error) {
	n, err := r.w.Write(p)
	if err != nil && r.err == nil {
		r.err = err
	}
	return n, err
}

func fileSHA256(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Open downloads a file (or uses the kept copy) and opens it with the
// system's default application, under its own, sanitised name.
func (f *FileService) Open(file backend.File) error {
	path, err := f.local(file)
	if err != nil {
		return err
	}
	name := filename.Safe(file.Name)
	named := filepath.Join(f.downloadsDir(), "open", file.SHA256[:16], name)
	if err := os.MkdirAll(filepath.Dir(named), 0o700); err != nil {
		return fileProblem(err, keeping(name))
	}
	if err := copyFile(path, named); err != nil {
		return fileProblem(err, keeping(name))
	}
	if f.OpenWith == nil || f.OpenWith(named) != nil {
		return backend.Errorf(backend.EUNAVAILABLE, "No application on this computer opens this file; use Save as… instead.")
	}
	return nil
}

// SaveAs asks where to save a file and writes it there. The name offered is
// sanitised, and the file lands exactly where the landlord chose.
func (f *FileService) SaveAs(file backend.File) (string, error) {
	if f.SaveDialog == nil {
		return "", backend.Errorf(backend.EUNAVAILABLE, "Saving files is not available here.")
	}
	dest, err := f.SaveDialog(f.saveDir(), filename.Safe(file.Name))
	if err != nil || dest == "" {
		return "", err
	}
	if err := f.saveTo(file, dest); err != nil {
		return "", err
	}
	f.mu.Lock()
	f.lastSave = filepath.Dir(filepath.Clean(dest))
	f.mu.Unlock()
	return dest, nil
}

// saveTo writes a file to dest, a path the landlord chose in the dialog
// (not bound: the UI cannot name a path itself).
func (f *FileService) saveTo(file backend.File, dest string) error {
	path, err := f.local(file)
	if err != nil {
		return err
	}
	return fileProblem(copyFile(path, filepath.Clean(dest)), savingAs(filename.Safe(file.Name)))
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	tmp := to + ".part"
	dst, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		os.Remove(tmp)
		return fmt.Errorf("save: %w", err)
	}
	if err := dst.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("save: %w", err)
	}
	if err := os.Rename(tmp, to); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("save: %w", err)
	}
	return nil
}

// openWithSystem opens a file with the default application: xdg-open on
// Linux, open on macOS, the shell's "start" on Windows. The path is passed
// as an argument, never through a shell.
func openWithSystem(path string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", path)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", path)
	default:
		cmd = exec.Command("xdg-open", path)
	}
	return cmd.Start()
}

// Thumbnail returns an image file as a data: URL for the thread and View
// Files (downloaded and checked like any file, so it works offline once
// seen), or "" when the file is not an image the webview can show.
func (f *FileService) Thumbnail(file backend.File) (string, error) {
	ct, _, _ := strings.Cut(file.ContentType, ";")
	if !attach.Showable(ct, file.Size) {
		return "", nil
	}
	path, err := f.local(file)
	if err != nil {
		return "", err
	}
	return attach.ImageDataURL(path, ct, file.Size), nil
}
