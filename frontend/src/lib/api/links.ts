import { BrowserOpenURL } from '../../../wailsjs/runtime/runtime';

/** A piece of message text: plain, or a link that may be opened. */
export type Segment = { text: string; href?: string };

const urlPattern = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/gi;

/** Splits text into plain runs and http(s) links; nothing else is a link. */
export function segments(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(urlPattern)) {
    if (m.index > last) out.push({ text: text.slice(last, m.index) });
    out.push({ text: m[0], href: m[0] });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

/** Opens an http(s) link in the system browser; anything else is ignored. */
export function openExternal(href: string): void {
  try {
    const u = new URL(href);
    if (u.protocol === 'http:' || u.protocol === 'https:') BrowserOpenURL(u.href);
  } catch {
    /* not a URL: nothing to open */
  }
}
