// The native side of files: the GTK dialogs the Go side opens (driven with
// xdotool on the Xvfb display, see desktop.mjs) and the system's Open
// (xdg-open, pointed by scripts/test-e2e.sh at a stand-in application that
// records what it was handed).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openApp } from './harness.mjs';
import { chatWith, demo, download, messages, shareFiles, signIn, upload } from './api.mjs';
import { cancelDialog, chooseFiles, closeDialogs, saveAs, saveInto } from './desktop.mjs';

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

// A demo tenant no other scenario talks to (files.test.mjs counts the files
// shared with James Okafor, for one).
const tenant = 'Isabella Lopez';

/** A fresh folder under the system's temporary directory, removed when t ends. */
async function tempFolder(t, prefix) {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Opens the app signed out, signs the demo landlord in and opens the chat with tenant. */
async function openChat(t) {
  const app = await openApp(t);
  // A dialog left open by a failure would stand in the next scenario's way.
  t.after(() => closeDialogs('Attach files', 'Save file'));
  const { page } = app;
  await page.getByLabel('E-mail').fill(demo.email);
  await page.getByLabel('Password').fill(demo.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('conversation').filter({ hasText: tenant }).click();
  await page.getByTestId('thread-title').getByText(tenant).waitFor();
  return app;
}

/** Shares a file in the chat with tenant over the API; returns the server's record. */
async function share(name, bytes) {
  const landlord = await signIn(demo.email, demo.password);
  const chat = await chatWith(landlord, tenant);
  const file = await upload(landlord, name, bytes);
  await shareFiles(landlord, chat.id, `Here is ${file.name}.`, [file.id]);
  return file;
}

/** Opens View Files and returns the row of the file named name. */
async function viewFilesRow(page, name) {
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await page.getByRole('menuitem', { name: 'View Files' }).click();
  const row = page.getByTestId('shared-file').filter({ hasText: name });
  await row.waitFor();
  return row;
}

test('the paper-clip attaches several files picked in the native file chooser', async (t) => {
  const folder = await tempFolder(t, 'doorstep-attach-');
  const picked = {
    'Move-in checklist.txt': Buffer.from('Keys: 2\nMeter reading: 04512\nSmoke alarms tested\n'),
    'Gas safety certificate.pdf': Buffer.from('%PDF-1.4\n% gas safety certificate 2026\n'),
  };
  for (const [name, bytes] of Object.entries(picked)) await writeFile(path.join(folder, name), bytes);
  const landlord = await signIn(demo.email, demo.password);
  const chat = await chatWith(landlord, tenant);
  const lastSeq = (await messages(landlord, chat.id)).at(-1)?.seq ?? 0;

  const { page, pageErrors, screenshot } = await openChat(t);
  await page.getByRole('button', { name: 'Attach files' }).click();
  // Go opens GTK's file chooser in the app window; both files are picked in it.
  await chooseFiles(folder, 2, { title: 'Attach files', shot: 'native-attach-dialog' });

  // The picked files wait in the tray above the compose box until Send, with
  // the typed text as their caption.
  await page.getByTestId('draft-file').nth(1).waitFor();
  assert.deepEqual((await page.getByTestId('draft-file').locator('.name').allTextContents()).sort(), Object.keys(picked).sort());
  assert.equal((await messages(landlord, chat.id)).at(-1)?.seq ?? 0, lastSeq, 'nothing is sent before Send');
  await page.getByLabel('Message', { exact: true }).fill('Your move-in papers');
  await page.getByLabel('Message', { exact: true }).press('Enter');
  for (const name of Object.keys(picked)) await page.getByTestId('file-card').filter({ hasText: name }).waitFor();
  await page.getByTestId('outgoing').waitFor({ state: 'detached' });
  await screenshot('attached-from-dialog');

  // On the server: one new message from the landlord carrying both files,
  // byte for byte.
  const after = (await messages(landlord, chat.id)).filter((m) => m.seq > lastSeq);
  assert.equal(after.length, 1);
  const [sent] = after;
  assert.equal(sent.sender.kind, 'user');
  assert.equal(sent.text, 'Your move-in papers');
  assert.deepEqual(sent.files.map((f) => f.name).sort(), Object.keys(picked).sort());
  for (const f of sent.files) {
    assert.equal(f.sha256, sha256(picked[f.name]), f.name);
    assert.equal(sha256(await download(landlord, f.id)), sha256(picked[f.name]), f.name);
  }
  assert.deepEqual(pageErrors, []);
});

test('Save as… writes the file where it is chosen in the native save dialog; Cancel writes nothing', async (t) => {
  const bytes = Buffer.from('%PDF-1.4\n% lease for 12 Elm St, signed\n');
  // The server sanitises the name (no ':' or '?'); the dialog offers that name.
  const file = await share('Lease: 12 Elm St?.pdf', bytes);
  assert.equal(file.name, 'Lease_ 12 Elm St_.pdf');
  const dest = await tempFolder(t, 'doorstep-save-');

  const { page, pageErrors, screenshot } = await openChat(t);
  const row = await viewFilesRow(page, file.name);
  const panel = page.getByTestId('files-panel');

  // A full path typed over the offered name: the file lands exactly there.
  await row.getByRole('button', { name: 'Save as…' }).click();
  const chosen = path.join(dest, 'Elm St lease (copy).pdf');
  await saveAs(chosen, { shot: 'native-save-dialog' });
  await panel.getByText(`Saved to ${chosen}`, { exact: true }).waitFor();
  assert.equal(sha256(await readFile(chosen)), sha256(bytes));

  // The offered name kept, the folder typed in front of it: the dialog
  // offered the sanitised name.
  await row.getByRole('button', { name: 'Save as…' }).click();
  await saveInto(dest);
  const offered = path.join(dest, file.name);
  await panel.getByText(`Saved to ${offered}`, { exact: true }).waitFor();
  assert.equal(sha256(await readFile(offered)), sha256(bytes));
  await screenshot('saved-from-dialog');

  // Escape cancels: once the Go call has returned, nothing more is written
  // and neither an error nor a note shows.
  await page.evaluate(() => {
    const service = window.go.app.FileService;
    const saveAs = service.SaveAs;
    service.SaveAs = (f) => saveAs(f).finally(() => (window.saveAsReturned = true));
  });
  await row.getByRole('button', { name: 'Save as…' }).click();
  await cancelDialog('Save file');
  await page.waitForFunction(() => window.saveAsReturned === true);
  assert.deepEqual((await readdir(dest)).sort(), [file.name, 'Elm St lease (copy).pdf'].sort());
  assert.equal(await panel.getByRole('alert').count(), 0);
  assert.equal(await panel.getByRole('status').count(), 0);
  assert.deepEqual(pageErrors, []);
});

test('Open hands a checked copy, under its safe name, to the default application', async (t) => {
  const openedLog = process.env.DOORSTEP_E2E_OPENED_LOG;
  const appData = process.env.DOORSTEP_E2E_APP_DATA;
  assert.ok(openedLog && appData, 'run through scripts/test-e2e.sh, which sets DOORSTEP_E2E_OPENED_LOG and DOORSTEP_E2E_APP_DATA');
  const bytes = Buffer.from('%PDF-1.4\n% gas safety record, flat 2\n');
  const file = await share('Gas safety: flat 2?.pdf', bytes);
  assert.equal(file.name, 'Gas safety_ flat 2_.pdf');
  const openedBefore = existsSync(openedLog) ? (await readFile(openedLog, 'utf8')).split('\n').filter(Boolean).length : 0;

  const { page, pageErrors } = await openChat(t);
  const row = await viewFilesRow(page, file.name);
  await row.getByRole('button', { name: 'Open' }).click();

  // xdg-open runs the stand-in application, which logs "<sha256>\t<path>".
  let lines = [];
  for (let i = 0; i < 150 && lines.length === 0; i++) {
    if (existsSync(openedLog)) lines = (await readFile(openedLog, 'utf8')).split('\n').filter(Boolean).slice(openedBefore);
    if (lines.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(lines.length, 1, `xdg-open handed one file to the stand-in application (log: ${openedLog})`);
  const [sum, opened] = lines[0].split('\t');
  assert.notEqual(sum, 'browser', 'xdg-open fell back to a browser');
  assert.ok(opened.startsWith(path.join(appData, 'downloads') + path.sep), `${opened} is in the app's data directory`);
  assert.equal(path.basename(opened), file.name);
  assert.equal(sum, sha256(bytes));
  assert.equal(sha256(await readFile(opened)), sha256(bytes));
  assert.equal(await page.getByTestId('files-panel').getByRole('alert').count(), 0);
  assert.deepEqual(pageErrors, []);
});
