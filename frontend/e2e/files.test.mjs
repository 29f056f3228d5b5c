import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApp } from './harness.mjs';
import { conversations, demo, shareFiles, signIn, upload } from './api.mjs';

test('View Files lists what was shared, with a safe name', async (t) => {
  const landlord = await signIn(demo.email, demo.password);
  const james = (await conversations(landlord)).find((c) => c.title === 'James Okafor');
  const file = await upload(landlord, '../../Lease\u202Efdp.exe', new TextEncoder().encode('%PDF-1.4 the lease'));
  await shareFiles(landlord, james.id, 'Your lease, signed.', [file.id]);

  const { page, pageErrors, screenshot } = await openApp(t);
  await page.getByLabel('E-mail').fill(demo.email);
  await page.getByLabel('Password').fill(demo.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('conversation').filter({ hasText: 'James Okafor' }).click();
  await page.getByTestId('message').filter({ hasText: 'Leasefdp.exe' }).waitFor();

  await page.getByRole('button', { name: 'Actions' }).click();
  await page.getByRole('menuitem', { name: 'View Files' }).click();
  const row = page.getByTestId('shared-file').first();
  await row.getByText('Leasefdp.exe').waitFor();
  assert.match(await row.textContent(), /application\/pdf · Pat Morgan/);
  await screenshot('view-files');

  await page.getByRole('button', { name: 'Sign out' }).click();
  assert.deepEqual(pageErrors, []);
});
