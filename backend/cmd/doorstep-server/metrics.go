package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"doorstep/backend"
	"doorstep/backend/metrics"
	"doorstep/backend/sqlite"
)

// Metrics are off unless -metrics-addr is given, and then served on that
// listener alone: never on the public one, where anyone could read how
// busy the server is.

// metricsDoor serves /metrics on its own listener.
type metricsDoor struct {
	m   *metrics.Metrics
	ln  net.Listener
	srv *http.Server
}

// openMetrics listens on addr for Prometheus (nil, nil when addr is empty:
// metrics are off).
func openMetrics(addr string, logger *slog.Logger) (*metricsDoor, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("-metrics-addr: %w", err)
	}
	m := metrics.New(backend.Version)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	return &metricsDoor{m: m, ln: ln, srv: srv}, nil
}

// storeOptions are the database's options for what the metrics observe
// there.
func (d *metricsDoor) storeOptions() []sqlite.Option {
	if d == nil {
		return nil
	}
	return []sqlite.Option{sqlite.WithCommitObserver(d.m.ObserveCommit)}
}

// serve answers scrapes until shut down.
func (d *metricsDoor) serve(errc chan<- error) {
	if d == nil {
		return
	}
	go func() {
		if err := d.srv.Serve(d.ln); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("metrics: %w", err)
		}
	}()
}

// describe says where the metrics are, for the server's output.
func (d *metricsDoor) describe(w io.Writer) {
	if d != nil {
		fmt.Fprintf(w, "metrics on http://%s/metrics\n", d.ln.Addr())
	}
}
