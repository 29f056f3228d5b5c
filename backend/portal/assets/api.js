// @ts-check
// The API as the portal uses it: JSON over fetch with the session cookie,
// the CSRF header on every change, and every refusal as an ApiError with
// the server's code and sentence. The shapes below are the server's wire
// types (backend/chat.go), as far as the portal reads them.

import { t } from './i18n.js';

/**
 * @typedef {object} Sender
 * @property {'user' | 'tenant'} kind
 * @property {number} id
 * @property {string} name
 */

/**
 * @typedef {object} Me
 * @property {'user' | 'tenant'} kind
 * @property {number} id
 * @property {string} name
 * @property {string} org_name
 * @property {string} [session] names the session this page uses (see offline.js, oweSignOut)
 */

/**
 * One place the tenant is signed in.
 * @typedef {object} SessionInfo
 * @property {string} started_at
 * @property {string} device a few words from the browser that signed in
 * @property {boolean} current whether it is this page's session
 */

/**
 * @typedef {object} FileRecord
 * @property {number} id
 * @property {string} name
 * @property {number} size
 * @property {string} content_type
 */

/**
 * @typedef {FileRecord & { shared_by: Sender, shared_at: string }} SharedFile
 */

/**
 * @typedef {object} Message
 * @property {number} id
 * @property {number} conversation_id
 * @property {number} seq
 * @property {Sender} sender
 * @property {string} text
 * @property {FileRecord[] | null} files
 * @property {string} key
 * @property {string} created_at
 * @property {boolean} [urgent] the tenant marked it as an emergency
 */

/**
 * @typedef {object} Conversation
 * @property {number} id
 * @property {'direct' | 'group'} kind
 * @property {string} title
 * @property {{ id: number, name: string }[]} members
 * @property {string} created_at
 * @property {number} last_seq
 * @property {number} read_seq
 * @property {number} unread
 * @property {Message} [last_message]
 * @property {boolean} [read_only]
 * @property {string} [read_only_reason]
 */

/**
 * @typedef {object} ReadPosition
 * @property {number} conversation_id
 * @property {Sender} reader
 * @property {number} seq
 */

/**
 * One event on the events socket.
 * @typedef {object} ServerEvent
 * @property {number} id
 * @property {string} type 'ready', 'message', 'conversation', 'read' or 'resync'; others are ignored
 * @property {Message} [message]
 * @property {Conversation} [conversation]
 * @property {ReadPosition} [read]
 */

/**
 * Which page of a thread to fetch: the newest (neither), the one before a
 * seq, or the one after a seq (0: the start).
 * @typedef {{ limit: number, before?: number, after?: number }} PageQuery
 */

/**
 * The calls the portal makes; each rejects with an ApiError.
 * @typedef {object} Api
 * @property {() => Promise<Me>} me
 * @property {() => Promise<Me>} alive me, asked only to learn whether the server answers: not told to onAnswer
 * @property {() => Promise<Conversation[]>} conversations
 * @property {(id: number) => Promise<Conversation>} conversation
 * @property {(id: number, page: PageQuery) => Promise<Message[]>} messages
 * @property {(id: number, body: { key: string, text: string, file_ids: number[], urgent?: boolean }) => Promise<Message>} send
 * @property {(id: number, seq: number) => Promise<unknown>} markRead
 * @property {(id: number) => Promise<SharedFile[]>} files
 * @property {() => Promise<unknown>} signOut
 * @property {() => Promise<SessionInfo[]>} sessions where the tenant is signed in, newest first
 * @property {() => Promise<unknown>} signOutEverywhere ends every session of the tenant, this one included
 * @property {(language: string) => Promise<unknown>} setLanguage keeps the language the tenant picked ("en", "es") on their record
 */

import { FROM_CACHE_HEADER } from './offline.js';

export const API = '/api/v1';
const CSRF_COOKIE = 'doorstep_csrf';
const CSRF_HEADER = 'X-Doorstep-CSRF';

/**
 * A cookie's value, '' when it is not set.
 * @param {string} name
 * @param {string} [cookies] the document's cookies
 */
export function cookie(name, cookies = document.cookie) {
  for (const part of cookies.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return '';
}

/** A refusal or failure: the HTTP status (0: no connection), the server's code and its sentence. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The error's code and status when it is an ApiError; anything else counts as internal. */
export function asApiError(/** @type {unknown} */ e) {
  if (e instanceof ApiError) return e;
  return new ApiError(0, 'internal', e instanceof Error ? e.message : String(e));
}

/** Where a file is fetched from. */
export function fileURL(/** @type {{ id: number }} */ f) {
  return `${API}/files/${encodeURIComponent(f.id)}`;
}

/**
 * The path of one page of a thread.
 * @param {number} id
 * @param {PageQuery} page
 */
export function messagesPath(id, page) {
  const q = [];
  if (page.before !== undefined) q.push(`before=${page.before}`);
  if (page.after !== undefined) q.push(`after=${page.after}`);
  q.push(`limit=${page.limit}`);
  return `/conversations/${id}/messages?${q.join('&')}`;
}

/**
 * The API with the session cookie. onUnauthorized is told of every 401
 * answer (the session is gone) before the call rejects; onAnswer of every
 * answer, and whether it was one kept from earlier because the server is
 * out of reach (the service worker, offline.js).
 * @param {() => void} onUnauthorized
 * @param {(kept: boolean) => void} [onAnswer]
 * @returns {Api}
 */
export function createApi(onUnauthorized, onAnswer = () => {}) {
  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @param {boolean} [quiet] not told to onAnswer
   * @returns {Promise<any>}
   */
  async function call(method, path, body, quiet = false) {
    /** @type {Record<string, string>} */
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
      throw new ApiError(0, 'network', t('portal.noConnection'));
    }
    if (!quiet) onAnswer(res.headers.get(FROM_CACHE_HEADER) === '1');
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: answered below */
    }
    if (!res.ok) {
      const e = data?.error;
      if (res.status === 401) onUnauthorized();
      throw new ApiError(res.status, e?.code ?? 'internal', e?.message ?? t('portal.serverAnswered', { status: res.status }));
    }
    return data;
  }
  return {
    me: () => call('GET', '/me'),
    alive: () => call('GET', '/me', undefined, true),
    conversations: () => call('GET', '/conversations'),
    conversation: (id) => call('GET', `/conversations/${id}`),
    messages: (id, page) => call('GET', messagesPath(id, page)),
    send: (id, body) => call('POST', `/conversations/${id}/messages`, body),
    markRead: (id, seq) => call('POST', `/conversations/${id}/read`, { seq }),
    files: (id) => call('GET', `/conversations/${id}/files`),
    signOut: () => call('POST', '/auth/signout'),
    sessions: () => call('GET', '/sessions'),
    signOutEverywhere: () => call('POST', '/auth/signout-everywhere'),
    setLanguage: (language) => call('PUT', '/me/language', { language }),
  };
}

/**
 * How an upload ends: the stored file, or the sentence why not. status is
 * the HTTP status (0: cut off).
 * @typedef {{ record: FileRecord | null, error: string, status: number }} UploadResult
 */

/**
 * Uploads one file at once (multipart, streamed to disk by the server),
 * telling its progress. The returned request can be aborted; an aborted
 * upload tells nothing more.
 * @param {Blob} file
 * @param {string} name
 * @param {{ progress: (loaded: number, total: number) => void, done: (result: UploadResult) => void }} on
 * @returns {XMLHttpRequest}
 */
export function uploadFile(file, name, on) {
  const form = new FormData();
  form.append('file', file, name);
  const xhr = new XMLHttpRequest();
  xhr.open('POST', `${API}/files`);
  xhr.setRequestHeader(CSRF_HEADER, cookie(CSRF_COOKIE));
  xhr.upload.addEventListener('progress', (e) => on.progress(e.loaded, e.total));
  xhr.addEventListener('load', () => {
    let body = null;
    try {
      body = JSON.parse(xhr.responseText);
    } catch {
      /* answered below */
    }
    if (xhr.status === 201 && body?.id) on.done({ record: body, error: '', status: xhr.status });
    else on.done({ record: null, error: body?.error?.message ?? t('portal.uploadFailed', { status: xhr.status }), status: xhr.status });
  });
  xhr.addEventListener('error', () => {
    on.done({ record: null, error: t('portal.uploadCutOff'), status: 0 });
  });
  xhr.send(form);
  return xhr;
}
