// The only module that calls the Go FileService binding. A failed call
// rejects with an AppError (see errors.ts).
import * as Files from '../../../wailsjs/go/app/FileService';
import { call } from './errors';
import type { FileInfo, Sender } from './types';

/** A file as View Files lists it. */
export interface SharedFile extends FileInfo {
  created_at: string;
  message_id: number;
  seq: number;
  shared_by: Sender;
  shared_at: string;
}

export const list = (conversationId: number): Promise<SharedFile[]> =>
  call(async () => (await Files.Files(conversationId)) as unknown as SharedFile[]);
// The Go side takes a backend.File; the fields it needs are the ones we hold.
export const open = (f: FileInfo): Promise<void> => call(() => Files.Open(f as never));
export const saveAs = (f: FileInfo): Promise<string> => call(() => Files.SaveAs(f as never));
/**
 * A data: URL of an image the webview can show, or "" for anything else (a
 * phone's HEIC photo, a PDF) and when it cannot be had: then a card or icon.
 */
export const thumbnail = async (f: FileInfo): Promise<string> =>
  f.content_type.startsWith('image/') ? call(() => Files.Thumbnail(f as never)).catch(() => '') : '';

/**
 * Whether files dropped on the window reach Go natively, as paths (the
 * desktop window, where Wails turns this flag on). Then the page must not
 * also send the dropped files' bytes; in a plain browser it must.
 */
export function nativeFileDrop(): boolean {
  const w = window as unknown as { wails?: { flags?: { enableWailsDragAndDrop?: boolean } } };
  return w.wails?.flags?.enableWailsDragAndDrop === true;
}
