import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import { AppError } from '../api/errors';
import type { AboutInfo } from '../api/types';

vi.mock('../../../wailsjs/go/app/ConnectionService', () => ({}));
vi.mock('../../../wailsjs/go/app/AccountService', () => ({}));
const { default: AboutBox } = await import('./AboutBox.svelte');
const { AboutStore } = await import('../stores/about.svelte');

describe('AboutBox', () => {
  it('opens from its button and shows the app and server versions', async () => {
    const ask = vi.fn(
      (): Promise<AboutInfo> =>
        Promise.resolve({ appVersion: '1.2.3', server: 'https://chat.example.org', serverVersion: '1.2.2' }),
    );
    render(AboutBox, { about: new AboutStore(ask) });
    expect(screen.queryByRole('dialog')).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'About' }));
    expect(await screen.findByTestId('about-app-version')).toBeTruthy();
    expect(screen.getByTestId('about-app-version').textContent).toBe('1.2.3');
    expect(screen.getByTestId('about-server-version').textContent).toBe('1.2.2');
    expect(screen.getByRole('dialog').textContent).toContain('https://chat.example.org');
    expect(ask).toHaveBeenCalledOnce();
    await fireEvent.click(screen.getByRole('button', { name: 'Close' }));
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('says when the server did not answer', async () => {
    const store = new AboutStore(() => Promise.resolve({ appVersion: '1.2.3', server: 'http://127.0.0.1:9' }));
    render(AboutBox, { about: store });
    await fireEvent.click(screen.getByRole('button', { name: 'About' }));
    expect((await screen.findByTestId('about-server-version')).textContent).toBe('not reachable');
    expect(screen.getByTestId('about-app-version').textContent).toBe('1.2.3');
  });

  it('shows the sentence of a failed question, and Escape closes it', async () => {
    const store = new AboutStore(() => Promise.reject({ code: 'internal', message: 'Something went wrong.' }));
    render(AboutBox, { about: store });
    await fireEvent.click(screen.getByRole('button', { name: 'About' }));
    expect((await screen.findByRole('alert')).textContent?.trim()).toBe('Something went wrong.');
    expect(store.problem).toBeInstanceOf(AppError);
    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});
