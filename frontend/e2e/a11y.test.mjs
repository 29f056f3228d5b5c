// Accessibility (WCAG 2.2 AA) of the desktop UI and the tenant portal: every
// screen checked with axe-core in light and dark (e2e/axe.mjs writes each
// report to test-output/e2e/axe/), the landlord's and the tenant's main paths
// done with the keyboard alone, new messages announced without moving focus,
// and reduced motion honoured.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApp, openPage, serverURL, startServer, stopServer } from './harness.mjs';
import { chatWith, demo, findTenant, inviteToken, sendAs, signIn, tenantSession } from './api.mjs';
import { checkA11y, settled } from './axe.mjs';

const phone = { width: 375, height: 740 };
const computer = { width: 1180, height: 780 };

/** Signs the desktop app in with the mouse (the keyboard path has its own test). */
async function signInApp(page) {
  await page.getByLabel('E-mail').fill(demo.email);
  await page.getByLabel('Password').fill(demo.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('sync-state').getByText('Online').waitFor();
}

for (const scheme of ['light', 'dark']) {
  test(`axe: every desktop screen in ${scheme}`, async (t) => {
    const landlord = await signIn(demo.email, demo.password);
    await chatWith(landlord, 'James Okafor');
    const { page, pageErrors } = await openApp(t);
    await page.emulateMedia({ colorScheme: scheme });
    const check = (name) => checkA11y(page, `desktop-${scheme}-${name}`);

    await page.getByLabel('E-mail').waitFor();
    await page.getByTestId('connection-headline').getByText(/Connected/).waitFor();
    await check('sign-in');
    await signInApp(page);
    await check('list');

    await page.getByTestId('conversation').filter({ hasText: 'James Okafor' }).click();
    await page.getByTestId('message').first().waitFor();
    await check('thread');

    await page.getByRole('button', { name: 'Actions', exact: true }).click();
    await page.getByRole('menuitem', { name: 'View Files' }).waitFor();
    await check('actions-menu');
    await page.getByRole('menuitem', { name: 'Tenant Info' }).click();
    await page.getByTestId('tenant-info').getByText('Maple Court · 1B').waitFor();
    await page.getByTestId('delivery').waitFor();
    await check('tenant-info');
    await page.getByTestId('tenant-info').click();
    await page.getByTestId('tenant-record').getByText(/Rent /).waitFor();
    await check('tenant-record');

    await page.getByRole('button', { name: 'Actions', exact: true }).click();
    await page.getByRole('menuitem', { name: 'View Files' }).click();
    await page.getByTestId('files-panel').waitFor();
    await check('view-files');

    await page.getByTestId('conversation').filter({ hasText: 'Maple Court · 2B' }).click();
    await page.getByTestId('message').first().waitFor();
    await check('group-thread');
    await page.getByRole('button', { name: 'Actions', exact: true }).click();
    await page.getByRole('menuitem', { name: 'Group Details' }).click();
    await page.getByTestId('tenant-info').nth(2).waitFor();
    await check('group-details');

    await page.getByTestId('conversation').first().hover();
    await page.getByTestId('conversation-menu').first().click();
    await page.getByTestId('conversation-actions').waitFor();
    await check('conversation-menu');
    await page.getByTestId('conversation-menu').first().click();

    await page.getByTestId('template-button').click();
    await page.getByTestId('template-picker').waitFor();
    await check('template-picker');
    await page.getByTestId('template-button').click();
    await page.getByTestId('templates-open').click();
    await page.getByTestId('template-editor').waitFor();
    await page.getByTestId('template-item').first().click();
    await check('template-editor');
    await page.getByTestId('template-editor').getByRole('button', { name: 'Close' }).first().click();

    await page.getByTestId('attention-open').click();
    await page.getByTestId('emergency-words').waitFor();
    await check('notification-settings');
    await page.getByTestId('attention').getByRole('button', { name: 'Cancel' }).click();

    await page.getByTestId('about-open').click();
    await page.getByTestId('about-app-version').waitFor();
    await check('about');
    await page.getByTestId('about').getByRole('button', { name: 'Close' }).click();

    await page.getByTestId('new-chat').click();
    await page.getByTestId('to-field').fill('o');
    await page.getByTestId('pick-tenant').first().waitFor();
    await check('new-chat');
    await page.getByRole('dialog', { name: 'New Chat' }).getByRole('button', { name: 'Cancel' }).click();

    await page.getByTestId('search-box').fill('the');
    await page.getByTestId('search-hit').first().waitFor();
    await check('search');
    await page.getByTestId('search-box').fill('');

    await stopServer(t);
    let restarted = false;
    t.after(async () => {
      if (!restarted) await startServer();
    });
    await page.getByTestId('sync-state').getByText(/Offline/).waitFor({ timeout: 20_000 });
    await check('offline');
    await startServer();
    restarted = true;
    await page.getByTestId('sync-state').getByText('Online').waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Sign out' }).click();
    assert.deepEqual(pageErrors, []);
  });
}

// Each portal page is checked in light and then dark on the same page: a
// used link costs five of the redemptions an address may make a minute.
for (const [width, viewport] of [
  ['phone', phone],
  ['computer', computer],
]) {
  test(`axe: the tenant portal on a ${width}, light and dark`, async (t) => {
    const landlord = await signIn(demo.email, demo.password);
    await chatWith(landlord, 'Jack Turner');
    const { page, pageErrors, screenshot } = await openPage(t, 'about:blank', viewport);
    const check = async (name) => {
      for (const scheme of ['light', 'dark']) {
        await page.emulateMedia({ colorScheme: scheme });
        await checkA11y(page, `portal-${width}-${scheme}-${name}`);
      }
    };

    const link = `${serverURL}/portal/i/${await inviteToken(landlord, 'Jack Turner')}`;
    if (width === 'phone') {
      // A link someone else already spent: the page asking for a new one.
      assert.equal((await fetch(link, { method: 'POST', redirect: 'manual' })).status, 303);
      await page.goto(link);
      await page.getByRole('button', { name: 'Open my messages' }).waitFor();
      await check('sign-in');
      await page.getByRole('button', { name: 'Open my messages' }).click();
      await page.getByRole('alert').getByText(/expired or was already used/).waitFor();
      await check('used-link');
    } else {
      await page.goto(`${serverURL}/portal/link`);
      await page.getByRole('button', { name: 'Send me a new link' }).waitFor();
      await check('new-link');
    }

    await page.goto(width === 'phone' ? `${serverURL}/portal/i/${await inviteToken(landlord, 'Jack Turner')}` : link);
    await page.getByRole('button', { name: 'Open my messages' }).waitFor();
    if (width !== 'phone') await check('sign-in');
    await page.getByRole('button', { name: 'Open my messages' }).click();
    await page.waitForURL(/\/portal\/$/);
    await page.getByTestId('conversation').first().waitFor();
    await check('list');
    await page.getByTestId('conversation').first().click();
    await page.getByTestId('thread-title').waitFor();
    await page.getByTestId('connection').waitFor({ state: 'hidden' });
    await check('thread');
    await page.getByText('Where you are signed in').click();
    await page.getByTestId('session').first().waitFor();
    await check('sessions');
    if (width === 'phone') {
      for (const scheme of ['light', 'dark']) {
        await page.emulateMedia({ colorScheme: scheme });
        await settled(page);
        await screenshot(`portal-375-${scheme}`);
      }
    }
    assert.deepEqual(pageErrors, []);
  });
}

/**
 * What has focus: its test id, accessible label or text, and whether a focus
 * indicator (an outline or a box shadow) is drawn around it.
 */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { testid: '', label: '', visible: false, tag: 'body', dialog: '' };
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
    return {
      tag: el.tagName.toLowerCase(),
      testid: el.getAttribute('data-testid') ?? '',
      label: (el.getAttribute('aria-label') ?? el.labels?.[0]?.textContent ?? el.textContent ?? '').trim(),
      visible: outline || s.boxShadow !== 'none',
      dialog: el.closest('[role=dialog]')?.getAttribute('aria-label') ?? '',
    };
  });
}

/** Asserts what has focus matches want (its label or test id) and shows a focus indicator. */
async function assertFocus(page, want, step) {
  const f = await focused(page);
  const what = `${step}: focus is on ${f.tag} "${f.label}" [${f.testid}]`;
  assert.ok(want(f), what);
  assert.ok(f.visible, `${what}, with no visible focus indicator`);
}

/** Presses key (Tab or Shift+Tab) until focus matches want; at most max times. */
async function tabTo(page, want, step, key = 'Tab', max = 60) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    if (want(await focused(page))) return assertFocus(page, want, step);
  }
  assert.fail(`${step}: ${key} never reached it (last: ${JSON.stringify(await focused(page))})`);
}

const labelled = (text) => (f) => f.label === text || f.label.startsWith(`${text} `);
const testid = (id) => (f) => f.testid === id;

test('keyboard only: the landlord signs in, starts a chat, sends, opens a panel and signs out', async (t) => {
  const { page, pageErrors } = await openApp(t);
  await page.getByLabel('E-mail').waitFor();
  await page.getByTestId('connection-headline').getByText(/Connected/).waitFor();

  await tabTo(page, labelled('E-mail'), 'sign in: the e-mail field');
  await page.keyboard.type(demo.email);
  await tabTo(page, labelled('Password'), 'sign in: the password field');
  await page.keyboard.type(demo.password);
  await page.keyboard.press('Enter');
  await page.getByTestId('sync-state').getByText('Online').waitFor();

  await tabTo(page, testid('new-chat'), 'New Chat');
  await page.keyboard.press('Enter');
  await page.getByTestId('to-field').waitFor();
  await assertFocus(page, testid('to-field'), 'the To field has focus when New Chat opens');
  await page.keyboard.type('james');
  await page.getByTestId('pick-tenant').filter({ hasText: 'James Okafor' }).waitFor();
  await page.keyboard.press('ArrowDown');
  await assertFocus(page, (f) => f.testid === 'pick-tenant' && f.label.startsWith('James Okafor'), 'down from the To field');
  await page.keyboard.press('Enter');
  await page.getByTestId('thread-title').getByText('James Okafor').waitFor();
  await page.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Message');
  await assertFocus(page, labelled('Message'), 'the compose box after choosing the tenant');

  const text = `Typed without a mouse ${Date.now()}`;
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
  await page.getByTestId('message').filter({ hasText: text }).waitFor();
  await assertFocus(page, labelled('Message'), 'the compose box after sending');

  // The paper-clip and the template button are on the way (the file chooser
  // itself is the system's, driven in files.test.mjs).
  await tabTo(page, labelled('Insert a template'), 'the template button', 'Shift+Tab');
  await tabTo(page, labelled('Attach files'), 'the paper-clip', 'Shift+Tab');

  for (const [item, title] of [
    ['View Files', 'View Files'],
    ['Tenant Info', 'Tenant Info'],
  ]) {
    await tabTo(page, labelled('Actions'), `the three-dot menu, for ${item}`, 'Shift+Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('menu', { name: 'Actions' }).waitFor();
    await assertFocus(page, labelled('View Files'), 'the menu opens on its first item');
    while ((await focused(page)).label !== item) await page.keyboard.press('ArrowDown');
    await assertFocus(page, labelled(item), `ArrowDown to ${item}`);
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: title }).waitFor();
    await assertFocus(page, (f) => f.tag === 'h3' && f.label === title, `focus moves into ${title}`);
    if (item === 'Tenant Info') {
      await tabTo(page, testid('tenant-info'), 'the Tenant Record button');
      await page.keyboard.press('Enter');
      await page.getByTestId('tenant-record').waitFor();
      await assertFocus(page, (f) => f.tag === 'h3' && f.label === 'Tenant Record', 'focus on the Tenant Record');
      await page.keyboard.press('Escape');
      await page.getByRole('dialog', { name: 'Tenant Info' }).waitFor();
    }
    await page.keyboard.press('Escape');
    await page.getByRole('dialog', { name: title }).waitFor({ state: 'detached' });
    await assertFocus(page, labelled('Actions'), `Escape closes ${title} and focus goes back to the menu button`);
  }

  // Escape closes the menu itself too.
  await page.keyboard.press('Enter');
  await assertFocus(page, labelled('View Files'), 'the menu again');
  await page.keyboard.press('Escape');
  await page.getByRole('menu', { name: 'Actions' }).waitFor({ state: 'detached' });
  await assertFocus(page, labelled('Actions'), 'Escape closes the menu');

  // A conversation from the list, by Tab and Enter.
  await tabTo(page, (f) => f.testid === 'conversation' && f.label.includes('Maple Court · 2B'), 'a conversation in the list', 'Shift+Tab', 120);
  await page.keyboard.press('Enter');
  await page.getByTestId('thread-title').getByText('Maple Court · 2B').waitFor();

  // The header's dialogs: focus moves in and stays in, Escape gives it back.
  for (const [opener, dialog] of [
    ['About', 'About Doorstep'],
    ['Notification settings', 'Notification settings'],
  ]) {
    await tabTo(page, labelled(opener), opener, 'Shift+Tab', 120);
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: dialog }).waitFor();
    await page.waitForFunction((name) => document.activeElement?.closest('[role=dialog]')?.getAttribute('aria-label') === name, dialog);
    await assertFocus(page, (f) => f.dialog === dialog, `focus moves into ${dialog}`);
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      assert.equal((await focused(page)).dialog, dialog, `Tab stays inside ${dialog}`);
    }
    await page.keyboard.press('Escape');
    await page.getByRole('dialog', { name: dialog }).waitFor({ state: 'detached' });
    await assertFocus(page, labelled(opener), `Escape closes ${dialog} and focus goes back to its button`);
  }

  await tabTo(page, labelled('Sign out'), 'Sign out', 'Shift+Tab', 120);
  await page.keyboard.press('Enter');
  await page.getByLabel('E-mail').waitFor();
  assert.deepEqual(pageErrors, []);
});

test('keyboard only: a tenant opens the portal link, reaches the thread and replies', async (t) => {
  const landlord = await signIn(demo.email, demo.password);
  await chatWith(landlord, 'Jack Turner');
  const { page, pageErrors } = await openPage(t, `${serverURL}/portal/i/${await inviteToken(landlord, 'Jack Turner')}`, phone);
  await page.getByRole('button', { name: 'Open my messages' }).waitFor();
  await tabTo(page, labelled('Open my messages'), 'the sign-in button');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/portal\/$/);
  await page.getByTestId('conversation').first().waitFor();
  await tabTo(page, testid('conversation'), 'the conversation');
  await page.keyboard.press('Enter');
  await page.getByTestId('thread-title').waitFor();
  await tabTo(page, labelled('Message'), 'the message box');
  const text = `Answered from the keyboard ${Date.now()}`;
  await page.keyboard.type(text);
  await tabTo(page, testid('send'), 'Send');
  await page.keyboard.press('Enter');
  await page.getByTestId('message').filter({ hasText: text }).waitFor();
  assert.deepEqual(pageErrors, []);
});

test('a new message is announced politely and focus stays in the compose box', async (t) => {
  const landlord = await signIn(demo.email, demo.password);
  const olivia = await chatWith(landlord, 'Olivia Brown');
  await chatWith(landlord, 'James Okafor');
  const { page, pageErrors } = await openApp(t);
  await signInApp(page);
  await page.getByTestId('conversation').filter({ hasText: 'James Okafor' }).click();
  const box = page.getByLabel('Message', { exact: true });
  await box.focus();
  await box.pressSequentially('Half a sentence');
  const live = page.getByTestId('announcer');
  assert.equal(await live.getAttribute('aria-live'), 'polite');
  const before = await live.textContent();

  await sendAs(await tenantSession('Olivia Brown'), olivia.id, 'Is the plumber still coming?');
  await page.waitForFunction((was) => document.querySelector('[data-testid=announcer]')?.textContent !== was, before);
  assert.match(await live.textContent(), /New message from Olivia Brown/);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Message', 'focus did not move');
  assert.equal(await box.inputValue(), 'Half a sentence');
  // The unread count and the connection state read as words.
  await page.getByTestId('conversation').filter({ hasText: 'Olivia Brown' }).getByRole('img', { name: /^\d+ unread$/ }).waitFor();
  assert.equal(await page.getByTestId('sync-state').getAttribute('role'), 'status');
  await page.getByRole('button', { name: 'Sign out' }).click();
  assert.deepEqual(pageErrors, []);
});

/** Transition and scroll behaviour of the first element matching selector. */
const motion = (page, selector) =>
  page.evaluate((sel) => {
    const s = getComputedStyle(document.querySelector(sel));
    return {
      transition: Math.max(...s.transitionDuration.split(',').map((d) => parseFloat(d))),
      animation: Math.max(...s.animationDuration.split(',').map((d) => parseFloat(d))),
      scroll: getComputedStyle(document.documentElement).scrollBehavior,
    };
  }, selector);

test('reduced motion: transitions and smooth scrolling stop in both UIs', async (t) => {
  const landlord = await signIn(demo.email, demo.password);
  const { page } = await openApp(t);
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  const portal = (await openPage(t, `${serverURL}/portal/i/${await inviteToken(landlord, 'Jack Turner')}`, phone)).page;
  await portal.getByRole('button', { name: 'Open my messages' }).click();
  await portal.getByTestId('conversation').first().waitFor();

  for (const [ui, p, selector] of [
    ['desktop', page, 'button[type=submit]'],
    ['portal', portal, '[data-testid=conversation]'],
  ]) {
    const moving = await motion(p, selector);
    assert.ok(moving.transition > 0.05, `${ui}: ${selector} moves normally (${moving.transition}s)`);
    assert.equal(moving.scroll, 'smooth', `${ui}: scrolling is smooth normally`);
    await p.emulateMedia({ reducedMotion: 'reduce' });
    const still = await motion(p, selector);
    assert.ok(still.transition < 0.001, `${ui}: no transition with reduced motion (${still.transition}s)`);
    assert.ok(still.animation < 0.001, `${ui}: no animation with reduced motion`);
    assert.equal(still.scroll, 'auto', `${ui}: no smooth scrolling with reduced motion`);
  }
});
