// @ts-check
import { describe, expect, it } from 'vitest';
import { Backoff, CLOSE_SESSION_ENDED, closeAction, createConnection, eventsURL } from '../assets/connection.js';

/** @typedef {import('../assets/api.js').ServerEvent} ServerEvent */

describe('the backoff', () => {
  it('waits 1 s, doubling up to 30 s, and starts over once through', () => {
    const b = new Backoff();
    const waits = Array.from({ length: 8 }, () => b.next());
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    b.reset();
    expect([b.next(), b.next()]).toEqual([1000, 2000]);
  });
});

describe('a closed socket', () => {
  const live = { stale: false, signedOut: false, signingOut: false };
  it.each([
    ['a lost connection (1006)', 1006, live, 'reconnect'],
    ['a server going away (1001)', 1001, live, 'reconnect'],
    ['a normal close (1000)', 1000, live, 'reconnect'],
    ['the session ended (4001)', CLOSE_SESSION_ENDED, live, 'session-ended'],
    ['a socket replaced by a newer one', 1006, { ...live, stale: true }, 'ignore'],
    ['a page signing out', 1000, { ...live, signingOut: true }, 'ignore'],
    ['a page signing out, as the session ends', CLOSE_SESSION_ENDED, { ...live, signingOut: true }, 'ignore'],
    ['a page signed out', 1006, { ...live, signedOut: true }, 'ignore'],
  ])('after %s: %s', (_, code, at, action) => {
    expect(closeAction(code, at)).toBe(action);
  });
});

describe('the events address', () => {
  it('follows the page: ws on http, wss on https, resuming after the last event', () => {
    expect(eventsURL({ protocol: 'http:', host: '127.0.0.1:8080' }, null)).toBe('ws://127.0.0.1:8080/api/v1/events');
    expect(eventsURL({ protocol: 'https:', host: 'chat.example.org' }, 42)).toBe('wss://chat.example.org/api/v1/events?since=42');
  });
});

/** A socket the test drives: it records its address and whether it was closed. */
class TestSocket {
  /** @type {Record<string, ((e: any) => void)[]>} */
  listeners = {};
  closed = false;
  /** @param {string} url */
  constructor(url) {
    this.url = url;
  }
  /** @param {string} type @param {(e: any) => void} listener */
  addEventListener(type, listener) {
    (this.listeners[type] ??= []).push(listener);
  }
  close() {
    this.closed = true;
  }
  /** @param {ServerEvent | string} ev */
  receive(ev) {
    for (const f of this.listeners.message ?? []) f({ data: typeof ev === 'string' ? ev : JSON.stringify(ev) });
  }
  /** @param {number} code */
  closedBy(code) {
    for (const f of this.listeners.close ?? []) f({ code });
  }
}

/** A connection over test sockets and a timer the test runs by hand. */
function harness({ probeFails = false } = {}) {
  const session = { signedOut: false, signingOut: false };
  /** @type {TestSocket[]} */
  const sockets = [];
  /** @type {{ run: () => void, ms: number }[]} */
  const timers = [];
  /** @type {string[]} */
  const told = [];
  /** @type {ServerEvent[]} */
  const events = [];
  let probes = 0;
  const backoff = new Backoff();
  const conn = createConnection(
    {
      session,
      onEvent: (ev) => events.push(ev),
      onOffline: () => told.push('offline'),
      onSessionEnded: () => told.push('session ended'),
      probe: async () => {
        probes++;
        if (probeFails) throw new Error('offline');
      },
    },
    {
      location: { protocol: 'http:', host: 'portal.test' },
      open: (url) => {
        const s = new TestSocket(url);
        sockets.push(s);
        return s;
      },
      later: (run, ms) => timers.push({ run, ms }),
      backoff,
    },
  );
  const last = () => /** @type {TestSocket} */ (sockets.at(-1));
  /** Runs the one waiting timer, and what it starts. */
  async function wait() {
    expect(timers).toHaveLength(1);
    const t = /** @type {{ run: () => void }} */ (timers.shift());
    await t.run();
  }
  return { conn, session, sockets, timers, told, events, backoff, last, wait, probes: () => probes };
}

describe('the connection', () => {
  it('passes events on and resumes after the last one when it reconnects', async () => {
    const h = harness();
    h.conn.connect();
    expect(h.last().url).toBe('ws://portal.test/api/v1/events');
    h.last().receive({ id: 5, type: 'message' });
    h.last().receive('not json');
    h.last().receive({ id: 6, type: 'ready' });
    expect(h.events.map((e) => e.id)).toEqual([5, 6]);
    expect(h.conn.lastEventId).toBe(6);

    h.last().closedBy(1006);
    expect(h.told).toEqual(['offline']);
    expect(h.timers.map((t) => t.ms)).toEqual([1000]);
    expect(h.sockets).toHaveLength(1); // nothing before the wait is over
    await h.wait();
    expect(h.probes()).toBe(1);
    expect(h.sockets).toHaveLength(2);
    expect(h.last().url).toBe('ws://portal.test/api/v1/events?since=6');
  });

  it('waits longer after each failed try, and starts over once ready', async () => {
    const h = harness({ probeFails: true });
    h.conn.connect();
    const waits = [];
    for (let i = 0; i < 7; i++) {
      h.last().closedBy(1006);
      waits.push(/** @type {{ ms: number }} */ (h.timers[0]).ms);
      await h.wait(); // the probe fails: the socket is tried all the same
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    h.last().receive({ id: 1, type: 'ready' });
    h.last().closedBy(1006);
    expect(h.timers.map((t) => t.ms)).toEqual([1000]);
  });

  it('ends the session, without reconnecting, on 4001', () => {
    const h = harness();
    h.conn.connect();
    h.last().closedBy(CLOSE_SESSION_ENDED);
    expect(h.told).toEqual(['session ended']);
    expect(h.timers).toEqual([]);
    expect(h.sockets).toHaveLength(1);
  });

  it('lets a page that signs out close it for good', () => {
    const h = harness();
    h.conn.connect();
    h.session.signingOut = true;
    h.conn.close();
    expect(h.last().closed).toBe(true);
    h.last().closedBy(1000);
    expect(h.told).toEqual([]);
    expect(h.timers).toEqual([]);
  });

  it('opens nothing once signed out, even when a wait ends', async () => {
    const h = harness();
    h.conn.connect();
    h.last().closedBy(1006);
    h.session.signedOut = true; // the probe's 401 signed the page out
    await h.wait();
    expect(h.sockets).toHaveLength(1);
    h.conn.connect();
    expect(h.sockets).toHaveLength(1);
  });

  it('pays no heed to a socket it replaced', () => {
    const h = harness();
    h.conn.connect();
    const first = h.last();
    h.conn.connect();
    first.closedBy(1006);
    first.closedBy(CLOSE_SESSION_ENDED);
    expect(h.told).toEqual([]);
    expect(h.timers).toEqual([]);
  });
});

describe('a network that comes back', () => {
  it('reconnects at once, and the wait cut short opens nothing more', async () => {
    const h = harness();
    h.conn.connect();
    h.last().receive({ id: 3, type: 'ready' });
    h.last().closedBy(1006);
    h.conn.reconnectNow();
    expect(h.sockets).toHaveLength(2);
    expect(h.last().url).toBe('ws://portal.test/api/v1/events?since=3');
    await /** @type {{ run: () => void }} */ (h.timers[0]).run();
    expect(h.sockets).toHaveLength(2);
  });

  it('leaves a live socket alone', () => {
    const h = harness();
    h.conn.connect();
    h.conn.reconnectNow();
    expect(h.sockets).toHaveLength(1);
  });

  it('closes the socket it replaces, so events never come twice', () => {
    const h = harness();
    h.conn.connect();
    const first = h.last();
    h.conn.connect();
    expect(first.closed).toBe(true);
    expect(h.last().closed).toBe(false);
  });
});
