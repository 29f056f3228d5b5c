// Dark mode, as a landlord or a tenant whose system asks for it sees it: the
// desktop UI's main screens and the tenant portal (phone and computer widths)
// with prefers-color-scheme: dark. Screenshots go to test-output/dark/; each
// is taken only after the page's computed colours show it really is dark, so
// a light page cannot pass for a dark one. (The palettes' contrast is checked
// by the unit tests next to them.)
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { openApp, openPage, serverURL } from './harness.mjs';
import { demo, inviteToken, signIn } from './api.mjs';

const phone = { width: 375, height: 740 };
const computer = { width: 1180, height: 780 };
const outputDir = path.resolve(process.env.DOORSTEP_E2E_OUTPUT ?? 'test-output/e2e', '..', 'dark');

/** Relative luminance (WCAG) of a computed rgb()/rgba() colour. */
function luminance(css) {
  const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(css);
  assert.ok(m, `not a computed colour: ${css}`);
  const [r, g, b] = m.slice(1, 4).map((v) => {
    const c = Number(v) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/**
 * Asserts the page is in its dark scheme (a dark page background, light text,
 * dark native controls), then saves a screenshot as test-output/dark/<name>.png.
 */
async function darkShot(page, name) {
  const seen = await page.evaluate(() => {
    const root = getComputedStyle(document.documentElement);
    return {
      dark: matchMedia('(prefers-color-scheme: dark)').matches,
      background: root.backgroundColor,
      text: root.color,
      scheme: root.colorScheme,
    };
  });
  assert.equal(seen.dark, true, 'the browser reports a dark preference');
  assert.ok(luminance(seen.background) < 0.05, `${name}: the page background ${seen.background} is dark`);
  assert.ok(luminance(seen.text) > 0.5, `${name}: the text ${seen.text} is light`);
  assert.match(seen.scheme, /dark/, `${name}: native controls follow (color-scheme ${seen.scheme})`);
  await mkdir(outputDir, { recursive: true });
  await page.screenshot({ path: path.join(outputDir, `${name}.png`), fullPage: true });
}

test('the desktop UI in dark mode', async (t) => {
  const { page, pageErrors } = await openApp(t);
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.getByLabel('E-mail').waitFor();
  await darkShot(page, 'desktop-sign-in');

  await page.getByLabel('E-mail').fill(demo.email);
  await page.getByLabel('Password').fill(demo.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('sync-state').getByText('Online').waitFor();
  await page.getByTestId('conversation').first().click();
  await page.getByTestId('message').first().waitFor();
  await darkShot(page, 'desktop-chat');

  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await page.getByRole('menuitem', { name: 'View Files' }).waitFor();
  await darkShot(page, 'desktop-actions-menu');
  await page.keyboard.press('Escape');

  await page.keyboard.press('Control+K');
  await page.getByTestId('search-box').fill('the');
  await page.getByTestId('search-results').waitFor();
  await darkShot(page, 'desktop-search');
  assert.deepEqual(pageErrors, []);
});

for (const [width, viewport] of [
  ['phone', phone],
  ['computer', computer],
]) {
  test(`the tenant portal in dark mode on a ${width}`, async (t) => {
    const landlord = await signIn(demo.email, demo.password);
    // Henry Walker's lease ended: his thread also shows the read-only notice.
    const link = `${serverURL}/portal/i/${await inviteToken(landlord, 'Henry Walker')}`;
    const { page, pageErrors } = await openPage(t, 'about:blank', viewport);
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(link);
    await page.getByRole('button', { name: 'Open my messages' }).click();
    await page.waitForURL(/\/portal\/$/);
    await page.getByTestId('conversation').first().waitFor();
    await darkShot(page, `portal-${width}-list`);
    await page.getByTestId('conversation').first().click();
    await page.getByTestId('message').getByText(/walk-through/).waitFor();
    await page.getByTestId('read-only').waitFor();
    await darkShot(page, `portal-${width}-thread`);
    assert.deepEqual(pageErrors, []);
  });
}
