import * as chatApi from '../api/chat';
import type { AppError } from '../api/errors';
import type { Directory } from '../api/types';
import type { ChatStore } from './chat.svelte';

/** New Chat: the "To" field's type-ahead over tenants and units, and starting the chat. */
export class DirectoryStore {
  results = $state<Directory>({ tenants: [], units: [] });
  /** Why the last search or start failed, or null. */
  problem = $state<AppError | null>(null);
  #chat: ChatStore;
  #searches = 0;

  constructor(chat: ChatStore) {
    this.#chat = chat;
  }

  /** Searches for query; an answer to an older search than the latest is dropped. */
  async search(query: string): Promise<void> {
    const mine = ++this.#searches;
    try {
      const found = await chatApi.directory(query);
      if (mine === this.#searches) this.results = found;
    } catch (err) {
      if (mine === this.#searches) this.problem = this.#chat.panelProblem(err);
    }
  }

  /**
   * Starts a chat with a tenant (unitId 0) or a unit's tenants (tenantId 0),
   * or opens the one there is, and shows it. False when the server refused
   * (problem says why: a lease no longer Active, the server not reachable…).
   */
  async start(tenantId: number, unitId: number): Promise<boolean> {
    this.problem = null;
    try {
      await this.#chat.showStarted(await chatApi.start(tenantId, unitId));
      return true;
    } catch (err) {
      this.problem = this.#chat.panelProblem(err);
      return false;
    }
  }
}
