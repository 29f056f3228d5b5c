// The only module that calls the Go AttentionService binding and listens to
// the settings:attention event (app/engine/engine.go EventAttention). A
// failed call rejects with an AppError (see errors.ts).
import * as Attention from '../../../wailsjs/go/app/AttentionService';
import { EventsOn } from '../../../wailsjs/runtime/runtime';
import { call } from './errors';
import type { AttentionSettings, AttentionUpdate, MuteState } from './types';

/** How long a conversation is muted: backend.MuteForAnHour and the others. */
export type MuteChoice = 'hour' | 'morning' | 'unmuted';

/** The IANA time zone of this computer ("Europe/Berlin"); Go reads "tomorrow morning" and quiet hours by it. */
export const timeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** The settings in force, as last received from the server (from the cache, offline too). */
export const settings = (): Promise<AttentionSettings> => call(() => Attention.Settings());
/** Replaces the quiet-hours schedule and the emergency words (needs the server). */
export const save = (u: AttentionUpdate): Promise<AttentionSettings> =>
  // The binding types its argument as the generated class; Go reads JSON.
  call(() => Attention.Save(u as Parameters<typeof Attention.Save>[0]));
/** Mutes a conversation; "morning" is read in this computer's zone. */
export const mute = (conversationId: number, choice: MuteChoice, zone: string = timeZone()): Promise<AttentionSettings> =>
  call(() => Attention.Mute(conversationId, choice, zone));
export const unmute = (conversationId: number): Promise<AttentionSettings> =>
  call(() => Attention.Unmute(conversationId));
/** The mutes in force now, each with its label read in this computer's zone. */
export const mutes = (zone: string = timeZone()): Promise<MuteState[]> => call(() => Attention.Mutes(zone));

/** Follows the settings as they change, here or on another device; returns the unsubscribe function. */
export function onAttention(handler: (s: AttentionSettings) => void): () => void {
  return EventsOn('settings:attention', (s: AttentionSettings) => handler(s));
}
/** The emergency words of a landlord who has not chosen their own (Go's list). */
export const defaultEmergencyWords = (): Promise<string[]> => call(() => Attention.DefaultEmergencyWords());
