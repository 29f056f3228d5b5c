package app

import (
	"bytes"
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"doorstep/backend"
)

// TestBoundMethodsRejectWithAProblem: what the UI receives when a bound
// method fails (through the app's ErrorFormatter).
func TestBoundMethodsRejectWithAProblem(t *testing.T) {
	t.Parallel()
	a := newAccounts(t, "http://127.0.0.1:1", t.TempDir(), &memKeys{m: map[string]string{}})
	format := func(err error) (Problem, string) {
		var log bytes.Buffer
		return ErrorFormatter(logTo(&log))(err).(Problem), log.String()
	}

	t.Run("ErrForeignErrorIsInternalWithoutItsPath", func(t *testing.T) {
		attachments := NewAttachmentService(a)
		secret := "/home/landlord/.cache/doorstep/dialog.sock"
		attachments.OpenDialog = func() ([]string, error) {
			return nil, &fs.PathError{Op: "dial", Path: secret, Err: syscall.ECONNREFUSED}
		}
		_, err := attachments.AttachFiles(1)
		p, log := format(err)
		if p.Code != backend.EINTERNAL || p.Message != SomethingWentWrong || strings.Contains(p.Message, "/") {
			t.Errorf("rejected with %+v", p)
		}
		if !strings.Contains(log, secret) {
			t.Errorf("the detail is not in the log: %s", log)
		}
	})
	t.Run("ErrSignedOut", func(t *testing.T) {
		_, err := NewConversationService(a).Conversations()
		if p, _ := format(err); p != (Problem{Code: backend.EUNAUTHORIZED, Message: "Please sign in."}) {
			t.Errorf("rejected with %+v", p)
		}
	})
	t.Run("ErrNoSaveDialog", func(t *testing.T) {
		files := NewFileService(a)
		files.SaveDialog = nil
		_, err := files.SaveAs(backend.File{Name: "lease.pdf"})
		if p, _ := format(err); p.Code != backend.EUNAVAILABLE || p.Message != "Saving files is not available here." {
			t.Errorf("rejected with %+v", p)
		}
	})
	t.Run("ErrUnreachableServer", func(t *testing.T) {
		_, err := a.SignIn("http://127.0.0.1:1", "pat@example.com", "pw")
		if p, _ := format(err); p.Code != backend.EUNREACHABLE || strings.Contains(p.Message, "connect:") {
			t.Errorf("rejected with %+v", p)
		}
	})
}
