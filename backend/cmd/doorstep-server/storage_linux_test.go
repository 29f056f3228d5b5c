//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/internal/wait"
)

// mountTmpfs mounts a small tmpfs on a new directory and unmounts it when
// the test ends; where that cannot be done the test is skipped, saying so.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() != 0 {
		t.Skip("skipped: mounting a small tmpfs to fill up needs root (the tests run as root in CI)")
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		t.Skipf("skipped: cannot mount a tmpfs here (%v); the full-disk test needs one", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
			syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	})
	return dir
}

// serveIn starts the server over dataDir and returns its URL and a function
// that stops it and waits until it has.
func serveIn(t *testing.T, dataDir string, flags ...string) (string, func()) {
	t.Helper()
	urlFile := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		args := append([]string{"serve", "-addr", "127.0.0.1:0", "-data", dataDir, "-url-file", urlFile}, flags...)
		errc <- run(ctx, args, env(nil), io.Discard, io.Discard, fastHashes())
	}()
	url := waitForFile(t, urlFile, errc)
	return url, func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("server: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("server did not stop")
		}
	}
}

// healthWhen polls /healthz until it answers status (the storage probe
// runs in the background) and returns what it says.
func healthWhen(t *testing.T, url string, status int) backend.Health {
	t.Helper()
	var h backend.Health
	wait.For(t, "/healthz answers HTTP "+strconv.Itoa(status), func() bool {
		resp, err := http.Get(url + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		h = backend.Health{}
		json.NewDecoder(resp.Body).Decode(&h)
		resp.Body.Close()
		return resp.StatusCode == status
	})
	return h
}

// TestServeOnAFullDisk: the storage probe is one of the server's periodic
// jobs: when the disk under a running server fills up, /healthz comes to
// say so (503 with the reason), and so does `doorstep-server health`; once
// space is freed, it says ok again.
func TestServeOnAFullDisk(t *testing.T) {
	dir := mountTmpfs(t, "2m")
	url, stop := serveIn(t, filepath.Join(dir, "data"), "-storage-probe", "20ms")
	defer stop()
	healthWhen(t, url, http.StatusOK)

	filler, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	for err == nil {
		_, err = filler.Write(make([]byte, 64<<10))
	}
	filler.Close()
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatal(err)
	}
	h := healthWhen(t, url, http.StatusServiceUnavailable)
	if h.Status != "unavailable" || h.Database != "the database cannot write: the disk is full" ||
		h.Files != "the files directory cannot write: the disk is full" {
		t.Errorf("/healthz: %+v; want it to say the database and the files directory cannot write: the disk is full", h)
	}
	err = run(context.Background(), []string{"health", "-url", url}, env(nil), io.Discard, io.Discard, fastHashes())
	if err == nil || !strings.Contains(err.Error(), "the database cannot write: the disk is full") {
		t.Errorf("health command: %v; want it to say the database cannot write: the disk is full", err)
	}

	os.Remove(filler.Name())
	if h := healthWhen(t, url, http.StatusOK); h.Database != "ok" || h.Files != "ok" {
		t.Errorf("/healthz after freeing space: %+v", h)
	}
}
