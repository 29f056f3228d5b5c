package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
)

// Go's profiles are off unless -pprof is given, and then served beside the
// metrics, on -metrics-addr, which must be a loopback address: a heap or
// goroutine profile shows what the server holds and what each connection
// is doing, which is for the person at the machine only (`make
// bench-server` saves them with its figures).

// Sampling of the block and mutex profiles while -pprof is on: one
// blocking event per 10 µs spent blocked, one contended lock in 100.
const (
	blockProfileRate     = 10_000
	mutexProfileFraction = 100
)

// checkPprof refuses -pprof without a loopback -metrics-addr.
func checkPprof(on bool, metricsAddr string) error {
	if !on {
		return nil
	}
	host, _, err := net.SplitHostPort(metricsAddr)
	if err != nil || metricsAddr == "" {
		return fmt.Errorf("-pprof serves the profiles beside the metrics: give -metrics-addr too, on loopback, such as 127.0.0.1:9090")
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-pprof: -metrics-addr %q is not a loopback address; profiles are served on loopback only", metricsAddr)
	}
	return nil
}

// addPprof serves net/http/pprof's handlers on the metrics listener and
// starts sampling the block and mutex profiles.
func (d *metricsDoor) addPprof() {
	mux := d.srv.Handler.(*http.ServeMux)
	mux.HandleFunc("GET /debug/pprof/", pprof.Index) // heap, goroutine, block, mutex, allocs, …
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	runtime.SetBlockProfileRate(blockProfileRate)
	runtime.SetMutexProfileFraction(mutexProfileFraction)
}
