import { openInBrowser } from '../api/links';
import { httpURL } from '../links';

/** Opens a link of a message in the system browser: http and https only; anything else is ignored. */
export function openLink(href: string): void {
  const url = httpURL(href);
  if (url !== null) openInBrowser(url);
}
