package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"

	"github.com/mattn/go-sqlite3"

	"doorstep/backend"
	"doorstep/backend/httpapi"
)

func TestStorageTrouble(t *testing.T) {
	for _, c := range []struct {
		err  error
		want backend.StorageTrouble // "" for not storage trouble
	}{
		{sqlite3.Error{Code: sqlite3.ErrFull}, backend.StorageFull},
		{sqlite3.Error{Code: sqlite3.ErrIoErr, ExtendedCode: sqlite3.ErrIoErrWrite, SystemErrno: syscall.ENOSPC}, backend.StorageFull},
		{sqlite3.Error{Code: sqlite3.ErrIoErr, ExtendedCode: sqlite3.ErrIoErrWrite, SystemErrno: syscall.EDQUOT}, backend.StorageFull},
		{sqlite3.Error{Code: sqlite3.ErrIoErr, ExtendedCode: sqlite3.ErrIoErrFsync, SystemErrno: syscall.EIO}, backend.StorageIOError},
		{sqlite3.Error{Code: sqlite3.ErrIoErr, ExtendedCode: sqlite3.ErrIoErrShortRead}, backend.StorageIOError},
		{sqlite3.Error{Code: sqlite3.ErrIoErr, SystemErrno: syscall.EROFS}, backend.StorageReadOnly},
		{sqlite3.Error{Code: sqlite3.ErrReadonly, ExtendedCode: sqlite3.ErrReadonlyDbMoved}, backend.StorageReadOnly},
		{sqlite3.Error{Code: sqlite3.ErrBusy}, backend.StorageBusy},
		{sqlite3.Error{Code: sqlite3.ErrLocked}, backend.StorageBusy},
		{sqlite3.Error{Code: sqlite3.ErrCantOpen}, backend.StorageCannotOpen},
		{sqlite3.Error{Code: sqlite3.ErrCorrupt}, backend.StorageCorrupt},
		{sqlite3.Error{Code: sqlite3.ErrNotADB}, backend.StorageCorrupt},
		{fmt.Errorf("insert message: %w", sqlite3.Error{Code: sqlite3.ErrFull}), backend.StorageFull},
		{syscall.ENOSPC, backend.StorageFull},
		// Not storage trouble: a bug or the caller's doing.
		{sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintUnique}, ""},
		{sqlite3.Error{Code: sqlite3.ErrError}, ""},
		{sqlite3.Error{Code: sqlite3.ErrInterrupt}, ""},
		{context.Canceled, ""},
		{errors.New("boom"), ""},
	} {
		err := storageError(c.err)
		var se *backend.StorageError
		got := backend.StorageTrouble("")
		if errors.As(err, &se) {
			got = se.Trouble
		}
		if got != c.want {
			t.Errorf("%v: trouble %q, want %q", c.err, got, c.want)
			continue
		}
		if c.want == "" {
			if err != c.err {
				t.Errorf("%v: changed to %v", c.err, err)
			}
			continue
		}
		if backend.ErrorCode(err) != backend.EUNAVAILABLE || backend.RetryAfter(err) < 1 || backend.ErrorMessage(err) == "" {
			t.Errorf("%v: answered %q %q after %ds; want unavailable with a sentence and a wait", c.err,
				backend.ErrorCode(err), backend.ErrorMessage(err), backend.RetryAfter(err))
		}
		if !errors.Is(err, c.err) {
			t.Errorf("%v: the cause is no longer in the chain", c.err)
		}
	}
}

// TestReadOnlyDatabase: a database that refuses writes (SQLite's own
// read-only answer, as for a database file or disk that became read-only)
// answers every write as unavailable with a sentence, through the real
// HTTP server, and /healthz says why after one probe; reads go on.
func TestReadOnlyDatabase(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	org, err := db.CreateOrg(ctx, "Read Only Rentals", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateUser(ctx, org, "landlord@ro.test", "Landlord", "correct horse battery", true); err != nil {
		t.Fatal(err)
	}
	srv := httpapi.NewServer(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	signIn := func() (*http.Response, backend.Error) {
		resp, err := http.Post(ts.URL+"/api/v1/auth/signin", "application/json",
			strings.NewReader(`{"email":"landlord@ro.test","password":"correct horse battery"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Error backend.Error `json:"error"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		return resp, body.Error
	}
	if resp, e := signIn(); resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in before: HTTP %d %+v", resp.StatusCode, e)
	}

	// The writer's one connection now refuses writes as a read-only file
	// would: SQLITE_READONLY.
	if _, err := db.writeConn.ExecContext(ctx, "PRAGMA query_only = 1"); err != nil {
		t.Fatal(err)
	}
	resp, e := signIn()
	if resp.StatusCode != http.StatusServiceUnavailable || e.Code != backend.EUNAVAILABLE ||
		resp.Header.Get("Retry-After") == "" || !strings.Contains(e.Message, "does not accept writes") {
		t.Errorf("sign-in on a read-only database: HTTP %d, Retry-After %q, %+v; want 503 unavailable saying so",
			resp.StatusCode, resp.Header.Get("Retry-After"), e)
	}
	if err := srv.ProbeStorage(ctx); err == nil {
		t.Error("the probe found nothing wrong")
	}
	hresp, err := http.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var h backend.Health
	json.NewDecoder(hresp.Body).Decode(&h)
	hresp.Body.Close()
	if hresp.StatusCode != http.StatusServiceUnavailable || h.Database != "the database cannot write: the storage is read-only" {
		t.Errorf("/healthz: HTTP %d %+v; want 503 saying the database cannot write: the storage is read-only", hresp.StatusCode, h)
	}
	if id, err := db.ServerID(ctx); err != nil || id != h.ServerID {
		t.Errorf("reads stopped too: %q, %v", id, err)
	}
}
