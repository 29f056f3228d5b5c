// @ts-check
// The page's parts, built from what the server sent and what is waiting to
// be sent. Each function returns new elements and takes what they show and
// what their buttons do as arguments; none reads or changes the page's
// state, and none puts anything in the page as markup (see dom.js).

import { fileURL } from './api.js';
import { el, fileName, PAPER_CLIP, svgIcon, theirs } from './dom.js';
import { dayKey, dayLabel, formatSize, isImage, sessionLine, shortTime, shownExtension, shownFileName, timeFormat } from './format.js';
import { locale, t } from './i18n.js';
import { inOrder } from './paging.js';
import { isMine } from './state.js';

/** @typedef {import('./api.js').Conversation} Conversation */
/** @typedef {import('./api.js').FileRecord} FileRecord */
/** @typedef {import('./api.js').Me} Me */
/** @typedef {import('./api.js').Message} Message */
/** @typedef {import('./api.js').SharedFile} SharedFile */
/** @typedef {import('./outbox.js').Pending} Pending */
/** @typedef {import('./outbox.js').TrayItem} TrayItem */
/** @typedef {import('./state.js').Compose} Compose */
/** @typedef {import('./state.js').Thread} Thread */

/**
 * A page-filling sentence: signed out, or something went wrong.
 * @param {string} title
 * @param {string} text
 * @param {boolean} [alert]
 * @param {{href: string, text: string} | null} [link] a way on, under the sentence
 */
export function notice(title, text, alert = false, link = null) {
  const body = [el('h1', { text: title }), el('p', { text })];
  if (link) body.push(el('p', {}, el('a', { href: link.href, text: link.text, 'data-testid': 'notice-link' })));
  return el('section', { class: 'notice', role: alert ? 'alert' : 'status', 'data-testid': 'notice' }, ...body);
}

/**
 * The list of where the tenant is signed in, this device first.
 * @param {import('./api.js').SessionInfo[]} list newest first
 */
export function sessionItems(list) {
  const ordered = [...list.filter((s) => s.current), ...list.filter((s) => !s.current)];
  return ordered.map((s) => el('li', { 'data-testid': 'session', text: sessionLine(s) }));
}

/** Where a thread goes before one is chosen. */
export function placeholder() {
  return el('section', { class: 'thread-placeholder', text: t('portal.chooseConversation') });
}

/** The conversation list's frame, filled by conversationList. */
export function listFrame() {
  return el('nav', { class: 'list', 'aria-label': t('portal.conversations'), 'data-testid': 'conversation-list' });
}

/**
 * The conversation list's content.
 * @param {Conversation[]} convs in the order shown
 * @param {Me | null} me
 * @param {number | null} current the open conversation's id
 * @param {(id: number) => void} open
 */
export function conversationList(convs, me, current, open) {
  const items = convs.map((c) => el('li', {}, conversationLink(c, me, current, open)));
  return [
    el('h1', { text: t('portal.messages') }),
    items.length ? el('ul', {}, items) : el('p', { class: 'empty', text: t('portal.noConversations') }),
  ];
}

/**
 * One conversation in the list: title, time, preview, unread count. A
 * plain click opens it in the page; a modified one does what the browser
 * does with a link.
 * @param {Conversation} c
 * @param {Me | null} me
 * @param {number | null} current
 * @param {(id: number) => void} open
 */
function conversationLink(c, me, current, open) {
  const last = c.last_message;
  let preview = null;
  if (last) {
    const files = last.files?.length ?? 0;
    const what = last.text ? theirs('bdi', {}, last.text) : files === 1 ? t('portal.oneFile') : t('portal.someFiles', { count: files });
    preview = el('span', { class: 'preview' }, isMine(me, last) ? t('portal.you') : '', what);
  }
  return el(
    'a',
    {
      class: 'conv',
      href: `/portal/c/${c.id}`,
      'data-testid': 'conversation',
      'data-id': c.id,
      'aria-current': c.id === current ? 'page' : null,
      onclick: (/** @type {MouseEvent} */ e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        open(c.id);
      },
    },
    theirs('span', { class: 'title' }, c.title),
    el('span', { class: 'time', text: last ? shortTime(last.created_at) : '' }),
    preview ?? el('span', { class: 'preview' }),
    c.unread > 0 ? el('span', { class: 'badge', role: 'img', 'data-testid': 'unread', 'aria-label': t('portal.unread', { count: c.unread }), text: String(c.unread) }) : el('span'),
  );
}

/**
 * In place of a thread the tenant cannot open: why, and the way back.
 * @param {string} message the server's sentence
 * @param {() => void} back
 */
export function unavailable(message, back) {
  return el(
    'section',
    { class: 'thread' },
    el(
      'div',
      { class: 'notice', role: 'alert', 'data-testid': 'unavailable' },
      el('h1', { text: t('portal.notAvailable') }),
      el('p', { text: message }),
      el('p', {}, el('a', { href: '/portal/', onclick: (/** @type {MouseEvent} */ e) => (e.preventDefault(), back()), text: t('portal.backToMessages') })),
    ),
  );
}

/** An open thread's frame: its head, its messages (loading), its bottom. */
export function threadFrame() {
  const messages = el('div', { class: 'messages', 'data-testid': 'messages', role: 'log', 'aria-live': 'polite' }, el('p', { class: 'empty', text: t('portal.loading') }));
  const section = el('section', { class: 'thread', 'data-testid': 'thread' }, el('header', { class: 'thread-head' }), messages, el('div', { class: 'bottom' }));
  return { section, messages };
}

/** An error in place of what could not be loaded. */
export function loadError(/** @type {string} */ text) {
  return el('p', { class: 'error', role: 'alert', text });
}

/**
 * A thread's head: back to the list, the title (and the members of a
 * group), View Files.
 * @param {Conversation} c
 * @param {{ back: () => void, viewFiles: () => void }} on
 */
export function threadHead(c, on) {
  const names = c.kind === 'group' ? c.members.flatMap((m, i) => [i ? ', ' : '', theirs('bdi', {}, m.name)]) : [];
  return [
    el('button', { type: 'button', class: 'link back', 'aria-label': t('portal.allConversations'), onclick: on.back, text: '‹' }),
    el('div', { class: 'names' }, theirs('h1', { 'data-testid': 'thread-title' }, c.title), names.length ? el('div', { class: 'members' }, t('portal.withLandlordAnd'), ...names) : null),
    el('button', { type: 'button', class: 'button', 'data-testid': 'view-files', onclick: on.viewFiles, text: t('portal.viewFiles') }),
  ];
}

/** The read-only sentence in place of the compose box, once the lease ended. */
export function readOnlyNote(/** @type {Conversation} */ c) {
  return el('p', { class: 'readonly', role: 'status', 'data-testid': 'read-only', text: c.read_only ? t('portal.readOnlyLeaseEnded') : t('portal.readOnly') });
}

/**
 * The compose box: the paper-clip, the text, Send, the tray of files
 * being attached and a line for what is wrong.
 * @param {string} draft the text to start with
 * @param {{ files: (files: File[]) => void, input: (text: string) => void, send: () => void }} on
 * @returns {{ node: HTMLElement, compose: Compose }}
 */
export function composeBox(draft, on) {
  const input = el('input', { type: 'file', multiple: true, hidden: true, 'data-testid': 'file-input', 'aria-label': t('portal.attachFiles') });
  input.addEventListener('change', () => {
    on.files([...(input.files ?? [])]);
    input.value = '';
  });
  const textarea = el('textarea', { rows: 1, maxlength: 10000, 'aria-label': t('portal.message'), placeholder: t('portal.writeMessage'), 'data-testid': 'compose' });
  textarea.value = draft;
  textarea.addEventListener('input', () => {
    on.input(textarea.value);
    grow(textarea);
  });
  textarea.addEventListener('keydown', (e) => {
    // Enter sends on a computer; on a phone's keyboard Enter is a new line.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && window.matchMedia('(pointer: fine)').matches) {
      e.preventDefault();
      on.send();
    }
  });
  textarea.addEventListener('paste', (e) => {
    const files = [...(e.clipboardData?.files ?? [])];
    if (files.length) {
      e.preventDefault();
      on.files(files);
    }
  });
  const error = el('p', { class: 'error', role: 'alert', 'data-testid': 'compose-error', hidden: true });
  const tray = el('div', { class: 'tray', 'data-testid': 'tray' });
  const send = el('button', { type: 'button', class: 'button primary', 'data-testid': 'send', onclick: on.send, text: t('portal.send') });
  // A separate, deliberate choice: it reaches the landlord even when they
  // silenced notifications, so it says what it is for.
  const urgent = el('input', { type: 'checkbox', 'data-testid': 'urgent', 'aria-describedby': 'urgent-hint' });
  const urgentChoice = el(
    'label',
    { class: 'urgent-choice' },
    urgent,
    el('strong', { text: t('portal.urgent') }),
    el('span', { id: 'urgent-hint', class: 'hint', text: t('portal.urgentHint') }),
  );
  const node = el(
    'div',
    { class: 'compose' },
    error,
    tray,
    el(
      'div',
      { class: 'compose-row' },
      el('button', { type: 'button', class: 'clip', title: t('portal.attachFiles'), 'aria-label': t('portal.attachFiles'), 'data-testid': 'attach', onclick: () => input.click() }, svgIcon(PAPER_CLIP)),
      input,
      textarea,
      send,
    ),
    urgentChoice,
  );
  return { node, compose: { textarea, error, tray, send, urgent } };
}

/** Grows the compose box with its text. */
export function grow(/** @type {HTMLTextAreaElement} */ textarea) {
  textarea.style.height = 'auto';
  textarea.style.height = `${textarea.scrollHeight + 2}px`;
}

/**
 * The tray's chips: each file's name, then its progress, size or error,
 * and a button to remove it.
 * @param {TrayItem[]} files
 * @param {(item: TrayItem) => void} remove
 */
export function trayChips(files, remove) {
  return files.map((f) =>
    el(
      'div',
      { class: f.error ? 'chip bad' : 'chip', 'data-testid': 'tray-file', 'data-tray-id': f.id, title: f.error || shownFileName(f.name) },
      fileName('span', { class: 'name' }, f.name),
      f.error ? el('span', { text: f.error }) : f.record ? el('span', { class: 'size', text: formatSize(f.size) }) : el('progress', { max: 1, value: f.size ? f.loaded / f.size : 0, 'aria-label': t('portal.uploading', { name: shownFileName(f.name) }) }),
      el('button', { type: 'button', 'aria-label': t('portal.remove', { name: shownFileName(f.name) }), onclick: () => remove(f), text: '×' }),
    ),
  );
}

/**
 * A thread's content: the button for earlier messages, the messages with
 * day separators, then the replies not yet stored.
 * @param {Thread} thread
 * @param {Me | null} me
 * @param {{ earlier: () => void, retry: (p: Pending) => void, discard: (p: Pending) => void }} on
 */
export function threadContent(thread, me, on) {
  /** @type {HTMLElement[]} */
  const nodes = [];
  if (thread.hasEarlier) {
    nodes.push(el('button', { type: 'button', class: 'button earlier', 'data-testid': 'earlier', onclick: on.earlier, text: t('portal.showEarlier') }));
  }
  let day = '';
  for (const m of inOrder(thread)) {
    const d = new Date(m.created_at);
    if (dayKey(d) !== day) {
      day = dayKey(d);
      nodes.push(el('div', { class: 'day', text: dayLabel(d) }));
    }
    nodes.push(messageNode(m, me));
  }
  for (const p of thread.pending) nodes.push(pendingNode(p, on));
  if (!nodes.length) nodes.push(el('p', { class: 'empty', text: t('portal.noMessages') }));
  return nodes;
}

/**
 * A stored message: the sender (unless it is the tenant's own), its text
 * and files, its time.
 * @param {Message} m
 * @param {Me | null} me
 */
function messageNode(m, me) {
  const mine = isMine(me, m);
  return el(
    'article',
    { class: (mine ? 'msg mine' : 'msg') + (m.urgent ? ' urgent' : ''), 'data-testid': 'message', 'data-seq': m.seq },
    mine ? null : theirs('div', { class: 'from' }, m.sender.name),
    m.urgent ? el('div', { class: 'urgent-mark', 'data-testid': 'urgent-mark', text: t('portal.urgent') }) : null,
    el('div', { class: 'bubble' }, m.text ? theirs('p', { class: 'text' }, m.text) : null, m.files?.length ? filesNode(m.files) : null),
    el('div', { class: 'meta' }, el('time', { datetime: m.created_at, title: new Date(m.created_at).toLocaleString(locale()), text: timeFormat().format(new Date(m.created_at)) })),
  );
}

/** A message's files: pictures as thumbnails, anything else as a card to download. */
function filesNode(/** @type {FileRecord[]} */ files) {
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

/**
 * A reply not yet stored: sending, or not sent with the reason, Try again
 * (when it may help) and Discard.
 * @param {Pending} p
 * @param {{ retry: (p: Pending) => void, discard: (p: Pending) => void }} on
 */
function pendingNode(p, on) {
  const failed = p.state === 'failed';
  return el(
    'article',
    { class: failed ? 'msg mine failed' : 'msg mine', 'data-testid': 'pending' },
    el('div', { class: 'bubble' }, p.text ? theirs('p', { class: 'text' }, p.text) : null, p.files.length ? filesNode(p.files) : null),
    el(
      'div',
      { class: 'meta' },
      failed ? t('portal.notSent', { error: p.error }) : t('portal.sending'),
      failed && p.retry ? el('button', { type: 'button', class: 'link', 'data-testid': 'retry', onclick: () => on.retry(p), text: t('portal.tryAgain') }) : null,
      failed ? el('button', { type: 'button', class: 'link', 'data-testid': 'discard', onclick: () => on.discard(p), text: t('portal.discard') }) : null,
    ),
  );
}

/**
 * View Files' panel, loading; fill its list with sharedFiles.
 * @returns {{ panel: HTMLElement, list: HTMLElement }}
 */
export function filesPanel() {
  const list = el('ul', { 'data-testid': 'files-list' }, el('li', { text: t('portal.loading') }));
  const panel = el(
    'section',
    { class: 'panel', 'data-testid': 'files-panel', 'aria-label': t('portal.files') },
    el('header', { class: 'thread-head' }, el('div', { class: 'names' }, el('h1', { text: t('portal.files') })), el('button', { type: 'button', class: 'button', 'data-testid': 'close-files', onclick: () => panel.remove(), text: t('portal.close') })),
    list,
  );
  return { panel, list };
}

/** An error in View Files' list. */
export function filesError(/** @type {string} */ text) {
  return el('li', { class: 'error', role: 'alert', text });
}

/**
 * View Files' list: each file with a preview or its extension, who shared
 * it and when, and Download.
 * @param {SharedFile[]} files newest first
 */
export function sharedFiles(files) {
  if (!files.length) return [el('li', { class: 'empty', text: t('portal.noFilesShared') })];
  return files.map((f) =>
    el(
      'li',
      { 'data-testid': 'shared-file' },
      el('div', { class: 'preview' }, isImage(f) ? el('img', { src: fileURL(f), alt: '', loading: 'lazy' }) : shownExtension(f.name)),
      el('div', { class: 'about' }, fileName('div', { class: 'name' }, f.name), el('div', { class: 'sub' }, `${formatSize(f.size)} · `, theirs('bdi', {}, f.shared_by.name), ` · ${dayLabel(new Date(f.shared_at))}`)),
      el('a', { class: 'button', href: fileURL(f), download: shownFileName(f.name), 'data-testid': 'download', text: t('portal.download') }),
    ),
  );
}

/**
 * Lets files be dragged onto a thread: a zone shows while they are over it,
 * and dropped ones go to drop.
 * @param {HTMLElement} section
 * @param {{ accepts: () => boolean, drop: (files: File[]) => void }} on
 */
export function wireDrop(section, on) {
  let depth = 0;
  const zone = el('div', { class: 'dropzone', 'data-testid': 'dropzone', hidden: true, text: t('portal.dropFiles') });
  section.append(zone);
  const hasFiles = (/** @type {DragEvent} */ e) => [...(e.dataTransfer?.types ?? [])].includes('Files');
  section.addEventListener('dragenter', (e) => {
    if (!hasFiles(e) || !on.accepts()) return;
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
    on.drop([...(e.dataTransfer?.files ?? [])]);
  });
}
