// @ts-check
// The portal's service worker, served as /portal/sw.js so its scope is the
// portal (and nothing else of the server). It keeps the shell of the
// server's build and the API answers already read, so that with no network
// the portal still opens and shows them; the rules are in
// assets/offline.js. The server writes its build into BUILD when it serves
// this file: a new build is a new script, which the browser installs in
// place of the old one, and that drops the old shell.

import { DATA_CACHE, FROM_CACHE_HEADER, PAGE, SHELL, oldShells, shellCache, strategy } from './assets/offline.js';

const BUILD = '__PORTAL_BUILD__';
const SHELL_CACHE = shellCache(BUILD);

/**
 * The parts of the worker's global scope used here (the DOM library the
 * portal is checked against has no worker types).
 * @typedef {Event & { waitUntil(p: Promise<unknown>): void }} ExtendableEvent
 * @typedef {ExtendableEvent & { request: Request, respondWith(r: Promise<Response>): void }} FetchEvent
 * @typedef {object} WorkerScope
 * @property {() => Promise<void>} skipWaiting
 * @property {{ claim(): Promise<void> }} clients
 * @property {{ origin: string }} location
 * @property {(type: string, listener: (e: any) => void) => void} addEventListener
 */
const worker = /** @type {WorkerScope} */ (/** @type {unknown} */ (self));

worker.addEventListener('install', (/** @type {ExtendableEvent} */ e) => {
  e.waitUntil(
    caches
      .open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL.map((path) => new Request(path, { cache: 'reload' }))))
      // A new build takes over at once: its shell is complete.
      .then(() => worker.skipWaiting()),
  );
});

worker.addEventListener('activate', (/** @type {ExtendableEvent} */ e) => {
  e.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(oldShells(names, BUILD).map((n) => caches.delete(n))))
      .then(() => worker.clients.claim()),
  );
});

worker.addEventListener('fetch', (/** @type {FetchEvent} */ e) => {
  switch (strategy(e.request, worker.location.origin)) {
    case 'page':
      e.respondWith(page(e.request));
      break;
    case 'shell':
      e.respondWith(shellFile(e.request));
      break;
    case 'data':
      e.respondWith(data(e.request));
      break;
    // 'pass': not answered here, the browser fetches as without a worker.
  }
});

/**
 * A portal address: the server's page, else the shell's copy of it. The
 * page carries the sentences of the tenant's language, which may have
 * changed since the shell was kept (they picked another): each page the
 * server gives replaces the copy, so offline reads as online did last.
 */
async function page(/** @type {Request} */ request) {
  try {
    const res = await fetch(request);
    if (res.ok && res.type === 'basic') {
      const copy = res.clone();
      caches
        .open(SHELL_CACHE)
        .then((cache) => cache.put(PAGE, copy))
        .catch(() => {
          /* the copy kept before still opens the portal */
        });
    }
    return res;
  } catch (e) {
    const kept = await caches.match(PAGE, { cacheName: SHELL_CACHE });
    if (kept) return kept;
    throw e;
  }
}

/** A file of the page: this build's copy, else the server's. */
async function shellFile(/** @type {Request} */ request) {
  return (await caches.match(request, { cacheName: SHELL_CACHE })) ?? fetch(request);
}

/**
 * An API answer: the server's, kept for later; with no connection the one
 * kept, marked so the page can say it is offline.
 */
async function data(/** @type {Request} */ request) {
  let res;
  try {
    res = await fetch(request);
  } catch (e) {
    const kept = await caches.match(request, { cacheName: DATA_CACHE, ignoreVary: true });
    if (!kept) throw e;
    const headers = new Headers(kept.headers);
    headers.set(FROM_CACHE_HEADER, '1');
    return new Response(kept.body, { status: kept.status, statusText: kept.statusText, headers });
  }
  if (res.status === 401) {
    // The session is over: what was kept of it goes too.
    await caches.delete(DATA_CACHE);
  } else if (res.status === 200 && res.type === 'basic' && (await caches.has(DATA_CACHE))) {
    // Kept only while the page that opened the data cache is signed in: a
    // sign-out deletes it, and an answer arriving after that is not kept.
    await (await caches.open(DATA_CACHE)).put(request, res.clone());
  }
  return res;
}
