// @ts-check
// Reading offline: the shell the service worker keeps is the whole page,
// the tenant's data is kept only from this server's reads, and signing out
// leaves nothing of the tenant behind. The app's manifest wears the palette.
/// <reference path="node-fs.d.ts" />
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { schemes } from '../../../frontend/src/lib/palette-check';
import { DATA_CACHE, KEEP_DELAY, OWED_SIGN_OUT, SHELL, createKeeper, forgetTenant, holdsTenantData, oldShells, oweSignOut, owesSignOut, shellCache, strategy } from '../assets/offline.js';
import { MemoryStorage } from './memory-storage.js';

const assets = new URL('../assets/', import.meta.url);
const origin = 'https://chat.example.org';

describe('the shell', () => {
  it('is every file the server embeds for the page, once each', () => {
    const files = [
      ...readdirSync(assets).filter((n) => n.includes('.')),
      ...readdirSync(new URL('icons/', assets)).map((n) => `icons/${n}`),
    ];
    // index.html is the page itself, at /portal/.
    const expected = files.map((n) => (n === 'index.html' ? '/portal/' : `/portal/assets/${n}`));
    expect([...SHELL].sort()).toEqual(expected.sort());
    expect(new Set(SHELL).size).toBe(SHELL.length);
  });

  it('is named after the build, and a new build drops the old shells only', () => {
    const names = [shellCache('aaa'), shellCache('bbb'), DATA_CACHE];
    expect(oldShells(names, 'bbb')).toEqual([shellCache('aaa')]);
  });
});

describe('what the service worker answers, and how', () => {
  /** @param {string} url @param {string} [method] @param {string} [mode] */
  const of = (url, method = 'GET', mode = 'cors') => strategy({ url, method, mode }, origin);
  it.each([
    ['the portal', `${origin}/portal/`, 'GET', 'navigate', 'page'],
    ['a conversation', `${origin}/portal/c/12`, 'GET', 'navigate', 'page'],
    ['a sign-in link', `${origin}/portal/i/tok3n`, 'GET', 'navigate', 'pass'],
    ['a sign-in link pressed', `${origin}/portal/i/tok3n`, 'POST', 'navigate', 'pass'],
    ['the new-link page', `${origin}/portal/link`, 'GET', 'navigate', 'pass'],
    ['a module', `${origin}/portal/assets/app.js`, 'GET', 'cors', 'shell'],
    ['an icon', `${origin}/portal/assets/icons/icon-192.png`, 'GET', 'no-cors', 'shell'],
    ['a file not in the shell', `${origin}/portal/assets/nope.js`, 'GET', 'cors', 'pass'],
    ['the tenant', `${origin}/api/v1/me`, 'GET', 'cors', 'data'],
    ['the conversation list', `${origin}/api/v1/conversations`, 'GET', 'cors', 'data'],
    ['a conversation', `${origin}/api/v1/conversations/7`, 'GET', 'cors', 'data'],
    ['a page of messages', `${origin}/api/v1/conversations/7/messages?before=40&limit=50`, 'GET', 'cors', 'data'],
    ['the shared files', `${origin}/api/v1/conversations/7/files`, 'GET', 'cors', 'data'],
    ['a file viewed', `${origin}/api/v1/files/9`, 'GET', 'no-cors', 'data'],
    ['a reply', `${origin}/api/v1/conversations/7/messages`, 'POST', 'cors', 'pass'],
    ['a read position', `${origin}/api/v1/conversations/7/read`, 'POST', 'cors', 'pass'],
    ['a sign-out', `${origin}/api/v1/auth/signout`, 'POST', 'cors', 'pass'],
    ['the list of sessions', `${origin}/api/v1/sessions`, 'GET', 'cors', 'pass'],
    ['the events socket', `${origin}/api/v1/events?since=4`, 'GET', 'cors', 'pass'],
    ['another origin', 'https://elsewhere.example/api/v1/me', 'GET', 'cors', 'pass'],
    ['another origin, same path', 'https://elsewhere.example/portal/assets/app.js', 'GET', 'no-cors', 'pass'],
    ['another port', 'https://chat.example.org:8443/api/v1/conversations', 'GET', 'cors', 'pass'],
  ])('%s', (_, url, method, mode, want) => {
    expect(of(url, method, mode)).toBe(want);
  });
});

/** Cache Storage in memory: names only, which is what forgetting looks at. */
class MemoryCaches {
  /** @param {string[]} names */
  constructor(names) {
    this.names = new Set(names);
  }
  async keys() {
    return [...this.names];
  }
  /** @param {string} name */
  async delete(name) {
    return this.names.delete(name);
  }
}

describe('forgetting the tenant', () => {
  it('clears the storages, the data cache and IndexedDB, and keeps the shell', async () => {
    const session = new MemoryStorage();
    const local = new MemoryStorage();
    session.setItem('doorstep-portal-unsent', '{"tenant":4}');
    local.setItem('anything', 'of theirs');
    const caches = new MemoryCaches([shellCache('b1'), DATA_CACHE, 'something-else']);
    const dbs = new Set(['doorstep']);
    await forgetTenant({
      caches,
      storages: [session, local],
      indexedDB: {
        databases: async () => [...dbs].map((name) => ({ name, version: 1 })),
        deleteDatabase: (name) => {
          dbs.delete(name);
          return /** @type {IDBOpenDBRequest} */ ({});
        },
      },
    });
    expect([session.length, local.length]).toEqual([0, 0]);
    expect(await caches.keys()).toEqual([shellCache('b1')]);
    expect(dbs.size).toBe(0);
    expect([shellCache('b1'), DATA_CACHE].map(holdsTenantData)).toEqual([false, true]);
  });

  it('still clears the storages where there is no Cache Storage or IndexedDB', async () => {
    const session = new MemoryStorage();
    session.setItem('x', 'y');
    await forgetTenant({ caches: undefined, storages: [session], indexedDB: undefined });
    expect(session.length).toBe(0);
  });
});

describe('a sign-out the server has not heard of', () => {
  it('is owed by the session signed out of, and by no session begun since', async () => {
    const local = new MemoryStorage();
    local.setItem('doorstep-portal-replies', 'of theirs');
    // Signed out offline: everything is forgotten, then the debt noted.
    await forgetTenant({ caches: undefined, storages: [local], indexedDB: undefined });
    oweSignOut(local, 'a1b2c3');
    expect([local.length, local.getItem(OWED_SIGN_OUT)]).toEqual([1, 'a1b2c3']);
    // The next visit with the same cookie: that session must end now.
    expect(owesSignOut(local, 'a1b2c3')).toBe(true);
    expect(local.getItem(OWED_SIGN_OUT)).toBe('a1b2c3'); // until the server has heard
    // A new link opened since: another session, which owes nothing.
    expect(owesSignOut(local, 'ffee99')).toBe(false);
    expect(local.getItem(OWED_SIGN_OUT)).toBeNull();
    expect(owesSignOut(local, 'a1b2c3')).toBe(false);
  });

  it('is not noted without a session to name, nor where storage refuses', () => {
    const local = new MemoryStorage();
    oweSignOut(local, undefined);
    expect(local.length).toBe(0);
    local.full = true;
    expect(() => oweSignOut(local, 'a1b2c3')).not.toThrow();
    expect(owesSignOut(local, 'a1b2c3')).toBe(false);
  });
});

describe('keeping what arrived live', () => {
  /** A keeper whose timer runs when the test says, and what it refreshed. */
  function keeper(/** @type {Promise<unknown>} */ answer = Promise.resolve()) {
    /** @type {{ run: () => void, ms: number }[]} */
    const timers = [];
    /** @type {number[][]} */
    const refreshed = [];
    const k = createKeeper({
      later: (run, ms) => timers.push({ run, ms }),
      refresh: (ids) => {
        refreshed.push(ids);
        return answer;
      },
    });
    return { k, timers, refreshed };
  }

  it('reads a burst of changes again once, after a pause, for every conversation changed', () => {
    const { k, timers, refreshed } = keeper();
    k.changed(4);
    k.changed(4);
    k.changed(9);
    expect(timers.map((t) => t.ms)).toEqual([KEEP_DELAY]);
    expect(refreshed).toEqual([]); // nothing read before the pause
    timers[0]?.run();
    expect(refreshed).toEqual([[4, 9]]);
  });

  it('reads again after a later change, and only what changed since', () => {
    const { k, timers, refreshed } = keeper();
    k.changed(4);
    timers[0]?.run();
    k.changed(9);
    expect(timers.length).toBe(2);
    timers[1]?.run();
    expect(refreshed).toEqual([[4], [9]]);
  });

  it('survives a read that fails: the next change reads again', async () => {
    const { k, timers, refreshed } = keeper(Promise.reject(new Error('offline')));
    k.changed(4);
    timers[0]?.run();
    await Promise.resolve();
    k.changed(4);
    timers[1]?.run();
    expect(refreshed).toEqual([[4], [4]]);
  });
});

describe('the installed app', () => {
  const manifest = JSON.parse(readFileSync(new URL('manifest.webmanifest', assets), 'utf8'));
  const palette = schemes(readFileSync(new URL('palette.css', assets), 'utf8'));
  const page = readFileSync(new URL('index.html', assets), 'utf8');

  it('opens the portal, alone in its window', () => {
    expect(manifest).toMatchObject({ start_url: '/portal/', scope: '/portal/', display: 'standalone' });
    expect(manifest.name).toBeTruthy();
    expect(manifest.short_name.length).toBeLessThanOrEqual(12);
  });

  it('takes its colours from the palette: the bar for the theme, the page for the background', () => {
    expect(manifest.theme_color).toBe(palette.light['--surface']);
    expect(manifest.background_color).toBe(palette.light['--bg']);
    for (const scheme of /** @type {const} */ (['light', 'dark'])) {
      const meta = new RegExp(`<meta name="theme-color" media="\\(prefers-color-scheme: ${scheme}\\)" content="([^"]+)">`).exec(page);
      expect(meta?.[1], scheme).toBe(palette[scheme]['--surface']);
    }
  });

  it('has a PNG icon at 192 and 512 pixels, and a maskable one', () => {
    /** @type {{ src: string, sizes: string, purpose: string }[]} */
    const icons = manifest.icons;
    const has = (/** @type {string} */ purpose, /** @type {string} */ sizes) => icons.some((i) => i.purpose === purpose && i.sizes === sizes && SHELL.includes(i.src));
    expect([has('any', '192x192'), has('any', '512x512'), has('maskable', '512x512')]).toEqual([true, true, true]);
  });
});
