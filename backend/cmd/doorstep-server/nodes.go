package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"doorstep/backend"
	"doorstep/backend/hub"
	"doorstep/backend/natsbridge"
)

// Several server nodes: they share one PostgreSQL database (-store), which
// holds everything and orders each recipient's events, and pass live
// events to each other through NATS (-nats). A client may reach any node,
// and resume on another with since: the event log is in the database.

// checkNATS accepts an empty -nats, or a nats:// URL together with a
// PostgreSQL store: nodes on SQLite share nothing to pass events about.
// The value is not repeated in the error: it may hold a password.
func checkNATS(v, store string) error {
	if v == "" {
		return nil
	}
	if store == "" {
		return errors.New("-nats: several server nodes share a PostgreSQL database; give -store postgres://… too (with SQLite in the data directory there is one node and nothing to pass on)")
	}
	for _, u := range strings.Split(v, ",") {
		if !strings.HasPrefix(strings.TrimSpace(u), "nats://") {
			return errors.New("-nats: want a nats:// URL (or several, comma-separated)")
		}
	}
	return nil
}

// fanOut wires the store's committed events and ended sessions to the
// node's hub, through NATS to the other nodes when -nats is set. It
// returns the event sink in use (to wrap with metrics) and the bridge, if
// any.
func fanOut(cfg serveConfig, db serverStore, events *hub.Hub, logger *slog.Logger) (func([]backend.Delivery), *natsbridge.Bridge, error) {
	if cfg.NATS == "" {
		db.SetEventSink(events.Publish)
		db.SetSessionEndSink(events.EndSessions)
		return events.Publish, nil, nil
	}
	bridge, err := natsbridge.Connect(cfg.NATS, natsbridge.Local{
		Deliver:     events.Publish,
		EndSessions: events.EndSessions,
		Resync:      events.Resync,
	}, logger)
	if err != nil {
		return nil, nil, err
	}
	db.SetEventSink(bridge.Publish)
	db.SetSessionEndSink(bridge.EndSessions)
	return bridge.Publish, bridge, nil
}

// exclusiveJobs is a store several nodes share that lets one of them at a
// time run a round of a periodic job (backend/postgres: an advisory lock
// per job).
type exclusiveJobs interface {
	RunExclusive(ctx context.Context, job string, fn func(context.Context) error) (ran bool, err error)
}

// once makes round, a periodic job's round, skip itself while another node
// sharing the database runs a round of the same job; the next round comes
// soon enough. On a store of one node's own it always runs.
func (p *parts) once(ctx context.Context, job string, round func()) func() {
	ex, shared := p.db.(exclusiveJobs)
	if !shared {
		return round
	}
	return func() {
		ran, err := ex.RunExclusive(ctx, job, func(context.Context) error { round(); return nil })
		switch {
		case err != nil && ctx.Err() == nil:
			p.logger.Error("periodic job: its lock", "job", job, "err", err)
		case !ran:
			p.logger.Debug("periodic job: another node runs this round", "job", job)
		}
	}
}

func closeBridge(b *natsbridge.Bridge) {
	if b != nil {
		b.Close()
	}
}

// closeBridge leaves NATS, once the server has stopped.
func (p *parts) closeBridge() { closeBridge(p.bridge) }
