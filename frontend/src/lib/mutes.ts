// What the conversation list shows of a mute: whether one is in force, and
// its label. The settings are Go's (backend.AttentionSettings).
import type { AttentionSettings } from './api/types';
import { dayLabel, timeLabel } from './format';

/**
 * When a conversation's mute ends: a Date, null until unmuted, or undefined
 * when it is not muted at now. The rule is backend.Muted's: a mute with an
 * end in the past is over.
 */
export function muteEnd(s: AttentionSettings | null, conversationId: number, now: number): Date | null | undefined {
  const m = (s?.mutes ?? []).find((x) => x.conversation_id === conversationId);
  if (!m) return undefined;
  if (m.until === null || m.until === undefined) return null;
  const until = new Date(m.until as string);
  return until.getTime() > now ? until : undefined;
}

/** The muted icon's label: "Muted until 08:00", "Muted until tomorrow 08:00", "Muted until unmuted". */
export function muteLabel(until: Date | null, now = new Date()): string {
  if (until === null) return 'Muted until unmuted';
  const iso = until.toISOString();
  const day = dayLabel(iso, now);
  if (day === 'Today') return `Muted until ${timeLabel(iso)}`;
  const next = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
  const tomorrow = until.getFullYear() === next.getFullYear() && until.getMonth() === next.getMonth() && until.getDate() === next.getDate();
  return `Muted until ${tomorrow ? 'tomorrow' : day} ${timeLabel(iso)}`;
}
