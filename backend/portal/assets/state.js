// @ts-check
// What the page knows, in one explicit value: made by createState, handed to
// whatever reads or changes it. No module keeps state of its own at the top
// level.

/** @typedef {import('./api.js').Me} Me */
/** @typedef {import('./api.js').Message} Message */
/** @typedef {import('./api.js').Conversation} Conversation */
/** @typedef {import('./outbox.js').Pending} Pending */
/** @typedef {import('./outbox.js').TrayItem} TrayItem */

/**
 * A conversation's messages as far as loaded, and the replies not yet stored.
 * @typedef {object} Thread
 * @property {Map<number, Message>} messages by seq
 * @property {boolean} loaded the newest page is in
 * @property {boolean} hasEarlier the server holds older messages than the first here
 * @property {Pending[]} pending
 */

/**
 * The compose box's elements.
 * @typedef {object} Compose
 * @property {HTMLTextAreaElement} textarea
 * @property {HTMLElement} error
 * @property {HTMLElement} tray
 * @property {HTMLButtonElement} send
 * @property {HTMLInputElement} urgent the "Urgent" choice
 */

/**
 * The open thread's elements.
 * @typedef {object} View
 * @property {number} id the conversation's
 * @property {HTMLElement} section
 * @property {HTMLElement} messages
 * @property {boolean} stickToBottom the reader is at the newest message: new ones keep it in sight
 * @property {boolean} [readOnly] the conversation's read_only as rendered (the server omits false)
 * @property {Compose | null} [compose] null while read-only
 */

/**
 * @typedef {object} State
 * @property {Me | null} me null until signed in
 * @property {Map<number, Conversation>} convs
 * @property {Map<number, Thread>} threads
 * @property {Map<number, TrayItem[]>} trays files being attached, by conversation
 * @property {Map<number, string>} drafts text being written, by conversation
 * @property {number | null} current the open conversation's id
 * @property {View | null} view the open thread's elements
 * @property {boolean} signedOut the session is over: nothing talks to the server any more
 * @property {boolean} signingOut the sign-out button was pressed: the end that follows is ours
 */

/** @returns {State} */
export function createState() {
  return {
    me: null,
    convs: new Map(),
    threads: new Map(),
    trays: new Map(),
    drafts: new Map(),
    current: null,
    view: null,
    signedOut: false,
    signingOut: false,
  };
}

/**
 * A conversation's thread, empty until loaded.
 * @param {State} state
 * @param {number} id
 * @returns {Thread}
 */
export function thread(state, id) {
  let t = state.threads.get(id);
  if (!t) {
    t = { messages: new Map(), loaded: false, hasEarlier: false, pending: [] };
    state.threads.set(id, t);
  }
  return t;
}

/**
 * The files being attached to a conversation's next message.
 * @param {State} state
 * @param {number} id
 * @returns {TrayItem[]}
 */
export function tray(state, id) {
  let t = state.trays.get(id);
  if (!t) {
    t = [];
    state.trays.set(id, t);
  }
  return t;
}

/**
 * Whether the signed-in tenant sent a message.
 * @param {Me | null} me
 * @param {Message} m
 */
export function isMine(me, m) {
  return me !== null && m.sender.kind === 'tenant' && m.sender.id === me.id;
}

/** When a conversation last changed, in ms: its newest message, or its start. */
export function lastActivity(/** @type {Conversation} */ c) {
  return new Date(c.last_message?.created_at ?? c.created_at).getTime();
}

/** Conversations as listed: the most recently active first. */
export function byActivity(/** @type {Iterable<Conversation>} */ convs) {
  return [...convs].sort((a, b) => lastActivity(b) - lastActivity(a));
}

/** Messages from others not yet read, over all conversations. */
export function unreadTotal(/** @type {Conversation[]} */ convs) {
  return convs.reduce((n, c) => n + (c.unread > 0 ? c.unread : 0), 0);
}
