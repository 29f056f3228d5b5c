// @ts-check
// What the portal does: routes, opens threads, sends, attaches, follows the
// live events and ends with the session. Every change goes through the
// state value it is given, and the page is redrawn from it with render.js.
//
// Routes: /portal/ (the list) and /portal/c/<id> (a conversation). On a
// phone one of the two fills the screen; from 760 px they sit side by side.

import { asApiError, createApi, uploadFile } from './api.js';
import { Backoff, createConnection } from './connection.js';
import { theirs } from './dom.js';
import { language, t } from './i18n.js';
import { browserStores, createKeeper, forgetTenant, openDataCache, oweSignOut, owesSignOut } from './offline.js';
import { MAX_FILES, createOutbox, forgetDrafts, forgetReplies, markFailed, newPending, readDrafts, saveDrafts, settle, takeFiles, toRetry, trayBusy, trayProblem } from './outbox.js';
import { catchUp, loadEarlier, loadNewest, rereadHeld } from './paging.js';
import * as render from './render.js';
import { createSeenTracker } from './seen.js';
import { byActivity, isMine, thread, tray, unreadTotal } from './state.js';

/** @typedef {import('./api.js').Api} Api */
/** @typedef {import('./api.js').Message} Message */
/** @typedef {import('./api.js').ServerEvent} ServerEvent */
/** @typedef {import('./outbox.js').Outbox} Outbox */
/** @typedef {import('./outbox.js').Pending} Pending */
/** @typedef {import('./outbox.js').TrayItem} TrayItem */
/** @typedef {import('./state.js').State} State */

/**
 * The page's fixed elements.
 * @typedef {object} Page
 * @property {HTMLElement} app where the list and the thread go
 * @property {HTMLElement} who the tenant's name and organisation
 * @property {HTMLElement} connection says when the live connection is lost
 * @property {HTMLElement} signOut the sign-out button
 * @property {HTMLElement} signOutEverywhere the button that signs out every device
 * @property {HTMLDetailsElement} sessions where the tenant is signed in (opened on demand)
 * @property {HTMLElement} sessionList its list
 * @property {HTMLElement} language the choice of language, at the foot
 * @property {HTMLSelectElement} languageSelect its list
 */

/**
 * The portal over a state value and the page's elements. start() signs in
 * and shows the page; the rest is what the page's listeners call.
 * @param {State} state
 * @param {Page} page
 * @param {Storage} storage where drafts are kept (sessionStorage)
 * @param {Storage} replies where replies not yet stored are kept (localStorage)
 */
export function createPortal(state, page, storage, replies) {
  // Everything that waits for the server to come back waits alike.
  const backoff = new Backoff();
  // The live socket is down (a reconnect is coming); answers come from what
  // the service worker kept (the server is out of reach).
  let socketDown = false;
  let showingKept = false;
  /** @type {Api} */
  const api = createApi(
    () => signedOut(state.me !== null),
    (kept) => {
      showingKept = kept;
      showConnection();
    },
  );
  const connection = createConnection(
    {
      session: state,
      onEvent,
      onOffline: () => setOnline(false),
      onSessionEnded: () => signedOut(true),
      probe: () => api.alive(), // a 401 here shows the signed-out page
    },
    {
      location,
      open: (url) => new WebSocket(url),
      later: (run, ms) => setTimeout(run, ms),
      backoff,
    },
  );
  let nextTrayId = 1;
  // The read position moves only over messages actually seen: on screen
  // while the tab is visible (seen.js).
  const seen = createSeenTracker({
    observer: (report) => new IntersectionObserver((entries) => report(entries)),
    visible: () => document.visibilityState === 'visible',
    onSeen: (seq) => {
      if (state.current) markRead(state.current, seq);
    },
  });

  /** @type {Outbox | null} the signed-in tenant's, once known */
  let outbox = null;
  // What arrives live is read again through the worker, so that it is there
  // offline too.
  const keeper = createKeeper({
    later: (run, ms) => setTimeout(run, ms),
    refresh: async (ids) => {
      if (state.signedOut || showingKept) return;
      const threads = ids.filter((id) => thread(state, id).loaded);
      await Promise.allSettled([api.conversations(), ...threads.flatMap((id) => [api.conversation(id), rereadHeld(api.messages, id, thread(state, id))])]);
    },
  });

  function save() {
    if (state.me) saveDrafts(storage, state.me.id, state.drafts);
  }

  // ---- screens -------------------------------------------------------------

  /** Replaces the page with a sentence: signed out, or something went wrong. */
  function notice(/** @type {string} */ title, /** @type {string} */ text, alert = false, /** @type {{href: string, text: string} | null} */ link = null) {
    page.app.className = '';
    page.app.replaceChildren(render.notice(title, text, alert, link));
  }

  /**
   * Shows the signed-out page, and stops everything that would talk to the
   * server. ended: the session ended while the page was using it (expired,
   * revoked, signed out on another device), not by this page's button.
   */
  function signedOut(ended = false, owed = false) {
    if (state.signedOut) return;
    state.signedOut = true;
    const tag = state.me?.session;
    connection.close();
    page.signOut.hidden = true;
    page.signOutEverywhere.hidden = true;
    page.sessions.hidden = true;
    page.language.hidden = true;
    page.connection.hidden = true;
    page.who.textContent = '';
    // Nothing of this tenant stays readable in this browser.
    forgetTenant(browserStores());
    // The server did not hear of it (offline): its session ends at the
    // next visit that reaches it, before anything of it shows.
    if (owed) oweSignOut(replies, tag);
    // The way back in without the landlord: a page of the server's.
    const newLink = { href: '/portal/link', text: t('portal.newLink') };
    if (ended && !state.signingOut) notice(t('portal.sessionEnded.title'), t('portal.sessionEnded.text'), false, newLink);
    else notice(t('portal.signedOut.title'), t('portal.signedOut.text'), false, newLink);
  }

  /** Fills the list of where the tenant is signed in, each time it is opened. */
  async function showSessions() {
    if (!page.sessions.open || state.signedOut) return;
    try {
      page.sessionList.replaceChildren(...render.sessionItems(await api.sessions()));
    } catch (e) {
      page.sessionList.replaceChildren(render.loadError(asApiError(e).message));
    }
  }

  /** Ends the tenant's sessions on every device: one left signed in elsewhere too. */
  async function signOutEverywhere() {
    state.signingOut = true; // this page's socket closes before the answer comes
    const owed = await ended(api.signOutEverywhere);
    forgetDrafts(storage);
    forgetReplies(replies);
    signedOut(false, owed);
  }

  async function signOut() {
    state.signingOut = true; // the socket closes before the answer comes
    const owed = await ended(api.signOut);
    forgetDrafts(storage);
    forgetReplies(replies);
    signedOut(false, owed);
  }

  /**
   * Asks the server to end the session; true when it could not be told (no
   * connection, or a failure): the session is then still owed its end. A
   * 401 says it has ended already.
   * @param {() => Promise<unknown>} end
   */
  async function ended(end) {
    try {
      await end();
      return false;
    } catch (e) {
      return asApiError(e).status !== 401;
    }
  }

  function setOnline(/** @type {boolean} */ online) {
    socketDown = !online;
    showConnection();
  }

  function showConnection() {
    if (state.signedOut) return;
    page.connection.hidden = !socketDown && !showingKept;
    page.connection.textContent = showingKept ? t('portal.offlineKept') : socketDown ? t('portal.reconnecting') : '';
  }

  /** The list and the thread's place, unless they are there. */
  function layout() {
    if (!page.app.querySelector(':scope > .list')) page.app.replaceChildren(render.listFrame(), render.placeholder());
  }

  function renderList() {
    if (state.signedOut) return;
    layout();
    const nav = /** @type {HTMLElement} */ (page.app.querySelector(':scope > .list'));
    const convs = byActivity(state.convs.values());
    nav.replaceChildren(...render.conversationList(convs, state.me, state.current, (id) => go(`/portal/c/${id}`)));
    const unread = unreadTotal(convs);
    document.title = unread ? `(${unread}) Doorstep` : 'Doorstep';
  }

  async function refreshConversations() {
    const list = await api.conversations();
    const seen = new Set();
    for (const c of list) {
      seen.add(c.id);
      state.convs.set(c.id, c);
    }
    for (const id of [...state.convs.keys()]) if (!seen.has(id)) state.convs.delete(id);
    renderList();
    if (state.view && state.current !== null && state.convs.has(state.current)) renderThreadHead();
  }

  // ---- routing -------------------------------------------------------------

  function go(/** @type {string} */ path) {
    if (location.pathname !== path) history.pushState(null, '', path);
    route();
  }

  function route() {
    if (state.signedOut) return;
    const m = /^\/portal\/c\/([^/]+)\/?$/.exec(location.pathname);
    if (m) {
      const id = Number(m[1]);
      if (!Number.isSafeInteger(id) || id <= 0) {
        showUnavailable(t('portal.noSuchConversation'));
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
    page.app.className = 'in-list';
    page.app.querySelector(':scope > .thread, :scope > .thread-placeholder')?.replaceWith(render.placeholder());
    renderList();
  }

  function showUnavailable(/** @type {string} */ message) {
    state.current = null;
    state.view = null;
    layout();
    page.app.className = 'in-thread';
    page.app.querySelector(':scope > .thread, :scope > .thread-placeholder')?.replaceWith(render.unavailable(message, () => go('/portal/')));
    renderList();
  }

  // ---- a thread ------------------------------------------------------------

  async function openThread(/** @type {number} */ id) {
    if (state.current === id && state.view) return;
    state.current = id;
    layout();
    page.app.className = 'in-thread';
    const { section, messages } = render.threadFrame();
    page.app.querySelector(':scope > .thread, :scope > .thread-placeholder')?.replaceWith(section);
    state.view = { id, section, messages, stickToBottom: true };
    renderList();
    let conv;
    try {
      conv = await api.conversation(id);
    } catch (err) {
      const e = asApiError(err);
      if (state.current !== id) return;
      if (e.status === 403 || e.status === 404) showUnavailable(e.message);
      else messages.replaceChildren(render.loadError(e.message));
      return;
    }
    if (state.current !== id) return;
    state.convs.set(id, conv);
    seen.reset(conv.read_seq);
    renderList();
    renderThreadHead();
    renderBottom();
    render.wireDrop(section, { accepts: () => !state.convs.get(id)?.read_only, drop: (files) => addFiles(id, files) });
    messages.addEventListener('scroll', () => {
      if (state.view?.messages === messages) state.view.stickToBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 40;
    });
    const t = thread(state, id);
    if (!t.loaded) {
      try {
        await loadNewest(api.messages, id, t);
      } catch (e) {
        if (state.current === id) messages.replaceChildren(render.loadError(asApiError(e).message));
        return;
      }
    } else {
      await catchUp(api.messages, id, t).catch(() => {});
    }
    if (state.current !== id) return;
    renderMessages(true);
  }

  async function showEarlier(/** @type {number} */ id) {
    const v = state.view;
    if (!v) return;
    const messages = v.messages;
    const before = messages.scrollHeight - messages.scrollTop;
    await loadEarlier(api.messages, id, thread(state, id));
    renderMessages(false);
    // The message read before stays where it was.
    messages.scrollTop = messages.scrollHeight - before;
  }

  function renderThreadHead() {
    const v = state.view;
    const c = v && state.convs.get(v.id);
    if (!v || !c) return;
    v.section.querySelector('.thread-head')?.replaceChildren(...render.threadHead(c, { back: () => go('/portal/'), viewFiles: () => showFiles(c.id) }));
  }

  /** The compose box, or the read-only sentence once the lease ended. */
  function renderBottom() {
    const v = state.view;
    const c = v && state.convs.get(v.id);
    const bottom = v?.section.querySelector('.bottom');
    if (!v || !c || !bottom) return;
    v.readOnly = c.read_only;
    if (c.read_only) {
      bottom.replaceChildren(render.readOnlyNote(c));
      v.compose = null;
      return;
    }
    const id = v.id;
    const { node, compose } = render.composeBox(state.drafts.get(id) ?? '', {
      files: (files) => addFiles(id, files),
      input: (text) => {
        state.drafts.set(id, text);
        save();
      },
      send: () => send(id),
    });
    bottom.replaceChildren(node);
    v.compose = compose;
    renderTray(id);
  }

  function composeError(/** @type {string} */ text) {
    const c = state.view?.compose;
    if (!c) return;
    c.error.textContent = text;
    c.error.hidden = !text;
  }

  function renderMessages(/** @type {boolean} */ toBottom) {
    const v = state.view;
    if (!v) return;
    const id = v.id;
    const stick = toBottom || v.stickToBottom;
    const nodes = render.threadContent(thread(state, id), state.me, {
      earlier: () => showEarlier(id).catch((e) => composeError(asApiError(e).message)),
      retry: (p) => deliver(id, p),
      discard: (p) => discard(id, p),
    });
    v.messages.replaceChildren(...nodes);
    if (stick) {
      v.messages.scrollTop = v.messages.scrollHeight;
      v.stickToBottom = true;
    }
    seen.watch(v.messages.querySelectorAll('[data-seq]'));
  }

  /** A stored message arrived: it settles a pending reply of ours, and counts as unread unless ours. */
  function addMessage(/** @type {Message} */ m) {
    const t = thread(state, m.conversation_id);
    const mine = isMine(state.me, m);
    const before = t.pending.length;
    t.pending = settle(t.pending, m, mine);
    if (t.pending.length !== before) outbox?.settled(m.key);
    if (t.loaded) t.messages.set(m.seq, m);
    keeper.changed(m.conversation_id);
    const c = state.convs.get(m.conversation_id);
    if (c) {
      const newer = m.seq > c.last_seq;
      if (newer) {
        c.last_seq = m.seq;
        c.last_message = m;
        if (!mine && m.seq > c.read_seq) c.unread = (c.unread ?? 0) + 1;
      }
      if (mine && m.seq > c.read_seq) {
        c.read_seq = m.seq;
        c.unread = 0;
      }
    }
    if (state.view?.id === m.conversation_id && t.loaded) renderMessages(false);
    renderList();
  }

  /** The tenant has seen the open thread up to seq (seen.js says when). */
  function markRead(/** @type {number} */ id, /** @type {number} */ seq) {
    const c = state.convs.get(id);
    const t = thread(state, id);
    if (!c || state.current !== id || seq <= c.read_seq) return;
    c.read_seq = seq;
    c.unread = [...t.messages.values()].filter((m) => m.seq > seq && !isMine(state.me, m)).length;
    renderList();
    api.markRead(id, seq).catch(() => {
      /* the position is moved again with the next message */
    });
  }

  // ---- sending -------------------------------------------------------------

  async function send(/** @type {number} */ id) {
    const v = state.view;
    if (!v?.compose || v.id !== id) return;
    const files = tray(state, id);
    const problem = trayProblem(files);
    if (problem) {
      composeError(problem);
      return;
    }
    const text = v.compose.textarea.value.trim();
    if (!text && !files.length) return;
    composeError('');
    const p = newPending(
      text,
      files.flatMap((f) => (f.record ? [f.record] : [])),
      undefined,
      v.compose.urgent.checked,
    );
    thread(state, id).pending.push(p);
    outbox?.keep(id, p);
    v.compose.textarea.value = '';
    v.compose.urgent.checked = false;
    v.compose.textarea.style.height = '';
    state.drafts.delete(id);
    state.trays.set(id, []);
    save();
    renderTray(id);
    renderMessages(true);
    await deliver(id, p);
  }

  /** Sends a message, or sends it again with the same key: the server stores it once. */
  async function deliver(/** @type {number} */ id, /** @type {Pending} */ p) {
    p.state = 'sending';
    if (state.view?.id === id) renderMessages(false);
    try {
      const m = await api.send(id, { key: p.key, text: p.text, file_ids: p.files.map((f) => f.id), ...(p.urgent ? { urgent: true } : {}) });
      addMessage(m);
    } catch (err) {
      const e = asApiError(err);
      markFailed(p, e);
      if (e.code === 'tenant_not_active') {
        refreshConversations()
          .then(() => state.view?.id === id && renderBottom())
          .catch(() => {});
      }
    }
    if (state.view?.id === id) renderMessages(false);
  }

  function discard(/** @type {number} */ id, /** @type {Pending} */ p) {
    const t = thread(state, id);
    t.pending = t.pending.filter((x) => x !== p);
    outbox?.settled(p.key);
    if (state.view?.id === id) {
      const c = state.view.compose;
      // The text comes back to the compose box, so nothing typed is lost.
      if (c && p.text && !c.textarea.value) c.textarea.value = p.text;
      renderMessages(false);
    }
  }

  function retryPending() {
    for (const [id, p] of toRetry(state.threads)) deliver(id, p);
  }

  // ---- files ---------------------------------------------------------------

  function addFiles(/** @type {number} */ id, /** @type {File[]} */ incoming) {
    const files = tray(state, id);
    const c = state.convs.get(id);
    if (!c || c.read_only) return;
    composeError('');
    const { taken, tooMany } = takeFiles(files.length, incoming);
    for (const file of taken) {
      /** @type {TrayItem} */
      const item = { id: nextTrayId++, file, name: file.name, size: file.size, loaded: 0, record: null, error: '', xhr: null };
      files.push(item);
      upload(id, item);
    }
    if (tooMany) composeError(t('portal.tooManyFiles', { max: MAX_FILES }));
    renderTray(id);
  }

  function upload(/** @type {number} */ id, /** @type {TrayItem} */ item) {
    item.xhr = uploadFile(item.file, item.name, {
      progress(loaded, total) {
        item.loaded = loaded;
        const bar = document.querySelector(`[data-tray-id="${item.id}"] progress`);
        if (bar instanceof HTMLProgressElement) bar.value = total ? loaded / total : 0;
      },
      done({ record, error, status }) {
        item.xhr = null;
        item.record = record;
        item.error = error;
        if (status === 401) signedOut(true);
        renderTray(id);
      },
    });
  }

  function removeFile(/** @type {number} */ id, /** @type {TrayItem} */ item) {
    item.xhr?.abort();
    state.trays.set(
      id,
      tray(state, id).filter((f) => f !== item),
    );
    composeError('');
    renderTray(id);
  }

  function renderTray(/** @type {number} */ id) {
    const c = state.view?.id === id ? state.view.compose : null;
    if (!c) return;
    const files = tray(state, id);
    c.tray.replaceChildren(...render.trayChips(files, (f) => removeFile(id, f)));
    c.send.disabled = trayBusy(files);
  }

  /** View Files: everything shared in the conversation, newest first. */
  async function showFiles(/** @type {number} */ id) {
    const v = state.view;
    if (!v || v.id !== id) return;
    v.section.querySelector('.panel')?.remove();
    const { panel, list } = render.filesPanel();
    v.section.append(panel);
    let files;
    try {
      files = await api.files(id);
    } catch (e) {
      list.replaceChildren(render.filesError(asApiError(e).message));
      return;
    }
    list.replaceChildren(...render.sharedFiles(files));
  }

  // ---- live events ---------------------------------------------------------

  function onEvent(/** @type {ServerEvent} */ ev) {
    switch (ev.type) {
      case 'ready':
        // Caught up: load what may have changed while disconnected.
        setOnline(true);
        refreshConversations()
          .then(async () => {
            const id = state.current;
            if (id && thread(state, id).loaded) {
              await catchUp(api.messages, id, thread(state, id));
              if (state.current === id) renderMessages(false);
              keeper.changed(id);
            }
            if (state.view && state.convs.get(state.view.id)?.read_only !== state.view.readOnly) renderBottom();
            retryPending();
          })
          .catch(() => {});
        break;
      case 'message':
        if (!ev.message) break;
        if (!state.convs.has(ev.message.conversation_id)) refreshConversations().catch(() => {});
        else addMessage(ev.message);
        break;
      case 'conversation':
        refreshConversations().catch(() => {});
        break;
      case 'read': {
        const read = ev.read;
        if (read && state.me && read.reader.kind === 'tenant' && read.reader.id === state.me.id) {
          const c = state.convs.get(read.conversation_id);
          if (c && read.seq > c.read_seq) {
            c.read_seq = read.seq;
            if (c.read_seq >= c.last_seq) c.unread = 0;
            else refreshConversations().catch(() => {});
            renderList();
          }
        }
        break;
      }
      // 'resync': a 'ready' follows and reloads everything.
    }
  }

  // ---- start ---------------------------------------------------------------

  async function start() {
    await openDataCache(globalThis.caches);
    try {
      state.me = await api.me();
    } catch (err) {
      if (asApiError(err).status === 401) return;
      // The server may be restarting: keep trying, the page comes up by itself.
      notice(t('portal.unreachable.title'), t('portal.unreachable.text'), true);
      setTimeout(start, backoff.next());
      return;
    }
    backoff.reset();
    const me = state.me;
    if (owesSignOut(replies, me.session)) {
      // Signed out of here while offline: end it now, show nothing of it.
      state.signingOut = true;
      signedOut(false, await ended(api.signOut));
      return;
    }
    if (me.kind !== 'tenant') {
      notice(t('portal.forTenants.title'), t('portal.forTenants.text'), true);
      return;
    }
    for (const [id, text] of readDrafts(storage, me.id)) state.drafts.set(id, text);
    // Replies written here before, in this tab or another, or before the
    // app was closed: they wait for the connection and go once it is back.
    outbox = createOutbox(replies, me.id);
    for (const [id, p] of outbox.waiting(t('portal.waitingForConnection'))) thread(state, id).pending.push(p);
    page.who.replaceChildren(theirs('bdi', {}, me.name), ' · ', theirs('bdi', {}, me.org_name));
    page.signOut.hidden = false;
    page.signOutEverywhere.hidden = false;
    page.sessions.hidden = false;
    page.languageSelect.value = language();
    page.language.hidden = false;
    try {
      await refreshConversations();
    } catch (e) {
      if (!state.signedOut) notice(t('portal.loadFailed.title'), asApiError(e).message, true);
      return;
    }
    route();
    connection.connect();
  }

  return {
    start,
    route,
    signOut,
    signOutEverywhere,
    showSessions,
    /**
     * Keeps the tenant's choice of language on their record (the e-mails
     * and texts follow it too); false, with the reason shown, if it was not
     * kept. The caller reloads the page, which carries the new sentences.
     */
    async chooseLanguage(/** @type {string} */ chosen) {
      try {
        await api.setLanguage(chosen);
        return true;
      } catch (e) {
        page.languageSelect.value = language();
        page.connection.hidden = false;
        page.connection.textContent = asApiError(e).message;
        return false;
      }
    },
    /**
     * The service worker took the page over: what the page read before it
     * did is read again, so that it is kept for reading offline.
     */
    async reread() {
      if (state.signedOut) return;
      const id = state.current;
      // The tenant is read again even while start() waits for its own answer,
      // which may have left before the worker was there to keep it.
      /** @type {Promise<unknown>[]} */
      const reads = [api.me(), ...(state.me ? [refreshConversations()] : [])];
      if (id) reads.push(api.conversation(id), rereadHeld(api.messages, id, thread(state, id)));
      await Promise.allSettled(reads);
    },
    /** The browser has a network again: reconnect (and send what waits) now. */
    online() {
      connection.reconnectNow();
    },
    /** The tab was shown or hidden: once shown, what is on screen counts as read. */
    visible() {
      seen.visibilityChanged();
    },
  };
}
