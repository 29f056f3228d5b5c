import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import { AppError } from '../api/errors';
import type { AboutInfo } from '../api/types';

vi.mock('../../../wailsjs/go/app/ConnectionService', () => ({}));
vi.mock('../../../wailsjs/go/app/AccountService', () => ({}));
vi.mock('../../../wailsjs/go/app/ExportService', () => ({
  ServerKey: () => Promise.reject({ code: 'unreachable', message: 'The server cannot be reached.' }),
}));
const { default: AboutBox } = await import('./AboutBox.svelte');
const { AboutStore } = await import('../stores/about.svelte');
const { ServerKeyStore } = await import('../stores/export.svelte');

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

  it("shows the server key fingerprint people compare with an export's", async () => {
    const about = new AboutStore(() => Promise.resolve({ appVersion: '1.2.3', server: 'https://chat.example.org', serverVersion: '1.2.3' }));
    const serverKey = new ServerKeyStore(() => Promise.resolve({ server_id: 's', public_key: 'k', fingerprint: '6668 7AAD F862 BD77' }));
    render(AboutBox, { about, serverKey });
    await fireEvent.click(screen.getByRole('button', { name: 'About' }));
    await vi.waitFor(() => expect(screen.getByTestId('about-fingerprint').textContent).toBe('6668 7AAD F862 BD77'));
  });

  it('shows the server public key itself, whole and in monospace', async () => {
    const key = 'pJ1cmV9Qk2n0Vd3Z2cV0a1m9Yk8hX4qL7sT2wE6rU0A=';
    const about = new AboutStore(() => Promise.resolve({ appVersion: '1.2.3', server: 'https://chat.example.org', serverVersion: '1.2.3' }));
    const serverKey = new ServerKeyStore(() => Promise.resolve({ server_id: 's', public_key: key, fingerprint: '6668 7AAD' }));
    render(AboutBox, { about, serverKey });
    await fireEvent.click(screen.getByRole('button', { name: 'About' }));
    await vi.waitFor(() => expect(screen.getByTestId('about-public-key').textContent).toBe(key));
    const shown = screen.getByTestId('about-public-key');
    expect(shown.classList.contains('mono')).toBe(true);
    // Labelled as such: the term before it names it.
    expect(shown.previousElementSibling?.textContent).toBe('Server public key');
  });

  it('says the fingerprint is not known when it cannot be had', async () => {
    render(AboutBox, { about: new AboutStore(() => Promise.resolve({ appVersion: '1.2.3', server: 'x' })) });
    await fireEvent.click(screen.getByRole('button', { name: 'About' }));
    expect((await screen.findByTestId('about-fingerprint')).textContent).toBe('not known yet');
    expect(screen.getByTestId('about-public-key').textContent).toBe('not known yet');
  });
});
