import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApp, serverURL } from './harness.mjs';

test('the UI reaches the server through the real Go binding', async (t) => {
  const { page, pageErrors, screenshot } = await openApp(t);

  const status = page.locator('section.status');
  await status.and(page.locator('[data-state="connected"]')).waitFor({ timeout: 30_000 });
  assert.equal(await page.getByTestId('connection-headline').textContent(), `Connected to ${serverURL}`);

  // The same binding, called directly: the answer comes from Go, which asked the server.
  const fromGo = await page.evaluate(() => window.go.app.ConnectionService.Status());
  assert.equal(fromGo.state, 'connected');
  assert.equal(fromGo.server, serverURL);
  assert.match(fromGo.serverId, /^[0-9a-f]{32}$/);

  const health = await (await fetch(`${serverURL}/healthz`)).json();
  assert.equal(fromGo.serverId, health.server_id, 'the app is talking to the test server');

  // A failed call rejects with what the app's ErrorFormatter made of the Go
  // error: {code, message}, never Go's text. Starting a chat with nobody
  // fails whether or not a session is open (unauthorized or invalid_input).
  const refused = await page.evaluate(() => window.go.app.ConversationService.Start(0, 0).then(() => null, (e) => e));
  assert.equal(typeof refused, 'object', `rejected with ${JSON.stringify(refused)}`);
  assert.ok(['unauthorized', 'invalid_input'].includes(refused.code), `code ${refused.code}`);
  assert.match(refused.message, /^[A-Z].*\.$/, 'a sentence');
  assert.doesNotMatch(refused.message, /^[a-z_]+: /, 'not Go error text');

  await screenshot('connected');
  assert.deepEqual(pageErrors, []);
});
