// @ts-check
// Reading offline: what the service worker (../sw.js) keeps, and how the
// page forgets a tenant.
//
// Two kinds of cache. The shell (the page, its modules, styles and icons)
// holds nothing of anyone's and is named after the server's build, so a new
// server version brings a new shell and the old one is dropped. The data
// cache holds the API answers the page already read (the tenant, the
// conversation list, a thread's pages, files viewed): it belongs to the
// signed-in tenant and is deleted with everything else of theirs when the
// session ends, whichever way it ends.
//
// Only this server's GETs are kept. Nothing for another origin (its
// credentials are not ours to store), no POSTs, no events socket (a service
// worker never sees one), no sign-in link pages, no list of sessions.

/** The prefix of the shell caches; the build follows. */
export const SHELL_PREFIX = 'doorstep-shell-';

/** The cache of API answers already read: the tenant's data. */
export const DATA_CACHE = 'doorstep-data';

/** Set by the service worker on an answer that came from the data cache. */
export const FROM_CACHE_HEADER = 'X-Doorstep-Offline';

/** The page every portal address opens with. */
export const PAGE = '/portal/';

/**
 * The shell: every file the page loads. backend/portal/test/offline.test.js
 * fails when a file in assets/ is missing here.
 */
export const SHELL = [
  PAGE,
  '/portal/assets/api.js',
  '/portal/assets/app.js',
  '/portal/assets/connection.js',
  '/portal/assets/dom.js',
  '/portal/assets/format.js',
  '/portal/assets/i18n.js',
  '/portal/assets/main.js',
  '/portal/assets/offline.js',
  '/portal/assets/outbox.js',
  '/portal/assets/paging.js',
  '/portal/assets/render.js',
  '/portal/assets/seen.js',
  '/portal/assets/state.js',
  '/portal/assets/palette.css',
  '/portal/assets/portal.css',
  '/portal/assets/icon.svg',
  '/portal/assets/manifest.webmanifest',
  '/portal/assets/icons/icon-192.png',
  '/portal/assets/icons/icon-512.png',
  '/portal/assets/icons/icon-maskable-192.png',
  '/portal/assets/icons/icon-maskable-512.png',
];

/** The shell cache of a build. */
export function shellCache(/** @type {string} */ build) {
  return SHELL_PREFIX + build;
}

/** The caches a worker of this build no longer needs: other builds' shells. */
export function oldShells(/** @type {string[]} */ names, /** @type {string} */ build) {
  return names.filter((n) => n.startsWith(SHELL_PREFIX) && n !== shellCache(build));
}

/** Whether a cache may hold something of a tenant's: every cache but the shells. */
export function holdsTenantData(/** @type {string} */ name) {
  return !name.startsWith(SHELL_PREFIX);
}

// The API answers worth reading offline: the tenant, the conversation list,
// a conversation, its pages of messages, its files, and a file's bytes.
const readable = [/^\/api\/v1\/me$/, /^\/api\/v1\/conversations$/, /^\/api\/v1\/conversations\/\d+(\/messages|\/files)?$/, /^\/api\/v1\/files\/\d+$/];

/**
 * How the service worker answers a request:
 * 'page'  a portal address: the network, else the shell's page;
 * 'shell' a file of the page: the shell cache, else the network;
 * 'data'  an API answer worth reading offline: the network (kept in the
 *         data cache), else what the data cache holds;
 * 'pass'  anything else: the browser alone, as if there were no worker.
 * @param {{ method: string, url: string, mode: string }} request
 * @param {string} origin the worker's own origin
 * @returns {'page' | 'shell' | 'data' | 'pass'}
 */
export function strategy(request, origin) {
  if (request.method !== 'GET') return 'pass';
  const url = new URL(request.url);
  if (url.origin !== origin) return 'pass';
  const path = url.pathname;
  if (request.mode === 'navigate') return path === PAGE || /^\/portal\/c\/[^/]+\/?$/.test(path) ? 'page' : 'pass';
  if (SHELL.includes(path) && path !== PAGE && !url.search) return 'shell';
  if (readable.some((r) => r.test(path))) return 'data';
  return 'pass';
}

/**
 * What forgetTenant clears: the browser's storages, or a test's.
 * @typedef {object} TenantStores
 * @property {Pick<CacheStorage, 'keys' | 'delete'> | undefined} caches
 * @property {Pick<Storage, 'clear'>[]} storages
 * @property {Pick<IDBFactory, 'databases' | 'deleteDatabase'> | undefined} indexedDB
 */

/**
 * Forgets everything of the tenant in this browser: every cache but the
 * shell, the page's storages, and IndexedDB. Run when the session ends
 * (signed out, here or everywhere, or found ended), so nothing of theirs
 * stays readable for the next person at this computer.
 * @param {TenantStores} stores
 */
export async function forgetTenant(stores) {
  for (const s of stores.storages) {
    try {
      s.clear();
    } catch {
      /* storage refused: nothing was kept there */
    }
  }
  const jobs = [];
  if (stores.caches) {
    const cs = stores.caches;
    jobs.push(cs.keys().then((names) => Promise.all(names.filter(holdsTenantData).map((n) => cs.delete(n)))));
  }
  if (stores.indexedDB) {
    const idb = stores.indexedDB;
    jobs.push(idb.databases().then((dbs) => dbs.forEach((d) => d.name && idb.deleteDatabase(d.name))));
  }
  await Promise.allSettled(jobs);
}

/** This browser's stores, as far as it lets the page reach them. */
export function browserStores() {
  /** @type {Storage[]} */
  const storages = [];
  for (const name of /** @type {const} */ (['sessionStorage', 'localStorage'])) {
    try {
      storages.push(globalThis[name]);
    } catch {
      /* storage disabled: nothing kept there */
    }
  }
  return { caches: globalThis.caches, storages, indexedDB: globalThis.indexedDB };
}

/**
 * Opens the data cache for a page about to load the tenant's data. The
 * worker keeps answers only in a data cache that exists, so an answer
 * arriving after a sign-out deleted it is not kept.
 * @param {Pick<CacheStorage, 'open'> | undefined} caches
 */
export async function openDataCache(caches) {
  try {
    await caches?.open(DATA_CACHE);
  } catch {
    /* no Cache Storage (not a secure context): nothing is kept */
  }
}

/**
 * Installs the service worker, where the browser has them. Without one the
 * portal works as before, online only.
 * @param {Navigator} navigator
 */
export function installWorker(navigator) {
  navigator.serviceWorker?.register('/portal/sw.js', { scope: PAGE, type: 'module' }).catch(() => {});
}

/** Where a sign-out the server has not heard of yet waits (localStorage). */
export const OWED_SIGN_OUT = 'doorstep-sign-out-owed';

/**
 * Records that the session tag names (GET /me's "session") was signed out
 * of here without the server hearing of it (offline): the browser still
 * holds its cookie, so it must end before anything of it shows again.
 * Called after forgetTenant has cleared the storages.
 * @param {Pick<Storage, 'setItem'>} storage
 * @param {string | undefined} tag
 */
export function oweSignOut(storage, tag) {
  if (!tag) return;
  try {
    storage.setItem(OWED_SIGN_OUT, tag);
  } catch {
    /* storage refused: the session ends when it expires */
  }
}

/**
 * Whether the session tag names is one this browser was signed out of
 * while offline, which must end now. A session begun since (a new link
 * opened) clears what was owed: it is not the one signed out of.
 * @param {Pick<Storage, 'getItem' | 'removeItem'>} storage
 * @param {string | undefined} tag
 */
export function owesSignOut(storage, tag) {
  const owed = storage.getItem(OWED_SIGN_OUT);
  if (!owed) return false;
  if (owed === tag) return true;
  storage.removeItem(OWED_SIGN_OUT);
  return false;
}

/** How long the kept copy waits after a change, so a burst of messages is read once. */
export const KEEP_DELAY = 1000;

/**
 * Keeps the copy the worker holds as new as the screen. A message that
 * arrives live (or a reply stored) changes what the tenant sees, but not the
 * pages the worker kept when the thread was read. A change marks its
 * conversation; once things settle (wait ms) refresh is called with the
 * conversations changed since, and reads them again through the worker,
 * which keeps the answers.
 * @param {{ refresh: (ids: number[]) => Promise<unknown>, later: (run: () => void, ms: number) => unknown }} deps
 * @param {number} [wait]
 */
export function createKeeper({ refresh, later }, wait = KEEP_DELAY) {
  /** @type {Set<number>} */
  const changed = new Set();
  let scheduled = false;
  return {
    /** Something of conversation id on screen changed. */
    changed(/** @type {number} */ id) {
      changed.add(id);
      if (scheduled) return;
      scheduled = true;
      later(() => {
        scheduled = false;
        const ids = [...changed];
        changed.clear();
        refresh(ids).catch(() => {
          /* not kept this time: the next change or visit reads it again */
        });
      }, wait);
    },
  };
}
