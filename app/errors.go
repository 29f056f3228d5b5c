package app

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"syscall"

	"doorstep/app/cache"
	"doorstep/backend"
)

// Problem is a failed call as the UI receives it: every bound method that
// fails rejects its promise with one (see ErrorFormatter). Code is one of
// backend.Codes, Message a sentence for the landlord, RetryAfter the seconds
// to wait before trying again (rate_limited, unavailable), 0 if none.
type Problem struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	RetryAfter int    `json:"retry_after,omitempty"`
}

// SomethingWentWrong is the sentence for a failure with nothing meant for
// people in it: a bug, or a fault of this computer nobody foresaw.
const SomethingWentWrong = "Something went wrong in Doorstep. Please try again; if it keeps happening, restart Doorstep."

// ErrorFormatter is the app's Wails ErrorFormatter (options.App): it turns
// the error of any bound method into a Problem, logging what people are not
// shown.
func ErrorFormatter(logger *slog.Logger) func(error) any {
	return func(err error) any { return Describe(logger, err) }
}

// Describe turns an error into what the landlord may read. A *backend.Error
// (the server's, or one of the app's own sentences) keeps its code, message
// and RetryAfter; trouble with this computer's storage (a full disk, say)
// is unavailable with a sentence for it; anything else is internal with
// SomethingWentWrong. The error's text (which may name paths or hold Go
// internals) goes only to the log.
func Describe(logger *slog.Logger, err error) Problem {
	var e *backend.Error
	if errors.As(err, &e) && e.Code != "" {
		var d *withDetail
		if errors.As(err, &d) {
			logger.Warn("problem on this computer", "code", e.Code, "err", d.detail)
		}
		p := Problem{Code: e.Code, Message: e.Message, RetryAfter: e.RetryAfter}
		if p.Message == "" {
			p.Message = SomethingWentWrong
		}
		return p
	}
	if t, ok := cache.StorageTrouble(err); ok {
		logger.Warn("problem with this computer's storage", "trouble", t, "err", err)
		msg, wait := localStorageAnswer(t)
		return Problem{Code: backend.EUNAVAILABLE, Message: msg, RetryAfter: wait}
	}
	logger.Error("unexpected error", "err", err)
	return Problem{Code: backend.EINTERNAL, Message: SomethingWentWrong}
}

// localStorageAnswer is the sentence, and the seconds to wait, for trouble
// with the storage under Doorstep's own data on this computer (its cache,
// outbox and drafts): not a bug, and not the landlord's doing.
func localStorageAnswer(t backend.StorageTrouble) (string, int) {
	switch t {
	case backend.StorageFull:
		return "This computer's disk is full, so Doorstep could not do this. Free some space and try again.", 30
	case backend.StorageReadOnly, backend.StorageDenied:
		return "Doorstep cannot write to its data folder on this computer. Check that the disk is not read-only and that the folder is yours, then try again.", 30
	case backend.StorageBusy:
		return "Doorstep is busy with its data on this computer. Please try again in a moment.", 2
	case backend.StorageCorrupt, backend.StorageCannotOpen:
		return "Doorstep cannot read its copy of your messages on this computer. Restart Doorstep; your messages are kept safe on the server.", 30
	default:
		return "This computer's disk reports errors, so Doorstep could not do this. Please try again; if it keeps happening, check the disk.", 30
	}
}

// withDetail is a sentence for the landlord (public) with the system's
// account of what happened (detail) kept for the log: errors.As finds the
// sentence, errors.Is the cause.
type withDetail struct {
	public *backend.Error
	detail error
}

func (e *withDetail) Error() string   { return fmt.Sprintf("%v (%v)", e.public, e.detail) }
func (e *withDetail) Unwrap() []error { return []error{e.public, e.detail} }

// fileSentences say what went wrong with a file on this computer, by cause.
type fileSentences struct {
	noSpace    string // the disk (or the user's quota) is full
	notAllowed string // permission denied, or a read-only file system
	gone       string // the file or its folder is not there
	other      string // anything else
}

// fileProblem explains a failed file operation on this computer with the
// sentence for its cause; the system's text, which names paths, stays in
// the log. An error that already has a sentence is returned as it is.
func fileProblem(err error, s fileSentences) error {
	if err == nil {
		return nil
	}
	var e *backend.Error
	if errors.As(err, &e) {
		return err
	}
	var public *backend.Error
	switch {
	case diskFull(err):
		public = backend.Errorf(backend.EUNAVAILABLE, "%s", s.noSpace)
	case errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS):
		public = backend.Errorf(backend.EFORBIDDEN, "%s", s.notAllowed)
	case errors.Is(err, fs.ErrNotExist):
		public = backend.Errorf(backend.ENOTFOUND, "%s", s.gone)
	default:
		public = backend.Errorf(backend.EINTERNAL, "%s", s.other)
	}
	return &withDetail{public: public, detail: err}
}

// diskFull reports whether err says there is no space left to write.
func diskFull(err error) bool {
	for _, errno := range diskFullErrnos {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}

// savingAs are the sentences for a file the landlord saves where they chose.
func savingAs(name string) fileSentences {
	return fileSentences{
		noSpace:    fmt.Sprintf("There is not enough space to save %s there. Free some space, or choose another place.", name),
		notAllowed: fmt.Sprintf("Doorstep is not allowed to save %s in that folder. Choose another folder.", name),
		gone:       "That folder is no longer there. Choose another folder.",
		other:      fmt.Sprintf("%s could not be saved there. Try again, or choose another place.", name),
	}
}

// keeping are the sentences for a file Doorstep keeps in its own data
// folder (downloads, attached copies, the remembered account).
func keeping(what string) fileSentences {
	return fileSentences{
		noSpace:    fmt.Sprintf("There is not enough space on this computer to keep %s. Free some space and try again.", what),
		notAllowed: fmt.Sprintf("Doorstep is not allowed to write in its data folder, so it cannot keep %s.", what),
		gone:       fmt.Sprintf("Doorstep's data folder is no longer there, so it cannot keep %s. Restart Doorstep.", what),
		other:      fmt.Sprintf("Doorstep could not keep %s on this computer. Please try again.", what),
	}
}
