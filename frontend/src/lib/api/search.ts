// The only module that calls the Go SearchService binding and listens to the
// background fill's progress (search:history, app/engine/fill.go). A failed
// call rejects with an AppError (see errors.ts).
import * as Search from '../../../wailsjs/go/app/SearchService';
import { EventsOn } from '../../../wailsjs/runtime/runtime';
import { call } from './errors';
import type { HistoryProgress, SearchChoices, SearchFilters, SearchResults, Thread } from './types';

export const search = (text: string, filters: SearchFilters): Promise<SearchResults> => call(() => Search.Search(text, filters));
/** The tenants and units to filter by (from the cache, offline too). */
export const choices = (): Promise<SearchChoices> => call(() => Search.Choices());
export const historyProgress = (): Promise<HistoryProgress> => call(() => Search.HistoryProgress());
/** The page of a conversation around the message seq, however far back. */
export const threadAt = (id: number, seq: number): Promise<Thread> => call(() => Search.ThreadAt(id, seq));
/** The page after seq, towards the newest. */
export const newer = (id: number, after: number): Promise<Thread> => call(() => Search.Newer(id, after));

/**
 * Follows the background fill (history) and whatever else puts messages in
 * the cache (cacheChanged: the sync engine's batches); returns the
 * unsubscribe function.
 */
export function onSearchEvents(handlers: { history: (p: HistoryProgress) => void; cacheChanged: () => void }): () => void {
  const offs = [
    EventsOn('search:history', (p: HistoryProgress) => {
      handlers.history(p);
      handlers.cacheChanged();
    }),
    EventsOn('chat:conversations', () => handlers.cacheChanged()),
  ];
  return () => offs.forEach((off) => off());
}
