// @ts-check
// What is not sent yet: replies the server has not stored, drafts, and the
// files being attached to the next message.
//
// A reply carries a key made here; sent again with the same key (a retry,
// another tab, a later visit) the server stores it once and answers with the
// message it stored first. A reply not yet stored is kept in localStorage,
// each under its own entry named after the signed-in tenant and its key, so
// it survives closing the tab or the installed app's window, and two tabs
// writing at once never overwrite each other's. It is removed only once the
// server has answered with the stored message (or the tenant discards it).
// Drafts stay in this tab (sessionStorage). Signing out, or finding the
// session ended, forgets both (offline.js, forgetTenant).

import { t } from './i18n.js';

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

/** The sessionStorage entry that holds this tab's drafts. */
export const UNSENT = 'doorstep-portal-unsent';

/** How a waiting reply's localStorage entry starts: the tenant's id, ':' and the reply's key follow. */
export const REPLY_PREFIX = 'doorstep-portal-reply:';

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
 * Keeps the drafts (blank ones are dropped) in storage, marked with the
 * tenant they belong to. Storage that is full or refused keeps them in the
 * page only.
 * @param {Storage} storage
 * @param {number} tenant
 * @param {Map<number, string>} drafts
 */
export function saveDrafts(storage, tenant, drafts) {
  const kept = Object.fromEntries([...drafts].filter(([, text]) => text.trim()));
  try {
    storage.setItem(UNSENT, JSON.stringify({ tenant, drafts: kept }));
  } catch {
    /* storage full or refused: kept in the page only */
  }
}

/**
 * The drafts an earlier page of this tab kept for this tenant. Anything kept
 * for another tenant, or unreadable, is nothing.
 * @param {Storage} storage
 * @param {number} tenant
 * @returns {[number, string][]}
 */
export function readDrafts(storage, tenant) {
  let saved = null;
  try {
    saved = JSON.parse(storage.getItem(UNSENT) ?? 'null');
  } catch {
    /* unreadable: nothing to restore */
  }
  if (!saved || saved.tenant !== tenant) return [];
  return Object.entries(saved.drafts ?? {}).map(([id, text]) => [Number(id), String(text)]);
}

/** Forgets the drafts (signing out). */
export function forgetDrafts(/** @type {Storage} */ storage) {
  storage.removeItem(UNSENT);
}

/**
 * A reply as its entry holds it: enough to send it again with its key.
 * @typedef {object} KeptReply
 * @property {number} conversation
 * @property {string} key
 * @property {string} text
 * @property {FileRecord[]} files
 * @property {boolean} urgent
 * @property {number} at when it was written (ms), to show replies in order
 */

/**
 * The replies of one tenant not yet stored by the server, kept in storage
 * (localStorage) one entry each.
 * @typedef {object} Outbox
 * @property {(conversation: number, p: Pending) => void} keep a reply is on its way
 * @property {(key: string) => void} settled the server stored the reply with this key (or it was discarded)
 * @property {(reason: string) => [number, Pending][]} waiting the kept replies, oldest first, as failed for reason and worth sending again
 */

/**
 * The outbox of the signed-in tenant over storage. Entries of another
 * tenant are removed when it reads what waits: this browser's session is no
 * longer theirs, so their replies can never be sent from here.
 * @param {Storage} storage
 * @param {number} tenant
 * @returns {Outbox}
 */
export function createOutbox(storage, tenant) {
  const prefix = `${REPLY_PREFIX}${tenant}:`;
  return {
    keep(conversation, p) {
      /** @type {KeptReply} */
      const entry = { conversation, key: p.key, text: p.text, files: p.files, urgent: !!p.urgent, at: Date.now() };
      try {
        storage.setItem(prefix + p.key, JSON.stringify(entry));
      } catch {
        /* storage full or refused: kept in the page only */
      }
    },
    settled(key) {
      try {
        storage.removeItem(prefix + key);
      } catch {
        /* storage refused: nothing was kept */
      }
    },
    waiting(reason) {
      /** @type {KeptReply[]} */
      const kept = [];
      /** @type {string[]} */
      const others = [];
      try {
        for (let i = 0; i < storage.length; i++) {
          const name = storage.key(i);
          if (!name?.startsWith(REPLY_PREFIX)) continue;
          if (!name.startsWith(prefix)) {
            others.push(name);
            continue;
          }
          const r = readReply(storage.getItem(name));
          if (r && prefix + r.key === name) kept.push(r);
        }
        for (const name of others) storage.removeItem(name);
      } catch {
        /* storage refused: nothing was kept */
      }
      kept.sort((a, b) => a.at - b.at || (a.key < b.key ? -1 : 1));
      // Sent again with the same key once connected: stored once either way.
      return kept.map((r) => [r.conversation, { key: r.key, text: r.text, files: r.files, state: 'failed', error: reason, retry: true, urgent: r.urgent }]);
    },
  };
}

/**
 * A kept reply from its entry's text, or null when it is not one.
 * @param {string | null} text
 * @returns {KeptReply | null}
 */
function readReply(text) {
  let r;
  try {
    r = JSON.parse(text ?? 'null');
  } catch {
    return null;
  }
  if (!r || typeof r.key !== 'string' || !Number.isSafeInteger(r.conversation)) return null;
  return {
    conversation: r.conversation,
    key: r.key,
    text: String(r.text ?? ''),
    files: Array.isArray(r.files) ? r.files : [],
    urgent: !!r.urgent,
    at: Number(r.at) || 0,
  };
}

/** Forgets every kept reply, whoever's (signing out). */
export function forgetReplies(/** @type {Storage} */ storage) {
  const names = [];
  for (let i = 0; i < storage.length; i++) {
    const name = storage.key(i);
    if (name?.startsWith(REPLY_PREFIX)) names.push(name);
  }
  for (const name of names) storage.removeItem(name);
}

/**
 * Why the tray cannot be sent yet, or '' when it can.
 * @param {TrayItem[]} files
 */
export function trayProblem(files) {
  if (files.some((f) => f.error)) return t('portal.removeFailedFiles');
  if (files.some((f) => !f.record)) return t('portal.waitForUploads');
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
