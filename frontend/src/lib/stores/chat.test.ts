import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Conversation, Thread } from '../api/types';

// The Go binding and the runtime's events, as Wails exposes them.
const go = {
  Conversations: vi.fn<() => Promise<Conversation[]>>(),
  Thread: vi.fn<(id: number, before: number) => Promise<Thread>>(),
  Send: vi.fn<(id: number, text: string) => Promise<unknown>>(),
  Retry: vi.fn<(localId: number) => Promise<void>>(),
  MarkRead: vi.fn(async () => {}),
  SetViewing: vi.fn<() => Promise<void>>(async () => {}),
  SetDraft: vi.fn<() => Promise<void>>(async () => {}),
};
const listeners: Record<string, (data: unknown) => void> = {};
vi.mock('../../../wailsjs/go/app/ConversationService', () => ({
  Conversations: () => go.Conversations(),
  Thread: (id: number, before: number) => go.Thread(id, before),
  Send: (id: number, text: string) => go.Send(id, text),
  Retry: (localId: number) => go.Retry(localId),
  MarkRead: () => go.MarkRead(),
  SetViewing: () => go.SetViewing(),
  SetDraft: () => go.SetDraft(),
}));
vi.mock('../../../wailsjs/runtime/runtime', () => ({
  EventsOn: (name: string, cb: (data: unknown) => void) => {
    listeners[name] = cb;
    return () => delete listeners[name];
  },
}));
const { ChatStore } = await import('./chat.svelte');

const conv: Conversation = {
  id: 7,
  kind: 'direct',
  title: 'Maria Garcia',
  members: [{ id: 3, name: 'Maria Garcia' }],
  created_at: '2026-11-01T10:00:00Z',
  last_seq: 0,
  read_seq: 0,
  unread: 0,
};
const empty: Thread = { messages: [], outbox: [], hasMore: false, draft: '', draftFiles: [], receipts: [], urgent: [] };

async function opened() {
  go.Conversations.mockResolvedValue([conv]);
  go.Thread.mockResolvedValue(empty);
  const chat = new ChatStore();
  await chat.loadConversations();
  await chat.select(conv.id);
  return chat;
}

describe('ChatStore handles failures by code', () => {
  beforeEach(() => Object.values(go).forEach((f) => f.mockClear()));

  it('tenant_not_active on send: shows the sentence and reloads the list, which shows the chat closed', async () => {
    const chat = await opened();
    go.Send.mockRejectedValue({ code: 'tenant_not_active', message: "Maria Garcia's lease has ended; the chat is closed." });
    const closed = { ...conv, read_only: true, read_only_reason: "Maria Garcia's lease has ended; the chat is closed." };
    go.Conversations.mockResolvedValue([closed]);
    const before = go.Conversations.mock.calls.length;
    expect(await chat.send('Hello?')).toBe(false);
    expect(chat.problem?.code).toBe('tenant_not_active');
    expect(chat.problem?.message).toBe("Maria Garcia's lease has ended; the chat is closed.");
    await vi.waitFor(() => expect(chat.selected?.read_only).toBe(true));
    expect(go.Conversations.mock.calls.length).toBe(before + 1);
  });

  it('unauthorized: asks to sign in again instead of showing an error', async () => {
    const chat = new ChatStore();
    go.Conversations.mockRejectedValue({ code: 'unauthorized', message: 'Please sign in.' });
    await chat.loadConversations();
    expect(chat.sync).toEqual({ state: 'signed_out', message: 'Please sign in.' });
    expect(chat.problem).toBeNull();
  });

  it('rate_limited on retry: the sentence and when to try again, never an unhandled rejection', async () => {
    const chat = await opened();
    go.Retry.mockRejectedValue({ code: 'rate_limited', message: 'Too many messages at once.', retry_after: 20 });
    await expect(chat.retry(1)).resolves.toBeUndefined();
    expect(chat.problem?.code).toBe('rate_limited');
    expect(chat.problem?.retryAfter).toBe(20);
    expect(chat.problem?.retryAt).not.toBeNull();
  });

  it("a drop that could not be attached: the event's problem is shown", async () => {
    const chat = await opened();
    const stop = chat.start();
    listeners['chat:attach-error']!({ code: 'invalid_input', message: 'Open a conversation, then drop the files on it.' });
    expect([chat.problem?.code, chat.problem?.message]).toEqual([
      'invalid_input',
      'Open a conversation, then drop the files on it.',
    ]);
    stop();
  });
});

describe('ChatStore actions never leave a rejection unhandled', () => {
  beforeEach(() => Object.values(go).forEach((f) => f.mockClear()));

  it('telling Go what is open, or keeping the draft, without a session: asks to sign in again', async () => {
    const chat = await opened();
    go.SetViewing.mockRejectedValueOnce({ code: 'unauthorized', message: 'Please sign in.' });
    chat.setFocused(false);
    await vi.waitFor(() => expect(chat.sync.state).toBe('signed_out'));
    chat.sync = { state: 'online' };
    go.SetDraft.mockRejectedValueOnce({ code: 'unauthorized', message: 'Please sign in.' });
    await expect(chat.saveDraft('hello')).resolves.toBeUndefined();
    expect(chat.sync).toEqual({ state: 'signed_out', message: 'Please sign in.' });
  });

  it('a failed draft save on this computer is shown', async () => {
    const chat = await opened();
    go.SetDraft.mockRejectedValueOnce({ code: 'unavailable', message: 'Doorstep could not open your saved conversations on this computer.' });
    await chat.saveDraft('hello');
    expect(chat.problem?.code).toBe('unavailable');
  });
});

describe('ChatStore after the cache is refilled', () => {
  beforeEach(() => Object.values(go).forEach((f) => f.mockClear()));

  it('chat:reloaded repaints the list and the open thread', async () => {
    const chat = await opened();
    const stop = chat.start();
    const fresh: Thread = { ...empty, messages: [{ id: 90, conversation_id: 7, seq: 1, sender: { kind: 'tenant', id: 3, name: 'Maria Garcia' }, text: 'from the restored server', files: [], key: 'k', created_at: '2026-11-02T10:00:00Z' }] } as unknown as Thread;
    go.Thread.mockResolvedValue(fresh);
    listeners['chat:reloaded']!(undefined);
    await vi.waitFor(() => expect(chat.thread?.messages?.[0]?.text).toBe('from the restored server'));
    stop();
  });

  it('chat:reloaded closes a conversation the server no longer has', async () => {
    const chat = await opened();
    const stop = chat.start();
    go.Conversations.mockResolvedValue([]);
    listeners['chat:reloaded']!(undefined);
    await vi.waitFor(() => expect(chat.selectedId).toBeNull());
    expect(chat.thread).toBeNull();
    stop();
  });
});

describe('ChatStore puts incoming messages into words for the live region', () => {
  const message = (conversationId: number, kind: string, name: string) => ({
    id: 1,
    conversation_id: conversationId,
    seq: 1,
    sender: { kind, id: 3, name },
    text: 'Hello',
    files: [],
    key: 'k',
    created_at: '2026-11-01T10:00:00Z',
  });

  it('names the tenant (and the group), tells a repeat apart, and leaves the landlord’s own out', async () => {
    const group: Conversation = { ...conv, id: 9, kind: 'group', title: 'Maple Court · 2B' };
    go.Conversations.mockResolvedValue([conv, group]);
    go.Thread.mockResolvedValue(empty);
    const chat = new ChatStore();
    const stop = chat.start();
    await vi.waitFor(() => expect(chat.conversations).toHaveLength(2));

    listeners['chat:message']!(message(7, 'tenant', 'Maria Garcia'));
    expect(chat.announcement).toBe('New message from Maria Garcia');
    listeners['chat:message']!(message(7, 'tenant', 'Maria Garcia'));
    expect(chat.announcement.trim()).toBe('New message from Maria Garcia');
    expect(chat.announcement).not.toBe('New message from Maria Garcia');
    listeners['chat:message']!(message(9, 'tenant', 'Sofia Rossi'));
    expect(chat.announcement).toBe('New message from Sofia Rossi in Maple Court · 2B');
    listeners['chat:message']!(message(9, 'user', 'Pat Morgan'));
    expect(chat.announcement).toBe('New message from Sofia Rossi in Maple Court · 2B');
    stop();
  });
});
