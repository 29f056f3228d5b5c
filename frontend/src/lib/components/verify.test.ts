import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';

vi.mock('../../../wailsjs/go/app/ConversationService', () => ({}));
vi.mock('../../../wailsjs/runtime/runtime', () => ({ EventsOn: () => () => {}, WindowSetTitle: () => {} }));
const { ChatStore } = await import('../stores/chat.svelte');
const ThreadView = (await import('./ThreadView.svelte')).default;

describe('Verify an export…', () => {
  it('is offered with no conversation open, as a button the keyboard reaches', async () => {
    const onverify = vi.fn();
    render(ThreadView, { chat: new ChatStore(), onverify });
    expect(screen.getByText('Choose a conversation, or start one with New Chat.')).toBeTruthy();
    const verify = screen.getByRole('button', { name: 'Verify an export…' });
    verify.focus();
    expect(document.activeElement).toBe(verify);
    await fireEvent.click(verify);
    expect(onverify).toHaveBeenCalledOnce();
  });

  it('is not offered where nothing would check it', () => {
    render(ThreadView, { chat: new ChatStore() });
    expect(screen.queryByRole('button', { name: 'Verify an export…' })).toBeNull();
  });
});
