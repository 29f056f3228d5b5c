// @ts-check
// The tenant portal: a tenant's conversations with their landlord, live.
//
// Signed in by the cookie a portal link sets; every change carries the CSRF
// header the server checks. Everything the server sends is put in the page
// as text (textContent, attributes), never as markup, and isolated from
// what surrounds it (format.js). Tenants answer and share files; they never
// start a conversation, and once their lease is no longer Active a
// conversation is read-only, with the server's reason.
//
// The modules: api (the server's calls and shapes), connection (the live
// events socket and its reconnecting), outbox (what is not sent yet), offline
// (what the service worker keeps for reading offline),
// paging (a thread's pages), state (what the page knows), format, dom and
// render (building the page as text), app (what the portal does) and this
// one, which finds the page's elements and starts.

import { createPortal } from './app.js';
import { installWorker } from './offline.js';
import { createState } from './state.js';

/** The element a selector names; the page is broken without it. */
function find(/** @type {string} */ selector) {
  const node = document.querySelector(selector);
  if (!(node instanceof HTMLElement)) throw new Error(`the page has no ${selector}`);
  return node;
}

const page = {
  app: find('#app'),
  who: find('[data-testid=who]'),
  connection: find('[data-testid=connection]'),
  signOut: find('[data-testid=sign-out]'),
  signOutEverywhere: find('[data-testid=sign-out-everywhere]'),
  sessions: /** @type {HTMLDetailsElement} */ (find('[data-testid=sessions]')),
  sessionList: find('[data-testid=session-list]'),
  language: find('[data-testid=language]'),
  languageSelect: /** @type {HTMLSelectElement} */ (find('[data-testid=language-select]')),
};
/**
 * Where replies not yet stored are kept: localStorage, which outlives the
 * tab; this tab's storage where the browser refuses it.
 */
function replyStorage() {
  try {
    return localStorage;
  } catch {
    return sessionStorage;
  }
}

const portal = createPortal(createState(), page, sessionStorage, replyStorage());

page.signOut.addEventListener('click', () => portal.signOut());
page.signOutEverywhere.addEventListener('click', () => portal.signOutEverywhere());
page.sessions.addEventListener('toggle', () => portal.showSessions());
// The page carries its sentences: a new language is a new page.
page.languageSelect.addEventListener('change', async () => {
  if (await portal.chooseLanguage(page.languageSelect.value)) location.reload();
});
window.addEventListener('popstate', () => portal.route());
window.addEventListener('online', () => portal.online());
navigator.serviceWorker?.addEventListener('controllerchange', () => portal.reread());
document.addEventListener('visibilitychange', () => portal.visible());
// Files dropped anywhere but on a thread must not replace the page.
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => e.preventDefault());

installWorker(navigator);
portal.start();
