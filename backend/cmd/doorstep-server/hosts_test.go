package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeAnswersBrowsersAtItsOwnHostsOnly: serve gives the server the
// public URL's host; the portal answers it and the address it listens on,
// and refuses any other Host (DNS rebinding).
func TestServeAnswersBrowsersAtItsOwnHostsOnly(t *testing.T) {
	dir := t.TempDir()
	urlFile := filepath.Join(dir, "url")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-data", filepath.Join(dir, "data"), "-url-file", urlFile,
			"-public-url", "https://Chat.Example.org/"}, env(nil), io.Discard, io.Discard, fastHashes())
	}()
	url := waitForFile(t, urlFile, errc)
	for host, want := range map[string]int{
		"chat.example.org":                   http.StatusOK,
		strings.TrimPrefix(url, "http://"):   http.StatusOK,
		"evil.example":                       http.StatusForbidden,
		"chat.example.org.evil.example:8765": http.StatusForbidden,
	} {
		req, _ := http.NewRequest("GET", url+"/portal/", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET /portal/ as %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("server did not stop")
	}

	t.Run("ErrPublicURLNotAURL", func(t *testing.T) {
		for _, bad := range []string{"chat.example.org", "ftp://chat.example.org", "https://"} {
			err := run(context.Background(), []string{"serve", "-addr", "127.0.0.1:0", "-data", dir, "-public-url", bad}, env(nil), io.Discard, io.Discard, fastHashes())
			if err == nil || !strings.Contains(err.Error(), "-public-url") {
				t.Errorf("-public-url %q: %v", bad, err)
			}
		}
	})
}
