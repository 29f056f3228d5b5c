import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApp } from './harness.mjs';
import { chatWith, demo, sendAs, signIn } from './api.mjs';

// A word in one message only, new for each run (letters only: one token).
const needle = 'zephyr' + Array.from({ length: 8 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join('');
const behind = 5000;

test('search: a word 5,000 messages back is found and opened, highlighted, in its thread', async (t) => {
  // The history: the needle, then 5,000 newer messages on top of it.
  const landlord = await signIn(demo.email, demo.password);
  const conv = await chatWith(landlord, 'James Okafor');
  const seeding = performance.now();
  await sendAs(landlord, conv.id, `The ${needle} valve under the café sink was replaced.`);
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < behind) {
        const i = next++;
        await sendAs(landlord, conv.id, `Routine note ${i} about the stairs.`);
      }
    }),
  );
  t.diagnostic(`seeded ${behind + 1} messages over the API in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);

  const { page, pageErrors, screenshot } = await openApp(t);
  await page.getByLabel('E-mail').fill(demo.email);
  await page.getByLabel('Password').fill(demo.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('sync-state').getByText('Online').waitFor();

  // Ctrl+K goes to the search box; the results come as the word is typed.
  await page.getByTestId('conversation').first().click();
  await page.keyboard.press('Control+K');
  const box = page.getByTestId('search-box');
  assert.equal(await box.evaluate((el) => el === document.activeElement), true, 'Ctrl+K focuses the search box');
  const typed = performance.now();
  await box.pressSequentially(needle.slice(0, 9), { delay: 30 });
  const hit = page.getByTestId('search-hit').filter({ hasText: 'valve' });
  try {
    await hit.waitFor({ timeout: 60_000 }); // the history may still be loading
  } catch (err) {
    await screenshot('search-no-results');
    t.diagnostic(`results panel: ${await page.getByTestId('search-results').textContent().catch(() => 'none')}`);
    t.diagnostic(`box: ${await box.inputValue()}`);
    t.diagnostic(`history: ${JSON.stringify(await page.evaluate(() => window.go.app.SearchService.HistoryProgress()))}`);
    t.diagnostic(`valve: ${JSON.stringify(await page.evaluate(() => window.go.app.SearchService.Search('valve', {})))}`.slice(0, 600));
    throw err;
  }
  t.diagnostic(`typing to results: ${(performance.now() - typed).toFixed(0)} ms`);
  assert.equal(await page.getByTestId('search-hit').count(), 1);
  assert.deepEqual(await hit.locator('mark').allTextContents(), [needle]);
  assert.equal(await page.getByTestId('conversation').count(), 0, 'the results stand in for the list');
  await screenshot('search-results');

  // Opening it shows the message in its thread, 5,000 messages back, in view
  // and highlighted.
  await hit.click();
  await page.getByTestId('thread-title').getByText('James Okafor').waitFor();
  const found = page.locator('[data-testid="message"][aria-current="true"]');
  await found.getByText(`The ${needle} valve`).waitFor();
  const seq = Number(await found.getAttribute('data-seq'));
  const last = Number(await page.getByTestId('message').last().getAttribute('data-seq'));
  assert.ok(last - seq < 100 && seq > 0, `the page around the message is shown (seq ${seq}, page ends at ${last})`);
  await page.waitForFunction(() => {
    const el = document.querySelector('[data-testid="message"][aria-current="true"]');
    const box = document.querySelector('[data-testid="messages"]');
    if (!el || !box) return false;
    const a = el.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    return a.top >= b.top && a.bottom <= b.bottom;
  });
  await page.getByTestId('jump-latest').waitFor();
  await screenshot('search-opened');

  // The results are still there, with the query: back to them, and Escape
  // gives the conversation list again.
  assert.equal(await box.inputValue(), needle.slice(0, 9));
  await page.getByTestId('search-hit').filter({ hasText: 'valve' }).waitFor();
  await box.press('Escape');
  await page.getByTestId('conversation').first().waitFor();

  // Jump to latest leaves the old page for the newest messages.
  await page.getByTestId('jump-latest').click();
  await page.getByTestId('jump-latest').waitFor({ state: 'detached' });
  assert.equal(await page.locator('[data-testid="message"][aria-current="true"]').count(), 0);
  // The button goes as the jump starts; the newest page follows once read.
  await page.waitForFunction((newest) => {
    const shown = document.querySelectorAll('[data-testid="message"]');
    return shown.length > 0 && Number(shown[shown.length - 1].getAttribute('data-seq')) >= newest;
  }, seq + behind);

  // One box finds conversations by name too: "oliv" gives Olivia's chat
  // above any message, and choosing it opens it.
  await box.fill('oliv');
  const named = page.getByTestId('search-conversation').filter({ hasText: 'Olivia Brown' });
  await named.waitFor();
  await screenshot('search-conversation-by-name');
  await named.click();
  await page.getByTestId('thread-title').getByText('Olivia Brown').waitFor();
  await box.press('Escape');
  await page.getByTestId('conversation').first().waitFor();

  // A filter alone searches: James's messages, newest first, no word typed;
  // Clear search gives the list back.
  await page.getByRole('button', { name: 'Search filters' }).click();
  await page.getByTestId('filter-who').locator('option', { hasText: 'James Okafor' }).waitFor({ state: 'attached' });
  await page.getByTestId('filter-who').selectOption({ label: 'James Okafor' });
  await page.getByTestId('search-hit').first().waitFor();
  assert.equal(await box.inputValue(), '');
  assert.deepEqual(await page.getByTestId('search-group').locator('h2').allTextContents(), ['James Okafor']);
  assert.match(await page.getByTestId('search-count').textContent(), /^100\+ messages/);
  assert.equal(await page.getByTestId('search-hit').locator('mark').count(), 0, 'nothing typed, nothing marked');
  await screenshot('search-filter-only');
  await page.getByTestId('search-clear').click();
  await page.getByTestId('conversation').first().waitFor();
  assert.equal(await page.getByTestId('filter-who').inputValue(), '');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('form', { name: 'Sign in' }).waitFor();
  assert.deepEqual(pageErrors, []);
});
