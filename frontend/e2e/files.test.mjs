import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApp } from './harness.mjs';
import { conversations, demo, messages, shareFiles, signIn, upload } from './api.mjs';

test('View Files lists what was shared, with a safe name', async (t) => {
  const landlord = await signIn(demo.email, demo.password);
  const james = (await conversations(landlord)).find((c) => c.title === 'James Okafor');
  const file = await upload(landlord, '../../Lease\u202Efdp.exe', new TextEncoder().encode('%PDF-1.4 the lease'));
  await shareFiles(landlord, james.id, 'Your lease, signed.', [file.id]);
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
    'base64',
  );
  const photo = await upload(landlord, 'kitchen.png', png);
  const heic = await upload(landlord, 'IMG_0001.HEIC', Buffer.concat([Buffer.from('\0\0\0\x18ftypheic'), Buffer.alloc(64)]));
  await shareFiles(landlord, james.id, 'Photos of the leak', [photo.id, heic.id]);

  const { page, pageErrors, screenshot } = await openApp(t);
  await page.getByLabel('E-mail').fill(demo.email);
  await page.getByLabel('Password').fill(demo.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('conversation').filter({ hasText: 'James Okafor' }).click();
  await page.getByTestId('message').filter({ hasText: 'Leasefdp.exe' }).waitFor();
  // An image the webview can show is a thumbnail; a phone photo it cannot is a card.
  await page.getByTestId('file-card').filter({ hasText: 'kitchen.png' }).locator('img').waitFor();
  const phone = page.getByTestId('file-card').filter({ hasText: 'IMG_0001.HEIC' });
  await phone.waitFor();
  assert.equal(await phone.locator('img').count(), 0);

  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await page.getByRole('menuitem', { name: 'View Files' }).click();
  // Newest first: the two photos, then the lease.
  await page.getByTestId('shared-file').nth(2).waitFor();
  assert.equal(await page.getByTestId('shared-file').count(), 3);
  assert.match(await page.getByTestId('shared-file').first().textContent(), /kitchen\.png|IMG_0001\.HEIC/);
  const row = page.getByTestId('shared-file').last();
  await row.getByText('Leasefdp.exe').waitFor();
  assert.match(await row.textContent(), /application\/pdf · Pat Morgan/);
  // Each file has a preview: the image itself, or its type for anything else.
  await page.getByTestId('shared-file').filter({ hasText: 'kitchen.png' }).getByTestId('file-thumb').locator('img').waitFor();
  assert.equal(await page.getByTestId('shared-file').filter({ hasText: 'IMG_0001.HEIC' }).getByTestId('file-thumb').textContent(), 'HEIC');
  await screenshot('view-files');

  await page.getByRole('button', { name: 'Close' }).click();

  // An image pasted into the compose box waits in the tray, with a preview,
  // until Send; so does a file dropped on the thread. Either can be removed.
  const pngB64 = png.toString('base64');
  await page.getByLabel('Message', { exact: true }).evaluate((el, b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'screenshot.png', { type: 'image/png' }));
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, pngB64);
  await page.getByTestId('draft-file').filter({ hasText: 'screenshot.png' }).locator('img').waitFor();

  // A real drop event on the thread: the drop zone shows, the file is attached.
  const dt = await page.evaluateHandle(() => {
    const d = new DataTransfer();
    d.items.add(new File(['Meter reading: 04512'], 'meter.txt', { type: 'text/plain' }));
    d.items.add(new File(['wrong file'], 'wrong.txt', { type: 'text/plain' }));
    return d;
  });
  await page.dispatchEvent('[data-testid="drop-zone"]', 'dragover', { dataTransfer: dt });
  await page.getByText('Drop files to attach them for James Okafor').waitFor();
  await screenshot('drop-zone');
  await page.dispatchEvent('[data-testid="drop-zone"]', 'drop', { dataTransfer: dt });
  await page.getByTestId('draft-file').nth(2).waitFor();
  await page.getByRole('button', { name: 'Remove wrong.txt' }).click();
  await page.getByTestId('draft-file').filter({ hasText: 'wrong.txt' }).waitFor({ state: 'detached' });
  assert.deepEqual(await page.getByTestId('draft-file').locator('.name').allTextContents(), ['screenshot.png', 'meter.txt']);
  assert.equal(await page.getByLabel('Message', { exact: true }).getAttribute('placeholder'), 'Add a caption (optional) — Enter sends the files');
  await page.getByLabel('Message', { exact: true }).fill('Meter photo and reading');
  await screenshot('attachment-tray');
  const seqBefore = (await messages(landlord, james.id)).at(-1).seq;
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.getByTestId('draft-file').first().waitFor({ state: 'detached' });
  const sent = page.getByTestId('message').filter({ hasText: 'Meter photo and reading' });
  await sent.getByTestId('file-card').filter({ hasText: 'screenshot.png' }).locator('img').waitFor();
  await sent.getByTestId('file-card').filter({ hasText: 'meter.txt' }).waitFor();
  await page.getByTestId('outgoing').waitFor({ state: 'detached' });
  const after = await messages(landlord, james.id);
  const last = after.at(-1);
  assert.equal(last.seq, seqBefore + 1, 'one message, sent once');
  assert.equal(last.text, 'Meter photo and reading');
  assert.deepEqual(last.files.map((f) => f.name), ['screenshot.png', 'meter.txt']);
  await screenshot('files-sent');

  await page.getByRole('button', { name: 'Sign out' }).click();
  assert.deepEqual(pageErrors, []);
});
