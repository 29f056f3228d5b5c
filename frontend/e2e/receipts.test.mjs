// Read receipts: the landlord's desktop shows who has seen a message of a
// group, changing live as tenants read it in the portal; Mark as unread and
// the unread count in the window title.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApp, openPage, serverURL } from './harness.mjs';
import { demo, inviteToken, signIn } from './api.mjs';

/** Opens a demo tenant's portal through a fresh link, with the group's thread open. */
async function tenantReads(t, landlord, name, text) {
  const { page, pageErrors } = await openPage(t, `${serverURL}/portal/i/${await inviteToken(landlord, name)}`);
  await page.getByRole('button', { name: 'Open my messages' }).click();
  await page.waitForURL(/\/portal\/$/);
  await page.getByTestId('conversation').filter({ hasText: 'Maple Court · 2B' }).click();
  await page.getByTestId('message').filter({ hasText: text }).waitFor();
  assert.deepEqual(pageErrors, []);
  return page;
}

test('"Seen by" under the landlord\'s message changes live as tenants read it in the portal', async (t) => {
  const desk = await openApp(t);
  const app = desk.page;
  await app.getByLabel('E-mail').fill(demo.email);
  await app.getByLabel('Password').fill(demo.password);
  await app.getByRole('button', { name: 'Sign in' }).click();
  const group = app.getByTestId('conversation').filter({ hasText: 'Maple Court · 2B' });
  await group.click();
  await app.getByTestId('thread-title').getByText('Maple Court · 2B').waitFor();

  // A new message of the landlord's to the three tenants of 2B.
  const text = `Receipts check ${Date.now()}: the boiler service moved to Sunday.`;
  await app.getByLabel('Message', { exact: true }).fill(text);
  await app.getByLabel('Message', { exact: true }).press('Enter');
  await app.getByTestId('outgoing').waitFor({ state: 'detached' });
  const mine = app.getByTestId('message').filter({ hasText: text });
  const receipt = mine.getByTestId('receipt');
  await receipt.getByText('Not seen yet').waitFor();

  // Emily reads it in her portal: the desktop says so without a reload.
  const landlord = await signIn(demo.email, demo.password);
  await tenantReads(t, landlord, 'Emily Chen', text);
  await receipt.getByText('Seen by 1 of 3').waitFor();
  await tenantReads(t, landlord, 'Daniel Park', text);
  await receipt.getByText('Seen by 2 of 3').waitFor();

  // Who has and has not: on hover (title) and in the popover on click.
  const label = receipt.getByRole('button');
  assert.equal(await label.getAttribute('title'), 'Seen: Daniel Park, Emily Chen\nNot yet: Sofia Rossi');
  await label.click();
  assert.equal(await receipt.getByTestId('receipt-seen').textContent(), 'Daniel Park, Emily Chen');
  assert.equal(await receipt.getByTestId('receipt-not-seen').textContent(), 'Sofia Rossi');
  await desk.screenshot('receipts-seen-by');
  // Only the landlord's messages carry receipts.
  assert.equal(await app.getByTestId('message').filter({ hasText: 'Thanks for the heads-up!' }).getByTestId('receipt').count(), 0);

  // Mark as unread from the list's menu: the thread closes, the badge and
  // the window title count it.
  const unreadBefore = await app.evaluate(() => Number(/\((\d+)\)/.exec(document.title)?.[1] ?? 0));
  await group.hover();
  await app.locator('li', { has: group }).getByTestId('conversation-menu').click();
  await app.getByRole('menuitem', { name: 'Mark as unread' }).click();
  await group.getByTestId('unread').getByText('1').waitFor();
  await app.waitForFunction((n) => document.title === `Doorstep (${n})`, unreadBefore + 1);
  assert.equal(await app.getByTestId('thread-title').count(), 0);
  await desk.screenshot('receipts-marked-unread');
  // Opening it reads it again.
  await group.click();
  await group.getByTestId('unread').waitFor({ state: 'detached' });
  await app.waitForFunction((n) => document.title === (n ? `Doorstep (${n})` : 'Doorstep'), unreadBefore);
});
