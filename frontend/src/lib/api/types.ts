// Shapes of what the Go services return (see backend/chat.go, app/*.go).

export interface Sender {
  kind: 'user' | 'tenant';
  id: number;
  name: string;
}

export interface FileInfo {
  id: number;
  name: string;
  size: number;
  sha256: string;
  content_type: string;
}

export interface Message {
  id: number;
  conversation_id: number;
  seq: number;
  sender: Sender;
  text: string;
  files: FileInfo[] | null;
  key: string;
  created_at: string;
}

export interface TenantRef {
  id: number;
  name: string;
}

export interface Conversation {
  id: number;
  kind: 'direct' | 'group';
  title: string;
  tenant_id?: number;
  unit_id?: number;
  members: TenantRef[];
  place?: string;
  created_at: string;
  last_seq: number;
  read_seq: number;
  unread: number;
  last_message?: Message;
  /** Set when nobody in the chat can receive new messages (every member's lease ended); the reason says why. */
  read_only?: boolean;
  read_only_reason?: string;
}

export interface Outgoing {
  localId: number;
  conversationId: number;
  key: string;
  text: string;
  createdAt: string;
  state: 'pending' | 'failed';
  errorCode?: string;
  errorMessage?: string;
  attachments: { name: string; file_id: number }[] | null;
}

export interface Thread {
  messages: Message[];
  outbox: Outgoing[];
  hasMore: boolean;
  draft: string;
  /** Files attached and not sent yet: they go with the next Send. */
  draftFiles: DraftFile[];
}

/** A file waiting in a conversation's draft (its local path stays in Go). */
export interface DraftFile {
  id: number;
  conversationId: number;
  name: string;
  size: number;
  contentType: string;
  addedAt: string;
}

export interface Lease {
  id: number;
  unit_name: string;
  property_name: string;
  address?: string;
  start: string;
  end?: string;
  status: 'active' | 'expired' | 'future';
  rent_cents?: number;
  deposit_cents?: number;
  tenants?: TenantRef[] | null;
}

export interface TenantRecord {
  id: number;
  name: string;
  email: string;
  phone: string;
  leases: Lease[] | null;
  move_in?: string;
}

export interface DirectoryTenant {
  id: number;
  name: string;
  email: string;
  leases: Lease[] | null;
  can_chat: boolean;
  reason?: string;
}

export interface DirectoryUnit {
  id: number;
  name: string;
  property_name: string;
  active_tenants: TenantRef[] | null;
  can_chat: boolean;
  reason?: string;
}

export interface Directory {
  tenants: DirectoryTenant[];
  units: DirectoryUnit[];
}

export interface SyncState {
  state: 'connecting' | 'online' | 'offline' | 'signed_out';
  message?: string;
}

export interface AccountState {
  signedIn: boolean;
  server: string;
  email: string;
  name: string;
  orgName: string;
  notice?: string;
  sync: SyncState;
  notifications: boolean;
}

export interface UploadProgress {
  localId: number;
  name: string;
  sent: number;
  total: number;
}

/** One e-mail or text message telling a tenant of a chat (the delivery log). */
export interface Notification {
  id: number;
  conversation_id: number;
  tenant: TenantRef;
  kind: 'new_chat' | 'new_messages';
  channel: 'email' | 'sms';
  recipient: string;
  state: 'queued' | 'sent' | 'failed' | 'skipped';
  reason?: string;
  attempts: number;
  created_at: string;
  sent_at?: string;
  next_attempt_at?: string;
}
