// Talks to the test server's REST API directly, as a landlord or a tenant
// would from elsewhere, so scenarios can make things happen on the other side.
import { serverURL } from './harness.mjs';

async function call(method, path, { token, body } = {}) {
  const res = await fetch(serverURL + path, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return data;
}

export const demo = { email: 'landlord@demo.doorstep', subUser: 'assistant@demo.doorstep', password: 'doorstep-demo' };

/** Signs in over the API and returns the session token. */
export async function signIn(email, password) {
  return (await call('POST', '/api/v1/auth/signin', { body: { email, password } })).token;
}

/** A demo tenant's directory entry (by name), as the landlord sees it. */
export async function findTenant(landlord, name) {
  return (await call('GET', `/api/v1/directory?q=${encodeURIComponent(name)}`, { token: landlord })).tenants[0];
}

/** A fresh single-use portal token for a demo tenant (by name). */
export async function inviteToken(landlord, name) {
  return (await call('POST', `/api/v1/tenants/${(await findTenant(landlord, name)).id}/invites`, { token: landlord })).token;
}

/** Opens a session for a demo tenant (by name) through a landlord-made invite. */
export async function tenantSession(name) {
  const token = await inviteToken(await signIn(demo.email, demo.password), name);
  return (await call('POST', '/api/v1/auth/invite', { body: { token } })).token;
}

export const conversations = (token) => call('GET', '/api/v1/conversations', { token });
export const messages = (token, id) => call('GET', `/api/v1/conversations/${id}/messages`, { token });
export const sendAs = (token, id, text) =>
  call('POST', `/api/v1/conversations/${id}/messages`, { token, body: { key: `e2e-${Date.now()}-${Math.random().toString(36).slice(2)}`, text } });

/** Uploads a file over the API and returns its record. */
export async function upload(token, name, bytes) {
  const form = new FormData();
  form.append('file', new Blob([bytes]), name);
  const res = await fetch(serverURL + '/api/v1/files', { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: form });
  if (!res.ok) throw new Error(`upload: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Sends a message carrying files. */
export const shareFiles = (token, id, text, fileIds) =>
  call('POST', `/api/v1/conversations/${id}/messages`, { token, body: { key: `e2e-files-${Date.now()}`, text, file_ids: fileIds } });

/** Downloads a file's bytes. */
export async function download(token, fileId) {
  const res = await fetch(`${serverURL}/api/v1/files/${fileId}`, { headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`download ${fileId}: ${res.status} ${await res.text()}`);
  return Buffer.from(await res.arrayBuffer());
}

/** The landlord's one-to-one chat with a demo tenant (by name), started if there is none. */
export async function chatWith(token, name) {
  const dir = await call('GET', `/api/v1/directory?q=${encodeURIComponent(name)}`, { token });
  return call('POST', '/api/v1/conversations', { token, body: { tenant_id: dir.tenants[0].id } });
}

/** Ends a session, as signing out on another device does. */
export const signOut = (token) => call('POST', '/api/v1/auth/signout', { token });
