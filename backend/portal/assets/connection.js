// @ts-check
// The live events socket. It resumes from the last event seen (since=), so
// nothing is missed across a reconnect; a 'ready' event says the replay is
// over. A socket that closes is opened again after a growing delay, unless
// the session is over: the close code 4001 says it ended elsewhere (signed
// out on another device, revoked, expired), and reconnecting would be
// refused.

import { API } from './api.js';

/** @typedef {import('./api.js').ServerEvent} ServerEvent */

/** The events socket's close code for a session that ended. */
export const CLOSE_SESSION_ENDED = 4001;

/**
 * Delays between tries: 1 s, doubling up to 30 s; back to 1 s once through.
 * Shared by everything that waits for the server to come back.
 */
export class Backoff {
  /**
   * @param {number} [first] ms
   * @param {number} [max] ms
   */
  constructor(first = 1000, max = 30000) {
    this.first = first;
    this.max = max;
    this.delay = first;
  }

  /** The delay before the next try; the one after is longer. */
  next() {
    const d = this.delay;
    this.delay = Math.min(this.delay * 2, this.max);
    return d;
  }

  /** Through: the next wait is the first again. */
  reset() {
    this.delay = this.first;
  }
}

/**
 * What a closed socket means: 'ignore' (it was replaced, or the page is
 * signing or signed out), 'session-ended', or 'reconnect'.
 * @param {number} code
 * @param {{ stale: boolean, signedOut: boolean, signingOut: boolean }} at
 * @returns {'ignore' | 'session-ended' | 'reconnect'}
 */
export function closeAction(code, at) {
  if (at.stale || at.signedOut || at.signingOut) return 'ignore';
  if (code === CLOSE_SESSION_ENDED) return 'session-ended';
  return 'reconnect';
}

/**
 * The events socket's address on this page's server, resuming after an
 * event id when there is one.
 * @param {{ protocol: string, host: string }} location
 * @param {number | null} since
 */
export function eventsURL(location, since) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${API}/events${since === null ? '' : `?since=${since}`}`;
}

/**
 * The parts of a socket the connection uses.
 * @typedef {object} Socket
 * @property {(type: string, listener: (e: any) => void) => void} addEventListener
 * @property {() => void} close
 */

/**
 * What the connection tells and asks the page.
 * @typedef {object} ConnectionHooks
 * @property {{ signedOut: boolean, signingOut: boolean }} session read on every decision
 * @property {(ev: ServerEvent) => void} onEvent
 * @property {() => void} onOffline the socket closed: a reconnect is coming
 * @property {() => void} onSessionEnded the server closed the socket because the session ended
 * @property {() => Promise<unknown>} probe asked before reconnecting (a signed-out session shows there)
 */

/**
 * What the connection runs on: the browser's, or a test's.
 * @typedef {object} ConnectionEnv
 * @property {{ protocol: string, host: string }} location
 * @property {(url: string) => Socket} open
 * @property {(run: () => void, ms: number) => unknown} later
 * @property {Backoff} backoff
 */

/**
 * The events connection: connect() opens it, close() ends it for good
 * (the page signed out); a closed socket is opened again by itself.
 * @param {ConnectionHooks} hooks
 * @param {ConnectionEnv} env
 */
export function createConnection(hooks, env) {
  /** @type {Socket | null} */
  let socket = null;
  /** @type {number | null} */
  let lastEventId = null;
  // Which wait for a reconnect is current: one cut short by reconnectNow
  // does nothing when its time comes.
  let wait = 0;
  let waiting = false;

  function connect() {
    if (hooks.session.signedOut) return;
    waiting = false;
    wait++;
    const old = socket;
    const ws = env.open(eventsURL(env.location, lastEventId));
    socket = ws;
    old?.close(); // stale now: its close is ignored
    ws.addEventListener('message', (/** @type {{ data: string }} */ e) => {
      /** @type {ServerEvent} */
      let ev;
      try {
        ev = JSON.parse(e.data);
      } catch {
        return;
      }
      if (typeof ev.id === 'number' && ev.id > 0) lastEventId = ev.id;
      if (ev.type === 'ready') env.backoff.reset();
      hooks.onEvent(ev);
    });
    ws.addEventListener('close', (/** @type {{ code: number }} */ e) => {
      const action = closeAction(e.code, { stale: socket !== ws, ...hooks.session });
      if (action === 'ignore') return;
      if (action === 'session-ended') {
        hooks.onSessionEnded(); // no reconnecting: the server would refuse it
        return;
      }
      hooks.onOffline();
      waiting = true;
      const mine = ++wait;
      env.later(async () => {
        if (mine !== wait) return;
        try {
          await hooks.probe();
        } catch {
          /* still offline, or signed out */
        }
        if (mine === wait) connect();
      }, env.backoff.next());
    });
  }

  return {
    connect,
    /** The network is back: reconnect now rather than after the wait. */
    reconnectNow() {
      if (waiting) connect();
    },
    close() {
      socket?.close();
    },
    /** The id of the last event received, null before the first. */
    get lastEventId() {
      return lastEventId;
    },
  };
}
