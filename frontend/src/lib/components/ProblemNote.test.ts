import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { AppError, toAppError } from '../api/errors';

vi.mock('../../../wailsjs/go/app/AccountService', () => ({}));
const { default: ProblemNote } = await import('./ProblemNote.svelte');
const { default: SignIn } = await import('./SignIn.svelte');
const { SessionStore } = await import('../stores/session.svelte');

describe('ProblemNote', () => {
  it('rate_limited: the sentence, then when to try again', () => {
    const at = new Date(2026, 10, 28, 14, 30, 0);
    const p = toAppError({ code: 'rate_limited', message: 'Too many sign-in attempts.', retry_after: 600 }, at);
    render(ProblemNote, { problem: p });
    const note = screen.getByRole('alert');
    expect(note.dataset.code).toBe('rate_limited');
    expect(note.querySelector('bdi')?.textContent).toBe('Too many sign-in attempts.');
    const when = screen.getByTestId('retry-at').textContent!;
    expect(when).toMatch(/^You can try again at .*40.*\.$/);
  });

  it('anything else: only the sentence', () => {
    render(ProblemNote, { problem: new AppError('not_found', 'That folder is no longer there. Choose another folder.') });
    expect(screen.getByRole('alert').textContent?.trim()).toBe('That folder is no longer there. Choose another folder.');
    expect(screen.queryByTestId('retry-at')).toBeNull();
  });
});

describe('SignIn', () => {
  it('while rate-limited, shows why and when, and the button waits', () => {
    const session = new SessionStore();
    session.problem = toAppError({ code: 'rate_limited', message: 'Too many sign-in attempts.', retry_after: 60 });
    session.waitUntil = session.problem.retryAt;
    render(SignIn, { session, defaultServer: 'http://127.0.0.1:8765' });
    expect(screen.getByTestId('signin-error').querySelector('bdi')?.textContent).toBe('Too many sign-in attempts.');
    expect(screen.getByTestId('retry-at')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Sign in' }) as HTMLButtonElement).disabled).toBe(true);
  });
});
