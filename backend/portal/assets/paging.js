// @ts-check
// A thread's messages come in pages: the newest page when it opens, the
// page before the first one held when the tenant asks for earlier ones, and
// every page after the newest one held when the connection comes back.
// Messages are kept by seq, so a page that overlaps what is held changes
// nothing twice.

/** @typedef {import('./api.js').Message} Message */
/** @typedef {import('./api.js').PageQuery} PageQuery */
/** @typedef {import('./state.js').Thread} Thread */

/** Messages per page when opening a thread or going back. */
export const PAGE = 50;
/** Messages per page when catching up after a reconnect. */
export const CATCH_UP_PAGE = 100;

/**
 * Fetches one page of a conversation's messages.
 * @typedef {(id: number, page: PageQuery) => Promise<Message[]>} FetchPage
 */

/**
 * Whether there is more before a page: it is not empty and does not start
 * at the first message.
 * @param {Message[]} page in seq order
 */
export function hasEarlier(page) {
  return page.length > 0 && (page[0]?.seq ?? 0) > 1;
}

/** @param {Thread} t @param {Message[]} page */
function keep(t, page) {
  for (const m of page) t.messages.set(m.seq, m);
}

/**
 * Loads the newest page of a thread.
 * @param {FetchPage} fetchPage
 * @param {number} id
 * @param {Thread} t
 */
export async function loadNewest(fetchPage, id, t) {
  const page = await fetchPage(id, { limit: PAGE });
  keep(t, page);
  t.loaded = true;
  t.hasEarlier = hasEarlier(page);
}

/**
 * Fetches everything after the newest message held (after a reconnect).
 * @param {FetchPage} fetchPage
 * @param {number} id
 * @param {Thread} t
 */
export async function catchUp(fetchPage, id, t) {
  if (!t.loaded) return;
  for (;;) {
    const after = Math.max(0, ...t.messages.keys());
    const page = await fetchPage(id, { after, limit: CATCH_UP_PAGE });
    keep(t, page);
    if (page.length < CATCH_UP_PAGE) return;
  }
}

/**
 * Loads the page before the first message held.
 * @param {FetchPage} fetchPage
 * @param {number} id
 * @param {Thread} t
 */
export async function loadEarlier(fetchPage, id, t) {
  const first = Math.min(...t.messages.keys());
  const page = await fetchPage(id, { before: first, limit: PAGE });
  keep(t, page);
  t.hasEarlier = hasEarlier(page);
}

/** How many pages a reading again for the kept copy asks for at most. */
export const REREAD_PAGES = 20;

/**
 * Reads a thread again as the tenant holds it, through the worker, which
 * keeps the answers: the newest page, then the page before each, until the
 * first message held, each asked for as loadNewest and loadEarlier ask.
 * An offline visit then finds every page it asks for, however many
 * messages came live since the thread was read. Nothing changes in t.
 * @param {FetchPage} fetchPage
 * @param {number} id
 * @param {Thread} t
 */
export async function rereadHeld(fetchPage, id, t) {
  if (!t.loaded) return;
  const first = t.messages.size > 0 ? Math.min(...t.messages.keys()) : 1;
  let page = await fetchPage(id, { limit: PAGE });
  for (let n = 1; n < REREAD_PAGES && hasEarlier(page) && (page[0]?.seq ?? 0) > first; n++) {
    page = await fetchPage(id, { before: /** @type {number} */ (page[0]?.seq), limit: PAGE });
  }
}

/** The messages held, oldest first. */
export function inOrder(/** @type {Thread} */ t) {
  return [...t.messages.values()].sort((a, b) => a.seq - b.seq);
}

/** The seq of the newest message held, 0 with none. */
export function newestSeq(/** @type {Thread} */ t) {
  return Math.max(0, ...t.messages.keys());
}
