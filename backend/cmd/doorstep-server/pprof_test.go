package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// get answers the status and body of GET url.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// serveWithMetrics starts the server with a metrics listener and the extra
// flags, and returns its public URL and where its metrics listener is.
func serveWithMetrics(t *testing.T, flags ...string) (publicURL, metricsBase string) {
	t.Helper()
	urlFile := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(context.Background())
	var stdout syncBuffer
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, append([]string{"serve", "-addr", "127.0.0.1:0", "-data", t.TempDir(), "-url-file", urlFile,
			"-metrics-addr", "127.0.0.1:0"}, flags...), env(nil), &stdout, io.Discard, fastHashes())
	}()
	t.Cleanup(func() { cancel(); <-errc })
	publicURL = waitForFile(t, urlFile, errc)
	found := metricsLine.FindStringSubmatch(stdout.String())
	if found == nil {
		t.Fatalf("the server does not say where its metrics are: %q", stdout.String())
	}
	return publicURL, strings.TrimSuffix(found[1], "/metrics")
}

// With -pprof, Go's profiles are on the metrics listener, and only there.
func TestPprofOnTheMetricsListener(t *testing.T) {
	t.Parallel()
	public, metrics := serveWithMetrics(t, "-pprof")
	status, body := get(t, metrics+"/debug/pprof/goroutine?debug=1")
	if status != http.StatusOK || !strings.Contains(body, "goroutine profile:") {
		t.Errorf("goroutine profile on the metrics listener: %d %.80q", status, body)
	}
	if status, body := get(t, metrics+"/debug/pprof/heap"); status != http.StatusOK || len(body) == 0 {
		t.Errorf("heap profile: %d, %d bytes", status, len(body))
	}
	if status, _ := get(t, public+"/debug/pprof/goroutine?debug=1"); status != http.StatusNotFound {
		t.Errorf("the public listener answers /debug/pprof/ with %d, want 404", status)
	}
}

func TestPprofOffByDefault(t *testing.T) {
	t.Parallel()
	_, metrics := serveWithMetrics(t)
	if status, _ := get(t, metrics+"/debug/pprof/goroutine?debug=1"); status != http.StatusNotFound {
		t.Errorf("/debug/pprof/ without -pprof: %d, want 404", status)
	}
	if status, _ := get(t, metrics+"/metrics"); status != http.StatusOK {
		t.Errorf("/metrics: %d", status)
	}
}

func TestPprofOnlyOnLoopback(t *testing.T) {
	t.Parallel()
	dir := env(map[string]string{"DOORSTEP_DATA_DIR": t.TempDir()})
	for _, args := range [][]string{
		{"-pprof"},
		{"-pprof", "-metrics-addr", "0.0.0.0:9090"},
		{"-pprof", "-metrics-addr", "192.0.2.1:9090"},
		{"-pprof", "-metrics-addr", ":9090"},
	} {
		if _, err := parseServeConfig(args, dir, io.Discard); err == nil || !strings.Contains(err.Error(), "-pprof") {
			t.Errorf("%q: %v, want a refusal naming -pprof", args, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:9090", "[::1]:9090", "localhost:9090"} {
		if cfg, err := parseServeConfig([]string{"-pprof", "-metrics-addr", addr}, dir, io.Discard); err != nil || !cfg.Pprof {
			t.Errorf("-pprof -metrics-addr %s: %v", addr, err)
		}
	}
	if cfg, err := parseServeConfig([]string{"-metrics-addr", "127.0.0.1:9090"}, env(map[string]string{"DOORSTEP_DATA_DIR": t.TempDir(), "DOORSTEP_PPROF": "1"}), io.Discard); err != nil || !cfg.Pprof {
		t.Errorf("DOORSTEP_PPROF=1: %v, pprof %v", err, cfg.Pprof)
	}
}
