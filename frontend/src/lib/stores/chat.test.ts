import { describe, expect, it } from 'vitest';
import { dayLabel } from './chat.svelte';
import { errorSentence } from './session.svelte';

describe('dayLabel', () => {
  const now = new Date(2026, 10, 24, 15, 0);
  it('names today and yesterday', () => {
    expect(dayLabel(new Date(2026, 10, 24, 9, 0).toISOString(), now)).toBe('Today');
    expect(dayLabel(new Date(2026, 10, 23, 23, 59).toISOString(), now)).toBe('Yesterday');
    expect(dayLabel(new Date(2026, 10, 20, 9, 0).toISOString(), now)).toMatch(/20/);
  });
});

describe('errorSentence', () => {
  it("keeps the server's sentence and hides internals", () => {
    expect(errorSentence('main_user_only: Chat is available to the main account only.')).toBe(
      'Chat is available to the main account only.',
    );
    const quiet = console.error;
    console.error = () => {};
    expect(errorSentence('internal: sql: no such table')).not.toContain('sql');
    expect(errorSentence(new Error('open /home/x/.cache: permission denied'))).not.toContain('/home');
    console.error = quiet;
  });
});
