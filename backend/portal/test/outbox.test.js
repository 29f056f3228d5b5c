// @ts-check
import { describe, expect, it } from 'vitest';
import { forgetTenant } from '../assets/offline.js';
import {
  MAX_FILES,
  REPLY_PREFIX,
  UNSENT,
  createOutbox,
  forgetDrafts,
  forgetReplies,
  isRetryable,
  markFailed,
  newPending,
  randomKey,
  readDrafts,
  saveDrafts,
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

describe('drafts', () => {
  it('survive a reload of the tab; blank ones are not kept', () => {
    const storage = new MemoryStorage();
    saveDrafts(
      storage,
      tenant,
      new Map([
        [1, 'half a sentence'],
        [2, '   '],
      ]),
    );
    expect(readDrafts(storage, tenant)).toEqual([[1, 'half a sentence']]);
  });

  it("are not another tenant's to restore, and unreadable ones are nothing", () => {
    const storage = new MemoryStorage();
    saveDrafts(storage, tenant, new Map([[1, 'mine']]));
    expect(readDrafts(storage, tenant + 1)).toEqual([]);
    storage.setItem(UNSENT, '{not json');
    expect(readDrafts(storage, tenant)).toEqual([]);
  });

  it('stay in the page when storage is full', () => {
    const storage = new MemoryStorage();
    saveDrafts(storage, tenant, new Map([[1, 'first']]));
    storage.full = true;
    expect(() => saveDrafts(storage, tenant, new Map([[1, 'second']]))).not.toThrow();
    expect(readDrafts(storage, tenant)).toEqual([[1, 'first']]);
  });

  it('are forgotten on signing out', () => {
    const storage = new MemoryStorage();
    saveDrafts(storage, tenant, new Map([[1, 'draft']]));
    forgetDrafts(storage);
    expect(storage.getItem(UNSENT)).toBeNull();
  });
});

describe('replies not yet stored', () => {
  const reason = 'waiting for the connection.';
  const waiting = { state: 'failed', error: reason, retry: true };

  it('outlive the page that wrote them: a later one sends them again with their keys', () => {
    const storage = new MemoryStorage();
    const closed = createOutbox(storage, tenant);
    const sending = newPending('on its way', [file], 'portal-1');
    const failed = newPending('', [file], 'portal-2', true);
    markFailed(failed, { code: 'network', status: 0, message: 'No connection.' });
    closed.keep(1, sending);
    closed.keep(3, failed);

    expect(createOutbox(storage, tenant).waiting(reason)).toEqual([
      [1, { key: 'portal-1', text: 'on its way', files: [file], urgent: false, ...waiting }],
      [3, { key: 'portal-2', text: '', files: [file], urgent: true, ...waiting }],
    ]);
  });

  it('written in two tabs at once are both kept: neither overwrites the other', () => {
    const storage = new MemoryStorage();
    const one = createOutbox(storage, tenant);
    const two = createOutbox(storage, tenant);
    // Both tabs started with nothing waiting; each writes a reply.
    expect(one.waiting(reason)).toEqual([]);
    expect(two.waiting(reason)).toEqual([]);
    one.keep(1, newPending('from the phone', [], 'portal-a'));
    two.keep(1, newPending('from the laptop', [], 'portal-b'));
    one.keep(2, newPending('another thread', [], 'portal-c'));

    const keys = (/** @type {[number, Pending][]} */ w) => w.map(([id, p]) => `${id}:${p.key}`).sort();
    expect(keys(createOutbox(storage, tenant).waiting(reason))).toEqual(['1:portal-a', '1:portal-b', '2:portal-c']);
  });

  it('leave only once stored: when both tabs send the same one, the first answer removes it and the second changes nothing', () => {
    const storage = new MemoryStorage();
    const one = createOutbox(storage, tenant);
    one.keep(1, newPending('kept', [], 'portal-a'));
    one.keep(1, newPending('other', [], 'portal-b'));
    const two = createOutbox(storage, tenant);
    // Both tabs hold portal-a and send it; the server stores it once and
    // answers both with that message.
    expect(two.waiting(reason).map(([, p]) => p.key)).toContain('portal-a');
    one.settled('portal-a');
    expect(createOutbox(storage, tenant).waiting(reason).map(([, p]) => p.key)).toEqual(['portal-b']);
    two.settled('portal-a');
    expect(createOutbox(storage, tenant).waiting(reason).map(([, p]) => p.key)).toEqual(['portal-b']);
  });

  it("are the signed-in tenant's only; another tenant's are removed, unreadable ones skipped", () => {
    const storage = new MemoryStorage();
    createOutbox(storage, tenant + 1).keep(1, newPending('theirs', [], 'portal-x'));
    storage.setItem(`${REPLY_PREFIX}${tenant}:portal-bad`, '{not json');
    storage.setItem('something-else', 'kept');
    const mine = createOutbox(storage, tenant);
    mine.keep(1, newPending('mine', [], 'portal-m'));

    expect(mine.waiting(reason).map(([, p]) => p.text)).toEqual(['mine']);
    expect(createOutbox(storage, tenant + 1).waiting(reason)).toEqual([]);
    expect(storage.getItem('something-else')).toBe('kept');
  });

  it('stay in the page when storage is full', () => {
    const storage = new MemoryStorage();
    storage.full = true;
    const outbox = createOutbox(storage, tenant);
    expect(() => outbox.keep(1, newPending('x', []))).not.toThrow();
    expect(outbox.waiting(reason)).toEqual([]);
  });

  it('are forgotten on signing out, and whenever the session ends', async () => {
    const local = new MemoryStorage();
    const session = new MemoryStorage();
    createOutbox(local, tenant).keep(1, newPending('a', [], 'portal-a'));
    createOutbox(local, tenant + 1).keep(1, newPending('b', [], 'portal-b'));
    local.setItem('something-else', 'kept');
    forgetReplies(local);
    expect(createOutbox(local, tenant).waiting(reason)).toEqual([]);
    expect(local.length).toBe(1);

    // A 401 or an ended session clears the page's storages (forgetTenant).
    createOutbox(local, tenant).keep(1, newPending('a', [], 'portal-a'));
    saveDrafts(session, tenant, new Map([[1, 'draft']]));
    await forgetTenant({ caches: undefined, storages: [local, session], indexedDB: undefined });
    expect(createOutbox(local, tenant).waiting(reason)).toEqual([]);
    expect(readDrafts(session, tenant)).toEqual([]);
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
