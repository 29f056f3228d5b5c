package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"syscall"
	"testing"

	"doorstep/backend"
)

// logTo is a logger whose lines land in buf.
func logTo(buf *bytes.Buffer) *slog.Logger { return slog.New(slog.NewTextHandler(buf, nil)) }

func TestDescribe(t *testing.T) {
	t.Parallel()
	secret := &fs.PathError{Op: "open", Path: "/home/landlord/Downloads/x.pdf.part", Err: syscall.EINVAL}
	for name, tc := range map[string]struct {
		err     error
		want    Problem
		logged  string // in the log, never in the message
		logless bool
	}{
		"ServerSentenceKept": {err: backend.Errorf(backend.EMAINUSERONLY, "Chat is available to the main account only."),
			want: Problem{Code: backend.EMAINUSERONLY, Message: "Chat is available to the main account only."}, logless: true},
		"WrappedServerSentenceKept": {err: fmt.Errorf("start chat: %w", backend.Errorf(backend.ETENANTNOTACTIVE, "Maria's lease has ended.")),
			want: Problem{Code: backend.ETENANTNOTACTIVE, Message: "Maria's lease has ended."}, logless: true},
		"RateLimitedCarriesRetryAfter": {err: &backend.Error{Code: backend.ERATELIMITED, Message: "Too many attempts. Try again in 30 seconds.", RetryAfter: 30},
			want: Problem{Code: backend.ERATELIMITED, Message: "Too many attempts. Try again in 30 seconds.", RetryAfter: 30}, logless: true},
		"ErrForeignIsInternal": {err: fmt.Errorf("save: %w", secret),
			want: Problem{Code: backend.EINTERNAL, Message: SomethingWentWrong}, logged: "/home/landlord/Downloads/x.pdf.part"},
		"ErrNoSentenceIsInternal": {err: &backend.Error{Code: backend.EINVALID},
			want: Problem{Code: backend.EINVALID, Message: SomethingWentWrong}, logless: true},
		"FailingDiskIsUnavailable": {err: fmt.Errorf("cache messages: %w", &fs.PathError{Op: "write", Path: "/home/landlord/.local/share/doorstep/cache.db", Err: syscall.EIO}),
			want:   Problem{Code: backend.EUNAVAILABLE, Message: "This computer's disk reports errors, so Doorstep could not do this. Please try again; if it keeps happening, check the disk.", RetryAfter: 30},
			logged: "cache.db"},
		"LocalProblemLogsItsDetail": {err: fileProblem(&fs.PathError{Op: "write", Path: "/home/landlord/lease.pdf.part", Err: syscall.ENOSPC}, savingAs("lease.pdf")),
			want:   Problem{Code: backend.EUNAVAILABLE, Message: "There is not enough space to save lease.pdf there. Free some space, or choose another place."},
			logged: "/home/landlord/lease.pdf.part"},
	} {
		t.Run(name, func(t *testing.T) {
			var log bytes.Buffer
			got := ErrorFormatter(logTo(&log))(tc.err)
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if tc.logged != "" && !strings.Contains(log.String(), tc.logged) {
				t.Errorf("the log lacks %q: %s", tc.logged, log.String())
			}
			if tc.logless && log.Len() != 0 {
				t.Errorf("logged a sentence meant for people: %s", log.String())
			}
		})
	}
}

// TestProblemJSON: the shape the UI receives (lib/api/errors.ts reads it).
func TestProblemJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p    Problem
		want string
	}{
		{Problem{Code: backend.ERATELIMITED, Message: "Wait.", RetryAfter: 12}, `{"code":"rate_limited","message":"Wait.","retry_after":12}`},
		{Problem{Code: backend.ENOTFOUND, Message: "Gone."}, `{"code":"not_found","message":"Gone."}`},
	} {
		if b, _ := json.Marshal(tc.p); string(b) != tc.want {
			t.Errorf("%+v = %s, want %s", tc.p, b, tc.want)
		}
	}
}

func TestFileProblem(t *testing.T) {
	t.Parallel()
	path := func(errno error) error {
		return &fs.PathError{Op: "open", Path: "/home/landlord/Documents/lease.pdf.part", Err: errno}
	}
	s := savingAs("lease.pdf")
	for name, tc := range map[string]struct {
		err      error
		code     string
		sentence string
	}{
		"ErrNoSpace":        {path(syscall.ENOSPC), backend.EUNAVAILABLE, s.noSpace},
		"ErrQuota":          {path(syscall.EDQUOT), backend.EUNAVAILABLE, s.noSpace},
		"ErrPermission":     {path(syscall.EACCES), backend.EFORBIDDEN, s.notAllowed},
		"ErrReadOnlyDisk":   {path(syscall.EROFS), backend.EFORBIDDEN, s.notAllowed},
		"ErrFolderGone":     {path(syscall.ENOENT), backend.ENOTFOUND, s.gone},
		"ErrOther":          {path(syscall.EIO), backend.EINTERNAL, s.other},
		"ErrAlreadyHasOne":  {backend.Errorf(backend.EINVALID, "Bad."), backend.EINVALID, "Bad."},
		"ErrWrappedNoSpace": {fmt.Errorf("save: %w", path(syscall.ENOSPC)), backend.EUNAVAILABLE, s.noSpace},
	} {
		t.Run(name, func(t *testing.T) {
			err := fileProblem(tc.err, s)
			if backend.ErrorCode(err) != tc.code || backend.ErrorMessage(err) != tc.sentence {
				t.Errorf("got %s %q, want %s %q", backend.ErrorCode(err), backend.ErrorMessage(err), tc.code, tc.sentence)
			}
			if strings.Contains(backend.ErrorMessage(err), "/home") {
				t.Errorf("a path reached the sentence: %q", backend.ErrorMessage(err))
			}
			if !errors.Is(err, tc.err) && backend.ErrorCode(tc.err) == backend.EINTERNAL {
				t.Error("the cause is lost for the log")
			}
		})
	}
	if fileProblem(nil, s) != nil {
		t.Error("no error became one")
	}
}
