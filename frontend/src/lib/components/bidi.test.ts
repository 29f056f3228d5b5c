import { describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import type { Conversation, DirectoryTenant, FileInfo, Lease, Message, Sender, SharedFile, TenantRecord } from '../api/types';
import { CONTROL_MARK } from '../bidi';

// A right-to-left override: "invoice\u202Egpj.exe" shows as "invoiceexe.jpg".
const RLO = '\u202E';
const trap = `invoice${RLO}gpj.exe`;
const controls = /[\u202A-\u202E\u2066-\u2069]/;

const tenant = { id: 3, name: `Maria${RLO} Garcia` };
const sender: Sender = { kind: 'tenant', ...tenant };
const sharedFile: FileInfo = {
  id: 1,
  name: trap,
  size: 2048,
  sha256: 'a'.repeat(64),
  content_type: 'application/octet-stream',
  uploader: sender,
  created_at: '2026-11-27T10:00:00Z',
};
const lease: Lease = {
  id: 9,
  unit_id: 4,
  unit_name: `2B${RLO}`,
  property_id: 2,
  property_name: 'Maple Court',
  address: '',
  start: '2026-01-01',
  status: 'active',
  rent_cents: 120_000,
  deposit_cents: 120_000,
  tenants: [tenant],
};
const record: TenantRecord = { id: 3, name: tenant.name, email: 'maria@example.com', phone: '', leases: [lease] };
vi.mock('../../../wailsjs/runtime/runtime', () => ({ BrowserOpenURL: () => {}, EventsOn: () => () => {} }));
vi.mock('../../../wailsjs/go/app/FileService', () => ({
  Thumbnail: async () => '',
  Files: async (): Promise<SharedFile[]> => [{ ...sharedFile, message_id: 5, seq: 1, shared_by: sender, shared_at: '2026-11-27T10:00:00Z' }],
}));
vi.mock('../../../wailsjs/go/app/ConversationService', () => ({ DeliveryLog: async () => [] }));
vi.mock('../../../wailsjs/go/app/AttachmentService', () => ({ DraftThumbnail: async () => '' }));
vi.mock('../../../wailsjs/go/app/TenantService', () => ({
  TenantRecord: async () => record,
  Directory: async () => ({
    tenants: [{ id: 3, name: tenant.name, email: '', phone: '', leases: record.leases, can_chat: true } satisfies DirectoryTenant],
    units: [],
  }),
}));
const { default: FileCard } = await import('./FileCard.svelte');
const { default: FileThumb } = await import('./FileThumb.svelte');
const { default: AttachmentTray } = await import('./AttachmentTray.svelte');
const { default: MessageText } = await import('./MessageText.svelte');
const { default: ConversationList } = await import('./ConversationList.svelte');
const { default: TenantPanel } = await import('./TenantPanel.svelte');
const { default: FilesPanel } = await import('./FilesPanel.svelte');
const { default: NewChat } = await import('./NewChat.svelte');
const { ChatStore } = await import('../stores/chat.svelte');

/**
 * Every direction control left in the rendered text sits inside an
 * isolate (<bdi>, or an element with its own dir), so it cannot reorder
 * anything around it.
 */
function expectIsolated(root: HTMLElement) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let checked = 0;
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!controls.test(n.textContent ?? '')) continue;
    checked++;
    expect(n.parentElement?.closest('bdi, [dir]'), `"${n.textContent}" is not isolated`).not.toBeNull();
  }
  return checked;
}

/** A file name as shown reads, in order, to its real extension. */
function expectReadsAsExe(el: Element) {
  const text = el.textContent ?? '';
  expect(text).not.toMatch(controls);
  expect(text).toBe(`invoice${CONTROL_MARK}gpj.exe`);
  expect(el.lastElementChild?.className).toMatch(/\bext\b/);
  expect(el.lastElementChild?.textContent).toBe('.exe');
  expect(el.getAttribute('dir')).toBe('ltr');
}

describe('a right-to-left override cannot disguise a file', () => {
  it('FileCard: the name ends in .exe, and so do its tooltip and labels', () => {
    const { container } = render(FileCard, { chat: new ChatStore(), file: sharedFile });
    expectReadsAsExe(screen.getByTestId('file-name'));
    expect(container.querySelector('.open')?.getAttribute('title')).toBe(`Open invoice${CONTROL_MARK}gpj.exe`);
    expect(container.innerHTML).not.toContain(RLO);
  });

  it('FileThumb: the badge shows the real extension', () => {
    render(FileThumb, { file: sharedFile });
    expect(screen.getByTestId('file-thumb').textContent).toBe('EXE');
  });

  it('AttachmentTray: the extension stays whole when the name is shortened', () => {
    const { container } = render(AttachmentTray, {
      chat: new ChatStore(),
      files: [{ id: 1, conversationId: 7, name: trap, size: 10, contentType: 'application/octet-stream', addedAt: '' }],
    });
    expectReadsAsExe(screen.getByTestId('file-name'));
    expect(container.innerHTML).not.toContain(RLO);
  });

  it('FilesPanel: the name ends in .exe; the sharer is isolated', async () => {
    const conv: Conversation = { id: 7, kind: 'direct', title: tenant.name, members: [tenant], created_at: '', last_seq: 1, read_seq: 1, unread: 0 };
    const { container } = render(FilesPanel, { chat: new ChatStore(), conv, onclose: () => {} });
    await waitFor(() => expect(screen.getByTestId('shared-file')).toBeTruthy());
    expectReadsAsExe(screen.getByTestId('file-name'));
    expect(expectIsolated(container)).toBe(1); // the sharer's name
  });
});

describe('names and messages are isolated', () => {
  it('MessageText: its own direction; the override shows as a mark, the rest is kept', () => {
    const { container } = render(MessageText, { text: `Please pay ${trap} today` });
    const p = container.querySelector('p')!;
    expect(p.getAttribute('dir')).toBe('auto');
    expect(p.textContent).toBe(`Please pay invoice${CONTROL_MARK}gpj.exe today`);
  });

  it('ConversationList: a title or preview cannot reorder the time or the unread count', () => {
    const last: Message = {
      id: 1,
      conversation_id: 7,
      seq: 1,
      sender,
      text: `see ${trap}`,
      files: null,
      key: 'k',
      created_at: new Date().toISOString(),
    };
    const conv: Conversation = { id: 7, kind: 'direct', title: tenant.name, members: [tenant], created_at: last.created_at, last_seq: 1, read_seq: 0, unread: 2, last_message: last };
    const { container } = render(ConversationList, { conversations: [conv], selectedId: null, onselect: () => {} });
    expect(expectIsolated(container)).toBe(1); // the title, inside its <bdi>
    expect(screen.getByTestId('preview-text').tagName).toBe('BDI');
    expect(screen.getByTestId('preview-text').textContent).toBe(`see invoice${CONTROL_MARK}gpj.exe`);
    expect(screen.getByTestId('unread').closest('bdi')).toBeNull();
  });

  it('TenantPanel: names and places are isolated', async () => {
    const conv: Conversation = { id: 7, kind: 'direct', title: tenant.name, tenant_id: 3, members: [tenant], created_at: '', last_seq: 1, read_seq: 1, unread: 0 };
    const { container } = render(TenantPanel, { chat: new ChatStore(), conv, onclose: () => {} });
    await waitFor(() => expect(screen.getByTestId('tenant-info')).toBeTruthy());
    expect(expectIsolated(container)).toBe(2); // the name and the unit
  });

  it('NewChat: names and places are isolated', async () => {
    const { container } = render(NewChat, { chat: new ChatStore(), onclose: () => {} });
    await waitFor(() => expect(screen.getByTestId('pick-tenant')).toBeTruthy());
    expect(expectIsolated(container)).toBe(2);
  });
});
