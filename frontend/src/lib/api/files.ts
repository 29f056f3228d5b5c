// The only module that calls the Go FileService binding. A failed call
// rejects with an AppError (see errors.ts).
import * as Files from '../../../wailsjs/go/app/FileService';
import { backend } from '../../../wailsjs/go/models';
import { call } from './errors';
import type { FileInfo, SharedFile } from './types';

export const list = (conversationId: number): Promise<SharedFile[]> => call(() => Files.Files(conversationId));
// The Go side takes a backend.File: the model, made from the plain value.
export const open = (f: FileInfo): Promise<void> => call(() => Files.Open(backend.File.createFrom(f)));
export const saveAs = (f: FileInfo): Promise<string> => call(() => Files.SaveAs(backend.File.createFrom(f)));
/**
 * A data: URL of an image the webview can show, or "" for anything else (a
 * phone's HEIC photo, a PDF) and when it cannot be had: then a card or icon.
 */
export const thumbnail = async (f: FileInfo): Promise<string> =>
  f.content_type.startsWith('image/') ? call(() => Files.Thumbnail(backend.File.createFrom(f))).catch(() => '') : '';

/**
 * Whether files dropped on the window reach Go natively, as paths (the
 * desktop window, where Wails turns this flag on). Then the page must not
 * also send the dropped files' bytes; in a plain browser it must.
 */
export function nativeFileDrop(): boolean {
  return window.wails?.flags?.enableWailsDragAndDrop === true;
}
