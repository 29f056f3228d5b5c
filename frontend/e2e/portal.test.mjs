// The tenants' side: the web portal the server serves, entered through the
// link in the notification e-mail, with the landlord's desktop app open at
// the same time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mailFor, openApp, openPage, serverURL, startServer, stopServer } from './harness.mjs';
import { chatWith, conversations, demo, download, findTenant, inviteToken, messages, sendAs, shareFiles, signIn, signOut, upload } from './api.mjs';

const phone = { width: 375, height: 740 };
const computer = { width: 1180, height: 780 };

/** The portal link in a notification's text. */
function linkIn(text) {
  const m = /https?:\/\/\S+\/portal\/i\/[A-Za-z0-9_-]+/.exec(text);
  assert.ok(m, `no portal link in: ${text}`);
  return m[0];
}

/** Presses the button of an invite page and waits for the portal. */
async function signInThroughLink(page) {
  await page.getByRole('button', { name: 'Open my messages' }).click();
  await page.waitForURL(/\/portal\/$/);
  await page.getByTestId('conversation').first().waitFor();
}

/** An API call from inside the portal page, as its own script makes them. */
function fromPage(page, method, path, body) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const csrf = document.cookie.split('; ').find((c) => c.startsWith('doorstep_csrf='))?.split('=')[1] ?? '';
      const res = await fetch(path, {
        method,
        headers: { 'X-Doorstep-CSRF': csrf, 'Content-Type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    { method, path, body },
  );
}

test('a tenant opens the e-mailed link, reads, answers live and shares a file', async (t) => {
  // The landlord starts a chat in the desktop app.
  const desk = await openApp(t);
  const app = desk.page;
  await app.getByLabel('E-mail').fill(demo.email);
  await app.getByLabel('Password').fill(demo.password);
  await app.getByRole('button', { name: 'Sign in' }).click();
  await app.getByTestId('conversation').first().waitFor();
  await app.getByTestId('new-chat').click();
  await app.getByTestId('to-field').fill('zoe');
  await app.getByTestId('pick-tenant').filter({ hasText: 'Zoe Adams' }).click();
  await app.getByTestId('thread-title').getByText('Zoe Adams').waitFor();
  const compose = app.getByLabel('Message', { exact: true });
  await compose.fill('Hi Zoe, the gutter cleaners come on Friday morning.');
  await compose.press('Enter');
  await app.getByTestId('outgoing').waitFor({ state: 'detached' });

  // Zoe gets an e-mail and a text message, each with a link into the portal.
  const mail = await mailFor('zoe.adams@example.com', 'email', /started a chat/);
  assert.match(mail.subject, /Pat Morgan started a chat with you/);
  const landlord = await signIn(demo.email, demo.password);
  const sms = await mailFor(`+1${(await findTenant(landlord, 'Zoe Adams')).phone.replace(/\D/g, '')}`, 'sms', /started a chat/);
  assert.notEqual(linkIn(sms.text), linkIn(mail.text), 'each notification has its own single-use link');

  // She opens the e-mail's link on her phone.
  const zoe = await openPage(t, linkIn(mail.text), phone);
  const portal = zoe.page;
  await zoe.screenshot('portal-phone-link');
  await signInThroughLink(portal);
  await portal.getByTestId('who').getByText('Zoe Adams').waitFor();
  assert.equal(await portal.getByTestId('conversation').count(), 1);
  await zoe.screenshot('portal-phone-list');

  // No way to start a chat: nothing on the page, and the API refuses.
  assert.equal(await portal.getByText(/new chat|new conversation|start a chat/i).count(), 0);
  assert.equal(await portal.getByRole('button').filter({ hasText: /new/i }).count(), 0);
  const me = await fromPage(portal, 'GET', '/api/v1/me');
  const refused = await fromPage(portal, 'POST', '/api/v1/conversations', { tenant_id: me.body.id });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.error.code, 'tenant_cannot_initiate');

  // Read.
  await portal.getByTestId('conversation').click();
  await portal.getByTestId('thread-title').getByText('Maple Street Rentals').waitFor();
  await portal.getByTestId('message').getByText('the gutter cleaners come on Friday morning').waitFor();
  const convID = Number(/\/portal\/c\/(\d+)$/.exec(portal.url())[1]);

  // The landlord writes again: it appears in the portal without a reload.
  await compose.fill('They will need the side gate open.');
  await compose.press('Enter');
  await portal.getByTestId('message').getByText('They will need the side gate open.').waitFor();

  // Her answer (markup in it stays text) reaches the landlord's desktop live.
  const answer = 'Friday works <b>thanks</b> <img src=x onerror="document.title=1">';
  await portal.getByRole('textbox', { name: 'Message' }).fill(answer);
  await portal.getByTestId('send').click();
  await portal.getByTestId('message').filter({ hasText: answer }).waitFor();
  assert.equal(await portal.getByTestId('pending').count(), 0);
  assert.equal(await portal.locator('.text b, .text img').count(), 0, 'markup was rendered');
  await app.getByTestId('message').filter({ hasText: answer }).waitFor();
  assert.equal(await app.locator('[data-testid=message] b').count(), 0);
  await zoe.screenshot('portal-phone-thread');

  // A file through the paper-clip: uploaded, then sent with a caption.
  const pdf = Buffer.from('%PDF-1.4\nmeter reading 4711\n');
  const chooser = portal.waitForEvent('filechooser');
  await portal.getByTestId('attach').click();
  await (await chooser).setFiles({ name: 'meter-reading.pdf', mimeType: 'application/pdf', buffer: pdf });
  await portal.getByTestId('tray-file').filter({ hasText: 'meter-reading.pdf' }).waitFor();
  await portal.waitForFunction(() => !document.querySelector('[data-testid=send]').disabled);
  await zoe.screenshot('portal-phone-attachment');
  await portal.getByRole('textbox', { name: 'Message' }).fill('The meter reading');
  await portal.getByTestId('send').click();
  await portal.getByTestId('message').filter({ hasText: 'The meter reading' }).getByTestId('file').waitFor();
  assert.equal(await portal.getByTestId('tray-file').count(), 0);
  // … it shows on the landlord's desktop, and the server has it byte for byte.
  await app.getByTestId('file-card').filter({ hasText: 'meter-reading.pdf' }).waitFor();
  const sent = (await messages(landlord, convID)).filter((m) => m.text === 'The meter reading');
  assert.equal(sent.length, 1, 'the message is stored once');
  assert.equal(sent[0].files.length, 1);
  assert.ok(pdf.equals(await download(landlord, sent[0].files[0].id)));
  await desk.screenshot('portal-reply-on-desktop');

  // View Files lists it, with a download link.
  await portal.getByTestId('view-files').click();
  const row = portal.getByTestId('shared-file').filter({ hasText: 'meter-reading.pdf' });
  await row.waitFor();
  assert.match(await row.textContent(), /Zoe Adams/);
  const href = await row.getByTestId('download').getAttribute('href');
  const fetched = await portal.evaluate(async (h) => new Uint8Array(await (await fetch(h)).arrayBuffer()).length, href);
  assert.equal(fetched, pdf.length);
  await zoe.screenshot('portal-phone-files');
  await portal.getByTestId('close-files').click();

  // The same session on a computer: list and thread side by side.
  const cookies = await zoe.context.cookies();
  const wide = await openPage(t, 'about:blank', computer);
  await wide.context.addCookies(cookies);
  await wide.page.goto(new URL(`/portal/c/${convID}`, portal.url()).href);
  await wide.page.getByTestId('message').filter({ hasText: 'The meter reading' }).waitFor();
  assert.ok(await wide.page.getByTestId('conversation-list').isVisible());
  await wide.screenshot('portal-desktop-thread');

  // Changing the id in the address never shows anyone else's conversation.
  const others = (await conversations(landlord)).filter((c) => c.id !== convID);
  assert.ok(others.length >= 3);
  const photo = await upload(landlord, 'not-for-zoe.pdf', Buffer.from('%PDF-1.4 private'));
  await shareFiles(landlord, others.find((c) => !c.read_only).id, 'For another tenant only', [photo.id]);
  for (const c of others) {
    await portal.goto(new URL(`/portal/c/${c.id}`, portal.url()).href);
    await portal.getByTestId('unavailable').waitFor();
    assert.equal(await portal.getByTestId('message').count(), 0);
    const api = await fromPage(portal, 'GET', `/api/v1/conversations/${c.id}/messages`);
    assert.ok([403, 404].includes(api.status), `conversation ${c.id}: ${api.status}`);
  }
  for (const bad of ['999999', 'abc', '0']) {
    await portal.goto(new URL(`/portal/c/${bad}`, portal.url()).href);
    await portal.getByTestId('unavailable').waitFor();
    assert.equal(await portal.getByTestId('message').count(), 0);
  }
  const file = await fromPage(portal, 'GET', `/api/v1/files/${photo.id}`);
  assert.equal(file.status, 404);
  await zoe.screenshot('portal-phone-not-yours');

  assert.deepEqual(zoe.pageErrors, []);
  assert.deepEqual(wide.pageErrors, []);
  assert.deepEqual(desk.pageErrors, []);
});

test('a tenant whose lease ended reads the chat but cannot write', async (t) => {
  // Henry Walker's lease ended; the landlord sends him a fresh portal link.
  const landlord = await signIn(demo.email, demo.password);
  const token = await inviteToken(landlord, 'Henry Walker');

  const { page, pageErrors, screenshot } = await openPage(t, `${serverURL}/portal/i/${token}`, phone);
  await signInThroughLink(page);
  await page.getByTestId('conversation').click();
  await page.getByTestId('message').getByText(/walk-through/).waitFor();
  await page.getByTestId('read-only').getByText(/lease/i).waitFor();
  assert.equal(await page.getByRole('textbox', { name: 'Message' }).count(), 0);
  assert.equal(await page.getByTestId('attach').count(), 0);
  await screenshot('portal-phone-read-only');

  const convID = Number(/\/portal\/c\/(\d+)$/.exec(page.url())[1]);
  const send = await fromPage(page, 'POST', `/api/v1/conversations/${convID}/messages`, { key: 'portal-e2e-ended-1', text: 'Hello?' });
  assert.equal(send.status, 403);
  assert.equal(send.body.error.code, 'tenant_not_active');
  const form = await page.evaluate(async () => {
    const csrf = document.cookie.split('; ').find((c) => c.startsWith('doorstep_csrf='))?.split('=')[1] ?? '';
    const body = new FormData();
    body.append('file', new Blob(['late']), 'late.txt');
    const r = await fetch('/api/v1/files', { method: 'POST', headers: { 'X-Doorstep-CSRF': csrf }, body });
    return { status: r.status, code: (await r.json()).error?.code };
  });
  assert.deepEqual(form, { status: 403, code: 'tenant_not_active' });
  assert.deepEqual(pageErrors, []);

  // The landlord's desktop shows the chat closed too: a message would reach no one.
  const desk = await openApp(t);
  await desk.page.getByLabel('E-mail').fill(demo.email);
  await desk.page.getByLabel('Password').fill(demo.password);
  await desk.page.getByRole('button', { name: 'Sign in' }).click();
  await desk.page.getByTestId('conversation').filter({ hasText: 'Henry Walker' }).click();
  await desk.page.getByTestId('message').getByText(/walk-through/).waitFor();
  await desk.page.getByTestId('read-only').getByText(/Henry Walker's lease ended on .* would reach no one/).waitFor();
  assert.equal(await desk.page.getByRole('textbox', { name: 'Message' }).count(), 0);
  await desk.screenshot('past-tenant-read-only-desktop');
  const landlordSend = await fetch(`${serverURL}/api/v1/conversations/${convID}/messages`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${landlord}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ key: 'e2e-landlord-ended-1', text: 'Anyone there?' }),
  });
  assert.equal(landlordSend.status, 403);
  assert.deepEqual(desk.pageErrors, []);
});

test('files dropped on the thread are shared; an outage loses nothing and sends nothing twice', async (t) => {
  const landlord = await signIn(demo.email, demo.password);
  const chat = await chatWith(landlord, 'Chloe Martin');
  const token = await inviteToken(landlord, 'Chloe Martin');
  const { page, pageErrors, screenshot } = await openPage(t, `${serverURL}/portal/i/${token}`, computer);
  await signInThroughLink(page);
  await page.getByTestId('conversation').click();
  await page.getByTestId('thread-title').waitFor();
  await page.getByTestId('connection').waitFor({ state: 'hidden' });

  // A file dragged from the computer onto the conversation joins the tray.
  const drag = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['boiler pressure 1.4 bar'], 'boiler.txt', { type: 'text/plain' }));
    return dt;
  });
  await page.getByTestId('thread').dispatchEvent('dragenter', { dataTransfer: drag });
  await page.getByTestId('dropzone').waitFor();
  await screenshot('portal-desktop-drop');
  await page.getByTestId('thread').dispatchEvent('drop', { dataTransfer: drag });
  await page.getByTestId('dropzone').waitFor({ state: 'hidden' });
  await page.getByTestId('tray-file').filter({ hasText: 'boiler.txt' }).waitFor();
  await page.waitForFunction(() => !document.querySelector('[data-testid=send]').disabled);
  await page.getByTestId('send').click();
  await page.getByTestId('message').getByTestId('file').filter({ hasText: 'boiler.txt' }).waitFor();
  const shared = (await messages(landlord, chat.id)).at(-1);
  assert.equal(shared.files[0].name, 'boiler.txt');
  assert.equal((await download(landlord, shared.files[0].id)).toString(), 'boiler pressure 1.4 bar');

  // The server goes away: the page says so, and a reply waits to be sent.
  await stopServer(t);
  // Reconnecting, or, when the page re-read what it keeps (a message was
  // just stored) and the service worker answered from its copy, offline.
  await page.getByTestId('connection').getByText(/Reconnecting|Offline — showing what was already loaded/).waitFor();
  await page.getByRole('textbox', { name: 'Message' }).fill('Sent while the server was down');
  await page.getByTestId('send').click();
  await page.getByTestId('pending').getByText(/Not sent: No connection/).waitFor();
  await page.getByRole('textbox', { name: 'Message' }).fill('Half-written answer');
  await screenshot('portal-desktop-offline');

  // It comes back, and the tenant reloads the page at once: the reply that
  // waited goes once (whichever page sends it), the draft is still there, and
  // what the landlord wrote meanwhile arrives.
  await startServer();
  await page.reload();
  await sendAs(landlord, chat.id, 'Written before the page reconnected');
  await page.getByTestId('message').getByText('Written before the page reconnected').waitFor();
  await page.getByTestId('message').getByText('Sent while the server was down').waitFor();
  await page.getByTestId('pending').waitFor({ state: 'detached' });
  await page.getByTestId('connection').waitFor({ state: 'hidden' });
  const stored = (await messages(landlord, chat.id)).filter((m) => m.text === 'Sent while the server was down');
  assert.equal(stored.length, 1, 'the reply is stored once');
  assert.equal(await page.getByRole('textbox', { name: 'Message' }).inputValue(), 'Half-written answer');
  // Signing out forgets what this tab kept.
  await page.getByTestId('sign-out').click();
  await page.getByTestId('notice').getByText('You are signed out').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.equal((await fromPage(page, 'GET', '/api/v1/me')).status, 401);
  assert.deepEqual(pageErrors, []);
});

/** Whether the characters of an element's text are laid out left to right in their logical order. */
function readsInOrder(locator) {
  return locator.evaluate((node) => {
    const xs = [];
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
      for (let i = 0; i < text.length; i++) {
        const range = document.createRange();
        range.setStart(text, i);
        range.setEnd(text, i + 1);
        const rect = range.getBoundingClientRect();
        if (rect.width > 0) xs.push(rect.left);
      }
    }
    return xs.length > 0 && xs.every((x, i) => i === 0 || x > xs[i - 1]);
  });
}

test('a right-to-left override neither disguises a file name nor reorders what is around it', async (t) => {
  const landlord = await signIn(demo.email, demo.password);
  const chat = await chatWith(landlord, 'Priya Shah');
  // What the landlord wrote is kept and shown as written, isolated.
  const written = 'The invoice is attached: invoice\u202Efdp.exe';
  await sendAs(landlord, chat.id, written);
  const token = await inviteToken(landlord, 'Priya Shah');
  const { page, pageErrors, screenshot } = await openPage(t, `${serverURL}/portal/i/${token}`, computer);
  await signInThroughLink(page);

  // In the list, the preview's text is isolated from "You: " and the time.
  const preview = page.getByTestId('conversation').locator('.preview bdi');
  assert.equal(await preview.textContent(), written);
  // Read in one evaluation: the list is drawn again once the socket is live,
  // which may detach the element a locator found a moment before.
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('[data-testid=conversation] .preview bdi')).unicodeBidi), 'isolate');

  await page.getByTestId('conversation').click();
  const message = page.getByTestId('message').filter({ hasText: 'The invoice is attached' });
  await message.waitFor();
  const text = message.locator('.text');
  assert.equal(await text.textContent(), written);
  assert.equal(await text.getAttribute('dir'), 'auto');
  assert.equal(await text.evaluate((n) => getComputedStyle(n).unicodeBidi), 'plaintext');
  const from = message.locator('.from');
  assert.equal(await from.getAttribute('dir'), 'auto');
  assert.equal(await from.evaluate((n) => getComputedStyle(n).unicodeBidi), 'isolate');
  assert.equal(await page.getByTestId('thread-title').getAttribute('dir'), 'auto');

  // A file whose name hides its extension behind an override: the tray shows
  // the override and the name in order, so ".exe" is read where it is.
  const chooser = page.waitForEvent('filechooser');
  await page.getByTestId('attach').click();
  await (await chooser).setFiles({ name: 'photo\u202Egpj.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ not really') });
  const chip = page.getByTestId('tray-file').locator('.name');
  await chip.waitFor();
  // The chip is drawn again when its upload finishes: measure the one that
  // stays, once Send is enabled.
  await page.waitForFunction(() => !document.querySelector('[data-testid=send]').disabled);
  assert.equal(await chip.textContent(), 'photo[U+202E]gpj.exe');
  assert.ok(await readsInOrder(chip), 'the file name in the tray is laid out out of order');
  await screenshot('portal-bidi-override');

  // Sent, it carries the name the server made safe, shown in order too.
  await page.getByRole('textbox', { name: 'Message' }).fill('Here it is');
  await page.getByTestId('send').click();
  const card = page.getByTestId('message').filter({ hasText: 'Here it is' }).getByTestId('file').locator('.name');
  await card.waitFor();
  assert.equal(await card.textContent(), 'photogpj.exe');
  assert.ok(await readsInOrder(card), 'the file name in the message is laid out out of order');
  assert.equal((await messages(landlord, chat.id)).at(-1).files[0].name, 'photogpj.exe');
  assert.deepEqual(pageErrors, []);
});

test('a session ended elsewhere shows the signed-out page at once, without reconnecting', async (t) => {
  const landlord = await signIn(demo.email, demo.password);
  const chat = await chatWith(landlord, 'Jack Turner');
  const token = await inviteToken(landlord, 'Jack Turner');
  const { page, context, pageErrors, screenshot } = await openPage(t, `${serverURL}/portal/i/${token}`, phone);
  const sockets = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  await signInThroughLink(page);
  await page.getByTestId('connection').waitFor({ state: 'hidden' });
  await sendAs(landlord, chat.id, 'Before the session ended');
  await page.getByTestId('conversation').filter({ hasText: 'Before the session ended' }).waitFor();
  const opened = sockets.length;

  // The session is ended by someone else (as a sign-out on another device,
  // or the server's host revoking it): the page's socket is closed with
  // 4001 and the page says so at once, without trying to reconnect.
  const session = (await context.cookies()).find((c) => c.name === 'doorstep_session');
  await signOut(session.value);
  await page.getByTestId('notice').getByText('Your session has ended.').waitFor();
  await page.getByTestId('notice').getByText(/Please sign in again: use the link in the latest e-mail/).waitFor();
  await screenshot('portal-phone-session-ended');
  assert.equal(sockets.length, opened, 'the page opened another socket after the session ended');
  assert.equal(await page.getByTestId('connection').isVisible(), false);
  assert.equal(await page.getByTestId('sign-out').isVisible(), false);
  assert.deepEqual(pageErrors, []);
});

test('a tenant whose link was used asks for a new one and signs in with it', async (t) => {
  const landlord = await signIn(demo.email, demo.password);
  await chatWith(landlord, 'Jack Turner');
  const { email } = await findTenant(landlord, 'Jack Turner');
  const token = await inviteToken(landlord, 'Jack Turner');
  const used = `${serverURL}/portal/i/${token}`;
  // Someone (a mail scanner pressing buttons, another device) spent the link.
  const first = await fetch(used, { method: 'POST', redirect: 'manual' });
  assert.equal(first.status, 303);

  const { page, pageErrors, screenshot } = await openPage(t, used, phone);
  await page.getByRole('button', { name: 'Open my messages' }).click();
  await page.getByRole('alert').getByText(/expired or was already used/).waitFor();
  await page.getByRole('heading', { name: 'E-mail (or text) me a new link' }).waitFor();
  await page.getByLabel('E-mail address or phone number').fill(email);
  await screenshot('portal-phone-new-link-form');
  await page.getByRole('button', { name: 'Send me a new link' }).click();
  await page.getByTestId('link-answer').getByText('If that address is on file, a new link is on its way.').waitFor();
  assert.equal(await page.getByText(email).count(), 0, 'the address is shown back');

  const mail = await mailFor(email, 'email', /You asked for a new link/);
  await page.goto(linkIn(mail.text));
  await signInThroughLink(page);
  await screenshot('portal-phone-signed-in-with-new-link');
  assert.deepEqual(pageErrors, []);
});

test('sign out everywhere ends the portal on the other devices at once', async (t) => {
  const landlord = await signIn(demo.email, demo.password);
  await chatWith(landlord, 'Jack Turner');
  const phonePage = await openPage(t, `${serverURL}/portal/i/${await inviteToken(landlord, 'Jack Turner')}`, phone);
  await signInThroughLink(phonePage.page);
  const laptop = await openPage(t, `${serverURL}/portal/i/${await inviteToken(landlord, 'Jack Turner')}`, computer);
  await signInThroughLink(laptop.page);
  await laptop.page.getByTestId('connection').waitFor({ state: 'hidden' });

  await phonePage.page.getByText('Where you are signed in').click();
  const sessions = phonePage.page.getByTestId('session');
  await sessions.nth(1).waitFor();
  assert.match(await sessions.nth(0).innerText(), /^This device, since /);
  assert.match(await sessions.nth(1).innerText(), /^Chrome on Linux, since /);
  await phonePage.screenshot('portal-phone-where-signed-in');
  await phonePage.page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await phonePage.page.getByTestId('notice').getByText('You are signed out').waitFor();
  await laptop.page.getByTestId('notice').getByText('Your session has ended.').waitFor();
  await laptop.page.getByTestId('notice-link').getByText('E-mail (or text) me a new link').waitFor();
  await laptop.screenshot('portal-computer-signed-out-everywhere');
  const session = (await laptop.context.cookies()).find((c) => c.name === 'doorstep_session');
  const me = await fetch(`${serverURL}/api/v1/me`, { headers: { Authorization: `Bearer ${session.value}` } });
  assert.equal(me.status, 401);
  assert.deepEqual(phonePage.pageErrors, []);
  assert.deepEqual(laptop.pageErrors, []);
});
