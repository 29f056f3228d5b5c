package app

import (
	"context"
	"sync"
)

// Lifecycle carries the Wails application context to the services. It is not
// bound to the UI, so the frontend cannot call its methods.
type Lifecycle struct {
	mu     sync.Mutex
	ctx    context.Context
	onStop []func()
}

// OnStop registers f to run when the app shuts down (Stop).
func (l *Lifecycle) OnStop(f func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.onStop = append(l.onStop, f)
}

// Stop runs the OnStop functions, newest first (from Wails OnShutdown).
func (l *Lifecycle) Stop() {
	l.mu.Lock()
	fs := l.onStop
	l.onStop = nil
	l.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}

// Start records the application context (from Wails OnStartup).
func (l *Lifecycle) Start(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ctx = ctx
}

// Started reports whether Start was called (Wails runtime calls need it).
func (l *Lifecycle) Started() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ctx != nil
}

// Context is the application context: it ends when the app shuts down.
// Before Start it is context.Background, so services work in tests too.
func (l *Lifecycle) Context() context.Context {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ctx == nil {
		return context.Background()
	}
	return l.ctx
}
