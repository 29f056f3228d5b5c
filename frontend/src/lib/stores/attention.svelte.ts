import * as attention from '../api/attention';
import type { MuteChoice } from '../api/attention';
import { type AppError, toAppError } from '../api/errors';
import type { AttentionSettings, MuteState, QuietDay } from '../api/types';

/** The weekdays in the order Go's schedule keeps them (time.Weekday: 0 is Sunday). */
export const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

/** What the settings panel edits: one entry per weekday, and the emergency words. */
export interface AttentionDraft {
  days: QuietDay[];
  words: string[];
}

function draftOf(s: AttentionSettings): AttentionDraft {
  const days = WEEKDAYS.map((_, d) => {
    const day = s.quiet_hours?.days?.[d];
    return { mode: day?.mode || 'off', from: day?.from || '21:00', to: day?.to || '07:30' };
  });
  return { days, words: [...(s.emergency_words ?? [])] };
}

/**
 * The landlord's attention settings: which conversations are muted (for the
 * list's menu and icon), and the Notifications panel's quiet hours and
 * emergency words. The settings are Go's (the cache's, so they show
 * offline); a change goes to the server through Go, and a refused one
 * leaves them as they were, its sentence in `problem`.
 */
export class AttentionStore {
  settings = $state<AttentionSettings | null>(null);
  /** Why the last mute, unmute or save was refused. */
  problem = $state<AppError | null>(null);
  /** The Notifications panel is open, editing `draft`. */
  open = $state(false);
  draft = $state<AttentionDraft | null>(null);
  saving = $state(false);
  /** The mutes in force, with their labels (Go's); start() reads them again each half minute, as mutes end. */
  mutes = $state<MuteState[]>([]);

  /** The time zone quiet hours are saved in: this computer's. */
  get timeZone(): string {
    return attention.timeZone();
  }

  /** Loads the kept settings, then follows settings:attention; returns the stop function. */
  start(): () => void {
    void this.load();
    const off = attention.onAttention((s) => this.received(s));
    const tick = setInterval(() => void this.loadMutes(), 30_000);
    return () => {
      off();
      clearInterval(tick);
    };
  }

  async load(): Promise<void> {
    try {
      this.received(await attention.settings());
    } catch (err) {
      this.problem = toAppError(err);
    }
  }

  /** conversationId's mute, while one is in force. */
  muteOf(conversationId: number): MuteState | undefined {
    return this.mutes.find((m) => m.conversation_id === conversationId);
  }

  /** Reads which mutes are in force now; kept as they were when Go cannot say. */
  async loadMutes(): Promise<void> {
    try {
      this.mutes = await attention.mutes();
    } catch {
      // Signed out in between: the list is going away.
    }
  }

  async mute(conversationId: number, choice: MuteChoice): Promise<void> {
    await this.change(() => attention.mute(conversationId, choice, attention.timeZone()));
  }

  async unmute(conversationId: number): Promise<void> {
    await this.change(() => attention.unmute(conversationId));
  }

  /** Opens the panel on a copy of the settings in force. */
  edit(): void {
    this.problem = null;
    this.draft = this.settings ? draftOf(this.settings) : null;
    this.open = true;
  }

  close(): void {
    this.open = false;
    this.draft = null;
    this.problem = null;
  }

  /** Puts the default emergency words (Go's) in the draft. */
  async resetWords(): Promise<void> {
    try {
      const words = await attention.defaultEmergencyWords();
      if (this.draft) this.draft.words = words;
    } catch (err) {
      this.problem = toAppError(err);
    }
  }

  /** Saves the draft, the schedule in this computer's time zone; true when the server took it. */
  async save(): Promise<boolean> {
    const d = this.draft;
    if (!d || this.saving) return false;
    this.saving = true;
    try {
      const days = d.days.map((day) => (day.mode === 'hours' ? { mode: 'hours', from: day.from, to: day.to } : { mode: day.mode }));
      const saved = await attention.save({
        quiet_hours: { time_zone: attention.timeZone(), days },
        emergency_words: d.words.map((w) => w.trim()).filter((w) => w !== ''),
      });
      this.problem = null;
      this.received(saved);
      this.draft = draftOf(saved);
      return true;
    } catch (err) {
      this.problem = toAppError(err);
      return false;
    } finally {
      this.saving = false;
    }
  }

  private received(s: AttentionSettings): void {
    // An open panel nobody has edited yet follows a change made elsewhere.
    const untouched = this.draft && this.settings && JSON.stringify(this.draft) === JSON.stringify(draftOf(this.settings));
    this.settings = s;
    if (untouched || (this.open && !this.draft)) this.draft = draftOf(s);
    void this.loadMutes();
  }

  private async change(run: () => Promise<AttentionSettings>): Promise<void> {
    try {
      this.received(await run());
      this.problem = null;
    } catch (err) {
      this.problem = toAppError(err);
    }
  }
}
