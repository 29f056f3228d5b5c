package app

import (
	"context"
	"sync"
)

// Lifecycle carries the Wails application context to the services. It is not
// bound to the UI, so the frontend cannot call its methods.
type Lifecycle struct {
	mu  sync.Mutex
	ctx context.Context
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
