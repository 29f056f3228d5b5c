// @ts-check
// How values read: sizes, times and days, file names, in the tenant's
// language and locale (i18n.js).

import { locale, t } from './i18n.js';

/** A number with one decimal or none, as the locale writes it (1.5, 1,5). */
function decimal(/** @type {number} */ n, /** @type {number} */ digits) {
  return new Intl.NumberFormat(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false }).format(n);
}

/** A size in bytes as people read it: 512 B, 1.5 KB, 120 KB, 3.2 MB. */
export function formatSize(/** @type {number} */ n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${decimal(n / 1024, n < 10 * 1024 ? 1 : 0)} KB`;
  return `${decimal(n / (1024 * 1024), 1)} MB`;
}

/** @type {Map<string, Intl.DateTimeFormat>} */
const formats = new Map();

/** A date format of the current locale, made once. */
function dateFormat(/** @type {string} */ name, /** @type {Intl.DateTimeFormatOptions} */ options) {
  const key = `${locale()} ${name}`;
  let f = formats.get(key);
  if (!f) formats.set(key, (f = new Intl.DateTimeFormat(locale(), options)));
  return f;
}

/** A time of day: 9:30 AM, 9:30. */
export const timeFormat = () => dateFormat('time', { hour: 'numeric', minute: '2-digit' });
const dayFormat = () => dateFormat('day', { weekday: 'short', month: 'short', day: 'numeric' });
const yearFormat = () => dateFormat('year', { year: 'numeric', month: 'short', day: 'numeric' });

/** The local calendar day of a moment, to compare days. */
export function dayKey(/** @type {Date} */ d) {
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/**
 * A day as a separator in a thread reads: Today, Yesterday, a weekday and
 * date this year, a full date before.
 * @param {Date} d
 * @param {Date} [today]
 */
export function dayLabel(d, today = new Date()) {
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (dayKey(d) === dayKey(today)) return t('portal.today');
  if (dayKey(d) === dayKey(yesterday)) return t('portal.yesterday');
  return d.getFullYear() === today.getFullYear() ? dayFormat().format(d) : yearFormat().format(d);
}

/**
 * A moment in the conversation list: the time today, the day before.
 * @param {string} iso
 * @param {Date} [now]
 */
export function shortTime(iso, now = new Date()) {
  const d = new Date(iso);
  return dayKey(d) === dayKey(now) ? timeFormat().format(d) : dayLabel(d, now);
}

/**
 * One line of the list of where the tenant is signed in: "This device,
 * since 09:30", "Firefox on Windows, since Tuesday".
 * @param {{ started_at: string, device: string, current: boolean }} s
 * @param {Date} [now]
 */
export function sessionLine(s, now = new Date()) {
  return t('portal.sessionSince', { device: s.current ? t('portal.thisDevice') : s.device, when: shortTime(s.started_at, now) });
}

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
export function shownFileName(/** @type {string} */ name) {
  return String(name).replace(BIDI_CONTROLS, (c) => `[U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}]`);
}

/** The extension a file name shows (PDF, JPG), or FILE. */
export function shownExtension(/** @type {string} */ name) {
  return (/\.([A-Za-z0-9]{1,5})$/.exec(shownFileName(name))?.[1] ?? 'file').toUpperCase();
}

/** Whether a file is a picture the page shows as one. */
export function isImage(/** @type {{ content_type: string }} */ f) {
  return /^image\/(png|jpeg|gif|webp)$/.test(f.content_type);
}
