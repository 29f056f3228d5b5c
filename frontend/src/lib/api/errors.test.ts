import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError, SOMETHING_WENT_WRONG, call, toAppError } from './errors';

describe('toAppError', () => {
  afterEach(() => vi.restoreAllMocks());
  const now = new Date(2026, 10, 28, 14, 30, 0);

  it("keeps what Go's error formatter sent: code, sentence, when to try again", () => {
    const e = toAppError({ code: 'rate_limited', message: 'Too many sign-in attempts.', retry_after: 90 }, now);
    expect(e).toBeInstanceOf(AppError);
    expect([e.code, e.message, e.retryAfter]).toEqual(['rate_limited', 'Too many sign-in attempts.', 90]);
    expect(e.retryAt).toEqual(new Date(2026, 10, 28, 14, 31, 30));
    const plain = toAppError({ code: 'main_user_only', message: 'Chat is available to the main account only.' });
    expect([plain.code, plain.message, plain.retryAfter, plain.retryAt]).toEqual([
      'main_user_only',
      'Chat is available to the main account only.',
      0,
      null,
    ]);
  });

  it('never shows text that did not come as a {code, message}: it is internal', () => {
    const console = vi.spyOn(globalThis.console, 'error').mockImplementation(() => {});
    for (const raw of [
      new Error('open /home/landlord/x.pdf.part: permission denied'),
      'open /home/landlord/x.pdf.part: permission denied',
      'main_user_only: Chat is available to the main account only.', // old-style text is not parsed
      { code: 'invalid_input', message: '' },
      { message: 'sql: no such table' },
      undefined,
    ]) {
      const e = toAppError(raw);
      expect([e.code, e.message]).toEqual(['internal', SOMETHING_WENT_WRONG]);
    }
    expect(console).toHaveBeenCalledTimes(6); // the detail is for whoever debugs
  });

  it("keeps a newer server's sentence under a code this UI does not know, as internal", () => {
    vi.spyOn(globalThis.console, 'warn').mockImplementation(() => {});
    const e = toAppError({ code: 'insufficient_storage', message: 'The server is out of disk space.', retry_after: 60 });
    expect([e.code, e.message, e.retryAfter]).toEqual(['internal', 'The server is out of disk space.', 60]);
  });

  it('ignores a retry_after that is not a number of seconds', () => {
    expect(toAppError({ code: 'unavailable', message: 'Busy.', retry_after: 'soon' }).retryAfter).toBe(0);
    expect(toAppError({ code: 'unavailable', message: 'Busy.', retry_after: -5 }).retryAt).toBeNull();
  });
});

describe('call', () => {
  it('turns rejections and throws into AppErrors', async () => {
    await expect(call(() => Promise.reject({ code: 'not_found', message: 'There is no such conversation.' }))).rejects.toMatchObject({
      code: 'not_found',
      message: 'There is no such conversation.',
    });
    vi.spyOn(globalThis.console, 'error').mockImplementation(() => {});
    const thrown = await call(() => {
      throw new TypeError("Cannot read properties of undefined (reading 'go')");
    }).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(AppError);
    expect((thrown as AppError).message).toBe(SOMETHING_WENT_WRONG);
    await expect(call(async () => 42)).resolves.toBe(42);
  });
});
