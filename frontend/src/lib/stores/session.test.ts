import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SOMETHING_WENT_WRONG } from '../api/errors';
import type { AccountState } from '../api/types';

// The Go binding, as Wails exposes it: a failed call rejects with what the
// app's ErrorFormatter made of the Go error.
const go = {
  SignIn: vi.fn<(server: string, email: string, password: string) => Promise<AccountState>>(),
  Restore: vi.fn<() => Promise<AccountState>>(),
  State: vi.fn<() => Promise<AccountState>>(),
  SignOut: vi.fn<() => Promise<AccountState>>(),
  SetNotifications: vi.fn<(on: boolean) => Promise<AccountState>>(),
};
vi.mock('../../../wailsjs/go/app/AccountService', () => ({
  SignIn: (s: string, e: string, p: string) => go.SignIn(s, e, p),
  Restore: () => go.Restore(),
  State: () => go.State(),
  SignOut: () => go.SignOut(),
  SetNotifications: (on: boolean) => go.SetNotifications(on),
}));
const { SessionStore } = await import('./session.svelte');

const signedOut: AccountState = {
  signedIn: false,
  server: 'http://127.0.0.1:8765',
  email: '',
  name: '',
  orgName: '',
  currency: '',
  sync: { state: 'signed_out' },
  notifications: true,
};

describe('SessionStore', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date(2026, 10, 28, 14, 30, 0) });
    Object.values(go).forEach((f) => f.mockReset());
  });
  afterEach(() => vi.useRealTimers());

  it('rate_limited: shows the sentence and holds sign-in back until the server allows it', async () => {
    go.SignIn.mockRejectedValue({ code: 'rate_limited', message: 'Too many sign-in attempts. Wait a while.', retry_after: 300 });
    const s = new SessionStore();
    expect(await s.signIn('http://x', 'pat@example.com', 'wrong')).toBe(false);
    expect(s.problem?.code).toBe('rate_limited');
    expect(s.problem?.message).toBe('Too many sign-in attempts. Wait a while.');
    expect(s.waitUntil).toEqual(new Date(2026, 10, 28, 14, 35, 0));

    expect(await s.signIn('http://x', 'pat@example.com', 'right')).toBe(false);
    expect(go.SignIn).toHaveBeenCalledTimes(1); // not sent: it would only lengthen the wait

    await vi.advanceTimersByTimeAsync(300_000);
    expect(s.waitUntil).toBeNull();
    go.SignIn.mockResolvedValue({ ...signedOut, signedIn: true, email: 'pat@example.com' });
    expect(await s.signIn('http://x', 'pat@example.com', 'right')).toBe(true);
    expect(s.problem).toBeNull();
  });

  it("unauthorized and main_user_only: the server's sentence, no wait", async () => {
    const s = new SessionStore();
    go.SignIn.mockRejectedValueOnce({ code: 'unauthorized', message: 'The e-mail or password is wrong.' });
    await s.signIn('http://x', 'pat@example.com', 'wrong');
    expect([s.problem?.code, s.problem?.message, s.waitUntil]).toEqual(['unauthorized', 'The e-mail or password is wrong.', null]);
    go.SignIn.mockRejectedValueOnce({ code: 'main_user_only', message: 'Chat is available to the main account only.' });
    await s.signIn('http://x', 'sub@example.com', 'pw');
    expect(s.problem?.message).toBe('Chat is available to the main account only.');
  });

  it('Go error text never reaches the screen', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const s = new SessionStore();
    go.Restore.mockRejectedValue('open /home/landlord/.local/share/Doorstep/account.json: permission denied');
    go.State.mockResolvedValue(signedOut);
    await s.restore();
    expect([s.problem?.code, s.problem?.message]).toEqual(['internal', SOMETHING_WENT_WRONG]);
    expect(s.state).toEqual(signedOut);
  });

  it('a failed sign-out or setting is shown, not thrown', async () => {
    const s = new SessionStore();
    go.SetNotifications.mockRejectedValue({ code: 'unavailable', message: 'There is not enough space on this computer to keep this setting.' });
    go.State.mockResolvedValue({ ...signedOut, signedIn: true, notifications: true });
    await s.setNotifications(false);
    expect(s.problem?.code).toBe('unavailable');
    expect(s.state?.notifications).toBe(true);
    go.SignOut.mockRejectedValue({ code: 'internal', message: 'Something went wrong in Doorstep.' });
    await expect(s.signOut()).resolves.toBeUndefined();
    expect(s.problem?.code).toBe('internal');
  });
});
