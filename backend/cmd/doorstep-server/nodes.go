package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

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
// time run a round of a periodic job, and about once per interval
// (backend/postgres: an advisory lock per job, and when its last round
// began).
type exclusiveJobs interface {
	RunExclusive(ctx context.Context, job string, every time.Duration, fn func(context.Context) error) (ran bool, err error)
}

// once makes round, a round of a periodic job run every interval on each
// node, skip itself while another node sharing the database runs a round
// of the same job, or did within most of the interval. On a store of one
// node's own it always runs. round logs its own failures; one that fails
// lets the next node's timer try again.
func (p *parts) once(ctx context.Context, job string, every time.Duration, round func() error) func() {
	ex, shared := p.db.(exclusiveJobs)
	if !shared {
		return func() { round() }
	}
	return func() {
		ran, err := ex.RunExclusive(ctx, job, every, func(context.Context) error { return round() })
		switch {
		case err != nil && ran:
			// round has logged it, or recording it failed: the next
			// round will tell again.
			p.logger.Debug("periodic job: the round failed", "job", job, "err", err)
		case err != nil && ctx.Err() == nil:
			p.logger.Error("periodic job: its lock", "job", job, "err", err)
		case !ran:
			p.logger.Debug("periodic job: another node runs this round", "job", job)
		}
	}
}

// sharedPresence is a store several nodes share that keeps which tenants
// have a websocket open on each node (backend/postgres: presence.go).
type sharedPresence interface {
	// ReportOnline replaces this node's report.
	ReportOnline(ctx context.Context, tenants []int64) error
	// OnlineTenants is who the live nodes last reported.
	OnlineTenants(ctx context.Context) (map[int64]bool, error)
}

// presenceEvery is how often a node tells the others which tenants are
// reading on it. A tenant who just connected may be missed for this long;
// the new-message e-mail waits newMessageGrace before writing anyway.
const presenceEvery = 15 * time.Second

// onlineAnywhere returns whether a tenant has a websocket open on this
// node, or, on a database several nodes share, on another node as it last
// reported: so a tenant reading on node B is not e-mailed by the sweep
// running on node A.
func onlineAnywhere(ctx context.Context, db serverStore, events *hub.Hub) (func(tenantID int64) bool, error) {
	here := func(tenantID int64) bool {
		return events.Online(backend.Recipient{Kind: backend.KindTenant, ID: tenantID})
	}
	shared, ok := db.(sharedPresence)
	if !ok {
		return here, nil
	}
	elsewhere, err := shared.OnlineTenants(ctx)
	if err != nil {
		return nil, err
	}
	return func(tenantID int64) bool { return here(tenantID) || elsewhere[tenantID] }, nil
}

func closeBridge(b *natsbridge.Bridge) {
	if b != nil {
		b.Close()
	}
}

// closeBridge leaves NATS, once the server has stopped.
func (p *parts) closeBridge() { closeBridge(p.bridge) }
