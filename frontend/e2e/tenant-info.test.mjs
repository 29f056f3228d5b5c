import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApp } from './harness.mjs';
import { demo } from './api.mjs';

test('Tenant Info, Tenant Record and Group Details from the action menu', async (t) => {
  const { page, pageErrors, screenshot } = await openApp(t);
  await page.getByLabel('E-mail').fill(demo.email);
  await page.getByLabel('Password').fill(demo.password);
  await page.getByRole('button', { name: 'Sign in' }).click();

  await page.getByTestId('conversation').filter({ hasText: 'James Okafor' }).click();
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await page.getByRole('menuitem', { name: 'Tenant Info' }).click();
  const info = page.getByTestId('tenant-info');
  await info.getByText('Maple Court · 1B').waitFor();
  await info.getByText(/Active/).waitFor();
  // How James was told of the chat (the test server keeps notifications in
  // its dev mailbox, so they count as sent).
  const told = page.getByTestId('delivery');
  await told.getByText('E-mail sent to james.okafor@example.com', { exact: false }).waitFor();
  await told.getByText(/Text message sent to \(312\) 555-01\d\d/).waitFor();
  assert.match(await told.textContent(), /dev mailbox/, 'the landlord is told the tenant did not really get it');
  await screenshot('tenant-info');
  await info.click();
  const record = page.getByTestId('tenant-record');
  await record.getByText('james.okafor@example.com').waitFor();
  await record.getByText(/Rent \$1,180\.00/).waitFor();
  await record.getByText(/Moved in/).waitFor();
  await screenshot('tenant-record');

  await page.getByTestId('conversation').filter({ hasText: 'Maple Court · 2B' }).click();
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await page.getByRole('menuitem', { name: 'Group Details' }).click();
  await page.getByTestId('tenant-info').nth(2).waitFor();
  assert.equal(await page.getByTestId('tenant-info').count(), 3, 'one Tenant Info per member');
  await page.getByTestId('tenant-info').filter({ hasText: 'Sofia Rossi' }).click();
  await page.getByTestId('tenant-record').getByText(/On the lease: .*Emily Chen/).waitFor();
  await screenshot('group-details');

  await page.getByRole('button', { name: 'Sign out' }).click();
  assert.deepEqual(pageErrors, []);
});
