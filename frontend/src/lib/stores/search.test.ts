import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SearchFilters, SearchResults } from '../api/types';

const go = {
  Search: vi.fn<(text: string, f: SearchFilters) => Promise<SearchResults>>(),
  HistoryProgress: vi.fn(async () => ({ loaded: 0, total: 0, done: false, label: '' })),
};
const listeners: Record<string, (data: unknown) => void> = {};
vi.mock('../../../wailsjs/go/app/SearchService', () => ({
  Search: (text: string, f: SearchFilters) => go.Search(text, f),
  HistoryProgress: () => go.HistoryProgress(),
}));
vi.mock('../../../wailsjs/runtime/runtime', () => ({
  EventsOn: (name: string, cb: (data: unknown) => void) => {
    listeners[name] = cb;
    return () => delete listeners[name];
  },
}));
const { SearchStore, DEBOUNCE_MS, REFRESH_MS } = await import('./search.svelte');

const results = (count: number): SearchResults => ({ conversations: [], groups: [], count, more: false, countLabel: `${count} messages` });

describe('SearchStore', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    go.Search.mockReset();
  });
  afterEach(() => vi.useRealTimers());

  it('searches once typing pauses, for the last text typed', async () => {
    go.Search.mockResolvedValue(results(2));
    const s = new SearchStore();
    s.type('b');
    s.type('bo');
    s.type('boi');
    expect(go.Search).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS);
    expect(go.Search).toHaveBeenCalledTimes(1);
    expect(go.Search.mock.calls[0]![0]).toBe('boi');
    expect(s.results?.count).toBe(2);
  });

  it('drops a late answer to an older query', async () => {
    let answerOld: (r: SearchResults) => void = () => {};
    go.Search.mockImplementationOnce(() => new Promise((r) => (answerOld = r))).mockResolvedValueOnce(results(1));
    const s = new SearchStore();
    s.type('old');
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS);
    s.type('new');
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS);
    answerOld(results(99));
    await Promise.resolve();
    expect(s.results?.count).toBe(1);
  });

  it('runs again at once with a filter, and clears everything on Escape', async () => {
    go.Search.mockResolvedValue(results(3));
    const s = new SearchStore();
    s.type('rent');
    s.filter({ tenantId: 7, hasFiles: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(go.Search).toHaveBeenCalledTimes(1);
    expect(go.Search.mock.calls[0]![1]).toEqual({ tenantId: 7, unitId: 0, hasFiles: true, from: '', to: '' });
    s.clear();
    expect(s.active).toBe(false);
    expect(s.results).toBeNull();
    expect(s.filters.tenantId).toBe(0);
  });

  it('searches by filters alone, and stops when they are all unset', async () => {
    go.Search.mockResolvedValue(results(4));
    const s = new SearchStore();
    expect(s.active).toBe(false);
    s.filter({ hasFiles: true });
    expect(s.active).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(go.Search).toHaveBeenCalledTimes(1);
    expect(go.Search.mock.calls[0]).toEqual(['', { tenantId: 0, unitId: 0, hasFiles: true, from: '', to: '' }]);
    expect(s.results?.count).toBe(4);
    s.filter({ hasFiles: false });
    expect(s.active).toBe(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(go.Search).toHaveBeenCalledTimes(1);
    expect(s.results).toBeNull();
  });

  it('shows the search refused, by its sentence', async () => {
    go.Search.mockRejectedValue({ code: 'invalid_input', message: 'The date range ends before it starts.' });
    const s = new SearchStore();
    s.type('rent');
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS);
    expect(s.problem?.message).toBe('The date range ends before it starts.');
  });

  it('searches again as the history loads, so an old message found late shows', async () => {
    go.Search.mockResolvedValueOnce(results(0)).mockResolvedValueOnce(results(1));
    const s = new SearchStore();
    const stop = s.start();
    s.type('zanzibar');
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS);
    expect(s.results?.count).toBe(0);
    listeners['search:history']!({ loaded: 90, total: 100, done: false });
    listeners['chat:conversations']!(null);
    await vi.advanceTimersByTimeAsync(REFRESH_MS);
    expect(go.Search).toHaveBeenCalledTimes(2);
    expect(s.results?.count).toBe(1);
    stop();
  });

  it('follows the history being loaded', async () => {
    const s = new SearchStore();
    const stop = s.start();
    // Go words it; the store shows the sentence it gets, and no number of its own.
    listeners['search:history']!({ loaded: 45, total: 100, done: false, label: 'History: 45 of 100' });
    expect(s.historyLabel).toBe('History: 45 of 100');
    listeners['search:history']!({ loaded: 100, total: 100, done: true, label: '' });
    expect(s.historyLabel).toBe('');
    stop();
  });
});
