import * as filesApi from '../api/files';
import type { AppError } from '../api/errors';
import type { FileInfo, SharedFile } from '../api/types';
import type { ChatStore } from './chat.svelte';

/** View Files of one conversation: every file shared in it, to open or save again. */
export class FilesStore {
  /** The files, newest first; null until they are loaded. */
  files = $state<SharedFile[] | null>(null);
  /** Why the last action failed, or null. */
  problem = $state<AppError | null>(null);
  /** Where the landlord saved a file last, or "". */
  saved = $state('');
  #chat: ChatStore;
  #loads = 0;

  constructor(chat: ChatStore) {
    this.#chat = chat;
  }

  /** Loads the conversation's files (the server's list, or the cached messages' offline). */
  async load(conversationId: number): Promise<void> {
    const mine = ++this.#loads;
    this.files = null;
    try {
      const list = await filesApi.list(conversationId);
      if (mine === this.#loads) this.files = list ?? [];
    } catch (err) {
      if (mine === this.#loads) this.problem = this.#chat.panelProblem(err);
    }
  }

  /** Opens a file with the system's application (downloaded first, or the kept copy). */
  async open(f: FileInfo): Promise<void> {
    this.#begin();
    try {
      await filesApi.open(f);
    } catch (err) {
      this.problem = this.#chat.panelProblem(err);
    }
  }

  /** Saves a file where the landlord chooses (nothing when they cancel). */
  async saveAs(f: FileInfo): Promise<void> {
    this.#begin();
    try {
      this.saved = await filesApi.saveAs(f);
    } catch (err) {
      this.problem = this.#chat.panelProblem(err);
    }
  }

  #begin(): void {
    this.problem = null;
    this.saved = '';
  }
}

/**
 * A data: URL of an image the webview can show, or "" for anything else and
 * when it cannot be had (then the file shows as a card or an icon): it never
 * fails.
 */
export const thumbnail = (f: FileInfo): Promise<string> => filesApi.thumbnail(f);
