import * as api from '../api/search';
import { type AppError, toAppError } from '../api/errors';
import type { HistoryProgress, SearchChoices, SearchFilters, SearchHit, SearchResults } from '../api/types';

/** How long typing must pause before the search runs. */
export const DEBOUNCE_MS = 150;
/** How soon the results are searched again when the cache has more messages. */
export const REFRESH_MS = 500;

const noFilters = (): SearchFilters => ({ tenantId: 0, unitId: 0, hasFiles: false, from: '', to: '' });

/**
 * The search box of the Chat tab: what is typed and the filters, the
 * results of the last search (as you type, debounced; a late answer to an
 * older query is dropped), and how far the history is loaded.
 */
export class SearchStore {
  text = $state('');
  filters = $state<SearchFilters>(noFilters());
  results = $state<SearchResults | null>(null);
  problem = $state<AppError | null>(null);
  history = $state<HistoryProgress | null>(null);
  /** The message last opened from the results. */
  openedId = $state<number | null>(null);
  /** The tenants and units the filter offers (Go's), read when the filters open. */
  choices = $state<SearchChoices>({ tenants: [], units: [] });

  #timer: ReturnType<typeof setTimeout> | undefined;
  #asked = 0; // the number of the newest search asked

  /** Whether a filter is set (a search by filters alone finds every message that passes them). */
  filtered = $derived(
    this.filters.tenantId !== 0 || this.filters.unitId !== 0 || this.filters.hasFiles || this.filters.from !== '' || this.filters.to !== '',
  );

  /** Whether the results stand in for the conversation list: words typed, or a filter set. */
  active = $derived(this.text.trim() !== '' || this.filtered);

  /** "Loading history for search: 45%", or "" once it is all here (worded by Go). */
  historyLabel = $derived(this.history?.label ?? '');

  /** Follows the background fill; returns the unsubscribe function. */
  start(): () => void {
    api
      .historyProgress()
      .then((p) => (this.history ??= p))
      .catch(() => {});
    return api.onSearchEvents({
      history: (p) => (this.history = p),
      // Messages keep arriving (the history loading, live ones): the
      // results follow, unless a search is already waiting to run.
      cacheChanged: () => {
        if (this.active && this.#timer === undefined) this.#schedule(REFRESH_MS);
      },
    });
  }

  /** Takes what was typed; the search runs once typing pauses. */
  type(text: string): void {
    this.text = text;
    this.#schedule();
  }

  /** Changes a filter; the search runs again at once. */
  filter(change: Partial<SearchFilters>): void {
    this.filters = { ...this.filters, ...change };
    this.#schedule(0);
  }

  /** Empties the box and the filters: the conversation list is back. */
  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#asked++;
    this.text = '';
    this.filters = noFilters();
    this.results = null;
    this.problem = null;
    this.openedId = null;
  }

  #schedule(delay = DEBOUNCE_MS): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.run(), delay);
  }

  /** Searches now for what is typed, with the filters. */
  async run(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const asked = ++this.#asked;
    if (!this.active) {
      this.results = null;
      this.problem = null;
      return;
    }
    try {
      const results = await api.search(this.text, this.filters);
      if (asked !== this.#asked) return;
      this.results = results;
      this.problem = null;
    } catch (err) {
      if (asked !== this.#asked) return;
      this.problem = toAppError(err);
    }
  }

  /** Reads the tenants and units to filter by. */
  async loadChoices(): Promise<void> {
    try {
      this.choices = await api.choices();
    } catch (err) {
      this.problem = toAppError(err);
    }
  }

  /** Remembers which result was opened (it stays marked in the list). */
  opened(hit: SearchHit): void {
    this.openedId = hit.messageId;
  }
}
