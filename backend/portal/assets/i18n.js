// @ts-check
// The page's sentences, in the tenant's language. The server puts the
// catalogue in the page (<script type="application/json" id="catalogue">,
// made from backend/i18n's), so every sentence is there before anything is
// drawn, and the page reads the same offline. t(id, values) is a
// sentence with its {name} placeholders filled in; locale() is the BCP 47
// tag dates and numbers are formatted in (Intl).

/** @typedef {{ language: string, locale: string, messages: Record<string, string> }} Catalogue */

/** @type {Catalogue} */
let current = { language: 'en', locale: 'en', messages: {} };

/** Uses c from now on (the page's, or a test's). */
export function setCatalogue(/** @type {Catalogue} */ c) {
  current = c;
}

/** The catalogue the server put in the page, if it did. */
function fromPage() {
  if (typeof document === 'undefined') return;
  const node = document.getElementById('catalogue');
  if (!node?.textContent) return;
  try {
    setCatalogue(JSON.parse(node.textContent));
  } catch {
    /* a broken catalogue leaves the ids showing, and the page working */
  }
}
fromPage();

/**
 * A sentence by id, its placeholders filled from vars; the id itself when
 * the catalogue has no such sentence (a test fails on that first).
 * @param {string} id
 * @param {Record<string, string | number>} [vars]
 */
export function t(id, vars = {}) {
  const text = current.messages[id] ?? id;
  return text.replace(/\{([a-zA-Z]+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** The language the page speaks ("en", "es"). */
export function language() {
  return current.language;
}

/** The BCP 47 tag the page formats dates and numbers in. */
export function locale() {
  return current.locale;
}
