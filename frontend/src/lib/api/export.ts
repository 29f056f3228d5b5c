// The only module that calls the Go ExportService binding and listens to
// its event (export:verified, named in app/export.go). A failed call
// rejects with an AppError (see errors.ts).
import * as Exports from '../../../wailsjs/go/app/ExportService';
import { EventsOn } from '../../../wailsjs/runtime/runtime';
import { call } from './errors';
import type { DroppedFile, ExportResult, ServerKey, VerifyOutcome } from './types';

/** Asks where (the native dialog), then exports a conversation; a cancelled dialog gives an empty path. */
export const exportConversation = (id: number): Promise<ExportResult> => call(() => Exports.ExportConversation(id));
/** The same for every conversation with a tenant, in one export. */
export const exportTenant = (tenantId: number): Promise<ExportResult> => call(() => Exports.ExportTenant(tenantId));
/** Asks for an export (the native dialog) and checks it; a cancelled dialog gives an empty outcome. */
export const verifyExport = (): Promise<VerifyOutcome> => call(() => Exports.VerifyExport());
/** The size of each piece of a dropped file handed over: the browser's
 * connection to the app carries a message of this size whole. */
const PIECE = 24 * 1024;

/**
 * Checks a .zip dropped on the page (a plain browser) when it is an
 * export: its bytes (never a path), handed over in pieces.
 */
export async function verifyDropped(name: string, bytes: Uint8Array): Promise<DroppedFile> {
  const id = await call(() => Exports.BeginDroppedFile(name));
  for (let at = 0; at < bytes.length; at += PIECE) {
    const piece = bytes.subarray(at, at + PIECE);
    const b64 = btoa(String.fromCharCode(...piece));
    await call(() => Exports.AppendDroppedFile(id, b64));
  }
  return call(() => Exports.VerifyDroppedFile(id));
}
/** Has the server sign a conversation's head when none up to its newest message is kept. */
export const keepSignedHead = (id: number): Promise<void> => call(() => Exports.KeepSignedHead(id));
export const serverKey = (): Promise<ServerKey> => call(() => Exports.ServerKey());

/** An export dropped on the window was checked (the desktop window, where Go gets the paths). */
export function onVerified(handler: (o: VerifyOutcome) => void): () => void {
  return EventsOn('export:verified', handler);
}
