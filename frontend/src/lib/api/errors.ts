import { isCode, type Code } from './codes';

/**
 * The sentence for a failure that did not come from Go's error formatter
 * (the Wails runtime itself failed, or a bug in the page). Every other
 * sentence the landlord reads comes from Go.
 */
export const SOMETHING_WENT_WRONG =
  'Something went wrong in Doorstep. Please try again; if it keeps happening, restart Doorstep.';

/**
 * A failed call as the UI handles it: what Go's error formatter (app.Problem)
 * rejected with. Stores switch on `code`, show `message`, and for
 * rate_limited (and unavailable) wait `retryAfter` seconds.
 */
export class AppError extends Error {
  readonly code: Code;
  /** Seconds to wait before trying again; 0 when there is nothing to wait for. */
  readonly retryAfter: number;
  /** When trying again may succeed (now + retryAfter), or null. */
  readonly retryAt: Date | null;

  constructor(code: Code, message: string, retryAfter = 0, now = new Date()) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.retryAfter = retryAfter > 0 ? Math.ceil(retryAfter) : 0;
    this.retryAt = this.retryAfter > 0 ? new Date(now.getTime() + this.retryAfter * 1000) : null;
  }
}

/**
 * Turns whatever a binding call rejected with into an AppError. Go rejects
 * with {code, message, retry_after?}; anything else (text from the Wails
 * runtime, an exception in the page) is internal: its detail goes to the
 * console for whoever debugs, never onto the screen. A code this UI does not
 * know (a newer server) keeps its sentence, as internal.
 */
export function toAppError(err: unknown, now = new Date()): AppError {
  if (err instanceof AppError) return err;
  if (typeof err === 'object' && err !== null && !(err instanceof Error)) {
    const { code, message, retry_after: retryAfter } = err as Record<string, unknown>;
    if (typeof code === 'string' && typeof message === 'string' && message !== '') {
      const wait = typeof retryAfter === 'number' && Number.isFinite(retryAfter) ? retryAfter : 0;
      if (!isCode(code)) console.warn('Doorstep: unknown error code', code);
      return new AppError(isCode(code) ? code : 'internal', message, wait, now);
    }
  }
  console.error('Doorstep:', err);
  return new AppError('internal', SOMETHING_WENT_WRONG, 0, now);
}

/** Runs a binding call; a rejection (or a throw) becomes an AppError. */
export async function call<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw toAppError(err);
  }
}
