// Paint marks for the desktop benchmark (scripts/bench-desktop.sh), and the
// only module that calls the Go BenchTrace binding. It does nothing unless
// the app was started with DOORSTEP_BENCH_TRACE set. Then it watches the page,
// so that no component has to know about it, and tells Go after the frame
// that shows each of these:
//   page    this script running (ms since the page's navigation began);
//   list    the conversation list, the first time it holds a conversation;
//   online  the sync indicator, the first time it says online (caught up);
//   thread  a conversation clicked in the list, once its messages are back
//           on screen (ms from the click);
//   key     each key pressed in the compose box (ms from the keydown).
import { Enabled, Mark } from '../../../wailsjs/go/app/BenchTrace';

/** What the trace needs of Go: the binding, or a test's fake. */
export interface TraceSink {
  enabled: () => Promise<boolean>;
  mark: (name: string, ms: number) => Promise<void>;
}

const goSink: TraceSink = { enabled: Enabled, mark: Mark };

const LIST_ITEM = '[data-testid="conversation"]';
const ONLINE = '[data-testid="sync-state"][data-state="online"]';
const MESSAGE = '[data-testid="messages"] [data-testid="message"]';

/**
 * Runs fn once the next frame is painted: a requestAnimationFrame callback
 * runs just before the frame's rendering, and a task it queues runs after.
 */
function afterPaint(fn: () => void): void {
  requestAnimationFrame(() => setTimeout(fn, 0));
}

/** When an event happened on the page's clock (performance.now()). */
function eventTime(e: Event): number {
  const now = performance.now();
  return e.timeStamp > 0 && e.timeStamp <= now ? e.timeStamp : now;
}

/** Starts the marks when Go says the trace is on; resolves to the function that stops them. */
export async function startBenchTrace(sink: TraceSink = goSink, doc: Document = document): Promise<() => void> {
  if (!(await sink.enabled().catch(() => false))) return () => {};
  const mark = (name: string, ms = 0) => void sink.mark(name, ms).catch(() => {});
  mark('page', performance.now());
  let listed = false;
  let online = false;
  // A click on a conversation: when, and whether its messages have left
  // the screen since (the thread is emptied while the page loads).
  let opening: { at: number; cleared: boolean } | null = null;

  const check = () => {
    if (!listed && doc.querySelector(LIST_ITEM)) {
      listed = true;
      afterPaint(() => mark('list'));
    }
    if (!online && doc.querySelector(ONLINE)) {
      online = true;
      afterPaint(() => mark('online'));
    }
    if (opening) {
      const shown = doc.querySelector(MESSAGE) !== null;
      if (!shown) opening.cleared = true;
      else if (opening.cleared) {
        const { at } = opening;
        opening = null;
        afterPaint(() => mark('thread', performance.now() - at));
      }
    }
  };
  const onClick = (e: MouseEvent) => {
    if (e.target instanceof Element && e.target.closest(LIST_ITEM)) {
      opening = { at: eventTime(e), cleared: false };
      check();
    }
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.target instanceof HTMLTextAreaElement) {
      const at = eventTime(e);
      afterPaint(() => mark('key', performance.now() - at));
    }
  };

  const observer = new MutationObserver(check);
  observer.observe(doc.body, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-state'] });
  doc.addEventListener('click', onClick, { capture: true, passive: true });
  doc.addEventListener('keydown', onKey, { capture: true, passive: true });
  check();
  return () => {
    observer.disconnect();
    doc.removeEventListener('click', onClick, { capture: true });
    doc.removeEventListener('keydown', onKey, { capture: true });
  };
}
