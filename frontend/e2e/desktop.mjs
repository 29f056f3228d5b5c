// Drives the native GTK dialogs that the Go side opens in the `wails dev`
// window on the Xvfb display (scripts/test-e2e.sh) with xdotool, as a person
// at the keyboard would. There is no window manager on that display, so a
// dialog is given the keyboard (`xdotool windowfocus`) before anything is
// typed into it.
//
// GTK does part of its work asynchronously (loading a folder, completing a
// typed path), so keys are not sent blindly one after another: where the
// next key depends on what GTK has done, the dialog is looked at (a column
// of its pixels, through ImageMagick's `import`) until it shows it. Every
// wait has a time limit; when one runs out, the whole X screen is saved next
// to the other screenshots and the error names what was awaited.
//
// Environment (set by scripts/test-e2e.sh):
//   DOORSTEP_E2E_DISPLAY     the X display wails dev runs on
//   DOORSTEP_E2E_XAUTHORITY  its authority file
//   DOORSTEP_E2E_OUTPUT      where screenshots go (test-output/e2e)
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

const display = process.env.DOORSTEP_E2E_DISPLAY;
const outputDir = process.env.DOORSTEP_E2E_OUTPUT ?? 'test-output/e2e';
const env = { ...process.env, DISPLAY: display ?? '', XAUTHORITY: process.env.DOORSTEP_E2E_XAUTHORITY ?? '' };

/** Runs cmd on the test display; resolves with its output if it exits with one of okCodes. */
function run(cmd, args, { binary = false, okCodes = [0] } = {}) {
  if (!display) {
    return Promise.reject(new Error('DOORSTEP_E2E_DISPLAY is not set: run the scenarios through scripts/test-e2e.sh (make test-e2e)'));
  }
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, encoding: binary ? 'buffer' : 'utf8', maxBuffer: 64 << 20, timeout: 20000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      if (okCodes.includes(code)) resolve({ code, stdout });
      else reject(new Error(`${cmd} ${args.join(' ')} failed: ${String(stderr).trim() || err?.message}`));
    });
  });
}

const xdotool = async (...args) => (await run('xdotool', args)).stdout;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// xdotool matches titles as case-insensitive regular expressions.
const exactly = (title) => '^' + title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$';

/** Ids of the shown windows titled title. */
async function windows(title) {
  // xdotool search exits with 1 when nothing matches.
  const { stdout } = await run('xdotool', ['search', '--onlyvisible', '--name', exactly(title)], { okCodes: [0, 1] });
  return stdout.split('\n').filter(Boolean);
}

/** Saves the whole X screen as <output>/<name>.png and returns its path. */
export async function screenshotScreen(name) {
  await mkdir(outputDir, { recursive: true });
  const file = path.join(outputDir, `${name}.png`);
  await run('import', ['-window', 'root', file]);
  return file;
}

/**
 * Calls check() every `every` ms until it returns something truthy, which
 * is returned. After timeout ms, saves the X screen and throws an error
 * saying what was awaited.
 */
async function until(what, check, { timeout = 15000, every = 100 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) {
      const name = `desktop-timeout-${what.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase()}`;
      const shot = await screenshotScreen(name).catch(() => null);
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${shot ? `; the X screen is in ${shot}` : ''}`);
    }
    await sleep(every);
  }
}

/**
 * A column of window id's pixels, 62% of the way across (in a file chooser:
 * the file list, right of the places sidebar), top to bottom, as RGB bytes.
 */
async function column(id) {
  const geo = Object.fromEntries(
    (await xdotool('getwindowgeometry', '--shell', id))
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => l.split('=')),
  );
  const h = Number(geo.HEIGHT);
  const x = Math.round(Number(geo.WIDTH) * 0.62);
  const { stdout } = await run('import', ['-window', id, '-crop', `1x${h}+${x}+0`, '+repage', '-depth', '8', 'rgb:-'], { binary: true });
  return stdout;
}

/**
 * Waits until exactly one window titled title is shown and GTK has painted
 * it (a window is black until then); returns its id.
 */
export async function waitForWindow(title, { timeout = 30000 } = {}) {
  const id = await until(
    `the window "${title}"`,
    async () => {
      const ids = await windows(title);
      if (ids.length > 1) throw new Error(`${ids.length} windows titled "${title}" are open; expected one`);
      return ids[0];
    },
    { timeout },
  );
  await until(`GTK to paint the window "${title}"`, async () => (await column(id)).some((b) => b !== 0));
  return id;
}

/** Waits until no window titled title is shown any more. */
export async function waitForWindowGone(title, { timeout = 15000 } = {}) {
  await until(`the window "${title}" to close`, async () => (await windows(title)).length === 0, { timeout });
}

/** Gives window id the keyboard (there is no window manager to do it). */
const focus = (id) => xdotool('windowfocus', '--sync', id);
const type = (text) => xdotool('type', '--delay', '20', '--', text);
const key = (...keys) => xdotool('key', '--delay', '30', ...keys);

// GTK 3 Adwaita's colour (GTK_THEME=Adwaita) of selected rows, and of the
// border of an entry that has the keyboard.
const selection = [0x35, 0x84, 0xe4];
const isSelection = (px, i) => selection.every((c, k) => Math.abs(px[i + k] - c) < 24);

/**
 * What a file chooser shows, read from its column of pixels: `entry`, how
 * many in the top 45 pixels (where the location entry is, or the folder's
 * path bar) have the selection colour (an entry with the keyboard has a
 * border of it); `rows`, how many below have it (each selected row of the
 * file list is a bar of it).
 */
async function lookAtChooser(id) {
  const px = await column(id);
  const seen = { entry: 0, rows: 0 };
  const h = px.length / 3;
  for (let y = 0; y < h; y++) {
    if (!isSelection(px, y * 3)) continue;
    if (y < 45) seen.entry++;
    else if (y < h * 0.92) seen.rows++;
  }
  return seen;
}

/**
 * In GTK's open dialog titled title, picks all `count` files in folder:
 * ctrl+L opens the location entry, the folder's path and Return go there,
 * ctrl+A selects every file, Return accepts. The X screen with the files
 * selected is saved as <output>/<shot>.png when shot is given.
 */
export async function chooseFiles(folder, count, { title = 'Attach files', shot } = {}) {
  const id = await waitForWindow(title);
  await focus(id);
  await key('ctrl+l');
  await type(folder.endsWith('/') ? folder : folder + '/');
  // Return opens the folder; GTK then selects its first file. It may spend
  // a Return closing its completion popup instead: while the location entry
  // is still there (not after, where Return would accept that one file), it
  // is pressed again.
  let pressed = 0;
  const first = await until(`"${title}" to show the files in ${folder}`, async () => {
    const seen = await lookAtChooser(id);
    if (seen.entry === 0 && seen.rows > 0) return seen;
    if (seen.entry > 0 && Date.now() - pressed > 2500) {
      await key('Return');
      pressed = Date.now();
    }
    return null;
  });
  await key('ctrl+a');
  // All selected: the bars add up to count times the first file's.
  await until(`"${title}" to select ${count} files`, async () => (await lookAtChooser(id)).rows >= count * first.rows - 2);
  if (shot) await screenshotScreen(shot);
  await key('Return');
  await waitForWindowGone(title);
}

/**
 * In GTK's save dialog titled title, replaces the offered name with dest (a
 * full path) and accepts. The X screen with the dialog as it opened is
 * saved as <output>/<shot>.png when shot is given.
 */
export async function saveAs(dest, { title = 'Save file', shot } = {}) {
  const id = await waitForWindow(title);
  if (shot) await screenshotScreen(shot);
  await focus(id);
  await key('ctrl+a');
  await type(dest);
  await key('Return');
  await waitForWindowGone(title);
}

/**
 * In GTK's save dialog titled title, keeps the offered name and puts folder
 * in front of it (Home, then the folder's path), so the file is saved in
 * folder under the name the app offered.
 */
export async function saveInto(folder, { title = 'Save file', shot } = {}) {
  const id = await waitForWindow(title);
  if (shot) await screenshotScreen(shot);
  await focus(id);
  await key('Home');
  await type(folder.endsWith('/') ? folder : folder + '/');
  await key('Return');
  await waitForWindowGone(title);
}

/** Closes the dialog titled title with Escape (what Cancel does). */
export async function cancelDialog(title) {
  const id = await waitForWindow(title);
  await focus(id);
  await key('Escape');
  await waitForWindowGone(title);
}

/** Escapes any dialog titled one of titles still open (after a failure). */
export async function closeDialogs(...titles) {
  for (const title of titles) {
    for (const id of await windows(title).catch(() => [])) {
      await focus(id).catch(() => {});
      await key('Escape').catch(() => {});
    }
    await waitForWindowGone(title, { timeout: 5000 }).catch(() => {});
  }
}
