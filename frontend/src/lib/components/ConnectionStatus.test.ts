import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import ConnectionStatus from './ConnectionStatus.svelte';

describe('ConnectionStatus', () => {
  it('says which server it is connected to', () => {
    render(ConnectionStatus, { view: { state: 'connected', server: 'http://127.0.0.1:8765', version: '0.1.0' } });
    expect(screen.getByTestId('connection-headline').textContent).toBe('Connected to http://127.0.0.1:8765');
    expect(screen.getByText('Doorstep server 0.1.0')).toBeTruthy();
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('says the server is not reachable and offers a retry', async () => {
    const onretry = vi.fn();
    render(ConnectionStatus, {
      view: { state: 'unreachable', server: 'http://127.0.0.1:9', message: 'The server at http://127.0.0.1:9 cannot be reached.' },
      onretry,
    });
    expect(screen.getByTestId('connection-headline').textContent).toBe('Server not reachable');
    expect(screen.getByTestId('connection-message').textContent).toContain('cannot be reached');
    await fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(onretry).toHaveBeenCalledOnce();
  });

  it('disables the retry while a check is running', () => {
    render(ConnectionStatus, { view: { state: 'unreachable', server: 'http://x' }, busy: true, onretry: () => {} });
    const button = screen.getByRole('button') as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(button.textContent).toBe('Checking…');
  });

  it('renders text from the server as text, never as HTML', () => {
    const hostile = '<img src=x onerror="window.pwned=1"><b>bold</b>';
    const { container } = render(ConnectionStatus, {
      view: { state: 'invalid', server: hostile, message: hostile },
    });
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('b')).toBeNull();
    expect(screen.getByTestId('connection-message').textContent).toBe(hostile);
  });
});
