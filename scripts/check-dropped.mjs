// Checks, over the server's API, that the newest message of a conversation
// is the one the window test sent: its caption, and its files with the
// exact bytes of the local ones (by SHA-256), each once.
//
// Usage: node scripts/check-dropped.mjs SERVER_URL "Conversation title" CAPTION FILE...
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [server, title, caption, ...files] = process.argv.slice(2);

async function call(method, url, token, body) {
  const res = await fetch(server + url, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

function fail(why) {
  console.error(`FAIL: ${why}`);
  process.exit(1);
}

const { token } = await call('POST', '/api/v1/auth/signin', null, { email: 'landlord@demo.doorstep', password: 'doorstep-demo' });
const conv = (await call('GET', '/api/v1/conversations', token)).find((c) => c.title === title);
if (!conv) fail(`no conversation titled ${title}`);
const msgs = await call('GET', `/api/v1/conversations/${conv.id}/messages`, token);
const withCaption = msgs.filter((m) => m.text === caption);
if (withCaption.length !== 1) fail(`${withCaption.length} messages say ${JSON.stringify(caption)}, want exactly 1`);
const sent = withCaption[0];
const want = files.map((f) => ({ name: path.basename(f), sha256: createHash('sha256').update(readFileSync(f)).digest('hex') }));
const got = (sent.files ?? []).map((f) => ({ name: f.name, sha256: f.sha256 }));
const key = (x) => x.map((f) => `${f.name}:${f.sha256}`).sort().join(' ');
if (key(got) !== key(want)) fail(`the message carries ${key(got) || 'no files'}, want ${key(want)}`);
console.log(`window: message ${sent.id} carries ${got.length} files, bytes as sent`);
