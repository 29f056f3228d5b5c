// Attention: a conversation the landlord muted from the list's menu stays
// silent for a tenant's ordinary message, while an urgent one still
// notifies, with its own title; quiet hours saved from the settings panel
// hold a message back and release one summary when they end. The
// notifications are watched where a
// notification daemon would receive them: dbus-monitor on the app's own
// session bus (scripts/test-e2e.sh passes its address), which records every
// org.freedesktop.Notifications.Notify call the app makes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { openApp, openPage, serverURL } from './harness.mjs';
import { chatWith, demo, inviteToken, sendAs, signIn } from './api.mjs';

const tenant = 'Ethan Nguyen';

/**
 * Watches the Notify calls on the app's session bus. `notifications` holds
 * each as { title, body }; `waitFor` resolves with the first that matches.
 */
async function watchNotifications(t) {
  const bus = process.env.DOORSTEP_E2E_SESSION_BUS;
  assert.ok(bus, 'DOORSTEP_E2E_SESSION_BUS is not set: run through scripts/test-e2e.sh');
  const monitor = spawn('dbus-monitor', ['--address', bus, "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => monitor.kill());
  const notifications = [];
  let call = null; // the string arguments of the call being read
  let ready;
  const monitoring = new Promise((resolve) => (ready = resolve));
  const waiters = [];
  let rest = '';
  monitor.stdout.setEncoding('utf8');
  monitor.stdout.on('data', (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    for (const line of lines) {
      // dbus-monitor becomes a monitor (its NameAcquired/NameLost signals
      // come first): from then on, no call is missed.
      if (line.includes('member=NameLost')) ready();
      if (line.startsWith('method call ')) {
        call = [];
        continue;
      }
      const m = /^ {3}string "(.*)"$/.exec(line);
      if (call && m) call.push(m[1]);
      // Notify(app_name, replaces_id, app_icon, summary, body, ...).
      if (call && call.length === 4) {
        const n = { title: call[2], body: call[3] };
        notifications.push(n);
        call = null;
        for (const w of [...waiters]) if (w.match(n)) w.resolve(n);
      }
    }
  });
  await monitoring;
  return {
    notifications,
    /** The first notification that matches; fails after a generous while, saying what was seen. */
    waitFor(match, what) {
      const seen = notifications.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no notification of ${what}; seen: ${JSON.stringify(notifications)}`)), 30_000);
        waiters.push({ match, resolve: (n) => (clearTimeout(timer), resolve(n)) });
      });
    },
  };
}

/** A tenant writes in their portal: `urgent` ticks the separate Urgent choice. */
async function tenantWrites(page, text, urgent) {
  if (urgent) await page.getByTestId('urgent').check();
  await page.getByTestId('compose').fill(text);
  await page.getByTestId('send').click();
  await page.getByTestId('message').filter({ hasText: text }).waitFor();
}

test('a muted conversation notifies nothing for an ordinary message, but an urgent one breaks through', async (t) => {
  // The landlord has a one-to-one chat with the tenant.
  const landlord = await signIn(demo.email, demo.password);
  const conv = await chatWith(landlord, tenant);
  await sendAs(landlord, conv.id, 'Hi Ethan, the window fitters come on Thursday.');

  const desk = await openApp(t);
  const app = desk.page;
  await app.getByLabel('E-mail').fill(demo.email);
  await app.getByLabel('Password').fill(demo.password);
  await app.getByRole('button', { name: 'Sign in' }).click();
  const row = app.getByTestId('conversation').filter({ hasText: tenant });
  await row.waitFor();
  const item = app.locator('li', { has: row });

  // Mute it from the list's menu (the thread stays closed: a conversation
  // on screen never notifies, muted or not).
  await row.hover();
  await item.getByTestId('conversation-menu').click();
  await app.getByRole('menuitem', { name: 'Mute until I unmute' }).click();
  await item.getByRole('img', { name: 'Muted until unmuted' }).waitFor();
  await desk.screenshot('attention-muted');

  const watch = await watchNotifications(t);
  const { page: portal, pageErrors } = await openPage(t, `${serverURL}/portal/i/${await inviteToken(landlord, tenant)}`);
  await portal.getByRole('button', { name: 'Open my messages' }).click();
  await portal.waitForURL(/\/portal\/$/);
  await portal.getByTestId('conversation').first().click();

  // An ordinary message: the desktop has it (unread), and says nothing.
  const stamp = Date.now();
  const ordinary = `Could the fitters come after 10? (${stamp})`;
  await tenantWrites(portal, ordinary, false);
  await item.getByTestId('preview-text').getByText(ordinary).waitFor();
  await item.getByTestId('unread').waitFor();

  // An urgent one in the same muted conversation notifies at once. The app
  // handles a conversation's messages in order, so once this one is
  // notified, the ordinary one before it has been decided on.
  const urgent = `The bathroom ceiling is dripping (${stamp})`;
  await tenantWrites(portal, urgent, true);
  const shown = await watch.waitFor((n) => n.body === urgent, 'the urgent message');
  assert.match(shown.title, new RegExp(`^Urgent — ${tenant}`));
  assert.deepEqual(
    watch.notifications.filter((n) => n.body === ordinary),
    [],
    'the muted conversation notified an ordinary message',
  );
  assert.ok(Number(await item.getByTestId('unread').textContent()) >= 2, 'both messages count as unread');

  // The thread shows the urgent mark on that message only.
  await row.click();
  const marked = app.getByTestId('message').filter({ hasText: urgent });
  await marked.getByTestId('urgent-mark').waitFor();
  assert.equal(await app.getByTestId('message').filter({ hasText: ordinary }).getByTestId('urgent-mark').count(), 0);
  await desk.screenshot('attention-urgent-mark');

  // Unmuted (and looking elsewhere), an ordinary message notifies again,
  // with the ordinary title: the watch above would have seen the first one.
  await app.getByTestId('conversation').filter({ hasNotText: tenant }).first().click();
  await row.hover();
  await item.getByTestId('conversation-menu').click();
  await app.getByRole('menuitem', { name: 'Unmute' }).click();
  await item.getByTestId('muted').waitFor({ state: 'detached' });
  const after = `Thursday is fine, thank you (${stamp})`;
  await tenantWrites(portal, after, false);
  const plain = await watch.waitFor((n) => n.body === after, 'the message after unmuting');
  assert.match(plain.title, new RegExp(`^${tenant}`));
  assert.deepEqual(pageErrors, []);

  // Quiet hours, saved from the settings panel: all day, every day. A
  // message then notifies nothing; turning them off again releases one
  // summary of what was held. (They end turned off, as the scenarios after
  // this one expect.)
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  async function quietHours(mode) {
    await app.getByRole('button', { name: 'Notification settings' }).click();
    const panel = app.getByRole('dialog', { name: 'Notification settings' });
    await panel.getByTestId('emergency-words').getByText('no heat').waitFor();
    for (const day of days) await panel.getByLabel(`Quiet hours on ${day}`).selectOption(mode);
    if (mode === 'all_day') await desk.screenshot('attention-settings');
    await panel.getByRole('button', { name: 'Save' }).click();
    await panel.waitFor({ state: 'detached' });
  }
  await quietHours('all_day');
  const held = `One more thing about Thursday (${stamp})`;
  await tenantWrites(portal, held, false);
  await item.getByTestId('preview-text').getByText(held).waitFor();
  await quietHours('off');
  const summary = await watch.waitFor((n) => n.title === 'While quiet hours were on', 'the summary after quiet hours');
  assert.equal(summary.body, '1 new message in 1 conversation');
  assert.deepEqual(
    watch.notifications.filter((n) => n.body === held),
    [],
    'a message in quiet hours notified on its own',
  );
});
