// Keyboard focus for what opens over the page (panels, dialogs, menus): focus
// moves in when it opens, Escape closes it, and focus goes back to what opened
// it, so someone using the keyboard alone never loses their place.

const focusable =
  'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** The elements inside node that Tab reaches, in order. */
export function focusables(node: HTMLElement): HTMLElement[] {
  return [...node.querySelectorAll<HTMLElement>(focusable)].filter((el) => !el.closest('[hidden]'));
}

export interface TakeFocusOptions {
  /** Called on Escape inside the node. */
  onescape?: () => void;
  /** Where focus goes back when the node closes; by default what had focus when it opened. */
  returnTo?: HTMLElement | null;
  /** What takes focus first (a selector inside the node); by default the first focusable element. */
  first?: string;
  /** A modal dialog: Tab and Shift+Tab go round inside it and never reach the page behind. */
  trap?: boolean;
}

/**
 * Svelte action: focus moves into node when it mounts, Escape inside it calls
 * onescape, and when it goes focus returns to returnTo (or to what had focus
 * before) unless the person has already moved it somewhere else.
 */
export function takeFocus(node: HTMLElement, options: TakeFocusOptions = {}) {
  let opts = options;
  const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const target = (opts.first && node.querySelector<HTMLElement>(opts.first)) || focusables(node)[0] || node;
  if (target === node && !node.hasAttribute('tabindex')) node.tabIndex = -1;
  // After the opening click's own focus change.
  queueMicrotask(() => target.focus());

  function onkeydown(e: KeyboardEvent) {
    if (e.key === 'Tab' && opts.trap) {
      const all = focusables(node);
      const edge = e.shiftKey ? all[0] : all.at(-1);
      if (edge && document.activeElement === edge) {
        e.preventDefault();
        (e.shiftKey ? all.at(-1) : all[0])?.focus();
      }
      return;
    }
    if (e.key !== 'Escape' || !opts.onescape) return;
    e.preventDefault();
    e.stopPropagation();
    opts.onescape();
  }
  node.addEventListener('keydown', onkeydown);
  return {
    update(next: TakeFocusOptions) {
      opts = next;
    },
    destroy() {
      node.removeEventListener('keydown', onkeydown);
      const back = opts.returnTo ?? before;
      const hadFocus = node.contains(document.activeElement);
      // Once the node is gone: focus left with it lands on <body>.
      queueMicrotask(() => {
        const now = document.activeElement;
        if (!back?.isConnected) return;
        if (hadFocus || now === null || now === document.body) back.focus();
      });
    },
  };
}

/**
 * Arrow keys, Home and End move between a menu's items (role=menuitem), as
 * in a menu bar; Tab leaves the menu as usual. For a menu's keydown.
 */
export function menuKeys(e: KeyboardEvent) {
  const menu = e.currentTarget as HTMLElement;
  const items = [...menu.querySelectorAll<HTMLElement>('[role=menuitem]:not([disabled])')];
  if (items.length === 0) return;
  const at = items.indexOf(document.activeElement as HTMLElement);
  let next: number;
  switch (e.key) {
    case 'ArrowDown':
      next = (at + 1) % items.length;
      break;
    case 'ArrowUp':
      next = (at - 1 + items.length) % items.length;
      break;
    case 'Home':
      next = 0;
      break;
    case 'End':
      next = items.length - 1;
      break;
    default:
      return;
  }
  e.preventDefault();
  items[next]?.focus();
}
