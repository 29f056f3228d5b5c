// Export a conversation for a dispute, then check it as the landlord's
// lawyer would: the export made from the conversation's menu through the
// native save dialog, its HTML opened in Chromium and its PDF drawn with
// pdftoppm (screenshots of both), then the .zip dropped on the window
// (intact) and a copy with one message changed (that message named).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { openApp, openPage } from './harness.mjs';
import { chatWith, demo, messages, shareFiles, signIn, upload } from './api.mjs';
import { closeDialogs, saveAs } from './desktop.mjs';

const run = promisify(execFile);
const outputDir = process.env.DOORSTEP_E2E_OUTPUT ?? 'test-output/e2e';

// A demo tenant no other scenario talks to.
const tenant = 'Benjamin Lee';
const said = 'The deposit covers the carpet, not the leak under the sink.';

/** The entries of a zip: name → bytes (stored or deflated, as Doorstep writes them). */
function unzip(zip) {
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  assert.ok(end >= 0, 'not a zip');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries = new Map();
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLen = zip.readUInt16LE(at + 28);
    const extraLen = zip.readUInt16LE(at + 30);
    const commentLen = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLen).toString('utf8');
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + size);
    entries.set(name, method === 8 ? zlib.inflateRawSync(data) : Buffer.from(data));
    at += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** A zip of entries (name → bytes), deflated, as anyone's zip tool makes one. */
function zipOf(entries) {
  const locals = [];
  const central = [];
  let offset = 0;
  for (const [name, bytes] of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const data = zlib.deflateRawSync(bytes);
    const crc = zlib.crc32(bytes);
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(20, 4);
    head.writeUInt16LE(0x0800, 6); // names in UTF-8
    head.writeUInt16LE(8, 8);
    head.writeUInt32LE(crc, 14);
    head.writeUInt32LE(data.length, 18);
    head.writeUInt32LE(bytes.length, 22);
    head.writeUInt16LE(nameBytes.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(0x0800, 8);
    dir.writeUInt16LE(8, 10);
    dir.writeUInt32LE(crc, 16);
    dir.writeUInt32LE(data.length, 20);
    dir.writeUInt32LE(bytes.length, 24);
    dir.writeUInt16LE(nameBytes.length, 28);
    dir.writeUInt32LE(offset, 42);
    locals.push(head, nameBytes, data);
    central.push(dir, nameBytes);
    offset += head.length + nameBytes.length + data.length;
  }
  const size = central.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.size, 8);
  end.writeUInt16LE(entries.size, 10);
  end.writeUInt32LE(size, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...central, end]);
}

/** Drops a file with these bytes on the open thread, as a drag from the desktop would. */
async function dropOnThread(page, name, bytes) {
  const dt = await page.evaluateHandle(
    ([n, b64]) => {
      const d = new DataTransfer();
      d.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], n, { type: 'application/zip' }));
      return d;
    },
    [name, bytes.toString('base64')],
  );
  await page.dispatchEvent('[data-testid="drop-zone"]', 'dragover', { dataTransfer: dt });
  await page.dispatchEvent('[data-testid="drop-zone"]', 'drop', { dataTransfer: dt });
}

test('export a conversation, read it in a browser and as a PDF, and check it whole and tampered', async (t) => {
  const work = await mkdtemp(path.join(tmpdir(), 'doorstep-export-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const landlord = await signIn(demo.email, demo.password);
  const chat = await chatWith(landlord, tenant);
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
    'base64',
  );
  const photo = await upload(landlord, 'carpet.png', png);
  await shareFiles(landlord, chat.id, said, [photo.id]);
  const seq = (await messages(landlord, chat.id)).at(-1).seq;
  const counted = `${seq} message${seq === 1 ? '' : 's'}`;

  const { page, pageErrors, screenshot } = await openApp(t);
  // The save dialog's title says how to export to a folder instead.
  const saveTitle = 'Export conversation (for a folder instead of a .zip, remove ".zip" from the name)';
  t.after(() => closeDialogs(saveTitle));
  await page.getByLabel('E-mail').fill(demo.email);
  await page.getByLabel('Password').fill(demo.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const row = page.getByTestId('conversation').filter({ hasText: tenant });
  await row.click();
  await page.getByTestId('message').filter({ hasText: said }).waitFor();

  // Export conversation… from the conversation's menu, into a .zip.
  await row.click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Export conversation…' }).click();
  const dest = path.join(work, `${tenant}.zip`);
  await saveAs(dest, { title: saveTitle, shot: 'export-save-dialog' });
  const made = page.getByTestId('export-result');
  await made.waitFor();
  assert.match(await page.getByTestId('export-sentence').textContent(), new RegExp(`^Exported ${counted} and 1 file to ${tenant}\\.zip\\.$`));
  await screenshot('export-made');
  await made.getByRole('button', { name: 'Close' }).click();

  // What a clerk opens: the page, in a browser, with no connection; the PDF.
  const zip = await readFile(dest);
  const entries = unzip(zip);
  const folder = path.join(work, 'unzipped');
  await mkdir(path.join(folder, 'files'), { recursive: true });
  for (const [name, bytes] of entries) await writeFile(path.join(folder, name), bytes);
  const html = await openPage(t, 'file://' + path.join(folder, 'conversation.html'), { width: 900, height: 900 });
  await html.page.getByText(said).waitFor();
  assert.equal(await html.page.locator('script').count(), 0);
  assert.equal(await html.page.locator('img[src^="data:image/png;base64,"]').count(), 1, 'the photo is inline');
  const manifest = JSON.parse(entries.get('manifest.json').toString());
  assert.equal(await html.page.locator('[data-field="fingerprint"]').textContent(), manifest.server.fingerprint);
  await html.screenshot('export-html');
  assert.deepEqual(html.pageErrors, []);
  await run('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', path.join(folder, 'conversation.pdf'), path.join(outputDir, 'export-pdf')]);
  await readFile(path.join(outputDir, 'export-pdf-1.png')); // drawn

  // The .zip dropped on the window is checked, not attached.
  await dropOnThread(page, `${tenant}.zip`, zip);
  const report = page.getByTestId('verify-report');
  await report.waitFor();
  assert.equal(await report.getAttribute('data-state'), 'intact');
  assert.match(
    await page.getByTestId('verify-summary').textContent(),
    new RegExp(`^Intact: ${counted}, 1 file, signed by server ${manifest.server.fingerprint} on `),
  );
  assert.equal(await page.getByTestId('draft-file').count(), 0, 'the export was attached');
  await screenshot('export-verified');
  await report.getByRole('button', { name: 'Close' }).click();

  // A copy with one message changed: the check names it.
  const tampered = new Map(entries);
  tampered.set('messages.json', Buffer.from(entries.get('messages.json').toString().replace('not the leak', 'and the leak')));
  await dropOnThread(page, `${tenant} (copy).zip`, zipOf(tampered));
  await report.waitFor();
  assert.equal(await report.getAttribute('data-state'), 'changed');
  const problems = await page.getByTestId('verify-problems').locator('li').allTextContents();
  assert.ok(
    problems.includes(`Message ${seq}: This message is not the one that was stored: its text, time, sender, urgent mark or files were changed.`),
    problems.join('\n'),
  );
  assert.ok(problems.some((p) => p.startsWith('messages.json: This file was changed after the export')), problems.join('\n'));
  await screenshot('export-tampered');
  await report.getByRole('button', { name: 'Close' }).click();

  await page.getByRole('button', { name: 'Sign out' }).click();
  assert.deepEqual(pageErrors, []);
});
