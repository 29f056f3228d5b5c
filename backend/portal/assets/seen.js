// @ts-check
// Which messages the tenant has actually seen: a message counts once it is
// on screen (an IntersectionObserver over the thread's messages) while the
// tab is visible. A thread opened in a hidden tab, or scrolled away from
// its newest messages, moves no read position; coming back to the tab
// counts what is on screen then.

/**
 * What the tracker needs of an IntersectionObserver entry.
 * @typedef {{ target: Element, isIntersecting: boolean }} Entry
 */

/**
 * What the tracker needs of an IntersectionObserver.
 * @typedef {{ observe(el: Element): void, unobserve(el: Element): void, disconnect(): void }} Observer
 */

/**
 * The page around the tracker: real ones in the browser, fakes in tests.
 * @typedef {object} SeenEnv
 * @property {(report: (entries: Entry[]) => void) => Observer} observer makes an observer over the thread's scroll box
 * @property {() => boolean} visible whether the tab is visible (document.visibilityState)
 * @property {(seq: number) => void} onSeen the newest message seen so far moved to seq
 */

/**
 * Follows the open thread's message elements (each with a data-seq) and
 * reports, through env.onSeen, the newest seq on screen while the tab is
 * visible; never the same seq twice, never a smaller one.
 * @param {SeenEnv} env
 */
export function createSeenTracker(env) {
  /** Seqs of the messages on screen now. */
  const onScreen = new Set();
  /** The newest seq reported. */
  let reported = 0;
  /** @type {Set<Element>} */
  const watched = new Set();
  const observer = env.observer((entries) => {
    for (const e of entries) {
      const seq = Number(e.target.getAttribute('data-seq'));
      if (!Number.isInteger(seq) || seq <= 0) continue;
      if (e.isIntersecting) onScreen.add(seq);
      else onScreen.delete(seq);
    }
    report();
  });

  function report() {
    if (!env.visible() || onScreen.size === 0) return;
    const newest = Math.max(...onScreen);
    if (newest <= reported) return;
    reported = newest;
    env.onSeen(newest);
  }

  return {
    /**
     * Follows a thread's message elements after it was drawn (again):
     * those with a data-seq; elements no longer in it are let go.
     * @param {Iterable<Element>} elements
     */
    watch(elements) {
      const now = new Set([...elements].filter((el) => el.hasAttribute('data-seq')));
      for (const el of watched) {
        if (!now.has(el)) {
          observer.unobserve(el);
          onScreen.delete(Number(el.getAttribute('data-seq')));
        }
      }
      for (const el of now) if (!watched.has(el)) observer.observe(el);
      watched.clear();
      for (const el of now) watched.add(el);
    },
    /** The tab's visibility changed: what is on screen now counts if it became visible. */
    visibilityChanged() {
      report();
    },
    /**
     * Another thread opens: forget this one. from is how far the tenant had
     * read the new one (nothing at or below it is reported).
     * @param {number} from
     */
    reset(from) {
      observer.disconnect();
      watched.clear();
      onScreen.clear();
      reported = from;
    },
  };
}
