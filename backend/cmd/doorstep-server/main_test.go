package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/sqlite"
	"doorstep/internal/wait"
)

// fastHashes opens the commands' databases with the cheapest password
// hashes, to keep fixtures fast under the race detector.
func fastHashes() sqlite.Option { return sqlite.WithBcryptCost(bcrypt.MinCost) }

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func env(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

// waitForFile polls until path exists and returns its content.
// startBound is how long a server may take to start before a test fails.
const startBound = 90 * time.Second

func waitForFile(t *testing.T, path string, errc <-chan error) string {
	t.Helper()
	var content []byte
	// A server's start (migrations, a demo to seed, a PostgreSQL store to
	// reach) can take a while on a loaded machine: the bound is generous,
	// only there to fail a start that never comes.
	if !wait.Until(startBound, func() bool {
		select {
		case err := <-errc:
			t.Fatalf("server stopped before it listened: %v", err)
		default:
		}
		b, err := os.ReadFile(path)
		content = b
		return err == nil
	}) {
		t.Fatalf("timed out waiting until the server wrote its URL")
	}
	return strings.TrimSpace(string(content))
}

func TestServe(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	urlFile := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var stdout, stderr syncBuffer
	errc := make(chan error, 1)
	go func() {
		// Address from the flag, data dir from the environment: both paths are used.
		errc <- run(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-url-file", urlFile},
			env(map[string]string{"DOORSTEP_DATA_DIR": dataDir, "DOORSTEP_ACCESS_LOG": "on"}), &stdout, &stderr, fastHashes())
	}()
	url := waitForFile(t, urlFile, errc)

	c, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.Health(ctx)
	if err != nil || h.Status != "ok" {
		t.Fatalf("health = %+v, %v", h, err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "doorstep.db")); err != nil {
		t.Errorf("database not in the data dir: %v", err)
	}
	if !strings.Contains(stdout.String(), "listening on "+url) {
		t.Errorf("stdout = %q, want the listening URL", stdout.String())
	}

	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("run returned %v after a clean shutdown", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("server did not stop")
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("server still answers after shutdown")
	}
	if !strings.Contains(stderr.String(), "path=/healthz") || !strings.Contains(stderr.String(), "client=127.0.0.1") {
		t.Errorf("request log missing: %q", stderr.String())
	}
}

func TestHealthCommand(t *testing.T) {
	dir := t.TempDir()
	urlFile := filepath.Join(dir, "url")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Start checking before the server exists: -wait covers the start-up.
	// Until then the address is held by a listener that hangs up on every
	// connection, as a server still starting would; the first one proves
	// the check is already under way, and the real server takes over.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	triedEarly := make(chan struct{})
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		conn.Close()
		close(triedEarly)
	}()
	checked := make(chan error, 1)
	var out syncBuffer
	go func() {
		checked <- run(ctx, []string{"health", "-url", "http://" + addr, "-wait", "20s"}, env(nil), &out, io.Discard, fastHashes())
	}()
	select {
	case <-triedEarly:
	case err := <-checked:
		t.Fatalf("health returned before the server existed: %v", err)
	}
	ln.Close()
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"-addr", addr, "-data", dir, "-url-file", urlFile}, env(nil), io.Discard, io.Discard, fastHashes())
	}()
	waitForFile(t, urlFile, errc)
	if err := <-checked; err != nil {
		t.Fatalf("health: %v", err)
	}
	if !strings.Contains(out.String(), ": ok (doorstep-server "+backend.Version) {
		t.Errorf("health printed %q", out.String())
	}

	t.Run("ErrNothingListening", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		url := "http://" + ln.Addr().String()
		ln.Close()
		err := run(ctx, []string{"health", "-url", url}, env(nil), io.Discard, io.Discard, fastHashes())
		if err == nil || !strings.Contains(err.Error(), "cannot be reached") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("ErrNotDoorstep", func(t *testing.T) {
		other := httptest.NewServer(http.NotFoundHandler())
		defer other.Close()
		start := time.Now()
		err := run(ctx, []string{"health", "-url", other.URL, "-wait", "20s"}, env(nil), io.Discard, io.Discard, fastHashes())
		if err == nil || !strings.Contains(err.Error(), "not a Doorstep server") {
			t.Errorf("err = %v", err)
		}
		if time.Since(start) > 10*time.Second {
			t.Error("kept waiting on a server that is not Doorstep")
		}
	})
}

func TestParseServeConfig(t *testing.T) {
	t.Run("FlagBeatsEnvironment", func(t *testing.T) {
		cfg, err := parseServeConfig([]string{"-addr", "127.0.0.1:1"}, env(map[string]string{"DOORSTEP_ADDR": "127.0.0.1:2", "DOORSTEP_DATA_DIR": "/d"}), io.Discard)
		if err != nil || cfg.Addr != "127.0.0.1:1" || cfg.DataDir != "/d" {
			t.Errorf("cfg = %+v, %v", cfg, err)
		}
	})
	t.Run("DefaultsToUserDataDir", func(t *testing.T) {
		xdg := t.TempDir()
		t.Setenv("XDG_DATA_HOME", xdg)
		t.Setenv("HOME", xdg)
		cfg, err := parseServeConfig(nil, env(nil), io.Discard)
		if err != nil || cfg.Addr != defaultAddr || !strings.HasPrefix(cfg.DataDir, xdg) {
			t.Errorf("cfg = %+v, %v", cfg, err)
		}
	})
	t.Run("StorageProbe", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			env  map[string]string
			want time.Duration
		}{
			{nil, map[string]string{"DOORSTEP_DATA_DIR": "/d"}, 15 * time.Second},
			{nil, map[string]string{"DOORSTEP_DATA_DIR": "/d", "DOORSTEP_STORAGE_PROBE": "1m"}, time.Minute},
			{[]string{"-storage-probe", "5s"}, map[string]string{"DOORSTEP_DATA_DIR": "/d", "DOORSTEP_STORAGE_PROBE": "1m"}, 5 * time.Second},
		} {
			cfg, err := parseServeConfig(tc.args, env(tc.env), io.Discard)
			if err != nil || cfg.StorageProbe != tc.want {
				t.Errorf("%q %v: storage probe %v, %v; want %v", tc.args, tc.env, cfg.StorageProbe, err, tc.want)
			}
		}
	})
	for name, args := range map[string][]string{
		"ErrBadAddr":          {"-addr", "8765"},
		"ErrUnknownFlag":      {"-port", "1"},
		"ErrStrayArgument":    {"extra"},
		"ErrBadStorageProbe":  {"-storage-probe", "often"},
		"ErrTinyStorageProbe": {"-storage-probe", "1ms"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := parseServeConfig(args, env(nil), io.Discard); err == nil {
				t.Errorf("parseServeConfig(%q) succeeded", args)
			}
		})
	}
}

func TestRun(t *testing.T) {
	t.Run("Version", func(t *testing.T) {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"version"}, env(nil), &out, io.Discard, fastHashes()); err != nil {
			t.Fatal(err)
		}
		if got := out.String(); got != "doorstep-server "+backend.Version+"\n" {
			t.Errorf("version printed %q", got)
		}
	})
	t.Run("ErrUnknownCommand", func(t *testing.T) {
		if err := run(context.Background(), []string{"frobnicate"}, env(nil), io.Discard, io.Discard, fastHashes()); err == nil {
			t.Error("unknown command accepted")
		}
	})
	t.Run("Help", func(t *testing.T) {
		var errOut bytes.Buffer
		err := run(context.Background(), []string{"-h"}, env(nil), io.Discard, &errOut, fastHashes())
		if err != flag.ErrHelp || !strings.Contains(errOut.String(), "DOORSTEP_DATA_DIR") {
			t.Errorf("err = %v, help = %q", err, errOut.String())
		}
	})
	t.Run("ErrAddressInUse", func(t *testing.T) {
		dir := t.TempDir()
		urlFile := filepath.Join(dir, "url")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		errc := make(chan error, 1)
		go func() {
			errc <- run(ctx, []string{"-addr", "127.0.0.1:0", "-data", dir, "-url-file", urlFile}, env(nil), io.Discard, io.Discard, fastHashes())
		}()
		url := waitForFile(t, urlFile, errc)
		err := run(ctx, []string{"-addr", strings.TrimPrefix(url, "http://"), "-data", t.TempDir()}, env(nil), io.Discard, io.Discard, fastHashes())
		if err == nil || !strings.Contains(err.Error(), "another doorstep-server") {
			t.Errorf("second server on the same address: err = %v", err)
		}
	})
}
