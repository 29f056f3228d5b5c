import { describe, expect, it } from 'vitest';
import type { Notification } from './api/types';
import { deliverySummary } from './delivery';

const n = (over: Partial<Notification>): Notification => ({
  id: 1,
  conversation_id: 3,
  tenant: { id: 7, name: 'Alice' },
  kind: 'new_chat',
  channel: 'email',
  recipient: 'alice@example.com',
  state: 'sent',
  attempts: 1,
  created_at: '2026-11-25T10:00:00Z',
  sent_at: '2026-11-25T10:00:05Z',
  ...over,
});

describe('deliverySummary', () => {
  const when = () => 'today 10:00';
  it('says, per channel, how the tenant was told', () => {
    const log = [
      n({ id: 4, channel: 'sms', state: 'skipped', recipient: '', reason: 'No phone number on file.', sent_at: undefined }),
      n({ id: 3 }),
      n({ id: 2, tenant: { id: 8, name: 'Bob' }, state: 'failed', reason: 'The address was refused.' }),
    ];
    expect(deliverySummary(log, 7, when)).toEqual([
      'E-mail sent to alice@example.com · today 10:00',
      'No text message: No phone number on file.',
    ]);
    expect(deliverySummary(log, 8, when)).toEqual(['E-mail failed: The address was refused.']);
  });
  it('tells waiting from retrying, and uses the newest entry', () => {
    const log = [n({ id: 9, state: 'queued', attempts: 2, reason: 'connection refused', sent_at: undefined }), n({ id: 1 })];
    expect(deliverySummary(log, 7, when)).toEqual(['E-mail not sent yet; retrying (connection refused)']);
    expect(deliverySummary([n({ state: 'queued', attempts: 0 })], 7, when)).toEqual(['E-mail waiting to be sent']);
    expect(deliverySummary([], 7, when)).toEqual([]);
    expect(deliverySummary([n({ reason: 'Kept in the dev mailbox.' })], 7, when)).toEqual([
      'E-mail sent to alice@example.com · today 10:00 — Kept in the dev mailbox.',
    ]);
  });
});
