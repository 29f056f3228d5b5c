// @ts-check
import { describe, expect, it } from 'vitest';
import { createSeenTracker } from '../assets/seen.js';

/** @typedef {import('../assets/seen.js').Entry} Entry */

/** A message element as the thread draws it: only its data-seq matters here. */
function message(/** @type {number} */ seq) {
  const el = { getAttribute: (/** @type {string} */ n) => (n === 'data-seq' ? String(seq) : null), hasAttribute: (/** @type {string} */ n) => n === 'data-seq' };
  return /** @type {Element} */ (/** @type {unknown} */ (el));
}

/**
 * A page with a fake IntersectionObserver and a tab whose visibility the
 * test sets: scrollTo says which messages are on screen, as the browser
 * would report them.
 */
function page({ visible = true } = {}) {
  /** @type {((entries: Entry[]) => void) | null} */
  let report = null;
  /** @type {Set<Element>} */
  const observed = new Set();
  /** @type {Set<Element>} */
  let shown = new Set();
  /** @type {Entry[]} */
  let pending = [];
  const env = {
    visible: () => visible,
    /** @type {number[]} */
    reported: [],
    observer: (/** @type {(entries: Entry[]) => void} */ r) => {
      report = r;
      return {
        // Like the browser: each new target is reported, on screen or not,
        // all together in one callback after the task that observed them.
        observe: (/** @type {Element} */ el) => {
          observed.add(el);
          pending.push({ target: el, isIntersecting: shown.has(el) });
        },
        unobserve: (/** @type {Element} */ el) => observed.delete(el),
        disconnect: () => observed.clear(),
      };
    },
    onSeen: (/** @type {number} */ seq) => env.reported.push(seq),
  };
  return {
    env,
    observed,
    setVisible: (/** @type {boolean} */ v) => (visible = v),
    /** The browser delivers what the observer has to say about new targets. */
    settle() {
      const entries = pending.filter((e) => observed.has(e.target));
      pending = [];
      if (entries.length) report?.(entries);
    },
    /** The thread scrolled: these elements are on screen now. */
    scrollTo(/** @type {Element[]} */ onScreen) {
      const now = new Set(onScreen);
      /** @type {Entry[]} */
      const changed = [];
      for (const el of observed) if (now.has(el) !== shown.has(el)) changed.push({ target: el, isIntersecting: now.has(el) });
      shown = now;
      if (changed.length) report?.(changed);
    },
  };
}

describe('the read position follows what is seen', () => {
  it('moves to the newest message on screen, only forward', () => {
    const p = page();
    const tracker = createSeenTracker(p.env);
    const msgs = [1, 2, 3, 4, 5].map(message);
    tracker.reset(0);
    p.scrollTo(msgs.slice(0, 2)); // the top of the thread
    tracker.watch(msgs);
    p.settle();
    expect(p.env.reported).toEqual([2]);
    p.scrollTo(msgs.slice(2, 5));
    expect(p.env.reported).toEqual([2, 5]);
    p.scrollTo(msgs.slice(0, 1)); // back up: nothing moves back
    expect(p.env.reported).toEqual([2, 5]);
  });

  it('a thread loaded in a hidden tab moves nothing until the tab is shown', () => {
    const p = page({ visible: false });
    const tracker = createSeenTracker(p.env);
    const msgs = [1, 2, 3].map(message);
    tracker.reset(0);
    p.scrollTo(msgs);
    tracker.watch(msgs);
    p.settle();
    expect(p.env.reported).toEqual([]);
    p.setVisible(true);
    tracker.visibilityChanged();
    expect(p.env.reported).toEqual([3]);
  });

  it('messages that arrive while the tab is hidden count once it is shown, not before', () => {
    const p = page();
    const tracker = createSeenTracker(p.env);
    const msgs = [1, 2].map(message);
    tracker.reset(0);
    p.scrollTo(msgs);
    tracker.watch(msgs);
    p.settle();
    expect(p.env.reported).toEqual([2]);
    p.setVisible(false);
    const more = [...msgs, message(3)];
    p.scrollTo(more);
    tracker.watch(more);
    p.settle();
    expect(p.env.reported).toEqual([2]);
    p.setVisible(true);
    tracker.visibilityChanged();
    expect(p.env.reported).toEqual([2, 3]);
  });

  it('a message off screen (scrolled away) is not seen', () => {
    const p = page();
    const tracker = createSeenTracker(p.env);
    const msgs = [1, 2, 3, 4].map(message);
    tracker.reset(0);
    p.scrollTo([msgs[0], msgs[1]].filter((m) => m !== undefined));
    tracker.watch(msgs);
    p.settle();
    expect(p.env.reported).toEqual([2]);
  });

  it('what was already read is not reported again; another thread starts over', () => {
    const p = page();
    const tracker = createSeenTracker(p.env);
    const msgs = [1, 2, 3].map(message);
    tracker.reset(3); // read up to 3 before
    p.scrollTo(msgs);
    tracker.watch(msgs);
    p.settle();
    expect(p.env.reported).toEqual([]);
    const other = [1, 2].map(message);
    tracker.reset(0);
    expect(p.observed.size).toBe(0);
    p.scrollTo(other);
    tracker.watch(other);
    p.settle();
    expect(p.env.reported).toEqual([2]);
  });

  it('elements drawn again replace the old ones: one observation each', () => {
    const p = page();
    const tracker = createSeenTracker(p.env);
    tracker.reset(0);
    const first = [1, 2].map(message);
    p.scrollTo(first);
    tracker.watch(first);
    p.settle();
    const redrawn = [1, 2, 3].map(message);
    p.scrollTo(redrawn);
    tracker.watch(redrawn);
    p.settle();
    expect(p.observed.size).toBe(3);
    expect(p.env.reported).toEqual([2, 3]);
  });
});
