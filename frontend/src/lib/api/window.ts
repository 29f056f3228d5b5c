// The only module that sets the native window's title (Wails runtime).
import { WindowSetTitle } from '../../../wailsjs/runtime/runtime';

/** Names the window, and the page (what a browser tab shows in `wails dev`). */
export function setWindowTitle(title: string): void {
  document.title = title;
  try {
    WindowSetTitle(title);
  } catch {
    // No window to name (a test, or the page outside Wails).
  }
}
