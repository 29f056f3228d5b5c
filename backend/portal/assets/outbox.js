// @ts-check
// What is not sent yet: replies the server has not stored, drafts, and the
// files being attached to the next message.
//
// A reply carries a key made here; sent again with the same key (a retry,
// a reload) the server stores it once. Drafts and replies not yet stored
// survive a reload of the page. They live in this tab only
// (sessionStorage): nothing stays behind on a shared computer once the tab
// is closed, and signing out forgets them.

/** @typedef {import('./api.js').FileRecord} FileRecord */
/** @typedef {import('./api.js').Message} Message */

/**
 * A reply on its way: 'sending', or 'failed' with the reason and whether
 * trying again may help.
 * @typedef {object} Pending
 * @property {string} key the idempotency key
 * @property {string} text
 * @property {FileRecord[]} files
 * @property {'sending' | 'failed'} state
 * @property {string} error
 * @property {boolean} retry
 * @property {boolean} [urgent] marked as an emergency
 */

/**
 * A file being attached: uploading (xhr set), uploaded (record set) or
 * refused (error set).
 * @typedef {object} TrayItem
 * @property {number} id the tray's own, for the page's elements
 * @property {Blob} file
 * @property {string} name
 * @property {number} size
 * @property {number} loaded bytes sent so far
 * @property {FileRecord | null} record
 * @property {string} error
 * @property {XMLHttpRequest | null} xhr
 */

/** Files per message, as the server enforces. */
export const MAX_FILES = 10;

/** The sessionStorage entry that holds what is not sent yet. */
export const UNSENT = 'doorstep-portal-unsent';

/**
 * A new idempotency key: "portal-" and 128 random bits in hex.
 * @param {Pick<Crypto, 'getRandomValues'>} [random]
 */
export function randomKey(random = crypto) {
  const b = new Uint8Array(16);
  random.getRandomValues(b);
  return 'portal-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * A reply about to be sent for the first time.
 * @param {string} text
 * @param {FileRecord[]} files
 * @param {string} [key]
 * @param {boolean} [urgent]
 * @returns {Pending}
 */
export function newPending(text, files, key = randomKey(), urgent = false) {
  return { key, text, files, state: 'sending', error: '', retry: false, urgent };
}

/**
 * Whether a failed send may succeed later: a lost connection or the
 * server's trouble. A refusal (lease ended, too long…) stays refused.
 * @param {{ code: string, status: number }} e
 */
export function isRetryable(e) {
  return e.code === 'network' || e.status >= 500;
}

/**
 * Marks a reply as not sent, for the reason e gives.
 * @param {Pending} p
 * @param {{ code: string, status: number, message: string }} e
 */
export function markFailed(p, e) {
  p.state = 'failed';
  p.error = e.message;
  p.retry = isRetryable(e);
}

/**
 * The replies still waiting once a stored message arrived: a message of
 * the tenant's own with a pending reply's key is that reply, stored.
 * @param {Pending[]} pending
 * @param {Message} m
 * @param {boolean} mine
 */
export function settle(pending, m, mine) {
  return pending.filter((p) => p.key !== m.key || !mine);
}

/**
 * The failed replies worth sending again, with their conversation's id.
 * @param {Map<number, { pending: Pending[] }>} threads
 * @returns {[number, Pending][]}
 */
export function toRetry(threads) {
  /** @type {[number, Pending][]} */
  const out = [];
  for (const [id, t] of threads) for (const p of t.pending) if (p.state === 'failed' && p.retry) out.push([id, p]);
  return out;
}

/**
 * Keeps drafts (blank ones are dropped) and pending replies in storage,
 * marked with the tenant they belong to. Storage that is full or refused
 * keeps them in the page only.
 * @param {Storage} storage
 * @param {number} tenant
 * @param {Map<number, string>} drafts
 * @param {Map<number, { pending: Pending[] }>} threads
 */
export function saveUnsent(storage, tenant, drafts, threads) {
  const kept = Object.fromEntries([...drafts].filter(([, text]) => text.trim()));
  /** @type {Record<number, { key: string, text: string, files: FileRecord[], urgent: boolean }[]>} */
  const pending = {};
  for (const [id, t] of threads) {
    if (t.pending.length) pending[id] = t.pending.map(({ key, text, files, urgent }) => ({ key, text, files, urgent: !!urgent }));
  }
  try {
    storage.setItem(UNSENT, JSON.stringify({ tenant, drafts: kept, pending }));
  } catch {
    /* storage full or refused: kept in the page only */
  }
}

/**
 * What an earlier page of this tab kept for this tenant: drafts, and replies
 * to send again with their keys (failed, waiting for the connection).
 * Anything kept for another tenant, or unreadable, is nothing.
 * @param {Storage} storage
 * @param {number} tenant
 * @returns {{ drafts: [number, string][], pending: [number, Pending][] }}
 */
export function readUnsent(storage, tenant) {
  /** @type {{ drafts: [number, string][], pending: [number, Pending][] }} */
  const out = { drafts: [], pending: [] };
  let saved = null;
  try {
    saved = JSON.parse(storage.getItem(UNSENT) ?? 'null');
  } catch {
    /* unreadable: nothing to restore */
  }
  if (!saved || saved.tenant !== tenant) return out;
  for (const [id, text] of Object.entries(saved.drafts ?? {})) out.drafts.push([Number(id), String(text)]);
  for (const [id, list] of Object.entries(saved.pending ?? {})) {
    for (const p of /** @type {Pending[]} */ (list)) {
      // Sent again with the same key once connected: stored once either way.
      out.pending.push([Number(id), { key: p.key, text: p.text, files: p.files ?? [], state: 'failed', error: 'waiting for the connection.', retry: true, urgent: !!p.urgent }]);
    }
  }
  return out;
}

/** Forgets what was kept (signing out). */
export function forgetUnsent(/** @type {Storage} */ storage) {
  storage.removeItem(UNSENT);
}

/**
 * Why the tray cannot be sent yet, or '' when it can.
 * @param {TrayItem[]} files
 */
export function trayProblem(files) {
  if (files.some((f) => f.error)) return 'Remove the files that could not be uploaded, then send.';
  if (files.some((f) => !f.record)) return 'Wait until the files are uploaded, then send.';
  return '';
}

/** Whether a file in the tray is still uploading. */
export function trayBusy(/** @type {TrayItem[]} */ files) {
  return files.some((f) => !f.record && !f.error);
}

/**
 * The files that fit in a tray holding `held`, and whether some did not.
 * @template T
 * @param {number} held
 * @param {T[]} incoming
 */
export function takeFiles(held, incoming) {
  const room = Math.max(0, MAX_FILES - held);
  return { taken: incoming.slice(0, room), tooMany: incoming.length > room };
}
