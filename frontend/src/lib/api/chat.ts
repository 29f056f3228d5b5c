// The only module that calls the Go ConversationService, TenantService and
// AttachmentService bindings and listens to the events the sync engine sends
// (names as in app/engine/engine.go and app/attachments.go). A failed call
// rejects with an AppError (see errors.ts).
import * as Conversations from '../../../wailsjs/go/app/ConversationService';
import * as Tenants from '../../../wailsjs/go/app/TenantService';
import * as Attachments from '../../../wailsjs/go/app/AttachmentService';
import { EventsOn } from '../../../wailsjs/runtime/runtime';
import { type AppError, call, toAppError } from './errors';
import type {
  Conversation,
  Directory,
  DraftFile,
  Message,
  Notification,
  Outgoing,
  ReadPosition,
  SyncState,
  TenantRecord,
  Thread,
  UploadProgress,
} from './types';

export const conversations = (): Promise<Conversation[]> => call(() => Conversations.Conversations());
export const thread = (id: number, before = 0): Promise<Thread> => call(() => Conversations.Thread(id, before));
export const send = (id: number, text: string): Promise<Outgoing> => call(() => Conversations.Send(id, text));
export const retry = (localId: number): Promise<void> => call(() => Conversations.Retry(localId));
export const discard = (localId: number): Promise<void> => call(() => Conversations.Discard(localId));
export const cancel = (localId: number): Promise<void> => call(() => Conversations.Cancel(localId));
export const markRead = (id: number, seq: number): Promise<void> => call(() => Conversations.MarkRead(id, seq));
/** Sets the landlord's read position back so the conversation shows unread (needs the server). */
export const markUnread = (id: number): Promise<void> => call(() => Conversations.MarkUnread(id));
export const start = (tenantId: number, unitId: number): Promise<Conversation> =>
  call(() => Conversations.Start(tenantId, unitId));
export const setDraft = (id: number, text: string): Promise<void> => call(() => Conversations.SetDraft(id, text));
export const setViewing = (id: number, focused: boolean): Promise<void> =>
  call(() => Conversations.SetViewing(id, focused));
/** How the conversation's tenants were told of it, newest first. */
export const deliveryLog = (conversationId: number): Promise<Notification[]> =>
  call(() => Conversations.DeliveryLog(conversationId));

export const directory = (q: string): Promise<Directory> => call(() => Tenants.Directory(q));
export const tenantRecord = (tenantId: number): Promise<TenantRecord> => call(() => Tenants.TenantRecord(tenantId));
export const groupDetails = (conversationId: number): Promise<TenantRecord[]> =>
  call(() => Tenants.GroupDetails(conversationId));

// Attaching adds files to the conversation's draft; Send sends them.
export const attach = (id: number): Promise<DraftFile[]> => call(() => Attachments.AttachFiles(id));
export const pasteImage = (id: number, name: string, base64: string): Promise<DraftFile[]> =>
  call(() => Attachments.AttachPastedImage(id, name, base64));
export const dropFile = (id: number, name: string, base64: string): Promise<DraftFile[]> =>
  call(() => Attachments.AttachDroppedBytes(id, name, base64));
export const removeAttachment = (id: number, fileId: number): Promise<DraftFile[]> =>
  call(() => Attachments.Remove(id, fileId));
/** A data: URL of an attached image the webview can show, or "". */
export const draftThumbnail = (id: number, fileId: number): Promise<string> =>
  call(() => Attachments.DraftThumbnail(id, fileId));

/** Subscribes to the sync engine's events; returns the unsubscribe function. */
export function onChatEvents(handlers: {
  conversations?: () => void;
  message?: (m: Message) => void;
  outbox?: (conversationId: number) => void;
  sync?: (s: SyncState) => void;
  attachError?: (problem: AppError) => void;
  upload?: (p: UploadProgress) => void;
  draftFiles?: (conversationId: number) => void;
  /** The cache was refilled from the server (a resync, or a server restored
   * from a backup): every view reloads. */
  reloaded?: () => void;
  /** A member read further: the receipts under the landlord's messages change. */
  read?: (p: ReadPosition) => void;
}): () => void {
  const offs = [
    EventsOn('chat:draft-files', (id: number) => handlers.draftFiles?.(id)),
    EventsOn('chat:upload', (p: UploadProgress) => handlers.upload?.(p)),
    EventsOn('chat:attach-error', (p: unknown) => handlers.attachError?.(toAppError(p))),
    EventsOn('chat:conversations', () => handlers.conversations?.()),
    EventsOn('chat:message', (m: Message) => handlers.message?.(m)),
    EventsOn('chat:outbox', (id: number) => handlers.outbox?.(id)),
    EventsOn('sync:state', (s: SyncState) => handlers.sync?.(s)),
    EventsOn('chat:reloaded', () => handlers.reloaded?.()),
    EventsOn('chat:read', (p: ReadPosition) => handlers.read?.(p)),
  ];
  return () => offs.forEach((off) => off());
}
