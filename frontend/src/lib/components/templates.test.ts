import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import type { Conversation, Thread } from '../api/types';
import type { Template, TemplateProblem } from '../api/templates';

// The Go bindings and the runtime's events, as Wails exposes them.
const go = {
  List: vi.fn<() => Promise<Template[]>>(),
  Check: vi.fn<(text: string) => Promise<TemplateProblem[]>>(),
  Save: vi.fn<(id: number, d: unknown) => Promise<Template>>(),
  Fill: vi.fn<(conv: number, id: number) => Promise<string>>(),
  Conversations: vi.fn<() => Promise<Conversation[]>>(),
  Send: vi.fn<(id: number, text: string) => Promise<unknown>>(),
  SaveDraft: vi.fn<(id: number, text: string) => Promise<void>>(),
};
vi.mock('../../../wailsjs/go/app/TemplateService', () => ({
  List: () => go.List(),
  Fields: async () => [
    { name: 'tenant.first_name', description: "The tenant's first name" },
    { name: 'unit', description: 'The unit' },
  ],
  Check: (text: string) => go.Check(text),
  Save: (id: number, d: unknown) => go.Save(id, d),
  Delete: async () => {},
  Fill: (conv: number, id: number) => go.Fill(conv, id),
}));
vi.mock('../../../wailsjs/go/app/ConversationService', () => ({
  Conversations: () => go.Conversations(),
  Thread: async (): Promise<Thread> => ({ messages: [], outbox: [], hasMore: false, draft: '', draftFiles: [] }) as unknown as Thread,
  Send: (id: number, text: string) => go.Send(id, text),
  SaveDraft: (id: number, text: string) => go.SaveDraft(id, text),
  MarkRead: async () => {},
  SetViewing: async () => {},
}));
vi.mock('../../../wailsjs/runtime/runtime', () => ({ EventsOn: () => () => {}, WindowSetTitle: () => {} }));
const { TemplateStore } = await import('../stores/templates.svelte');
const { ChatStore } = await import('../stores/chat.svelte');
const ThreadView = (await import('./ThreadView.svelte')).default;
const TemplateEditor = (await import('./TemplateEditor.svelte')).default;

const at = '2026-11-28T10:00:00Z';
const rent: Template = { id: 1, name: 'Rent reminder', text: 'Hi {{tenant.first_name}}, rent is {{rent}}.', updated_at: at };
const visit: Template = { id: 2, name: 'Maintenance visit', text: 'A visit at {{unit}}.', updated_at: at };
const conv = { id: 7, kind: 'direct', title: 'James Okafor', members: [], created_at: at, last_seq: 0, read_seq: 0, unread: 0 } as unknown as Conversation;

async function thread() {
  go.List.mockResolvedValue([visit, rent]);
  go.Conversations.mockResolvedValue([conv]);
  go.SaveDraft.mockResolvedValue();
  const templates = new TemplateStore();
  await templates.load();
  const chat = new ChatStore();
  await chat.loadConversations();
  await chat.select(7);
  render(ThreadView, { chat, templates });
  return { templates, box: (await screen.findByLabelText('Message')) as HTMLTextAreaElement };
}

beforeEach(() => Object.values(go).forEach((f) => f.mockReset()));

describe('the template picker in the compose box', () => {
  it('"/" in an empty box opens it filtered by what follows; Enter fills the box, and nothing is sent', async () => {
    const { box } = await thread();
    await fireEvent.input(box, { target: { value: '/' } });
    const picker = await screen.findByTestId('template-picker');
    expect(within(picker).getAllByTestId('template-option').map((o) => o.textContent)).toEqual([
      expect.stringContaining('Maintenance visit'),
      expect.stringContaining('Rent reminder'),
    ]);
    await fireEvent.input(box, { target: { value: '/rent' } });
    await vi.waitFor(() => expect(within(picker).getAllByTestId('template-option')).toHaveLength(1));
    go.Fill.mockResolvedValue('Hi James, rent is $1,180.00.');
    await fireEvent.keyDown(box, { key: 'Enter' });
    await vi.waitFor(() => expect(box.value).toBe('Hi James, rent is $1,180.00.'));
    expect(go.Fill).toHaveBeenCalledWith(7, 1);
    expect(screen.queryByTestId('template-picker')).toBeNull();
    expect(go.Send).not.toHaveBeenCalled();
  });

  it('the button beside the paper-clip opens it; a refusal shows its sentence and leaves the box as it was', async () => {
    const { box } = await thread();
    await fireEvent.input(box, { target: { value: 'Dear all,' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Insert a template' }));
    const sentence = '{{tenant.first_name}} differs between the members of this group chat (Emily Chen and Daniel Park), so it cannot be filled in here.';
    go.Fill.mockRejectedValue({ code: 'invalid_input', message: sentence });
    await fireEvent.click(screen.getAllByTestId('template-option')[1]!);
    expect((await screen.findByTestId('template-refusal')).textContent).toContain(sentence);
    expect(box.value).toBe('Dear all,');

    // Another one fills in after the draft already written.
    go.Fill.mockResolvedValue('A visit at 2B.');
    await fireEvent.click(screen.getAllByTestId('template-option')[0]!);
    await vi.waitFor(() => expect(box.value).toBe('Dear all,\nA visit at 2B.'));
    expect(go.Send).not.toHaveBeenCalled();
  });

  it('Escape closes it and keeps the "/" typed', async () => {
    const { box } = await thread();
    await fireEvent.input(box, { target: { value: '/' } });
    await screen.findByTestId('template-picker');
    await fireEvent.keyDown(box, { key: 'Escape' });
    await vi.waitFor(() => expect(screen.queryByTestId('template-picker')).toBeNull());
    expect(box.value).toBe('/');
  });
});

describe('the template editor', () => {
  it('shows a misspelt field as an error with the field meant, and Save stays off until it is right', async () => {
    go.List.mockResolvedValue([rent]);
    go.Check.mockResolvedValue([]);
    const templates = new TemplateStore();
    await templates.load();
    render(TemplateEditor, { templates });
    await fireEvent.click(screen.getByTestId('templates-open'));
    await fireEvent.click(await screen.findByTestId('template-new'));
    await fireEvent.input(screen.getByTestId('template-name'), { target: { value: 'Welcome' } });
    const mistake = '{{tenant.frist_name}} is not a field: did you mean {{tenant.first_name}}?';
    go.Check.mockResolvedValue([{ snippet: '{{tenant.frist_name}}', message: mistake }]);
    await fireEvent.input(screen.getByTestId('template-text'), { target: { value: 'Welcome, {{tenant.frist_name}}!' } });
    expect((await screen.findByTestId('template-problem')).textContent).toBe(mistake);
    const save = screen.getByTestId('template-save') as HTMLButtonElement;
    expect(save.disabled).toBe(true);

    go.Check.mockResolvedValue([]);
    await fireEvent.input(screen.getByTestId('template-text'), { target: { value: 'Welcome, ' } });
    await fireEvent.click(screen.getByRole('button', { name: '{{tenant.first_name}}' })); // inserts the field
    await vi.waitFor(() => expect(save.disabled).toBe(false));
    expect((screen.getByTestId('template-text') as HTMLTextAreaElement).value).toBe('Welcome, {{tenant.first_name}}');
    expect(screen.queryByTestId('template-problem')).toBeNull();
    go.Save.mockResolvedValue({ id: 5, name: 'Welcome', text: 'Welcome, {{tenant.first_name}}', updated_at: at });
    await fireEvent.click(save);
    expect(go.Save).toHaveBeenCalledWith(0, { name: 'Welcome', text: 'Welcome, {{tenant.first_name}}' });
    await vi.waitFor(() => expect(screen.getAllByTestId('template-item').map((b) => b.textContent)).toEqual(['Rent reminder', 'Welcome']));
  });
});
