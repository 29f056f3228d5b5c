// Package natsbridge carries committed events between server nodes that
// share one PostgreSQL database, over NATS: each node hands what it commits
// to its own live subscribers at once and publishes it to the others, and
// hands what the others publish to its own live subscribers.
//
// NATS is the live path only; the event log in the database is the record.
// Whatever a node may have missed (NATS was away, a publication failed) is
// repaired the way a slow subscriber already is: the node's subscriptions
// are ended as too slow, and each client reconnects with `since` and reads
// what it missed from the log. So a NATS outage costs liveness, never an
// event.
//
// Order per recipient: the store calls Publish for one recipient's events
// in the order of their ids, one call after the other (under a lock per
// recipient), and Publish returns only once NATS has taken them (a flush).
// One NATS server then hands them to every node in that order. A cluster of
// NATS servers does not promise that across publishers; it is not supported.
package natsbridge

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"doorstep/backend"
)

// The subjects the nodes share. A node takes them all on one subscription,
// so it handles them in the order they were published: a resync announced
// before an event is handled before it.
const (
	allSubjects     = "doorstep.*"
	eventsSubject   = "doorstep.events"   // a JSON array of backend.Delivery
	sessionsSubject = "doorstep.sessions" // a JSON array of ended session ids
	resyncSubject   = "doorstep.resync"   // empty: every node's subscribers catch up from the log
)

// flushTimeout bounds how long a write waits for NATS to take its events
// (the store holds the recipient's lock meanwhile). Past it the events
// count as missed and the other nodes are told to resync.
const flushTimeout = time.Second

// Local is the node's own live fan-out, as the bridge feeds it.
type Local struct {
	// Deliver hands committed deliveries to the node's subscribers, in
	// order; it must not block.
	Deliver func([]backend.Delivery)
	// EndSessions ends the node's subscriptions opened with these sessions.
	EndSessions func(ids ...string)
	// Resync ends every subscription of the node as too slow, so each
	// client catches up from the event log with since.
	Resync func()
}

// Bridge is one node's connection to the others through NATS.
type Bridge struct {
	nc     *nats.Conn
	local  Local
	logger *slog.Logger

	// mu orders the resync announcement before any later publication, and
	// guards missed.
	mu sync.Mutex
	// missed is set when events committed here may not have reached the
	// other nodes: until they are told to resync, nothing more is sent, so
	// that no node delivers a later event of a recipient before an earlier
	// one it never got (its clients would resume after the later one).
	missed bool

	// resyncMu guards resyncedAt: the count of reconnections at the last
	// local resync. Events from the other nodes that arrive after a
	// reconnection are handed over only once the node's subscribers have
	// been sent to the log, or a client could be handed an event after one
	// it never got and resume past the gap.
	resyncMu   sync.Mutex
	resyncedAt uint64
}

// Connect joins the nodes through the NATS server at url (nats://host:port,
// or several, comma-separated). It fails when NATS cannot be reached now;
// once connected it reconnects for as long as it takes.
func Connect(url string, local Local, logger *slog.Logger) (*Bridge, error) {
	b := &Bridge{local: local, logger: logger}
	nc, err := nats.Connect(url,
		nats.Name("doorstep-server"),
		// A node hands its own events to its subscribers itself.
		nats.NoEcho(),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500*time.Millisecond),
		// Nothing is kept to send after a reconnect: it would arrive out of
		// order. A publication that fails counts as missed (see missed).
		nats.ReconnectBufSize(-1),
		// Notice a NATS server that stopped answering within seconds.
		nats.PingInterval(5*time.Second),
		nats.MaxPingsOutstanding(2),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			logger.Warn("nats: disconnected; events from other nodes arrive once it is back", "err", err)
		}),
		nats.ReconnectHandler(func(*nats.Conn) { b.reconnected() }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			logger.Error("nats", "err", err)
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	b.nc = nc
	sub, err := nc.Subscribe(allSubjects, b.receive)
	if err == nil {
		// Never drop here what arrived: a gap would go unnoticed. A node
		// that cannot keep up is cut off by the server instead, and
		// resyncs when it reconnects.
		err = sub.SetPendingLimits(-1, -1)
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("nats: subscribe: %w", err)
	}
	if err := nc.FlushTimeout(5 * time.Second); err != nil {
		nc.Close()
		return nil, fmt.Errorf("nats: %w", err)
	}
	return b, nil
}

// Close leaves NATS.
func (b *Bridge) Close() { b.nc.Close() }

// Publish is the store's event sink: it hands the deliveries to the node's
// own subscribers, then to the other nodes, and returns once NATS has them
// (or they count as missed). The store calls it for one recipient in the
// order of the events' ids, one call at a time.
func (b *Bridge) Publish(ds []backend.Delivery) {
	b.local.Deliver(ds)
	data, err := json.Marshal(ds)
	if err != nil {
		b.logger.Error("nats: encoding events", "err", err)
		return
	}
	if !b.announceResync() {
		return
	}
	if err := b.send(eventsSubject, data); err != nil {
		b.setMissed()
		b.logger.Warn("nats: events not passed to the other nodes; they will catch up from the log", "err", err)
	}
}

// EndSessions is the store's sink for ended sessions: the node's own
// subscriptions of these sessions end now, the other nodes' as soon as they
// hear of it (or at their next check of sessions).
func (b *Bridge) EndSessions(ids ...string) {
	b.local.EndSessions(ids...)
	data, err := json.Marshal(ids)
	if err == nil {
		err = b.nc.Publish(sessionsSubject, data)
	}
	if err != nil {
		b.logger.Warn("nats: ended sessions not passed to the other nodes; their session check will find them", "err", err)
	}
}

// send publishes data and waits until NATS has taken it.
func (b *Bridge) send(subject string, data []byte) error {
	if !b.nc.IsConnected() {
		return errors.New("not connected")
	}
	if err := b.nc.Publish(subject, data); err != nil {
		return err
	}
	return b.nc.FlushTimeout(flushTimeout)
}

func (b *Bridge) setMissed() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.missed = true
}

// announceResync tells the other nodes to resync if events of this node
// were missed, before anything more is published; it reports whether
// publishing may go on. A publication that follows on the same connection
// reaches every node after the announcement.
func (b *Bridge) announceResync() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.missed {
		return true
	}
	if err := b.send(resyncSubject, nil); err != nil {
		return false
	}
	b.missed = false
	b.logger.Info("nats: told the other nodes to catch up from the log")
	return true
}

// reconnected runs once NATS is back: events of the other nodes published
// meanwhile never reached this node, so its clients catch up from the log,
// and the other nodes are told to do the same if this node's were missed.
// The subscription is renewed before the reconnection is counted, so
// whatever the clients do not find in the log arrives live.
func (b *Bridge) reconnected() {
	b.resyncAfterReconnect()
	b.announceResync()
}

// resyncAfterReconnect sends the node's subscribers to the log once per
// reconnection, whichever comes first: the reconnection's callback or the
// first message after it.
func (b *Bridge) resyncAfterReconnect() {
	n := b.nc.Stats().Reconnects
	b.resyncMu.Lock()
	defer b.resyncMu.Unlock()
	if n == b.resyncedAt {
		return
	}
	b.resyncedAt = n
	b.logger.Info("nats: reconnected; this node's clients catch up from the log")
	b.local.Resync()
}

// receive handles what the other nodes publish, in the order they did.
func (b *Bridge) receive(m *nats.Msg) {
	b.resyncAfterReconnect()
	switch m.Subject {
	case eventsSubject:
		var ds []backend.Delivery
		if err := json.Unmarshal(m.Data, &ds); err != nil {
			b.logger.Error("nats: undecodable events; this node's clients catch up from the log", "err", err)
			b.local.Resync()
			return
		}
		b.local.Deliver(ds)
	case sessionsSubject:
		var ids []string
		if err := json.Unmarshal(m.Data, &ids); err != nil {
			b.logger.Error("nats: undecodable ended sessions", "err", err)
			return
		}
		b.local.EndSessions(ids...)
	case resyncSubject:
		b.logger.Info("nats: another node's events were missed; this node's clients catch up from the log")
		b.local.Resync()
	}
}
