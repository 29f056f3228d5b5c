import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApp, startServer, stopServer } from './harness.mjs';
import { conversations, demo, messages, signIn } from './api.mjs';

test('offline: the app says so, queues a message, and delivers it once when the server is back', async (t) => {
  const { page, pageErrors, screenshot } = await openApp(t);
  await page.getByLabel('E-mail').fill(demo.email);
  await page.getByLabel('Password').fill(demo.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('sync-state').getByText('Online').waitFor();
  await page.getByTestId('conversation').filter({ hasText: 'James Okafor' }).click();
  await page.getByTestId('thread-title').getByText('James Okafor').waitFor();

  await stopServer(t);
  let restarted = false;
  t.after(async () => {
    if (!restarted) await startServer();
  });
  await page.getByTestId('sync-state').getByText('Offline').waitFor({ timeout: 20_000 });

  const textbox = page.getByLabel('Message', { exact: true });
  await textbox.fill('Written on the train: the boiler man says Friday.');
  await textbox.press('Enter');
  const queued = page.getByTestId('outgoing').filter({ hasText: 'Written on the train' });
  await queued.waitFor();
  assert.equal(await queued.getAttribute('data-state'), 'pending');
  await screenshot('offline-queued');

  await startServer();
  restarted = true;
  await page.getByTestId('sync-state').getByText('Online').waitFor({ timeout: 30_000 });
  await queued.waitFor({ state: 'detached', timeout: 30_000 });
  await page.getByTestId('message').filter({ hasText: 'Written on the train' }).waitFor();

  const landlord = await signIn(demo.email, demo.password);
  const james = (await conversations(landlord)).find((c) => c.title === 'James Okafor');
  const stored = (await messages(landlord, james.id)).filter((m) => m.text.includes('Written on the train'));
  assert.equal(stored.length, 1, 'delivered exactly once');

  await screenshot('offline-delivered');
  await page.getByRole('button', { name: 'Sign out' }).click();
  assert.deepEqual(pageErrors, []);
});
