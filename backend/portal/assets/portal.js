// The tenant portal: a tenant's conversations with their landlord, live.
//
// Signed in by the cookie a portal link sets; every change carries the CSRF
// header the server checks. Everything the server sends is put in the page
// as text (textContent, attributes), never as markup, and isolated from
// what surrounds it (see "text from others" below). Tenants answer and
// share files; they never start a conversation, and once their lease is no
// longer Active a conversation is read-only, with the server's reason.
//
// Routes: /portal/ (the list) and /portal/c/<id> (a conversation). On a
// phone one of the two fills the screen; from 760 px they sit side by side.

const API = '/api/v1';
const CSRF_COOKIE = 'doorstep_csrf';
const CSRF_HEADER = 'X-Doorstep-CSRF';
const MAX_FILES = 10; // per message, as the server enforces
const PAGE = 50; // messages per page in a thread
// The events socket's close code for a session that ended (signed out on
// another device, revoked, expired): reconnecting would be refused.
const CLOSE_SESSION_ENDED = 4001;

const app = document.getElementById('app');
const who = document.querySelector('[data-testid=who]');
const connection = document.querySelector('[data-testid=connection]');
const signOutButton = document.querySelector('[data-testid=sign-out]');

const state = {
  me: null,
  convs: new Map(), // id → Conversation
  threads: new Map(), // id → { messages: Map(seq → Message), loaded, hasEarlier, pending: [] }
  trays: new Map(), // id → [{ id, file, name, size, loaded, record, error, xhr }]
  drafts: new Map(), // id → text being written
  current: null, // the open conversation's id
  view: null, // the open thread's elements
  lastEventId: null,
  socket: null,
  retryDelay: 1000,
  signedOut: false,
  signingOut: false, // the sign-out button was pressed: the end that follows is ours
};

// ---- helpers ---------------------------------------------------------------

/** Makes an element: props set text, attributes and listeners; children are nodes or text. */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'class') node.className = v;
    else if (k === 'hidden' || k === 'disabled' || k === 'multiple') node[k] = Boolean(v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return node;
}

function svgIcon(path) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const p = document.createElementNS(ns, 'path');
  p.setAttribute('d', path);
  p.setAttribute('fill', 'none');
  p.setAttribute('stroke', 'currentColor');
  p.setAttribute('stroke-width', '2');
  p.setAttribute('stroke-linecap', 'round');
  svg.append(p);
  return svg;
}
const PAPER_CLIP = 'M21 11.5l-8.6 8.6a5 5 0 0 1-7.1-7.1l8.6-8.6a3.3 3.3 0 0 1 4.7 4.7l-8.6 8.6a1.7 1.7 0 0 1-2.4-2.4l7.9-7.9';

function cookie(name) {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return '';
}

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Calls the API with the session cookie; throws ApiError with the server's code and sentence. */
async function api(method, path, body) {
  const headers = {};
  if (method !== 'GET') headers[CSRF_HEADER] = cookie(CSRF_COOKIE);
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(API + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'network', 'No connection to the server. It will be tried again when the connection is back.');
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: answered below */
  }
  if (!res.ok) {
    const e = data?.error;
    if (res.status === 401) signedOut(state.me !== null);
    throw new ApiError(res.status, e?.code ?? 'internal', e?.message ?? `The server answered ${res.status}.`);
  }
  return data;
}

function randomKey() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return 'portal-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function formatSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric' });
const yearFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });

function dayKey(d) {
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

function dayLabel(d) {
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (dayKey(d) === dayKey(today)) return 'Today';
  if (dayKey(d) === dayKey(yesterday)) return 'Yesterday';
  return d.getFullYear() === today.getFullYear() ? dayFormat.format(d) : yearFormat.format(d);
}

function shortTime(iso) {
  const d = new Date(iso);
  return dayKey(d) === dayKey(new Date()) ? timeFormat.format(d) : dayLabel(d);
}

// ---- text from others ---------------------------------------------------------
//
// Names and messages come from other people, in any script. Each is shown
// isolated (dir="auto", unicode-bidi: isolate in portal.css), so that its
// direction is its own and a right-to-left override in it (U+202E) cannot
// reorder the text around it: "You: ", a time, the next name. Inside a
// file name an override would still disguise the real extension
// ("invoice‮fdp.exe" reads "invoiceexe.pdf"), so there every bidirectional
// control is shown as what it is ("invoice[U+202E]fdp.exe") and the name
// runs left to right: the extension is where the tenant reads it.

const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/** A file name as shown: bidirectional controls made visible. */
function shownFileName(name) {
  return String(name).replace(BIDI_CONTROLS, (c) => `[U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}]`);
}

/** Someone else's text (a name, a title, a message) in an element of its own, isolated. */
function theirs(tag, props, text) {
  return el(tag, { ...props, dir: 'auto', text });
}

/** A file name in an element of its own, isolated, left to right, controls visible. */
function fileName(tag, props, name) {
  return el(tag, { ...props, dir: 'ltr', class: ['file-name', props.class].filter(Boolean).join(' '), text: shownFileName(name) });
}

const isImage = (f) => /^image\/(png|jpeg|gif|webp)$/.test(f.content_type);
const fileURL = (f) => `${API}/files/${encodeURIComponent(f.id)}`;
const isMine = (m) => state.me && m.sender.kind === 'tenant' && m.sender.id === state.me.id;

function thread(id) {
  let t = state.threads.get(id);
  if (!t) {
    t = { messages: new Map(), loaded: false, hasEarlier: false, pending: [] };
    state.threads.set(id, t);
  }
  return t;
}

function tray(id) {
  let t = state.trays.get(id);
  if (!t) {
    t = [];
    state.trays.set(id, t);
  }
  return t;
}

// ---- what is not sent yet ----------------------------------------------------

// Drafts and replies the server has not stored yet survive a reload of the
// page. They live in this tab only (sessionStorage): nothing stays behind on
// a shared computer once the tab is closed, and signing out forgets them.
const UNSENT = 'doorstep-portal-unsent';

function saveUnsent() {
  if (!state.me) return;
  const drafts = Object.fromEntries([...state.drafts].filter(([, text]) => text.trim()));
  const pending = {};
  for (const [id, t] of state.threads) {
    if (t.pending.length) pending[id] = t.pending.map(({ key, text, files }) => ({ key, text, files }));
  }
  try {
    sessionStorage.setItem(UNSENT, JSON.stringify({ tenant: state.me.id, drafts, pending }));
  } catch {
    /* storage full or refused: kept in the page only */
  }
}

function restoreUnsent() {
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(UNSENT) ?? 'null');
  } catch {
    /* unreadable: nothing to restore */
  }
  if (!saved || saved.tenant !== state.me.id) return;
  for (const [id, text] of Object.entries(saved.drafts ?? {})) state.drafts.set(Number(id), String(text));
  for (const [id, list] of Object.entries(saved.pending ?? {})) {
    for (const p of list) {
      // Sent again with the same key once connected: stored once either way.
      thread(Number(id)).pending.push({ key: p.key, text: p.text, files: p.files ?? [], state: 'failed', error: 'waiting for the connection.', retry: true });
    }
  }
}

// ---- screens ---------------------------------------------------------------

/** Replaces the page with a sentence: signed out, or something went wrong. */
function notice(title, text, alert = false) {
  app.className = '';
  app.replaceChildren(el('section', { class: 'notice', role: alert ? 'alert' : 'status', 'data-testid': 'notice' }, el('h1', { text: title }), el('p', { text })));
}

/**
 * Shows the signed-out page, and stops everything that would talk to the
 * server. ended: the session ended while the page was using it (expired,
 * revoked, signed out on another device), not by this page's button.
 */
function signedOut(ended = false) {
  if (state.signedOut) return;
  state.signedOut = true;
  state.socket?.close();
  signOutButton.hidden = true;
  connection.hidden = true;
  who.textContent = '';
  const link = 'use the link in the latest e-mail or text message about your chat. Each link works once; ask your landlord for a new one if yours has expired.';
  if (ended && !state.signingOut) notice('Your session has ended.', `Please sign in again: ${link}`);
  else notice('You are signed out', `To open your messages, ${link}`);
}

function setOnline(online) {
  connection.hidden = online;
  connection.textContent = online ? '' : 'Reconnecting…';
}

function layout() {
  if (!app.querySelector(':scope > .list')) {
    app.replaceChildren(el('nav', { class: 'list', 'aria-label': 'Conversations', 'data-testid': 'conversation-list' }), el('section', { class: 'thread-placeholder', text: 'Choose a conversation.' }));
  }
}

function renderList() {
  if (state.signedOut) return;
  layout();
  const nav = app.querySelector(':scope > .list');
  const convs = [...state.convs.values()].sort((a, b) => lastActivity(b) - lastActivity(a));
  const items = convs.map((c) => {
    const last = c.last_message;
    let preview = null;
    if (last) {
      const files = last.files?.length ?? 0;
      const what = last.text ? theirs('bdi', {}, last.text) : files === 1 ? '1 file' : `${files} files`;
      preview = el('span', { class: 'preview' }, isMine(last) ? 'You: ' : '', what);
    }
    const link = el(
      'a',
      {
        class: 'conv',
        href: `/portal/c/${c.id}`,
        'data-testid': 'conversation',
        'data-id': c.id,
        'aria-current': c.id === state.current ? 'page' : null,
        onclick: (e) => {
          if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
          e.preventDefault();
          go(`/portal/c/${c.id}`);
        },
      },
      theirs('span', { class: 'title' }, c.title),
      el('span', { class: 'time', text: last ? shortTime(last.created_at) : '' }),
      preview ?? el('span', { class: 'preview' }),
      c.unread > 0 ? el('span', { class: 'badge', 'data-testid': 'unread', 'aria-label': `${c.unread} unread`, text: String(c.unread) }) : el('span'),
    );
    return el('li', {}, link);
  });
  nav.replaceChildren(
    el('h1', { text: 'Messages' }),
    items.length ? el('ul', {}, items) : el('p', { class: 'empty', text: 'No conversations yet. Your landlord starts them; you will get an e-mail and a text message when they do.' }),
  );
  const unread = convs.reduce((n, c) => n + (c.unread > 0 ? c.unread : 0), 0);
  document.title = unread ? `(${unread}) Doorstep` : 'Doorstep';
}

function lastActivity(c) {
  return new Date(c.last_message?.created_at ?? c.created_at).getTime();
}

async function refreshConversations() {
  const list = await api('GET', '/conversations');
  const seen = new Set();
  for (const c of list) {
    seen.add(c.id);
    state.convs.set(c.id, c);
  }
  for (const id of [...state.convs.keys()]) if (!seen.has(id)) state.convs.delete(id);
  renderList();
  if (state.view && state.convs.has(state.current)) renderThreadHead();
}

// ---- routing ---------------------------------------------------------------

function go(path) {
  if (location.pathname !== path) history.pushState(null, '', path);
  route();
}

function route() {
  if (state.signedOut) return;
  const m = /^\/portal\/c\/([^/]+)\/?$/.exec(location.pathname);
  if (m) {
    const id = Number(m[1]);
    if (!Number.isSafeInteger(id) || id <= 0) {
      showUnavailable('There is no such conversation.');
      return;
    }
    openThread(id);
  } else {
    closeThread();
  }
}

function closeThread() {
  state.current = null;
  state.view = null;
  layout();
  app.className = 'in-list';
  app.querySelector(':scope > .thread, :scope > .thread-placeholder')?.replaceWith(el('section', { class: 'thread-placeholder', text: 'Choose a conversation.' }));
  renderList();
}

function showUnavailable(message) {
  state.current = null;
  state.view = null;
  layout();
  app.className = 'in-thread';
  const section = el(
    'section',
    { class: 'thread' },
    el('div', { class: 'notice', role: 'alert', 'data-testid': 'unavailable' }, el('h1', { text: 'This conversation is not available' }), el('p', { text: message }), el('p', {}, el('a', { href: '/portal/', onclick: (e) => (e.preventDefault(), go('/portal/')), text: 'Back to your messages' }))),
  );
  app.querySelector(':scope > .thread, :scope > .thread-placeholder').replaceWith(section);
  renderList();
}

// ---- a conversation --------------------------------------------------------

async function openThread(id) {
  if (state.current === id && state.view) return;
  state.current = id;
  layout();
  app.className = 'in-thread';
  const messages = el('div', { class: 'messages', 'data-testid': 'messages', role: 'log', 'aria-live': 'polite' }, el('p', { class: 'empty', text: 'Loading…' }));
  const section = el('section', { class: 'thread', 'data-testid': 'thread' }, el('header', { class: 'thread-head' }), messages, el('div', { class: 'bottom' }));
  app.querySelector(':scope > .thread, :scope > .thread-placeholder').replaceWith(section);
  state.view = { id, section, messages, stickToBottom: true };
  renderList();
  let conv;
  try {
    conv = await api('GET', `/conversations/${id}`);
  } catch (e) {
    if (state.current !== id) return;
    if (e.status === 403 || e.status === 404) showUnavailable(e.message);
    else messages.replaceChildren(el('p', { class: 'error', role: 'alert', text: e.message }));
    return;
  }
  if (state.current !== id) return;
  state.convs.set(id, conv);
  renderList();
  renderThreadHead();
  renderBottom();
  wireDrop(section, id);
  messages.addEventListener('scroll', () => {
    if (state.view?.messages === messages) state.view.stickToBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 40;
  });
  const t = thread(id);
  if (!t.loaded) {
    try {
      await loadNewest(id);
    } catch (e) {
      if (state.current === id) messages.replaceChildren(el('p', { class: 'error', role: 'alert', text: e.message }));
      return;
    }
  } else {
    await catchUp(id).catch(() => {});
  }
  if (state.current !== id) return;
  renderMessages(true);
  markRead(id);
}

async function loadNewest(id) {
  const page = await api('GET', `/conversations/${id}/messages?limit=${PAGE}`);
  const t = thread(id);
  for (const m of page) t.messages.set(m.seq, m);
  t.loaded = true;
  t.hasEarlier = page.length > 0 && page[0].seq > 1;
}

/** Fetches everything after the newest message held (after a reconnect). */
async function catchUp(id) {
  const t = thread(id);
  if (!t.loaded) return;
  for (;;) {
    const after = Math.max(0, ...t.messages.keys());
    const page = await api('GET', `/conversations/${id}/messages?after=${after}&limit=100`);
    for (const m of page) t.messages.set(m.seq, m);
    if (page.length < 100) return;
  }
}

async function loadEarlier(id) {
  const t = thread(id);
  const first = Math.min(...t.messages.keys());
  const messages = state.view.messages;
  const before = messages.scrollHeight - messages.scrollTop;
  const page = await api('GET', `/conversations/${id}/messages?before=${first}&limit=${PAGE}`);
  for (const m of page) t.messages.set(m.seq, m);
  t.hasEarlier = page.length > 0 && page[0].seq > 1;
  renderMessages(false);
  messages.scrollTop = messages.scrollHeight - before;
}

function renderThreadHead() {
  const v = state.view;
  const c = state.convs.get(v?.id);
  if (!c) return;
  const names = c.kind === 'group' ? c.members.flatMap((m, i) => [i ? ', ' : '', theirs('bdi', {}, m.name)]) : [];
  v.section.querySelector('.thread-head').replaceChildren(
    el('button', { type: 'button', class: 'link back', 'aria-label': 'All conversations', onclick: () => go('/portal/'), text: '‹' }),
    el('div', { class: 'names' }, theirs('h1', { 'data-testid': 'thread-title' }, c.title), names.length ? el('div', { class: 'members' }, 'With your landlord and ', ...names) : null),
    el('button', { type: 'button', class: 'button', 'data-testid': 'view-files', onclick: () => showFiles(c.id), text: 'View Files' }),
  );
}

/** The compose box, or the read-only sentence once the lease ended. */
function renderBottom() {
  const v = state.view;
  const c = state.convs.get(v.id);
  const bottom = v.section.querySelector('.bottom');
  v.readOnly = c.read_only;
  if (c.read_only) {
    bottom.replaceChildren(el('p', { class: 'readonly', role: 'status', 'data-testid': 'read-only', text: c.read_only_reason || 'This conversation is read-only.' }));
    v.compose = null;
    return;
  }
  const id = v.id;
  const input = el('input', { type: 'file', multiple: true, hidden: true, 'data-testid': 'file-input', 'aria-label': 'Attach files' });
  input.addEventListener('change', () => {
    addFiles(id, input.files);
    input.value = '';
  });
  const textarea = el('textarea', { rows: 1, maxlength: 10000, 'aria-label': 'Message', placeholder: 'Write a message', 'data-testid': 'compose' });
  textarea.value = state.drafts.get(id) ?? '';
  textarea.addEventListener('input', () => {
    state.drafts.set(id, textarea.value);
    saveUnsent();
    grow(textarea);
  });
  textarea.addEventListener('keydown', (e) => {
    // Enter sends on a computer; on a phone's keyboard Enter is a new line.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && window.matchMedia('(pointer: fine)').matches) {
      e.preventDefault();
      send(id);
    }
  });
  textarea.addEventListener('paste', (e) => {
    const files = [...(e.clipboardData?.files ?? [])];
    if (files.length) {
      e.preventDefault();
      addFiles(id, files);
    }
  });
  const error = el('p', { class: 'error', role: 'alert', 'data-testid': 'compose-error', hidden: true });
  const trayEl = el('div', { class: 'tray', 'data-testid': 'tray' });
  const sendButton = el('button', { type: 'button', class: 'button primary', 'data-testid': 'send', onclick: () => send(id), text: 'Send' });
  bottom.replaceChildren(
    el(
      'div',
      { class: 'compose' },
      error,
      trayEl,
      el(
        'div',
        { class: 'compose-row' },
        el('button', { type: 'button', class: 'clip', title: 'Attach files', 'aria-label': 'Attach files', 'data-testid': 'attach', onclick: () => input.click() }, svgIcon(PAPER_CLIP)),
        input,
        textarea,
        sendButton,
      ),
    ),
  );
  v.compose = { textarea, error, tray: trayEl, send: sendButton };
  renderTray(id);
}

function grow(textarea) {
  textarea.style.height = 'auto';
  textarea.style.height = `${textarea.scrollHeight + 2}px`;
}

function composeError(text) {
  const c = state.view?.compose;
  if (!c) return;
  c.error.textContent = text;
  c.error.hidden = !text;
}

function renderMessages(toBottom) {
  const v = state.view;
  if (!v) return;
  const t = thread(v.id);
  const stick = toBottom || v.stickToBottom;
  const nodes = [];
  if (t.hasEarlier) {
    nodes.push(el('button', { type: 'button', class: 'button earlier', 'data-testid': 'earlier', onclick: () => loadEarlier(v.id).catch((e) => composeError(e.message)), text: 'Show earlier messages' }));
  }
  let day = '';
  const sorted = [...t.messages.values()].sort((a, b) => a.seq - b.seq);
  for (const m of sorted) {
    const d = new Date(m.created_at);
    if (dayKey(d) !== day) {
      day = dayKey(d);
      nodes.push(el('div', { class: 'day', text: dayLabel(d) }));
    }
    nodes.push(messageNode(m));
  }
  for (const p of t.pending) nodes.push(pendingNode(v.id, p));
  if (!nodes.length) nodes.push(el('p', { class: 'empty', text: 'No messages yet.' }));
  v.messages.replaceChildren(...nodes);
  if (stick) {
    v.messages.scrollTop = v.messages.scrollHeight;
    v.stickToBottom = true;
  }
}

function messageNode(m) {
  const mine = isMine(m);
  return el(
    'article',
    { class: mine ? 'msg mine' : 'msg', 'data-testid': 'message', 'data-seq': m.seq },
    mine ? null : theirs('div', { class: 'from' }, m.sender.name),
    el('div', { class: 'bubble' }, m.text ? theirs('p', { class: 'text' }, m.text) : null, m.files?.length ? filesNode(m.files) : null),
    el('div', { class: 'meta' }, el('time', { datetime: m.created_at, title: new Date(m.created_at).toLocaleString(), text: timeFormat.format(new Date(m.created_at)) })),
  );
}

function filesNode(files) {
  return el(
    'div',
    { class: 'files' },
    files.map((f) =>
      isImage(f)
        ? el('a', { class: 'thumb', href: fileURL(f), target: '_blank', rel: 'noopener', 'data-testid': 'file', title: shownFileName(f.name) }, el('img', { src: fileURL(f), alt: shownFileName(f.name), loading: 'lazy' }))
        : el('a', { class: 'card', href: fileURL(f), download: shownFileName(f.name), 'data-testid': 'file' }, fileName('span', { class: 'name' }, f.name), el('span', { class: 'size', text: formatSize(f.size) })),
    ),
  );
}

function pendingNode(id, p) {
  const failed = p.state === 'failed';
  return el(
    'article',
    { class: failed ? 'msg mine failed' : 'msg mine', 'data-testid': 'pending' },
    el('div', { class: 'bubble' }, p.text ? theirs('p', { class: 'text' }, p.text) : null, p.files.length ? filesNode(p.files) : null),
    el(
      'div',
      { class: 'meta' },
      failed ? `Not sent: ${p.error} ` : 'Sending…',
      failed && p.retry ? el('button', { type: 'button', class: 'link', 'data-testid': 'retry', onclick: () => deliver(id, p), text: 'Try again' }) : null,
      failed ? el('button', { type: 'button', class: 'link', 'data-testid': 'discard', onclick: () => discard(id, p), text: 'Discard' }) : null,
    ),
  );
}

function addMessage(m) {
  const t = thread(m.conversation_id);
  const before = t.pending.length;
  t.pending = t.pending.filter((p) => p.key !== m.key || !isMine(m));
  if (t.pending.length !== before) saveUnsent();
  if (t.loaded) t.messages.set(m.seq, m);
  const c = state.convs.get(m.conversation_id);
  if (c) {
    const newer = m.seq > c.last_seq;
    if (newer) {
      c.last_seq = m.seq;
      c.last_message = m;
      if (!isMine(m) && m.seq > c.read_seq) c.unread = (c.unread ?? 0) + 1;
    }
    if (isMine(m) && m.seq > c.read_seq) {
      c.read_seq = m.seq;
      c.unread = 0;
    }
  }
  if (state.view?.id === m.conversation_id && t.loaded) {
    renderMessages(false);
    markRead(m.conversation_id);
  }
  renderList();
}

function markRead(id) {
  const c = state.convs.get(id);
  const t = thread(id);
  if (!c || document.hidden || state.current !== id || !t.loaded || !t.messages.size) return;
  const last = Math.max(...t.messages.keys());
  if (last <= c.read_seq) return;
  c.read_seq = last;
  c.unread = 0;
  renderList();
  api('POST', `/conversations/${id}/read`, { seq: last }).catch(() => {
    /* the position is moved again with the next message */
  });
}

// ---- sending ---------------------------------------------------------------

async function send(id) {
  const v = state.view;
  if (!v?.compose || v.id !== id) return;
  const files = tray(id);
  if (files.some((f) => f.error)) {
    composeError('Remove the files that could not be uploaded, then send.');
    return;
  }
  if (files.some((f) => !f.record)) {
    composeError('Wait until the files are uploaded, then send.');
    return;
  }
  const text = v.compose.textarea.value.trim();
  if (!text && !files.length) return;
  composeError('');
  const p = { key: randomKey(), text, files: files.map((f) => f.record), state: 'sending', error: '', retry: false };
  thread(id).pending.push(p);
  v.compose.textarea.value = '';
  v.compose.textarea.style.height = '';
  state.drafts.delete(id);
  state.trays.set(id, []);
  saveUnsent();
  renderTray(id);
  renderMessages(true);
  await deliver(id, p);
}

/** Sends a message, or sends it again with the same key: the server stores it once. */
async function deliver(id, p) {
  p.state = 'sending';
  if (state.view?.id === id) renderMessages(false);
  try {
    const m = await api('POST', `/conversations/${id}/messages`, { key: p.key, text: p.text, file_ids: p.files.map((f) => f.id) });
    addMessage(m);
  } catch (e) {
    p.state = 'failed';
    p.error = e.message;
    // A refusal (lease ended, too long…) stays refused; a lost connection is tried again.
    p.retry = e.code === 'network' || e.status >= 500;
    if (e.code === 'tenant_not_active') refreshConversations().then(() => state.view?.id === id && renderBottom()).catch(() => {});
  }
  if (state.view?.id === id) renderMessages(false);
}

function discard(id, p) {
  const t = thread(id);
  t.pending = t.pending.filter((x) => x !== p);
  saveUnsent();
  if (state.view?.id === id) {
    const c = state.view.compose;
    // The text comes back to the compose box, so nothing typed is lost.
    if (c && p.text && !c.textarea.value) c.textarea.value = p.text;
    renderMessages(false);
  }
}

function retryPending() {
  for (const [id, t] of state.threads) for (const p of t.pending) if (p.state === 'failed' && p.retry) deliver(id, p);
}

// ---- files -----------------------------------------------------------------

let nextTrayId = 1;

function addFiles(id, fileList) {
  const files = tray(id);
  const c = state.convs.get(id);
  if (!c || c.read_only) return;
  composeError('');
  for (const file of fileList) {
    if (files.length >= MAX_FILES) {
      composeError(`A message can carry at most ${MAX_FILES} files.`);
      break;
    }
    const item = { id: nextTrayId++, file, name: file.name, size: file.size, loaded: 0, record: null, error: '', xhr: null };
    files.push(item);
    upload(id, item);
  }
  renderTray(id);
}

/** Uploads one file at once (multipart, streamed to disk by the server), with progress. */
function upload(id, item) {
  const form = new FormData();
  form.append('file', item.file, item.name);
  const xhr = new XMLHttpRequest();
  item.xhr = xhr;
  xhr.open('POST', `${API}/files`);
  xhr.setRequestHeader(CSRF_HEADER, cookie(CSRF_COOKIE));
  xhr.upload.addEventListener('progress', (e) => {
    item.loaded = e.loaded;
    const bar = document.querySelector(`[data-tray-id="${item.id}"] progress`);
    if (bar) bar.value = e.total ? e.loaded / e.total : 0;
  });
  xhr.addEventListener('load', () => {
    item.xhr = null;
    let body = null;
    try {
      body = JSON.parse(xhr.responseText);
    } catch {
      /* answered below */
    }
    if (xhr.status === 201 && body?.id) item.record = body;
    else {
      item.error = body?.error?.message ?? `The upload failed (${xhr.status}).`;
      if (xhr.status === 401) signedOut(true);
    }
    renderTray(id);
  });
  xhr.addEventListener('error', () => {
    item.xhr = null;
    item.error = 'The upload was cut off. Remove the file and add it again.';
    renderTray(id);
  });
  xhr.send(form);
}

function removeFile(id, item) {
  item.xhr?.abort();
  state.trays.set(
    id,
    tray(id).filter((f) => f !== item),
  );
  composeError('');
  renderTray(id);
}

function renderTray(id) {
  const c = state.view?.id === id ? state.view.compose : null;
  if (!c) return;
  const files = tray(id);
  c.tray.replaceChildren(
    ...files.map((f) =>
      el(
        'div',
        { class: f.error ? 'chip bad' : 'chip', 'data-testid': 'tray-file', 'data-tray-id': f.id, title: f.error || shownFileName(f.name) },
        fileName('span', { class: 'name' }, f.name),
        f.error ? el('span', { text: f.error }) : f.record ? el('span', { class: 'size', text: formatSize(f.size) }) : el('progress', { max: 1, value: f.size ? f.loaded / f.size : 0, 'aria-label': `Uploading ${shownFileName(f.name)}` }),
        el('button', { type: 'button', 'aria-label': `Remove ${shownFileName(f.name)}`, onclick: () => removeFile(id, f), text: '×' }),
      ),
    ),
  );
  c.send.disabled = files.some((f) => !f.record && !f.error);
}

/** Files dragged onto the conversation join the tray, like the paper-clip's. */
function wireDrop(section, id) {
  let depth = 0;
  const zone = el('div', { class: 'dropzone', 'data-testid': 'dropzone', hidden: true, text: 'Drop files to add them to your message' });
  section.append(zone);
  const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');
  section.addEventListener('dragenter', (e) => {
    if (!hasFiles(e) || state.convs.get(id)?.read_only) return;
    depth++;
    zone.hidden = false;
  });
  section.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (!depth) zone.hidden = true;
  });
  section.addEventListener('drop', (e) => {
    depth = 0;
    zone.hidden = true;
    if (!hasFiles(e)) return;
    e.preventDefault();
    addFiles(id, e.dataTransfer.files);
  });
}
// Files dropped anywhere else must not replace the page.
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => e.preventDefault());

/** View Files: everything shared in the conversation, newest first. */
async function showFiles(id) {
  const v = state.view;
  if (!v || v.id !== id) return;
  v.section.querySelector('.panel')?.remove();
  const list = el('ul', { 'data-testid': 'files-list' }, el('li', { text: 'Loading…' }));
  const panel = el(
    'section',
    { class: 'panel', 'data-testid': 'files-panel', 'aria-label': 'Files' },
    el('header', { class: 'thread-head' }, el('div', { class: 'names' }, el('h1', { text: 'Files' })), el('button', { type: 'button', class: 'button', 'data-testid': 'close-files', onclick: () => panel.remove(), text: 'Close' })),
    list,
  );
  v.section.append(panel);
  let files;
  try {
    files = await api('GET', `/conversations/${id}/files`);
  } catch (e) {
    list.replaceChildren(el('li', { class: 'error', role: 'alert', text: e.message }));
    return;
  }
  if (!files.length) {
    list.replaceChildren(el('li', { class: 'empty', text: 'No files have been shared in this conversation yet.' }));
    return;
  }
  list.replaceChildren(
    ...files.map((f) => {
      const ext = (/\.([A-Za-z0-9]{1,5})$/.exec(shownFileName(f.name))?.[1] ?? 'file').toUpperCase();
      return el(
        'li',
        { 'data-testid': 'shared-file' },
        el('div', { class: 'preview' }, isImage(f) ? el('img', { src: fileURL(f), alt: '', loading: 'lazy' }) : ext),
        el('div', { class: 'about' }, fileName('div', { class: 'name' }, f.name), el('div', { class: 'sub' }, `${formatSize(f.size)} · `, theirs('bdi', {}, f.shared_by.name), ` · ${dayLabel(new Date(f.shared_at))}`)),
        el('a', { class: 'button', href: fileURL(f), download: shownFileName(f.name), 'data-testid': 'download', text: 'Download' }),
      );
    }),
  );
}

// ---- live events -----------------------------------------------------------

function connect() {
  if (state.signedOut) return;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const since = state.lastEventId === null ? '' : `?since=${state.lastEventId}`;
  const ws = new WebSocket(`${scheme}//${location.host}${API}/events${since}`);
  state.socket = ws;
  ws.addEventListener('message', (e) => {
    let ev;
    try {
      ev = JSON.parse(e.data);
    } catch {
      return;
    }
    if (typeof ev.id === 'number' && ev.id > 0) state.lastEventId = ev.id;
    onEvent(ev);
  });
  ws.addEventListener('close', (e) => {
    if (state.socket !== ws || state.signedOut || state.signingOut) return;
    if (e.code === CLOSE_SESSION_ENDED) {
      signedOut(true); // no reconnecting: the server would refuse it
      return;
    }
    setOnline(false);
    const delay = state.retryDelay;
    state.retryDelay = Math.min(state.retryDelay * 2, 30000);
    setTimeout(async () => {
      try {
        await api('GET', '/me'); // a 401 here shows the signed-out page
      } catch {
        /* still offline, or signed out */
      }
      connect();
    }, delay);
  });
}

function onEvent(ev) {
  switch (ev.type) {
    case 'ready':
      // Caught up: load what may have changed while disconnected.
      state.retryDelay = 1000;
      setOnline(true);
      refreshConversations()
        .then(async () => {
          const id = state.current;
          if (id && thread(id).loaded) {
            await catchUp(id);
            if (state.current === id) {
              renderMessages(false);
              markRead(id);
            }
          }
          if (state.view && state.convs.get(state.view.id)?.read_only !== state.view.readOnly) renderBottom();
          retryPending();
        })
        .catch(() => {});
      break;
    case 'message':
      if (!state.convs.has(ev.message.conversation_id)) refreshConversations().catch(() => {});
      else addMessage(ev.message);
      break;
    case 'conversation':
      refreshConversations().catch(() => {});
      break;
    case 'read':
      if (ev.read.reader.kind === 'tenant' && ev.read.reader.id === state.me.id) {
        const c = state.convs.get(ev.read.conversation_id);
        if (c && ev.read.seq > c.read_seq) {
          c.read_seq = ev.read.seq;
          if (c.read_seq >= c.last_seq) c.unread = 0;
          else refreshConversations().catch(() => {});
          renderList();
        }
      }
      break;
    // 'resync': a 'ready' follows and reloads everything.
  }
}

// ---- start -----------------------------------------------------------------

signOutButton.addEventListener('click', async () => {
  state.signingOut = true; // the socket closes before the answer comes
  try {
    await api('POST', '/auth/signout');
  } catch {
    /* signed out either way below */
  }
  sessionStorage.removeItem(UNSENT);
  signedOut();
});

window.addEventListener('popstate', route);
document.addEventListener('visibilitychange', () => state.current && markRead(state.current));

async function start() {
  try {
    state.me = await api('GET', '/me');
  } catch (e) {
    if (e.status === 401) return;
    // The server may be restarting: keep trying, the page comes up by itself.
    notice('Doorstep is not reachable', 'There is no connection to the server just now. This page tries again by itself.', true);
    const delay = state.retryDelay;
    state.retryDelay = Math.min(state.retryDelay * 2, 30000);
    setTimeout(start, delay);
    return;
  }
  state.retryDelay = 1000;
  restoreUnsent();
  if (state.me.kind !== 'tenant') {
    notice('This page is for tenants', 'Landlords use the Doorstep desktop app.', true);
    return;
  }
  who.replaceChildren(theirs('bdi', {}, state.me.name), ' · ', theirs('bdi', {}, state.me.org_name));
  signOutButton.hidden = false;
  try {
    await refreshConversations();
  } catch (e) {
    if (!state.signedOut) notice('Your messages could not be loaded', e.message, true);
    return;
  }
  route();
  connect();
}

start();
