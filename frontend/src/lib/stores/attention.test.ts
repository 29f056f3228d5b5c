import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AttentionSettings, MuteState } from '../api/types';

// The Go binding and the runtime's events, as Wails exposes them.
const go = {
  Settings: vi.fn<() => Promise<AttentionSettings>>(),
  Save: vi.fn<(u: unknown) => Promise<AttentionSettings>>(),
  Mute: vi.fn<(id: number, choice: string, zone: string) => Promise<AttentionSettings>>(),
  Unmute: vi.fn<(id: number) => Promise<AttentionSettings>>(),
  DefaultEmergencyWords: vi.fn<() => Promise<string[]>>(),
  Mutes: vi.fn<(zone: string) => Promise<MuteState[]>>(),
};
const listeners: Record<string, (data: unknown) => void> = {};
vi.mock('../../../wailsjs/go/app/AttentionService', () => ({
  Settings: () => go.Settings(),
  Save: (u: unknown) => go.Save(u),
  Mute: (id: number, choice: string, zone: string) => go.Mute(id, choice, zone),
  Unmute: (id: number) => go.Unmute(id),
  DefaultEmergencyWords: () => go.DefaultEmergencyWords(),
  Mutes: (zone: string) => go.Mutes(zone),
}));
vi.mock('../../../wailsjs/runtime/runtime', () => ({
  EventsOn: (name: string, cb: (data: unknown) => void) => {
    listeners[name] = cb;
    return () => delete listeners[name];
  },
}));
const { AttentionStore } = await import('./attention.svelte');

const off = { mode: 'off' };
const defaults: AttentionSettings = {
  quiet_hours: { time_zone: 'UTC', days: [off, off, off, off, off, off, off] },
  emergency_words: ['leak', 'fire'],
  mutes: [],
  updated_at: '0001-01-01T00:00:00Z',
};
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

async function loaded(s: AttentionSettings = defaults) {
  go.Settings.mockResolvedValue(s);
  const store = new AttentionStore();
  const stop = store.start();
  await vi.waitFor(() => expect(store.settings).toEqual(s));
  return { store, stop };
}

beforeEach(() => {
  Object.values(go).forEach((f) => f.mockReset());
  go.Mutes.mockResolvedValue([]);
});

describe('AttentionStore', () => {
  it('mutes with the choice and this computer\'s time zone, and shows Go\'s mutes in force', async () => {
    const { store, stop } = await loaded();
    const until = new Date(Date.now() + 3_600_000).toISOString();
    go.Mute.mockResolvedValue({ ...defaults, mutes: [{ conversation_id: 7, until }] });
    go.Mutes.mockResolvedValue([{ conversation_id: 7, until, label: 'Muted until 15:00' }]);
    await store.mute(7, 'morning');
    expect(go.Mute).toHaveBeenCalledWith(7, 'morning', zone);
    await vi.waitFor(() => expect(store.muteOf(7)?.label).toBe('Muted until 15:00'));
    expect(go.Mutes).toHaveBeenLastCalledWith(zone);
    expect(store.muteOf(8)).toBeUndefined();

    go.Unmute.mockResolvedValue(defaults);
    go.Mutes.mockResolvedValue([]);
    await store.unmute(7);
    expect(go.Unmute).toHaveBeenCalledWith(7);
    await vi.waitFor(() => expect(store.muteOf(7)).toBeUndefined());
    stop();
  });

  it('reads the mutes again as time passes, so an ended mute goes away', async () => {
    vi.useFakeTimers();
    try {
      go.Mutes.mockResolvedValue([{ conversation_id: 7, until: null, label: 'Muted until unmuted' }]);
      const { store, stop } = await loaded();
      await vi.waitFor(() => expect(store.muteOf(7)).toBeDefined());
      go.Mutes.mockResolvedValue([]);
      await vi.advanceTimersByTimeAsync(30_000);
      expect(store.muteOf(7)).toBeUndefined();
      stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('a refused mute (offline) keeps the settings and says why', async () => {
    const { store, stop } = await loaded();
    go.Mute.mockRejectedValue({ code: 'unreachable', message: 'The server cannot be reached.' });
    await store.mute(7, 'hour');
    expect(store.problem?.code).toBe('unreachable');
    expect(store.problem?.message).toBe('The server cannot be reached.');
    expect(store.settings).toEqual(defaults);
    stop();
  });

  it('saves the edited schedule and words in this time zone, and keeps what the server answered', async () => {
    const { store, stop } = await loaded();
    store.edit();
    const draft = store.draft!;
    draft.days[1] = { mode: 'hours', from: '21:00', to: '07:30' }; // Monday, ending on Tuesday
    draft.days[6] = { mode: 'all_day', from: '21:00', to: '07:30' };
    draft.words.push('  no heat ', '');
    const saved: AttentionSettings = {
      ...defaults,
      quiet_hours: { time_zone: zone, days: [off, { mode: 'hours', from: '21:00', to: '07:30' }, off, off, off, off, { mode: 'all_day' }] },
      emergency_words: ['leak', 'fire', 'no heat'],
      updated_at: '2026-11-05T10:00:00Z',
    };
    go.Save.mockResolvedValue(saved);
    expect(await store.save()).toBe(true);
    expect(go.Save).toHaveBeenCalledWith({
      quiet_hours: { time_zone: zone, days: [off, { mode: 'hours', from: '21:00', to: '07:30' }, off, off, off, off, { mode: 'all_day' }] },
      emergency_words: ['leak', 'fire', 'no heat'],
    });
    expect(store.settings).toEqual(saved);
    expect(store.draft?.days[1]).toEqual({ mode: 'hours', from: '21:00', to: '07:30' });
    expect(store.problem).toBeNull();
    stop();
  });

  it('a refused save keeps the settings in force and the edits, with the sentence and its code', async () => {
    const { store, stop } = await loaded();
    store.edit();
    store.draft!.days[0] = { mode: 'hours', from: '22:00', to: '22:00' };
    go.Save.mockRejectedValue({ code: 'invalid_input', message: 'Quiet hours on Sunday start and end at the same time; choose all day instead.' });
    expect(await store.save()).toBe(false);
    expect(store.problem?.code).toBe('invalid_input');
    expect(store.settings).toEqual(defaults);
    expect(store.draft?.days[0]).toEqual({ mode: 'hours', from: '22:00', to: '22:00' });
    stop();
  });

  it('follows settings:attention; an open panel not yet edited follows too, an edited one keeps its edits', async () => {
    const { store, stop } = await loaded();
    store.edit();
    const elsewhere = { ...defaults, emergency_words: ['smoke'] };
    listeners['settings:attention']!(elsewhere);
    expect(store.settings).toEqual(elsewhere);
    expect(store.draft?.words).toEqual(['smoke']);
    store.draft!.words.push('gas');
    listeners['settings:attention']!({ ...defaults, emergency_words: ['flood'] });
    expect(store.settings?.emergency_words).toEqual(['flood']);
    expect(store.draft?.words).toEqual(['smoke', 'gas']);
    stop();
    expect(listeners['settings:attention']).toBeUndefined();
  });

  it('Reset to defaults takes Go\'s list', async () => {
    const { store, stop } = await loaded({ ...defaults, emergency_words: [] });
    store.edit();
    go.DefaultEmergencyWords.mockResolvedValue(['leak', 'no heat', 'break-in']);
    await store.resetWords();
    expect(store.draft?.words).toEqual(['leak', 'no heat', 'break-in']);
    stop();
  });
});

