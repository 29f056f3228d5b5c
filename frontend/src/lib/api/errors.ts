/** The sentence shown for failures that have no message meant for people. */
export const SOMETHING_WENT_WRONG =
  'Something went wrong. Please try again; if it keeps happening, restart Doorstep.';

/**
 * Turns a rejected binding call into a sentence for the landlord. Wails
 * rejects with the Go error's text, which may hold internals: it goes to the
 * console for whoever debugs, never onto the screen.
 */
export function userMessage(err: unknown): string {
  console.error('Doorstep:', err);
  return SOMETHING_WENT_WRONG;
}
