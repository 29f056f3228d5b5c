// @ts-check
import { describe, expect, it } from 'vitest';
import {
  MAX_FILES,
  UNSENT,
  forgetUnsent,
  isRetryable,
  markFailed,
  newPending,
  randomKey,
  readUnsent,
  saveUnsent,
  settle,
  takeFiles,
  toRetry,
  trayBusy,
  trayProblem,
} from '../assets/outbox.js';
import { MemoryStorage } from './memory-storage.js';

/** @typedef {import('../assets/outbox.js').Pending} Pending */
/** @typedef {import('../assets/outbox.js').TrayItem} TrayItem */
/** @typedef {import('../assets/api.js').Message} Message */

const tenant = 7;
const file = { id: 3, name: 'lease.pdf', size: 1200, content_type: 'application/pdf' };

/** @param {Partial<Message>} m @returns {Message} */
function message(m) {
  return { id: 1, conversation_id: 1, seq: 1, sender: { kind: 'tenant', id: tenant, name: 'Erin' }, text: '', files: [], key: '', created_at: '2026-11-28T10:00:00Z', ...m };
}

/** @param {Partial<TrayItem>} f @returns {TrayItem} */
function trayItem(f) {
  return { id: 1, file: new Blob(['x']), name: 'a.txt', size: 1, loaded: 0, record: null, error: '', xhr: null, ...f };
}

/** @param {Record<number, Pending[]>} byId */
function threads(byId) {
  return new Map(Object.entries(byId).map(([id, pending]) => [Number(id), { pending }]));
}

describe('keys', () => {
  it('are portal- and 128 random bits in hex, never the same twice', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => randomKey()));
    expect(keys.size).toBe(1000);
    for (const k of keys) expect(k).toMatch(/^portal-[0-9a-f]{32}$/);
  });

  it('come from the random source given', () => {
    const zeros = { getRandomValues: (/** @type {any} */ b) => b.fill(0) };
    expect(randomKey(zeros)).toBe(`portal-${'0'.repeat(32)}`);
  });

  it('are made once per reply: a retry sends the same one', () => {
    const p = newPending('hello', [file]);
    expect(p).toMatchObject({ text: 'hello', files: [file], state: 'sending', error: '', retry: false });
    markFailed(p, { code: 'network', status: 0, message: 'No connection.' });
    const key = p.key;
    expect(toRetry(threads({ 4: [p] }))).toEqual([[4, p]]);
    expect(p.key).toBe(key);
  });
});

describe('a failed send', () => {
  it.each([
    ['a lost connection', 'network', 0, true],
    ["the server's trouble", 'unavailable', 503, true],
    ['an internal error', 'internal', 500, true],
    ['an ended lease', 'tenant_not_active', 403, false],
    ['a message too long', 'invalid', 400, false],
    ['too many requests', 'rate_limited', 429, false],
  ])('after %s may be tried again: %s %i → %s', (_, code, status, retry) => {
    expect(isRetryable({ code, status })).toBe(retry);
    const p = newPending('hi', []);
    markFailed(p, { code, status, message: 'why' });
    expect(p).toMatchObject({ state: 'failed', error: 'why', retry });
  });

  it('is retried only when failed and retryable, with its conversation', () => {
    const sending = newPending('a', []);
    const refused = newPending('b', []);
    markFailed(refused, { code: 'invalid', status: 400, message: 'no' });
    const lost = newPending('c', []);
    markFailed(lost, { code: 'network', status: 0, message: 'offline' });
    const lost2 = newPending('d', []);
    markFailed(lost2, { code: 'internal', status: 500, message: 'oops' });
    expect(toRetry(threads({ 1: [sending, refused, lost], 2: [lost2] }))).toEqual([
      [1, lost],
      [2, lost2],
    ]);
  });
});

describe('a stored message', () => {
  it('settles the pending reply of ours with its key, and nothing else', () => {
    const a = newPending('a', [], 'portal-a');
    const b = newPending('b', [], 'portal-b');
    expect(settle([a, b], message({ key: 'portal-a' }), true)).toEqual([b]);
    expect(settle([a, b], message({ key: 'portal-c' }), true)).toEqual([a, b]);
  });

  it("from someone else never settles ours, even with the same key", () => {
    const a = newPending('a', [], 'portal-a');
    expect(settle([a], message({ key: 'portal-a' }), false)).toEqual([a]);
  });
});

describe('what is not sent yet', () => {
  it('survives a reload: drafts, and replies to send again with their keys', () => {
    const storage = new MemoryStorage();
    const sending = newPending('on its way', [file], 'portal-1');
    const failed = newPending('', [file], 'portal-2');
    markFailed(failed, { code: 'network', status: 0, message: 'No connection.' });
    const drafts = new Map([
      [1, 'half a sentence'],
      [2, '   '],
    ]);
    saveUnsent(storage, tenant, drafts, threads({ 1: [sending], 3: [failed], 4: [] }));

    const back = readUnsent(storage, tenant);
    expect(back.drafts).toEqual([[1, 'half a sentence']]); // a blank draft is not kept
    const waiting = { state: 'failed', error: 'waiting for the connection.', retry: true };
    expect(back.pending).toEqual([
      [1, { key: 'portal-1', text: 'on its way', files: [file], urgent: false, ...waiting }],
      [3, { key: 'portal-2', text: '', files: [file], urgent: false, ...waiting }],
    ]);
  });

  it('keeps the urgent mark of a reply sent again after a reload', () => {
    const storage = new MemoryStorage();
    const urgent = newPending('Water everywhere', [], 'portal-u', true);
    expect(urgent.urgent).toBe(true);
    saveUnsent(storage, tenant, new Map(), threads({ 5: [urgent] }));
    expect(readUnsent(storage, tenant).pending).toEqual([[5, expect.objectContaining({ key: 'portal-u', urgent: true })]]);
    expect(newPending('hi', []).urgent).toBe(false);
  });

  it("is not another tenant's to restore", () => {
    const storage = new MemoryStorage();
    saveUnsent(storage, tenant, new Map([[1, 'mine']]), threads({ 1: [newPending('x', [])] }));
    expect(readUnsent(storage, tenant + 1)).toEqual({ drafts: [], pending: [] });
  });

  it('is nothing when storage holds nothing, or something unreadable', () => {
    const storage = new MemoryStorage();
    expect(readUnsent(storage, tenant)).toEqual({ drafts: [], pending: [] });
    storage.setItem(UNSENT, '{not json');
    expect(readUnsent(storage, tenant)).toEqual({ drafts: [], pending: [] });
  });

  it('stays in the page when storage is full', () => {
    const storage = new MemoryStorage();
    saveUnsent(storage, tenant, new Map([[1, 'first']]), new Map());
    storage.full = true;
    expect(() => saveUnsent(storage, tenant, new Map([[1, 'second']]), new Map())).not.toThrow();
    expect(readUnsent(storage, tenant).drafts).toEqual([[1, 'first']]);
  });

  it('is forgotten on signing out', () => {
    const storage = new MemoryStorage();
    saveUnsent(storage, tenant, new Map([[1, 'draft']]), new Map());
    forgetUnsent(storage);
    expect(storage.getItem(UNSENT)).toBeNull();
    expect(readUnsent(storage, tenant).drafts).toEqual([]);
  });
});

describe('the tray', () => {
  it('sends once every file is uploaded, and says why not before', () => {
    const done = trayItem({ record: file });
    const uploading = trayItem({ id: 2 });
    const refused = trayItem({ id: 3, error: 'too large' });
    expect(trayProblem([])).toBe('');
    expect(trayProblem([done])).toBe('');
    expect(trayProblem([done, uploading])).toBe('Wait until the files are uploaded, then send.');
    expect(trayProblem([done, uploading, refused])).toBe('Remove the files that could not be uploaded, then send.');
    expect(trayBusy([done, refused])).toBe(false);
    expect(trayBusy([done, uploading])).toBe(true);
  });

  it(`holds at most ${MAX_FILES} files`, () => {
    const twelve = Array.from({ length: 12 }, (_, i) => i);
    expect(takeFiles(0, twelve)).toEqual({ taken: twelve.slice(0, MAX_FILES), tooMany: true });
    expect(takeFiles(8, twelve)).toEqual({ taken: [0, 1], tooMany: true });
    expect(takeFiles(8, [0, 1])).toEqual({ taken: [0, 1], tooMany: false });
    expect(takeFiles(MAX_FILES, [0])).toEqual({ taken: [], tooMany: true });
    expect(takeFiles(0, [])).toEqual({ taken: [], tooMany: false });
  });
});
