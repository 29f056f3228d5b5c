import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, waitFor } from '@testing-library/svelte';
import type { Conversation, Message, SyncState, Thread } from './types';

// The real Chat tab over fake Go bindings: the trace must find what it
// watches for in the markup the components really render.
let answerThread: (t: Thread) => void = () => {};
vi.mock('../../../wailsjs/go/app/ConversationService', () => ({
  Conversations: async () => [conv],
  Thread: () => new Promise<Thread>((resolve) => (answerThread = resolve)),
  SetViewing: async () => {},
  MarkRead: async () => {},
  SetDraft: async () => {},
}));
vi.mock('../../../wailsjs/go/app/SearchService', () => ({
  HistoryProgress: async () => ({ loaded: 0, total: 0, done: true }),
}));
vi.mock('../../../wailsjs/go/app/ExportService', () => ({ KeepSignedHead: async () => {} }));
const events: Record<string, (data: unknown) => void> = {};
vi.mock('../../../wailsjs/runtime/runtime', () => ({
  EventsOn: (name: string, cb: (data: unknown) => void) => {
    events[name] = cb;
    return () => delete events[name];
  },
  WindowSetTitle: () => {},
}));
const { startBenchTrace } = await import('./benchtrace');
const { default: ChatTab } = await import('../components/ChatTab.svelte');

const conv: Conversation = {
  id: 7,
  kind: 'direct',
  title: 'Chloe Martin',
  tenant_id: 3,
  members: [{ id: 3, name: 'Chloe Martin' }],
  created_at: '2026-11-01T10:00:00Z',
  last_seq: 2,
  read_seq: 2,
  unread: 0,
};
const message = (seq: number): Message => ({
  id: 100 + seq,
  conversation_id: 7,
  seq,
  sender: { kind: 'tenant', id: 3, name: 'Chloe Martin' },
  text: `message ${seq}`,
  files: [],
  key: `k${seq}`,
  created_at: '2026-11-01T10:00:00Z',
});
const page: Thread = { messages: [message(1), message(2)], outbox: [], hasMore: true, draft: '', draftFiles: [] } as unknown as Thread;
const session = { state: { signedIn: true } };

function sink(enabled: boolean) {
  return { enabled: vi.fn(async () => enabled), mark: vi.fn<(name: string, ms: number) => Promise<void>>(async () => {}) };
}
const names = (s: ReturnType<typeof sink>) => s.mark.mock.calls.map(([name]) => name);
// Frames (requestAnimationFrame, then the task after it) pass.
const frames = () => new Promise((resolve) => setTimeout(resolve, 100));

describe('bench trace', () => {
  let stop = () => {};
  beforeEach(() => (answerThread = () => {}));
  afterEach(() => {
    stop();
    cleanup();
  });

  it('records nothing unless Go says the trace is on', async () => {
    const off = sink(false);
    stop = await startBenchTrace(off);
    const { getAllByTestId } = render(ChatTab, { props: { session: session as never } });
    await waitFor(() => expect(getAllByTestId('conversation')).toHaveLength(1));
    await fireEvent.click(getAllByTestId('conversation')[0]!);
    await frames();
    expect(off.enabled).toHaveBeenCalled();
    expect(off.mark).not.toHaveBeenCalled();
  });

  it('marks the list, the caught-up state, a clicked thread and typed keys once painted', async () => {
    const on = sink(true);
    stop = await startBenchTrace(on);
    const { getAllByTestId, getByLabelText } = render(ChatTab, { props: { session: session as never } });
    await waitFor(() => expect(names(on)).toEqual(['page', 'list']));

    events['sync:state']!({ state: 'online' } satisfies SyncState);
    await waitFor(() => expect(names(on)).toEqual(['page', 'list', 'online']));

    await fireEvent.click(getAllByTestId('conversation')[0]!);
    await frames();
    expect(names(on)).toEqual(['page', 'list', 'online']); // the thread is still loading
    answerThread(page);
    await waitFor(() => expect(getAllByTestId('message')).toHaveLength(2));
    await waitFor(() => expect(names(on)).toEqual(['page', 'list', 'online', 'thread']));
    expect(on.mark.mock.calls[3]![1]).toBeGreaterThanOrEqual(100); // since the click, frames() included

    await fireEvent.keyDown(getByLabelText('Message'), { key: 'a' });
    await fireEvent.keyDown(getByLabelText('Message'), { key: 'b' });
    await waitFor(() => expect(names(on)).toEqual(['page', 'list', 'online', 'thread', 'key', 'key']));
    expect(on.mark.mock.calls[4]![1]).toBeGreaterThanOrEqual(0);

    // The list and the caught-up state are marked once per start.
    events['sync:state']!({ state: 'connecting' } satisfies SyncState);
    events['sync:state']!({ state: 'online' } satisfies SyncState);
    await frames();
    expect(names(on)).toHaveLength(6);
  });
});
