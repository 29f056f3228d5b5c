import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Conversation, Thread } from '../api/types';

// The Go binding and the runtime, as Wails exposes them.
const go = {
  Conversations: vi.fn<() => Promise<Conversation[]>>(),
  Thread: vi.fn<(id: number, before: number) => Promise<Thread>>(),
  MarkRead: vi.fn(async () => {}),
  MarkUnread: vi.fn<(id: number) => Promise<void>>(async () => {}),
  SetViewing: vi.fn<(id: number, focused: boolean) => Promise<void>>(async () => {}),
};
const titles: string[] = [];
const listeners: Record<string, (data: unknown) => void> = {};
vi.mock('../../../wailsjs/go/app/ConversationService', () => ({
  Conversations: () => go.Conversations(),
  Thread: (id: number, before: number) => go.Thread(id, before),
  MarkRead: () => go.MarkRead(),
  MarkUnread: (id: number) => go.MarkUnread(id),
  SetViewing: (id: number, focused: boolean) => go.SetViewing(id, focused),
}));
vi.mock('../../../wailsjs/runtime/runtime', () => ({
  EventsOn: (name: string, cb: (data: unknown) => void) => {
    listeners[name] = cb;
    return () => delete listeners[name];
  },
  WindowSetTitle: (title: string) => titles.push(title),
}));
const { ChatStore } = await import('./chat.svelte');

const conv = (id: number, unread: number): Conversation => ({
  id,
  kind: 'group',
  title: `Unit ${id}`,
  members: [],
  created_at: '2026-11-01T10:00:00Z',
  last_seq: 4,
  read_seq: 4 - unread,
  unread,
});
const thread = (label: string): Thread =>
  ({
    messages: [{ id: 1, conversation_id: 7, seq: 4, sender: { kind: 'user', id: 1, name: 'Pat' }, text: 'Water off Saturday', files: [], key: 'k', created_at: '2026-11-02T10:00:00Z' }],
    outbox: [],
    hasMore: false,
    draft: '',
    draftFiles: [],
    receipts: [{ seq: 4, label, seen: [], not_seen: [] }],
  }) as unknown as Thread;

beforeEach(() => {
  Object.values(go).forEach((f) => f.mockClear());
  titles.length = 0;
});

describe('ChatStore read receipts', () => {
  it('a member reading the open conversation (chat:read) refreshes its receipts', async () => {
    go.Conversations.mockResolvedValue([conv(7, 0)]);
    go.Thread.mockResolvedValue(thread('Seen by 1 of 3'));
    const chat = new ChatStore();
    const stop = chat.start();
    await chat.select(7);
    expect(chat.thread?.receipts?.[0]?.label).toBe('Seen by 1 of 3');
    go.Thread.mockResolvedValue(thread('Seen by 2 of 3'));
    listeners['chat:read']!({ conversation_id: 7, reader: { kind: 'tenant', id: 3, name: 'Emily Chen' }, seq: 4 });
    await vi.waitFor(() => expect(chat.thread?.receipts?.[0]?.label).toBe('Seen by 2 of 3'));
    const calls = go.Thread.mock.calls.length;
    listeners['chat:read']!({ conversation_id: 8, reader: { kind: 'tenant', id: 4, name: 'Noah Wilson' }, seq: 2 });
    expect(go.Thread.mock.calls.length).toBe(calls); // another conversation: nothing to repaint
    stop();
  });
});

describe('ChatStore unread', () => {
  it('the window title shows the total unread, and only the name when none', async () => {
    go.Conversations.mockResolvedValue([conv(7, 2), conv(8, 1), conv(9, 0)]);
    const chat = new ChatStore();
    await chat.loadConversations();
    expect(chat.unreadTotal).toBe(3);
    expect(titles.at(-1)).toBe('Doorstep (3)');
    expect(document.title).toBe('Doorstep (3)');
    go.Conversations.mockResolvedValue([conv(7, 0), conv(8, 0)]);
    await chat.loadConversations();
    expect(titles.at(-1)).toBe('Doorstep');
  });

  it('Mark as unread asks Go, closes the open conversation so it is not read again, and repaints the list', async () => {
    go.Conversations.mockResolvedValue([conv(7, 0)]);
    go.Thread.mockResolvedValue(thread('Seen'));
    const chat = new ChatStore();
    await chat.loadConversations();
    await chat.select(7);
    go.Conversations.mockResolvedValue([conv(7, 1)]);
    await chat.markUnread(7);
    expect(go.MarkUnread).toHaveBeenCalledWith(7);
    expect(chat.selectedId).toBeNull();
    expect(chat.thread).toBeNull();
    expect(go.SetViewing).toHaveBeenLastCalledWith(0, true);
    expect(chat.conversations[0]?.unread).toBe(1);
    expect(titles.at(-1)).toBe('Doorstep (1)');
    expect(go.MarkRead).not.toHaveBeenCalled();
  });

  it('Mark as unread refused (offline, or nothing from a tenant): the sentence is shown, the thread stays', async () => {
    go.Conversations.mockResolvedValue([conv(7, 0)]);
    go.Thread.mockResolvedValue(thread('Seen'));
    const chat = new ChatStore();
    await chat.loadConversations();
    await chat.select(7);
    go.MarkUnread.mockRejectedValueOnce({ code: 'invalid_input', message: 'There is no message from a tenant here to mark as unread.' });
    await expect(chat.markUnread(7)).resolves.toBeUndefined();
    expect(chat.problem?.message).toBe('There is no message from a tenant here to mark as unread.');
    expect(chat.selectedId).toBe(7);
  });
});
