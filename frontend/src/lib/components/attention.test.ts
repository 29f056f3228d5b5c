import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import type { AttentionSettings, Conversation, MuteState, Thread } from '../api/types';

// The Go bindings and the runtime's events, as Wails exposes them.
const go = {
  Settings: vi.fn<() => Promise<AttentionSettings>>(),
  Save: vi.fn<(u: unknown) => Promise<AttentionSettings>>(),
  Mute: vi.fn<(id: number, choice: string, zone: string) => Promise<AttentionSettings>>(),
  Unmute: vi.fn<(id: number) => Promise<AttentionSettings>>(),
  Conversations: vi.fn<() => Promise<Conversation[]>>(),
  Thread: vi.fn<(id: number, before: number) => Promise<Thread>>(),
  Mutes: vi.fn<(zone: string) => Promise<MuteState[]>>(),
};
vi.mock('../../../wailsjs/go/app/AttentionService', () => ({
  Settings: () => go.Settings(),
  Save: (u: unknown) => go.Save(u),
  Mute: (id: number, choice: string, zone: string) => go.Mute(id, choice, zone),
  Unmute: (id: number) => go.Unmute(id),
  DefaultEmergencyWords: async () => ['leak'],
  Mutes: (zone: string) => go.Mutes(zone),
}));
vi.mock('../../../wailsjs/go/app/ConversationService', () => ({
  Conversations: () => go.Conversations(),
  Thread: (id: number, before: number) => go.Thread(id, before),
  MarkRead: async () => {},
  SetViewing: async () => {},
}));
vi.mock('../../../wailsjs/runtime/runtime', () => ({ EventsOn: () => () => {}, WindowSetTitle: () => {} }));
const { AttentionStore } = await import('../stores/attention.svelte');
const { ChatStore } = await import('../stores/chat.svelte');
const ConversationList = (await import('./ConversationList.svelte')).default;
const AttentionPanel = (await import('./AttentionPanel.svelte')).default;
const ThreadView = (await import('./ThreadView.svelte')).default;

const off = { mode: 'off' };
const settings: AttentionSettings = {
  quiet_hours: { time_zone: 'UTC', days: [off, off, off, off, off, off, off] },
  emergency_words: ['leak'],
  mutes: [],
  updated_at: '0001-01-01T00:00:00Z',
};
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const conv = (id: number, title: string, unread: number) =>
  ({ id, kind: 'direct', title, members: [], created_at: '2026-11-01T10:00:00Z', last_seq: 2, read_seq: 2 - unread, unread }) as Conversation;

async function store(s = settings) {
  go.Settings.mockResolvedValue(s);
  const attention = new AttentionStore();
  await attention.load();
  return attention;
}

beforeEach(() => {
  Object.values(go).forEach((f) => f.mockReset());
  go.Mutes.mockResolvedValue([]);
});

describe('Mute in the conversation list', () => {
  function list(attention: InstanceType<typeof AttentionStore>) {
    return render(ConversationList, {
      conversations: [conv(7, 'Maria Garcia', 2), conv(8, 'James Okafor', 0)],
      selectedId: null,
      onselect: () => {},
      onmarkunread: () => {},
      muteOf: (id: number) => attention.muteOf(id),
      onmute: (id: number, choice: 'hour' | 'morning' | 'unmuted') => attention.mute(id, choice),
      onunmute: (id: number) => attention.unmute(id),
    });
  }

  it('each length of mute calls Mute with this time zone; the icon says until when and the unread count stays', async () => {
    const attention = await store();
    list(attention);
    for (const [label, choice] of [
      ['Mute for 1 hour', 'hour'],
      ['Mute until tomorrow morning', 'morning'],
      ['Mute until I unmute', 'unmuted'],
    ] as const) {
      go.Mute.mockResolvedValueOnce({ ...settings, mutes: [{ conversation_id: 7, until: null }] });
      go.Mutes.mockResolvedValueOnce([{ conversation_id: 7, until: null, label: 'Muted until unmuted' }]);
      await fireEvent.click(screen.getAllByTestId('conversation-menu')[0]!);
      expect(screen.getByRole('menuitem', { name: 'Mark as unread' })).toBeTruthy(); // still there
      await fireEvent.click(screen.getByRole('menuitem', { name: label }));
      expect(go.Mute).toHaveBeenLastCalledWith(7, choice, zone);
      // The answer mutes it; unmute before the next choice.
      const icon = await screen.findByRole('img', { name: 'Muted until unmuted' });
      expect(icon.closest('li')!.textContent).toContain('Maria Garcia');
      expect(within(icon.closest('li')!).getByTestId('unread').textContent).toBe('2');
      go.Unmute.mockResolvedValueOnce(settings);
      await fireEvent.click(screen.getAllByTestId('conversation-menu')[0]!);
      expect(screen.queryByRole('menuitem', { name: 'Mute for 1 hour' })).toBeNull();
      await fireEvent.click(screen.getByRole('menuitem', { name: 'Unmute' }));
      expect(go.Unmute).toHaveBeenLastCalledWith(7);
      await vi.waitFor(() => expect(screen.queryByTestId('muted')).toBeNull());
    }
  });

  it('the icon says what Go says of the mute', async () => {
    go.Mutes.mockResolvedValue([{ conversation_id: 8, until: '2026-11-29T08:00:00Z', label: 'Muted until tomorrow 08:00' }]);
    const attention = await store();
    list(attention);
    const icon = await screen.findByTestId('muted');
    expect(icon.getAttribute('aria-label')).toBe('Muted until tomorrow 08:00');
    expect(icon.closest('li')!.textContent).toContain('James Okafor');
  });
});

describe('AttentionPanel', () => {
  it('round-trips a schedule: what is chosen is saved, and the panel closes', async () => {
    const attention = await store();
    render(AttentionPanel, { attention });
    await fireEvent.click(screen.getByRole('button', { name: 'Notification settings' }));
    const dialog = screen.getByRole('dialog', { name: 'Notification settings' });
    await fireEvent.change(within(dialog).getByLabelText('Quiet hours on Monday'), { target: { value: 'hours' } });
    await fireEvent.input(within(dialog).getByLabelText('Monday from'), { target: { value: '22:15' } });
    await fireEvent.input(within(dialog).getByLabelText('Monday to'), { target: { value: '06:45' } });
    await fireEvent.change(within(dialog).getByLabelText('Quiet hours on Sunday'), { target: { value: 'all_day' } });
    await fireEvent.input(within(dialog).getByLabelText('New emergency word'), { target: { value: 'no heat' } });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Add' }));
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Remove leak' }));
    const saved = { ...settings, emergency_words: ['no heat'] };
    go.Save.mockResolvedValue(saved);
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect(go.Save).toHaveBeenCalledWith({
      quiet_hours: { time_zone: zone, days: [{ mode: 'all_day' }, { mode: 'hours', from: '22:15', to: '06:45' }, off, off, off, off, off] },
      emergency_words: ['no heat'],
    });
    await vi.waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(attention.settings).toEqual(saved);
  });

  it('keeps a repeated or long word for Go to judge, and shows its refusal', async () => {
    const attention = await store();
    render(AttentionPanel, { attention });
    await fireEvent.click(screen.getByRole('button', { name: 'Notification settings' }));
    const input = screen.getByLabelText('New emergency word') as HTMLInputElement;
    // No length of the UI's own: it would count UTF-16 units, Go counts characters.
    expect(input.hasAttribute('maxlength')).toBe(false);
    for (const w of ['leak', 'LÉAK']) {
      await fireEvent.input(input, { target: { value: w } });
      await fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    }
    const words = within(screen.getByTestId('emergency-words'));
    expect(words.getAllByRole('listitem').map((li) => li.textContent?.replace('×', '').trim())).toEqual(['leak', 'leak', 'LÉAK']);
    const refusal = 'The same emergency word twice, as Go words it.';
    go.Save.mockRejectedValue({ code: 'invalid_input', message: refusal });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(go.Save).toHaveBeenCalledWith(expect.objectContaining({ emergency_words: ['leak', 'leak', 'LÉAK'] }));
    expect((await screen.findByTestId('attention-problem')).textContent).toContain(refusal);
    expect(screen.getByRole('dialog', { name: 'Notification settings' })).toBeTruthy();
    // One of the repeats removed, the list saves.
    await fireEvent.click(screen.getAllByRole('button', { name: 'Remove leak' })[1]!);
    await fireEvent.click(screen.getByRole('button', { name: 'Remove LÉAK' }));
    go.Save.mockResolvedValue(settings);
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(go.Save).toHaveBeenLastCalledWith(expect.objectContaining({ emergency_words: ['leak'] }));
    await vi.waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('offline, Save shows the sentence with its code and keeps the panel and its edits', async () => {
    const attention = await store();
    render(AttentionPanel, { attention });
    await fireEvent.click(screen.getByRole('button', { name: 'Notification settings' }));
    await fireEvent.change(screen.getByLabelText('Quiet hours on Friday'), { target: { value: 'all_day' } });
    go.Save.mockRejectedValue({ code: 'unreachable', message: 'The server cannot be reached; try again when you are online.' });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    const note = await screen.findByTestId('attention-problem');
    expect(note.dataset.code).toBe('unreachable');
    expect(note.textContent).toContain('The server cannot be reached; try again when you are online.');
    expect((screen.getByLabelText('Quiet hours on Friday') as HTMLSelectElement).value).toBe('all_day');
    expect(attention.settings).toEqual(settings);
  });
});

describe('ThreadView urgent mark', () => {
  it('marks the messages Go says are urgent, with why, and only those', async () => {
    const message = (id: number, text: string, urgent: boolean) => ({
      id,
      conversation_id: 7,
      seq: id,
      sender: { kind: 'tenant', id: 3, name: 'Maria Garcia' },
      text,
      files: [],
      key: `k${id}`,
      created_at: '2026-11-02T10:00:00Z',
      ...(urgent ? { urgent: true } : {}),
    });
    go.Conversations.mockResolvedValue([conv(7, 'Maria Garcia', 0)]);
    go.Thread.mockResolvedValue({
      messages: [message(1, 'The heating clicks.', false), message(2, 'Water is pouring through the ceiling!', true)],
      outbox: [],
      hasMore: false,
      draft: '',
      draftFiles: [],
      receipts: [],
      urgent: [{ seq: 2, reason: 'It holds the emergency word \u201cwater\u201d.' }],
    } as unknown as Thread);
    const chat = new ChatStore();
    await chat.loadConversations();
    await chat.select(7);
    render(ThreadView, { chat });
    const [calm, urgent] = await screen.findAllByTestId('message');
    expect(within(urgent!).getByTestId('urgent-mark').textContent).toContain('Urgent');
    expect(within(urgent!).getByTestId('urgent-mark').getAttribute('title')).toBe('It holds the emergency word \u201cwater\u201d.');
    expect(within(calm!).queryByTestId('urgent-mark')).toBeNull();
  });
});
