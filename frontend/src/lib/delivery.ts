import type { Notification } from './api/types';

const channelName = { email: 'E-mail', sms: 'Text message' } as const;

/**
 * How a tenant was told of a chat, one sentence per channel (e-mail, then
 * text message), from the newest notification of each in the delivery log.
 */
export function deliverySummary(log: Notification[], tenantId: number, when: (iso: string) => string): string[] {
  const out: string[] = [];
  for (const channel of ['email', 'sms'] as const) {
    const n = log.find((x) => x.tenant.id === tenantId && x.channel === channel && x.kind === 'new_chat');
    if (!n) continue;
    const name = channelName[channel];
    switch (n.state) {
      case 'sent':
        out.push(`${name} sent to ${n.recipient}${n.sent_at ? ` · ${when(n.sent_at)}` : ''}${n.reason ? ` — ${n.reason}` : ''}`);
        break;
      case 'queued':
        out.push(n.attempts > 0 ? `${name} not sent yet; retrying (${n.reason})` : `${name} waiting to be sent`);
        break;
      case 'failed':
        out.push(`${name} failed: ${n.reason}`);
        break;
      case 'skipped':
        out.push(`No ${name.toLowerCase()}: ${n.reason}`);
        break;
    }
  }
  return out;
}
