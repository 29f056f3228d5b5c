import * as chatApi from '../api/chat';
import type { AppError } from '../api/errors';
import type { Conversation, Notification, TenantRecord } from '../api/types';
import type { ChatStore } from './chat.svelte';

/**
 * Tenant Info (a one-to-one chat) or Group Details (a group chat): the
 * Tenant Record of each member, and how each was told of the chat.
 */
export class TenantsStore {
  records = $state<TenantRecord[]>([]);
  /** The delivery log: e-mails and text messages telling the tenants, newest first. */
  log = $state<Notification[]>([]);
  /** Why the records could not be loaded, or null. */
  problem = $state<AppError | null>(null);
  #chat: ChatStore;
  #loads = 0;

  constructor(chat: ChatStore) {
    this.#chat = chat;
  }

  /** Loads the records and the delivery log of a conversation's members. */
  async load(conv: Conversation): Promise<void> {
    const mine = ++this.#loads;
    this.problem = null;
    this.log = [];
    await Promise.all([this.#loadRecords(conv, mine), this.#loadLog(conv.id, mine)]);
  }

  async #loadRecords(conv: Conversation, mine: number): Promise<void> {
    try {
      const records =
        conv.kind === 'group' ? await chatApi.groupDetails(conv.id) : [await chatApi.tenantRecord(conv.tenant_id ?? 0)];
      if (mine === this.#loads) this.records = records ?? [];
    } catch (err) {
      if (mine === this.#loads) this.problem = this.#chat.panelProblem(err);
    }
  }

  // Without the delivery log the panel still works: a failure leaves it
  // empty (and a lost session is handled as anywhere else).
  async #loadLog(conversationId: number, mine: number): Promise<void> {
    try {
      const log = await chatApi.deliveryLog(conversationId);
      if (mine === this.#loads) this.log = log ?? [];
    } catch (err) {
      this.#chat.panelProblem(err);
    }
  }
}
