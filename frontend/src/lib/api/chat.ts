// The only module that calls the Go ChatService binding and listens to the
// events the sync engine sends (names as in app/engine/engine.go).
import * as Chat from '../../../wailsjs/go/app/ChatService';
import { EventsOn } from '../../../wailsjs/runtime/runtime';
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

export const conversations = async (): Promise<Conversation[]> => (await Chat.Conversations()) as Conversation[];
export const thread = async (id: number, before = 0): Promise<Thread> => (await Chat.Thread(id, before)) as Thread;
export const send = async (id: number, text: string): Promise<Outgoing> => (await Chat.Send(id, text)) as Outgoing;
export const retry = (localId: number): Promise<void> => Chat.Retry(localId);
export const discard = (localId: number): Promise<void> => Chat.Discard(localId);
export const cancel = (localId: number): Promise<void> => Chat.Cancel(localId);
export const markRead = (id: number, seq: number): Promise<void> => Chat.MarkRead(id, seq);
export const directory = async (q: string): Promise<Directory> => (await Chat.Directory(q)) as Directory;
export const start = async (tenantId: number, unitId: number): Promise<Conversation> =>
  (await Chat.Start(tenantId, unitId)) as Conversation;
export const tenantRecord = async (tenantId: number): Promise<TenantRecord> =>
  (await Chat.TenantRecord(tenantId)) as TenantRecord;
/** How the conversation's tenants were told of it, newest first. */
export const deliveryLog = async (conversationId: number): Promise<Notification[]> =>
  (await Chat.DeliveryLog(conversationId)) as unknown as Notification[];
export const groupDetails = async (conversationId: number): Promise<TenantRecord[]> =>
  (await Chat.GroupDetails(conversationId)) as TenantRecord[];
// Attaching adds files to the conversation's draft; Send sends them.
export const attach = async (id: number): Promise<DraftFile[]> => (await Chat.AttachFiles(id)) as unknown as DraftFile[];
export const pasteImage = async (id: number, name: string, base64: string): Promise<DraftFile[]> =>
  (await Chat.AttachPasted(id, name, base64)) as unknown as DraftFile[];
export const dropFile = async (id: number, name: string, base64: string): Promise<DraftFile[]> =>
  (await Chat.AttachDropped(id, name, base64)) as unknown as DraftFile[];
export const removeAttachment = async (id: number, fileId: number): Promise<DraftFile[]> =>
  (await Chat.RemoveAttachment(id, fileId)) as unknown as DraftFile[];
/** A data: URL of an attached image the webview can show, or "". */
export const draftThumbnail = (id: number, fileId: number): Promise<string> => Chat.DraftThumbnail(id, fileId);
export const setDraft = (id: number, text: string): Promise<void> => Chat.SetDraft(id, text);
export const setViewing = (id: number, focused: boolean): Promise<void> => Chat.SetViewing(id, focused);

/** Subscribes to the sync engine's events; returns the unsubscribe function. */
export function onChatEvents(handlers: {
  conversations?: () => void;
  message?: (m: Message) => void;
  outbox?: (conversationId: number) => void;
  sync?: (s: SyncState) => void;
  attachError?: (sentence: string) => void;
  upload?: (p: UploadProgress) => void;
  draftFiles?: (conversationId: number) => void;
}): () => void {
  const offs = [
    EventsOn('chat:draft-files', (id: number) => handlers.draftFiles?.(id)),
    EventsOn('chat:upload', (p: UploadProgress) => handlers.upload?.(p)),
    EventsOn('chat:attach-error', (s: string) => handlers.attachError?.(s)),
    EventsOn('chat:conversations', () => handlers.conversations?.()),
    EventsOn('chat:message', (m: Message) => handlers.message?.(m)),
    EventsOn('chat:outbox', (id: number) => handlers.outbox?.(id)),
    EventsOn('sync:state', (s: SyncState) => handlers.sync?.(s)),
  ];
  return () => offs.forEach((off) => off());
}
