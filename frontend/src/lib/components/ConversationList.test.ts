import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import ConversationList from './ConversationList.svelte';
import type { Conversation } from '../api/types';

const base = { kind: 'direct', members: [], created_at: '2026-11-01T10:00:00Z', last_seq: 2, read_seq: 2 };
const lastMessage = { id: 1, conversation_id: 7, seq: 2, sender: { kind: 'tenant', id: 3, name: 'Maria Garcia' }, text: 'Thanks', files: [], key: 'k', created_at: '2026-11-01T10:00:00Z' };
const read = { ...base, id: 7, title: 'Maria Garcia', unread: 0, last_message: lastMessage } as Conversation;
const unread = { ...base, id: 8, title: 'James Okafor', unread: 1, read_seq: 1, last_message: { ...lastMessage, id: 2, conversation_id: 8 } } as Conversation;

describe('ConversationList menu', () => {
  it('Mark as unread from the ⋯ menu, for a read conversation', async () => {
    const onmarkunread = vi.fn();
    const onselect = vi.fn();
    render(ConversationList, { conversations: [read, unread], selectedId: null, onselect, onmarkunread });
    const menus = screen.getAllByTestId('conversation-menu');
    await fireEvent.click(menus[0]!);
    await fireEvent.click(screen.getByRole('menuitem', { name: 'Mark as unread' }));
    expect(onmarkunread).toHaveBeenCalledWith(7);
    expect(onselect).not.toHaveBeenCalled();
    expect(screen.queryByTestId('conversation-actions')).toBeNull();
  });

  it('a right-click opens the same menu; already unread, the action is off', async () => {
    const onmarkunread = vi.fn();
    render(ConversationList, { conversations: [read, unread], selectedId: null, onselect: () => {}, onmarkunread });
    await fireEvent.contextMenu(screen.getAllByTestId('conversation')[1]!);
    const item = screen.getByRole('menuitem', { name: 'Mark as unread' }) as HTMLButtonElement;
    expect(item.disabled).toBe(true);
  });

  it('Export conversation… from the ⋯ menu', async () => {
    const onexport = vi.fn();
    render(ConversationList, { conversations: [read, unread], selectedId: null, onselect: () => {}, onexport });
    await fireEvent.click(screen.getAllByTestId('conversation-menu')[1]!);
    await fireEvent.click(screen.getByRole('menuitem', { name: 'Export conversation…' }));
    expect(onexport).toHaveBeenCalledWith(8);
  });
});
