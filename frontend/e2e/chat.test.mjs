import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApp } from './harness.mjs';
import { conversations, demo, messages, sendAs, signIn, tenantSession } from './api.mjs';

test('the demo landlord signs in, chats, and sees a tenant reply live', async (t) => {
  const { page, pageErrors, screenshot } = await openApp(t);

  // A sub-user is told chat is for the main account.
  await page.getByLabel('E-mail').fill(demo.subUser);
  await page.getByLabel('Password').fill(demo.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signin-error').getByText('Chat is available to the main account only.').waitFor();

  await page.getByLabel('E-mail').fill(demo.email);
  await page.getByLabel('Password').fill(demo.password);
  await page.getByRole('button', { name: 'Sign in' }).click();

  // The conversation list of the demo landlord paints from the cache.
  const list = page.getByTestId('conversation');
  await list.first().waitFor();
  assert.ok((await list.count()) >= 3);
  await page.getByTestId('sync-state').getByText('Online').waitFor();
  await screenshot('chat-list');

  // New Chat to a unit gives a group chat.
  await page.getByTestId('new-chat').click();
  await page.getByTestId('to-field').fill('riverside 102');
  await page.getByTestId('pick-unit').first().click();
  await page.getByTestId('thread-title').getByText('Riverside Lofts · 102').waitFor();

  // Tenants whose lease is not Active cannot be picked, and the reason shows.
  await page.getByTestId('new-chat').click();
  await page.getByTestId('to-field').fill('liam');
  const liam = page.getByTestId('pick-tenant').filter({ hasText: 'Liam Murphy' });
  await liam.getByText(/lease ended on/).waitFor();
  assert.equal(await liam.isDisabled(), true);
  // A tenant gives a one-to-one chat.
  await page.getByTestId('to-field').fill('chloe');
  await page.getByTestId('pick-tenant').filter({ hasText: 'Chloe Martin' }).click();
  await page.getByTestId('thread-title').getByText('Chloe Martin').waitFor();
  await page.getByTestId('conversation').filter({ hasText: 'Riverside Lofts · 102' }).click();
  await page.getByTestId('thread-title').getByText('Riverside Lofts · 102').waitFor();

  // Send: it shows at once, then is confirmed exactly once.
  const textbox = page.getByLabel('Message', { exact: true });
  await textbox.fill('Hello Noah and Ava — the window fitter comes Monday at 10.');
  await textbox.press('Enter');
  await page.getByTestId('message').getByText('the window fitter comes Monday').waitFor();
  await page.getByTestId('outgoing').waitFor({ state: 'detached' });

  const landlord = await signIn(demo.email, demo.password);
  const group = (await conversations(landlord)).find((c) => c.title === 'Riverside Lofts · 102');
  const stored = (await messages(landlord, group.id)).filter((m) => m.text.includes('window fitter'));
  assert.equal(stored.length, 1, 'the message is stored once');

  // A tenant replies from elsewhere: it appears live in the open thread …
  const noah = await tenantSession('Noah Wilson');
  await sendAs(noah, group.id, 'Monday works, thanks!');
  await page.getByTestId('message').getByText('Monday works, thanks!').waitFor();

  // … and a reply in another conversation shows an unread badge.
  const olivia = await tenantSession('Olivia Brown');
  const direct = (await conversations(olivia))[0];
  await sendAs(olivia, direct.id, '<b>Is Friday ok?</b>');
  const row = page.getByTestId('conversation').filter({ hasText: 'Olivia Brown' });
  await row.getByTestId('unread').waitFor();
  await row.click();
  await page.getByTestId('message').getByText('<b>Is Friday ok?</b>').waitFor();
  assert.equal(await page.locator('[data-testid="messages"] b').count(), 0, 'tenant text is never HTML');
  await screenshot('chat-thread');

  // A figure, not a pass/fail: click on a conversation to its messages painted.
  const times = [];
  for (const title of ['James Okafor', 'Maple Court · 2B', 'James Okafor', 'Maple Court · 2B', 'James Okafor', 'Maple Court · 2B']) {
    const start = performance.now();
    await page.getByTestId('conversation').filter({ hasText: title }).click();
    await page.getByTestId('thread-title').getByText(title).waitFor();
    await page.getByTestId('message').first().waitFor();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  t.diagnostic(`click to painted thread (browser, via wails dev): median ${times[3].toFixed(1)} ms of ${times.length}`);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('form', { name: 'Sign in' }).waitFor();
  assert.deepEqual(pageErrors, []);
});
