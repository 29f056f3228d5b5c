import { BrowserOpenURL } from '../../../wailsjs/runtime/runtime';

/** Hands a URL to the system browser (never the app's webview). */
export function openInBrowser(url: string): void {
  BrowserOpenURL(url);
}
