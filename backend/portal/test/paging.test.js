// @ts-check
import { describe, expect, it } from 'vitest';
import { CATCH_UP_PAGE, PAGE, REREAD_PAGES, catchUp, hasEarlier, inOrder, loadEarlier, loadNewest, newestSeq, rereadHeld } from '../assets/paging.js';

/** @typedef {import('../assets/api.js').Message} Message */
/** @typedef {import('../assets/api.js').PageQuery} PageQuery */
/** @typedef {import('../assets/state.js').Thread} Thread */

/**
 * A conversation as the server pages it (backend.MessagePage): the newest
 * page, the page just before a seq, or the page just after one; each in
 * seq order. It records what was asked.
 * @param {number} count messages 1…count
 */
function conversation(count) {
  /** @type {Message[]} */
  const all = [];
  const add = (/** @type {number} */ n) => {
    for (let i = 0; i < n; i++) {
      const seq = all.length + 1;
      all.push({ id: seq, conversation_id: 9, seq, sender: { kind: 'user', id: 1, name: 'Landlord' }, text: `#${seq}`, files: [], key: `k${seq}`, created_at: '2026-11-28T10:00:00Z' });
    }
  };
  add(count);
  /** @type {PageQuery[]} */
  const asked = [];
  /** @param {number} id @param {PageQuery} q */
  async function fetchPage(id, q) {
    expect(id).toBe(9);
    asked.push(q);
    if (q.before !== undefined) return all.filter((m) => m.seq < /** @type {number} */ (q.before)).slice(-q.limit);
    if (q.after !== undefined) return all.filter((m) => m.seq > /** @type {number} */ (q.after)).slice(0, q.limit);
    return all.slice(-q.limit);
  }
  return { fetchPage, asked, add };
}

/** @returns {Thread} */
const empty = () => ({ messages: new Map(), loaded: false, hasEarlier: false, pending: [] });
const seqs = (/** @type {Thread} */ t) => inOrder(t).map((m) => m.seq);
const range = (/** @type {number} */ from, /** @type {number} */ to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('opening a thread', () => {
  it(`loads the newest ${PAGE} messages and knows there are earlier ones`, async () => {
    const c = conversation(120);
    const t = empty();
    await loadNewest(c.fetchPage, 9, t);
    expect(c.asked).toEqual([{ limit: PAGE }]);
    expect(seqs(t)).toEqual(range(71, 120));
    expect(t).toMatchObject({ loaded: true, hasEarlier: true });
    expect(newestSeq(t)).toBe(120);
  });

  it('loads a short thread whole, with nothing earlier', async () => {
    for (const n of [0, 1, PAGE]) {
      const c = conversation(n);
      const t = empty();
      await loadNewest(c.fetchPage, 9, t);
      expect(seqs(t)).toEqual(range(1, n));
      expect(t).toMatchObject({ loaded: true, hasEarlier: false });
    }
  });
});

describe('going back', () => {
  it('loads the page before the first message held until the start', async () => {
    const c = conversation(120);
    const t = empty();
    await loadNewest(c.fetchPage, 9, t);
    await loadEarlier(c.fetchPage, 9, t);
    expect(seqs(t)).toEqual(range(21, 120));
    expect(t.hasEarlier).toBe(true);
    await loadEarlier(c.fetchPage, 9, t);
    expect(seqs(t)).toEqual(range(1, 120));
    expect(t.hasEarlier).toBe(false);
    expect(c.asked).toEqual([{ limit: PAGE }, { before: 71, limit: PAGE }, { before: 21, limit: PAGE }]);
  });
});

describe('catching up after a reconnect', () => {
  it(`fetches every page after the newest held, ${CATCH_UP_PAGE} at a time`, async () => {
    const c = conversation(30);
    const t = empty();
    await loadNewest(c.fetchPage, 9, t);
    c.add(250); // written while the connection was down
    await catchUp(c.fetchPage, 9, t);
    expect(c.asked.slice(1)).toEqual([
      { after: 30, limit: CATCH_UP_PAGE },
      { after: 130, limit: CATCH_UP_PAGE },
      { after: 230, limit: CATCH_UP_PAGE },
    ]);
    expect(seqs(t)).toEqual(range(1, 280));
  });

  it('asks once more after a full page, and stops at an empty one', async () => {
    const c = conversation(10);
    const t = empty();
    await loadNewest(c.fetchPage, 9, t);
    c.add(CATCH_UP_PAGE);
    await catchUp(c.fetchPage, 9, t);
    expect(c.asked.slice(1)).toEqual([
      { after: 10, limit: CATCH_UP_PAGE },
      { after: 10 + CATCH_UP_PAGE, limit: CATCH_UP_PAGE },
    ]);
  });

  it('starts after a live message that came over the socket first', async () => {
    const c = conversation(5);
    const t = empty();
    await loadNewest(c.fetchPage, 9, t);
    c.add(3);
    const live = /** @type {Message} */ ((await c.fetchPage(9, { after: 5, limit: 1 }))[0]);
    t.messages.set(live.seq, live); // #6, replayed by the socket before 'ready'
    await catchUp(c.fetchPage, 9, t);
    expect(c.asked.at(-1)).toEqual({ after: 6, limit: CATCH_UP_PAGE });
    expect(seqs(t)).toEqual(range(1, 8));
  });

  it('fetches nothing for a thread never opened', async () => {
    const c = conversation(5);
    const t = empty();
    await catchUp(c.fetchPage, 9, t);
    expect(c.asked).toEqual([]);
    expect(t.messages.size).toBe(0);
  });
});

describe('a page', () => {
  it('has earlier messages unless it is empty or starts at the first', () => {
    const m = (/** @type {number} */ seq) => /** @type {Message} */ ({ seq });
    expect(hasEarlier([])).toBe(false);
    expect(hasEarlier([m(1), m(2)])).toBe(false);
    expect(hasEarlier([m(2), m(3)])).toBe(true);
  });
});

describe('rereadHeld', () => {
  it('asks for the newest page, then each page before it down to the first message held', async () => {
    const c = conversation(120);
    const t = empty();
    await loadNewest(c.fetchPage, 9, t); // 71…120
    await loadEarlier(c.fetchPage, 9, t); // 21…70
    c.add(130); // 130 messages came live: 121…250
    c.asked.length = 0;
    await rereadHeld(c.fetchPage, 9, t);
    // The same questions an offline visit asks: the newest page, then the
    // page before the first one shown, and so on past seq 21.
    expect(c.asked).toEqual([
      { limit: PAGE },
      { before: 201, limit: PAGE },
      { before: 151, limit: PAGE },
      { before: 101, limit: PAGE },
      { before: 51, limit: PAGE },
    ]);
    expect(seqs(t)).toEqual(Array.from({ length: 100 }, (_, i) => i + 21)); // t itself is untouched
  });

  it('stops at the first message, and at REREAD_PAGES pages', async () => {
    const short = conversation(30);
    const t = empty();
    await loadNewest(short.fetchPage, 9, t);
    short.asked.length = 0;
    await rereadHeld(short.fetchPage, 9, t);
    expect(short.asked).toEqual([{ limit: PAGE }]);

    const long = conversation(50);
    const held = empty();
    await loadNewest(long.fetchPage, 9, held);
    long.add(5000);
    long.asked.length = 0;
    await rereadHeld(long.fetchPage, 9, held);
    expect(long.asked.length).toBe(REREAD_PAGES);
  });

  it('reads nothing of a thread never opened', async () => {
    const c = conversation(10);
    await rereadHeld(c.fetchPage, 9, empty());
    expect(c.asked).toEqual([]);
  });
});
