// The only module that calls the Go ConversationService, TenantService and
// AttachmentService bindings and listens to the events the sync engine sends
// (names as in app/engine/engine.go). A failed call rejects with an AppError
// (see errors.ts).
import * as Chat from '../../../wailsjs/go/app/ConversationService';
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
  SyncState,
  TenantRecord,
  Thread,
  UploadProgress,
} from './types';

export const conversations = (): Promise<Conversation[]> =>
  call(async () => (await Chat.Conversations()) as Conversation[]);
export const thread = (id: number, before = 0): Promise<Thread> =>
  call(async () => (await Chat.Thread(id, before)) as Thread);
export const send = (id: number, text: string): Promise<Outgoing> =>
  call(async () => (await Chat.Send(id, text)) as Outgoing);
export const retry = (localId: number): Promise<void> => call(() => Chat.Retry(localId));
export const discard = (localId: number): Promise<void> => call(() => Chat.Discard(localId));
export const cancel = (localId: number): Promise<void> => call(() => Chat.Cancel(localId));
export const markRead = (id: number, seq: number): Promise<void> => call(() => Chat.MarkRead(id, seq));
export const directory = (q: string): Promise<Directory> =>
  call(async () => (await Tenants.Directory(q)) as Directory);
export const start = (tenantId: number, unitId: number): Promise<Conversation> =>
  call(async () => (await Chat.Start(tenantId, unitId)) as Conversation);
export const tenantRecord = (tenantId: number): Promise<TenantRecord> =>
  call(async () => (await Tenants.TenantRecord(tenantId)) as TenantRecord);
/** How the conversation's tenants were told of it, newest first. */
export const deliveryLog = (conversationId: number): Promise<Notification[]> =>
  call(async () => (await Chat.DeliveryLog(conversationId)) as unknown as Notification[]);
export const groupDetails = (conversationId: number): Promise<TenantRecord[]> =>
  call(async () => (await Tenants.GroupDetails(conversationId)) as TenantRecord[]);
// Attaching adds files to the conversation's draft; Send sends them.
export const attach = (id: number): Promise<DraftFile[]> =>
  call(async () => (await Attachments.AttachFiles(id)) as unknown as DraftFile[]);
export const pasteImage = (id: number, name: string, base64: string): Promise<DraftFile[]> =>
  call(async () => (await Attachments.AttachPastedImage(id, name, base64)) as unknown as DraftFile[]);
export const dropFile = (id: number, name: string, base64: string): Promise<DraftFile[]> =>
  call(async () => (await Attachments.AttachDroppedBytes(id, name, base64)) as unknown as DraftFile[]);
export const removeAttachment = (id: number, fileId: number): Promise<DraftFile[]> =>
  call(async () => (await Attachments.Remove(id, fileId)) as unknown as DraftFile[]);
/** A data: URL of an attached image the webview can show, or "". */
export const draftThumbnail = (id: number, fileId: number): Promise<string> => call(() => Attachments.DraftThumbnail(id, fileId));
export const setDraft = (id: number, text: string): Promise<void> => call(() => Chat.SetDraft(id, text));
export const setViewing = (id: number, focused: boolean): Promise<void> => call(() => Chat.SetViewing(id, focused));

/** Subscribes to the sync engine's events; returns the unsubscribe function. */
export function onChatEvents(handlers: {
  conversations?: () => void;
  message?: (m: Message) => void;
  outbox?: (conversationId: number) => void;
  sync?: (s: SyncState) => void;
  attachError?: (problem: AppError) => void;
  upload?: (p: UploadProgress) => void;
  draftFiles?: (conversationId: number) => void;
}): () => void {
  const offs = [
    EventsOn('chat:draft-files', (id: number) => handlers.draftFiles?.(id)),
    EventsOn('chat:upload', (p: UploadProgress) => handlers.upload?.(p)),
    EventsOn('chat:attach-error', (p: unknown) => handlers.attachError?.(toAppError(p))),
    EventsOn('chat:conversations', () => handlers.conversations?.()),
    EventsOn('chat:message', (m: Message) => handlers.message?.(m)),
    EventsOn('chat:outbox', (id: number) => handlers.outbox?.(id)),
    EventsOn('sync:state', (s: SyncState) => handlers.sync?.(s)),
  ];
  return () => offs.forEach((off) => off());
}
