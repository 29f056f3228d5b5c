// The tenant portal as an installed app: it reads what was loaded with no
// network, including what arrived live, keeps a reply written offline even
// when the window is closed and sends it once when the network is back, and
// leaves nothing of the tenant in the browser once signed out.
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { openPage, serverURL } from './harness.mjs';
import { chatWith, demo, inviteToken, messages, sendAs, shareFiles, signIn, upload } from './api.mjs';

const phone = { width: 375, height: 740 };
const offlineSentence = 'Offline — showing what was already loaded.';

/** Waits until every picture in the thread has loaded. */
function picturesShown(page) {
  return page.waitForFunction(() => {
    const imgs = [...document.querySelectorAll('[data-testid=message] img')];
    return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
  });
}

/**
 * Saves a screenshot of page as the harness does; the scenario opens pages
 * of its own, which the harness's screenshot does not know.
 */
async function shot(page, name) {
  const dir = process.env.DOORSTEP_E2E_OUTPUT ?? 'test-output/e2e';
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

/**
 * Polls check (run in the page, awaited) until it answers true. Playwright's
 * waitForFunction takes the promise an async check returns as true at once.
 */
async function until(page, what, check, arg) {
  const deadline = Date.now() + 20_000;
  while (!(await page.evaluate(check, arg))) {
    if (Date.now() > deadline) assert.fail(`waited 20 s for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the worker's kept copy of a thread's newest page holds text. */
function keptInThread(page, id, text) {
  return until(
    page,
    `the kept thread to hold "${text}"`,
    async ({ id, text }) => {
      const cache = await caches.open('doorstep-data');
      for (const r of await cache.keys()) {
        if (new URL(r.url).pathname !== `/api/v1/conversations/${id}/messages`) continue;
        if ((await (await cache.match(r)).text()).includes(text)) return true;
      }
      return false;
    },
    { id, text },
  );
}

/** What the page's browser keeps for this origin, by kind. */
function kept(page) {
  return page.evaluate(async () => {
    const caches_ = await caches.keys();
    const data = caches_.includes('doorstep-data') ? (await (await caches.open('doorstep-data')).keys()).map((r) => new URL(r.url).pathname) : [];
    return {
      caches: caches_,
      data,
      local: localStorage.length,
      session: sessionStorage.length,
      databases: (await indexedDB.databases()).map((d) => d.name),
    };
  });
}

test('a tenant reads offline, replies offline once, and signing out forgets everything', async (t) => {
  const landlord = await signIn(demo.email, demo.password);
  const conv = await chatWith(landlord, 'Isabella Lopez');
  const news = 'The boiler service is on Tuesday at 10.';
  await sendAs(landlord, conv.id, news);
  const png = await readFile(new URL('../../backend/portal/assets/icons/icon-192.png', import.meta.url));
  const photo = await upload(landlord, 'boiler.png', png);
  await shareFiles(landlord, conv.id, 'The boiler, for reference', [photo.id]);
  const token = await inviteToken(landlord, 'Isabella Lopez');

  const tenant = await openPage(t, `${serverURL}/portal/i/${token}`, phone);
  const { context } = tenant;
  let page = tenant.page;
  await page.getByRole('button', { name: 'Open my messages' }).click();
  await page.waitForURL(/\/portal\/$/);
  await page.getByTestId('conversation').first().waitFor();

  // The service worker installs and takes the page over (clients.claim).
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  assert.equal(scope, `${serverURL}/portal/`);
  await page.waitForFunction(() => navigator.serviceWorker.controller?.state === 'activated');
  // Chromium finds the manifest installable: name, start URL, icons, display.
  const cdp = await context.newCDPSession(page);
  const manifest = await cdp.send('Page.getAppManifest');
  assert.deepEqual(manifest.errors, []);
  assert.equal(JSON.parse(manifest.data).display, 'standalone');
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  assert.deepEqual(installabilityErrors, []);

  // Once in control, the worker keeps what the page reads: the page reads
  // again what it read before, and the thread is read through the worker.
  await until(page, 'the tenant and the list kept', async () => {
    const kept = (await (await caches.open('doorstep-data')).keys()).map((r) => new URL(r.url).pathname);
    return kept.includes('/api/v1/me') && kept.includes('/api/v1/conversations');
  });
  await page.getByTestId('conversation').filter({ hasText: 'Maple Street Rentals' }).click();
  await page.getByTestId('message').getByText(news).waitFor();
  await picturesShown(page);
  await page.getByTestId('connection').waitFor({ state: 'hidden' });
  const before = await kept(page);
  assert.ok(before.caches.some((c) => c.startsWith('doorstep-shell-')), `caches: ${before.caches}`);
  for (const path of ['/api/v1/me', '/api/v1/conversations', `/api/v1/conversations/${conv.id}`, `/api/v1/conversations/${conv.id}/messages`, `/api/v1/files/${photo.id}`]) {
    assert.ok(before.data.includes(path), `${path} not kept: ${before.data}`);
  }

  // A message that arrives live while the tenant reads is kept too.
  const live = `The plumber comes at 9 as well (live ${Date.now()}).`;
  await sendAs(landlord, conv.id, live);
  await page.getByTestId('message').getByText(live).waitFor();
  await keptInThread(page, conv.id, live);

  // No network: the portal still opens on the thread, and says it is offline.
  await context.setOffline(true);
  await page.reload();
  await page.getByTestId('message').getByText(news).waitFor();
  await page.getByTestId('message').getByText(live).waitFor();
  await page.getByTestId('connection').getByText(offlineSentence).waitFor();
  await picturesShown(page); // a file viewed before is there too
  await shot(page, 'portal-offline-thread');

  // A reply written offline waits, and still waits once the window is
  // closed and the portal opened again, still offline.
  const reply = `Tuesday is fine, I will be home (offline ${Date.now()}).`;
  await page.getByRole('textbox', { name: 'Message' }).fill(reply);
  await page.getByTestId('send').click();
  await page.getByTestId('pending').filter({ hasText: reply }).waitFor();
  await page.close();
  page = await context.newPage();
  page.on('pageerror', (err) => tenant.pageErrors.push(err));
  await page.goto(`${serverURL}/portal/c/${conv.id}`);
  await page.getByTestId('pending').filter({ hasText: reply }).getByText('Not sent: waiting for the connection.').waitFor();
  await page.getByTestId('connection').getByText(offlineSentence).waitFor();
  await shot(page, 'portal-offline-reply-waiting');
  assert.equal((await messages(landlord, conv.id)).filter((m) => m.text === reply).length, 0, 'sent while offline');

  // The network is back: the reply is delivered, once.
  await context.setOffline(false);
  await page.getByTestId('message').filter({ hasText: reply }).waitFor();
  await page.getByTestId('pending').waitFor({ state: 'detached' });
  await page.getByTestId('connection').waitFor({ state: 'hidden' });
  await page.reload();
  await page.getByTestId('message').filter({ hasText: reply }).waitFor();
  assert.equal(await page.getByTestId('pending').count(), 0);
  // Stored, so no longer kept for sending.
  assert.deepEqual(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('doorstep-portal-reply:'))), []);
  const stored = (await messages(landlord, conv.id)).filter((m) => m.text === reply);
  assert.equal(stored.length, 1, 'the reply is stored exactly once');
  assert.equal(stored[0].sender.kind, 'tenant');
  await shot(page, 'portal-offline-reply-delivered');

  // Signing out leaves nothing of the tenant: only the shell stays.
  await page.getByTestId('sign-out').click();
  await page.getByText('You are signed out').waitFor();
  await until(page, 'only the shell kept', async () => {
    const names = await caches.keys();
    return names.length > 0 && names.every((n) => n.startsWith('doorstep-shell-'));
  });
  const after = await kept(page);
  assert.deepEqual(after, { caches: before.caches.filter((c) => c.startsWith('doorstep-shell-')), data: [], local: 0, session: 0, databases: [] });

  // … so offline, the thread's address shows nothing of theirs.
  await context.setOffline(true);
  await page.goto(`${serverURL}/portal/c/${conv.id}`);
  await page.getByText('Doorstep is not reachable').waitFor();
  assert.equal(await page.getByTestId('message').count(), 0);
  await shot(page, 'portal-offline-signed-out');
  await context.setOffline(false);

  assert.deepEqual(tenant.pageErrors, []);
});

test('a sign-out made offline ends that session at the next visit, and no session begun since', async (t) => {
  const landlord = await signIn(demo.email, demo.password);
  await chatWith(landlord, 'Isabella Lopez');
  const tenant = await openPage(t, `${serverURL}/portal/i/${await inviteToken(landlord, 'Isabella Lopez')}`, phone);
  const { context, page } = tenant;
  const signInWith = async (token) => {
    await page.goto(`${serverURL}/portal/i/${token}`);
    await page.getByRole('button', { name: 'Open my messages' }).click();
    await page.waitForURL(/\/portal\/$/);
    await page.getByTestId('conversation').first().waitFor();
  };
  const signOutOffline = async () => {
    await context.setOffline(true);
    await page.getByTestId('sign-out').click();
    await page.getByText('You are signed out').waitFor();
    await context.setOffline(false);
  };
  const owed = () => page.evaluate(() => localStorage.getItem('doorstep-sign-out-owed'));
  const meStatus = () => page.evaluate(async () => (await fetch('/api/v1/me', { cache: 'no-store' })).status);

  await page.getByRole('button', { name: 'Open my messages' }).click();
  await page.waitForURL(/\/portal\/$/);
  await page.getByTestId('conversation').first().waitFor();

  // Signed out with no network: the server kept the session and the browser
  // its cookie, so the page notes the debt …
  await signOutOffline();
  assert.ok(await owed(), 'the sign-out is noted as owed');
  assert.equal(await meStatus(), 200, 'the session still holds on the server');
  // … and the next visit ends that session before showing anything of it.
  await page.goto(`${serverURL}/portal/`);
  await page.getByText('You are signed out').waitFor();
  assert.equal(await page.getByTestId('conversation').count(), 0);
  assert.equal(await meStatus(), 401, 'the session has ended on the server');
  assert.equal(await owed(), null);

  // A new link opened after an offline sign-out begins another session,
  // which the debt does not end.
  await signInWith(await inviteToken(landlord, 'Isabella Lopez'));
  await signOutOffline();
  await signInWith(await inviteToken(landlord, 'Isabella Lopez'));
  assert.equal(await owed(), null);
  assert.equal(await meStatus(), 200);
  await page.reload();
  await page.getByTestId('conversation').first().waitFor();
  assert.deepEqual(tenant.pageErrors, []);
});
