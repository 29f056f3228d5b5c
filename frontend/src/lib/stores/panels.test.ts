import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Conversation, SharedFile, TenantRecord } from '../api/types';

// The Go bindings, as Wails exposes them: a failed call rejects with what
// the app's ErrorFormatter made of the Go error.
const go = {
  Files: vi.fn<(id: number) => Promise<SharedFile[]>>(),
  Open: vi.fn<(f: unknown) => Promise<void>>(),
  SaveAs: vi.fn<(f: unknown) => Promise<string>>(),
  Start: vi.fn<(tenantId: number, unitId: number) => Promise<Conversation>>(),
  Conversations: vi.fn<() => Promise<Conversation[]>>(),
  TenantRecord: vi.fn<(id: number) => Promise<TenantRecord>>(),
  DeliveryLog: vi.fn<(id: number) => Promise<unknown[]>>(),
};
vi.mock('../../../wailsjs/go/app/FileService', () => ({
  Files: (id: number) => go.Files(id),
  Open: (f: unknown) => go.Open(f),
  SaveAs: (f: unknown) => go.SaveAs(f),
}));
vi.mock('../../../wailsjs/go/app/ConversationService', () => ({
  Start: (t: number, u: number) => go.Start(t, u),
  Conversations: () => go.Conversations(),
  DeliveryLog: (id: number) => go.DeliveryLog(id),
  Thread: async () => ({ messages: [], outbox: [], hasMore: false, draft: '', draftFiles: [] }),
  SetViewing: async () => {},
}));
vi.mock('../../../wailsjs/go/app/TenantService', () => ({ TenantRecord: (id: number) => go.TenantRecord(id) }));
const { ChatStore } = await import('./chat.svelte');
const { FilesStore } = await import('./files.svelte');
const { DirectoryStore } = await import('./directory.svelte');
const { TenantsStore } = await import('./tenants.svelte');

const sender = { kind: 'user', id: 1, name: 'Pat' };
const lease: SharedFile = {
  id: 4,
  name: 'lease.pdf',
  size: 1200,
  sha256: 'a'.repeat(64),
  content_type: 'application/pdf',
  uploader: sender,
  created_at: '2026-11-27T10:00:00Z',
  message_id: 9,
  seq: 3,
  shared_by: sender,
  shared_at: '2026-11-27T10:00:00Z',
};
const conv: Conversation = { id: 7, kind: 'direct', title: 'Maria Garcia', tenant_id: 3, members: [{ id: 3, name: 'Maria Garcia' }], created_at: '', last_seq: 0, read_seq: 0, unread: 0 };
const signedOut = { code: 'unauthorized', message: 'Please sign in.' };

describe('panel stores handle failures by code', () => {
  beforeEach(() => Object.values(go).forEach((f) => f.mockReset()));

  it('View Files: no application to open a file is shown in the panel', async () => {
    const chat = new ChatStore();
    const files = new FilesStore(chat);
    go.Files.mockResolvedValue([lease]);
    await files.load(7);
    expect(files.files).toEqual([lease]);
    go.Open.mockRejectedValue({ code: 'unavailable', message: 'No application on this computer opens this file; use Save as… instead.' });
    await expect(files.open(lease)).resolves.toBeUndefined();
    expect([files.problem?.code, chat.problem]).toEqual(['unavailable', null]);
    go.SaveAs.mockResolvedValue('/home/pat/lease.pdf');
    await files.saveAs(lease);
    expect([files.problem, files.saved]).toEqual([null, '/home/pat/lease.pdf']);
  });

  it('View Files: without a session the tab asks to sign in again; the panel shows nothing', async () => {
    const chat = new ChatStore();
    const files = new FilesStore(chat);
    go.Files.mockRejectedValue(signedOut);
    await files.load(7);
    expect(files.problem).toBeNull();
    expect(chat.sync).toEqual({ state: 'signed_out', message: 'Please sign in.' });
  });

  it('New Chat: a refused start is shown in the dialog and the dialog stays', async () => {
    const chat = new ChatStore();
    const directory = new DirectoryStore(chat);
    go.Start.mockRejectedValue({ code: 'tenant_not_active', message: "Maria Garcia's lease is not active." });
    expect(await directory.start(3, 0)).toBe(false);
    expect([directory.problem?.code, directory.problem?.message]).toEqual(['tenant_not_active', "Maria Garcia's lease is not active."]);
    go.Start.mockResolvedValue(conv);
    go.Conversations.mockResolvedValue([conv]);
    expect(await directory.start(3, 0)).toBe(true);
    expect([directory.problem, chat.selectedId]).toEqual([null, 7]);
  });

  it('Tenant Info: the records show even when the delivery log cannot be had', async () => {
    const chat = new ChatStore();
    const tenants = new TenantsStore(chat);
    go.TenantRecord.mockResolvedValue({ id: 3, name: 'Maria Garcia', email: '', phone: '', leases: [] });
    go.DeliveryLog.mockRejectedValue({ code: 'unreachable', message: 'The server cannot be reached.' });
    await tenants.load(conv);
    expect(tenants.records.map((r) => r.name)).toEqual(['Maria Garcia']);
    expect([tenants.log, tenants.problem, chat.problem]).toEqual([[], null, null]);
  });
});
