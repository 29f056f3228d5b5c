import * as chat from '../api/chat';
import * as files from '../api/files';
import { setWindowTitle } from '../api/window';
import { windowTitle } from '../receipts';
import * as search from '../api/search';
import { type AppError, toAppError } from '../api/errors';
import type { Conversation, DraftFile, FileInfo, Message, ReadPosition, SyncState, Thread, UploadProgress } from '../api/types';

/** The Chat tab's state: the list, the open thread, the sync indicator. */
export class ChatStore {
  conversations = $state<Conversation[]>([]);
  selectedId = $state<number | null>(null);
  thread = $state<Thread | null>(null);
  sync = $state<SyncState>({ state: 'connecting' });
  /** The last failed action's problem, shown above the thread; null when none. */
  problem = $state<AppError | null>(null);
  /** Upload progress of outbox messages, by local id. */
  uploads = $state<Record<number, UploadProgress>>({});
  focused = true;
  /** The organisation's currency (ISO 4217), for rents and deposits; "" when the server does not say. */
  currency = $state('');
  /** The last incoming message, in words, for a polite live region ("New message from …"). */
  announcement = $state('');
  /** The message opened from search, highlighted in the thread; null when none. */
  foundSeq = $state<number | null>(null);

  selected = $derived(this.conversations.find((c) => c.id === this.selectedId) ?? null);
  /** Unread messages over every conversation: the window's title shows them. */
  unreadTotal = $derived(this.conversations.reduce((n, c) => n + Math.max(c.unread, 0), 0));

  /** Paints the list from the cache, then follows the sync engine's events. */
  start(): () => void {
    void this.loadConversations();
    const off = chat.onChatEvents({
      conversations: () => void this.loadConversations(),
      message: (m: Message) => {
        if (m.sender.kind === 'tenant') this.announce(m);
        if (m.conversation_id === this.selectedId) void this.refreshThread();
      },
      outbox: (id: number) => {
        if (id === this.selectedId) void this.refreshThread();
      },
      sync: (s: SyncState) => (this.sync = s),
      attachError: (p: AppError) => this.fail(p),
      upload: (p: UploadProgress) => (this.uploads[p.localId] = p),
      draftFiles: (id: number) => {
        if (id === this.selectedId) void this.refreshThread();
      },
      reloaded: () => void this.reload(),
      read: (p: ReadPosition) => {
        if (p.conversation_id === this.selectedId) void this.refreshThread();
      },
    });
    return () => {
      off();
      setWindowTitle(windowTitle(0));
    };
  }

  /**
   * Puts an incoming message into words for the live region. The same words
   * twice in a row would not be read again, so a repeat is told apart.
   */
  announce(m: Message): void {
    const conv = this.conversations.find((c) => c.id === m.conversation_id);
    const where = conv && conv.kind === 'group' ? ` in ${conv.title}` : '';
    const words = `New message from ${m.sender.name}${where}`;
    this.announcement = this.announcement === words ? `${words}\u00a0` : words;
  }

  /** Repaints the list and the open conversation from a refilled cache;
   * a conversation that is gone is closed. */
  async reload(): Promise<void> {
    await this.loadConversations();
    if (this.selectedId !== null && !this.conversations.some((c) => c.id === this.selectedId)) {
      this.selectedId = null;
      this.thread = null;
      return;
    }
    await this.refreshThread();
  }

  async loadConversations(): Promise<void> {
    try {
      this.conversations = await chat.conversations();
      setWindowTitle(windowTitle(this.unreadTotal));
    } catch (err) {
      this.fail(err);
    }
  }

  /**
   * Marks a conversation unread (on the server, so every device shows it).
   * An open one is closed: looking at it would read it again at once.
   */
  async markUnread(id: number): Promise<void> {
    this.problem = null;
    try {
      await chat.markUnread(id);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (this.selectedId === id) {
      this.selectedId = null;
      this.thread = null;
      await chat.setViewing(0, this.focused).catch((err: unknown) => this.fail(err));
    }
    await this.loadConversations();
  }

  async select(id: number): Promise<void> {
    this.foundSeq = null;
    this.selectedId = id;
    this.thread = null;
    await this.refreshThread();
    await this.#setViewing();
  }

  setFocused(focused: boolean): void {
    this.focused = focused;
    void this.#setViewing();
  }

  /** Tells Go which conversation is open, so its messages do not notify. */
  async #setViewing(): Promise<void> {
    if (this.selectedId === null) return;
    try {
      await chat.setViewing(this.selectedId, this.focused);
    } catch (err) {
      this.fail(err);
    }
  }

  async refreshThread(): Promise<void> {
    const id = this.selectedId;
    if (id === null) return;
    // Reading older messages (opened from search): stay there.
    if (this.thread?.hasNewer) return;
    try {
      const t = await chat.thread(id);
      if (id !== this.selectedId) return;
      this.thread = t;
      const last = (t.messages ?? []).at(-1);
      const conv = this.conversations.find((c) => c.id === id);
      if (last && conv && (conv.unread > 0 || conv.read_seq < last.seq) && this.focused) {
        await chat.markRead(id, last.seq);
      }
    } catch (err) {
      this.fail(err);
    }
  }

  async loadOlder(): Promise<void> {
    const id = this.selectedId;
    const first = this.thread?.messages?.[0];
    if (id === null || !first || !this.thread?.hasMore) return;
    let older: Thread;
    try {
      older = await chat.thread(id, first.seq);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (id !== this.selectedId || !this.thread) return;
    this.thread = { ...this.thread, ...joinPages(older, this.thread), hasMore: older.hasMore };
  }

  /** Opens a conversation at a message found by search: the page around
   * it, however far back, with the message highlighted. */
  async openAt(id: number, seq: number): Promise<void> {
    this.selectedId = id;
    this.foundSeq = seq;
    try {
      const t = await search.threadAt(id, seq);
      if (id !== this.selectedId || seq !== this.foundSeq) return;
      this.thread = t;
    } catch (err) {
      this.fail(err);
    }
    await this.#setViewing();
  }

  /** Loads the page after the newest one shown, for a thread opened at an
   * older message; the newest page brings the outbox with it. */
  async loadNewer(): Promise<void> {
    const id = this.selectedId;
    const last = this.thread?.messages?.at(-1);
    if (id === null || !last || !this.thread?.hasNewer) return;
    let newer: Thread;
    try {
      newer = await search.newer(id, last.seq);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (id !== this.selectedId || !this.thread) return;
    this.thread = { ...this.thread, ...joinPages(this.thread, newer), hasNewer: newer.hasNewer, outbox: newer.outbox };
  }

  /** Leaves the older messages for the newest page. */
  async jumpToLatest(): Promise<void> {
    this.foundSeq = null;
    if (this.thread) this.thread = { ...this.thread, hasNewer: false };
    await this.refreshThread();
  }

  /** Sends the compose box: the text, with the attached files if any (the
   * text is then an optional caption). */
  async send(text: string): Promise<boolean> {
    const id = this.selectedId;
    const files = this.thread?.draftFiles?.length ?? 0;
    if (id === null || (text.trim() === '' && files === 0)) return false;
    this.problem = null;
    try {
      await chat.send(id, text);
      if (this.thread?.hasNewer) this.thread = { ...this.thread, hasNewer: false }; // the message shows at the newest
      await this.refreshThread();
      return true;
    } catch (err) {
      const p = this.fail(err);
      // The chat was closed (every lease ended) or is gone: the list says so.
      if (p.code === 'tenant_not_active' || p.code === 'not_found') void this.loadConversations();
      return false;
    }
  }

  /** Opens the native file dialog; the chosen files wait in the draft. */
  async attach(): Promise<void> {
    const id = this.selectedId;
    if (id === null) return;
    this.problem = null;
    try {
      this.setDraftFiles(id, await chat.attach(id));
    } catch (err) {
      this.fail(err);
    }
  }

  /**
   * Attaches files dropped on the thread, where the page receives them (a
   * browser). In the desktop window the same drop reaches Go natively, with
   * the files' paths, and the page does nothing.
   */
  async dropFiles(dropped: File[]): Promise<void> {
    if (dropped.length > 0 && !files.nativeFileDrop()) await this.attachFiles(dropped, 'dropped');
  }

  /** Attaches images pasted into the compose box, or files dropped where
   * the page receives them: their bytes, never a path. */
  async attachFiles(picked: File[], how: 'pasted' | 'dropped'): Promise<void> {
    const id = this.selectedId;
    if (id === null) return;
    this.problem = null;
    for (const f of picked) {
      try {
        const bytes = new Uint8Array(await f.arrayBuffer());
        let binary = '';
        for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        this.setDraftFiles(id, await (how === 'pasted' ? chat.pasteImage : chat.dropFile)(id, f.name, btoa(binary)));
      } catch (err) {
        this.fail(err);
      }
    }
  }

  /** Takes a file out of the draft before it is sent. */
  async removeAttachment(fileId: number): Promise<void> {
    const id = this.selectedId;
    if (id === null) return;
    try {
      this.setDraftFiles(id, await chat.removeAttachment(id, fileId));
    } catch (err) {
      this.fail(err);
    }
  }

  private setDraftFiles(id: number, draftFiles: DraftFile[] | null): void {
    if (id === this.selectedId && this.thread) this.thread = { ...this.thread, draftFiles };
  }

  /** A data: URL of an attached image for the tray, or "" (then an icon). */
  async draftThumbnail(fileId: number): Promise<string> {
    const id = this.selectedId;
    if (id === null) return '';
    return chat.draftThumbnail(id, fileId).catch(() => '');
  }

  /** Opens a file of the thread with the system's application. */
  async openFile(f: FileInfo): Promise<void> {
    this.problem = null;
    try {
      await files.open(f);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Saves a file of the thread where the landlord chooses; returns where, or "" (cancelled or failed). */
  async saveFile(f: FileInfo): Promise<string> {
    this.problem = null;
    try {
      return await files.saveAs(f);
    } catch (err) {
      this.fail(err);
      return '';
    }
  }

  async retry(localId: number): Promise<void> {
    await this.#outboxAction(() => chat.retry(localId));
  }

  async cancel(localId: number): Promise<void> {
    await this.#outboxAction(() => chat.cancel(localId));
    delete this.uploads[localId];
  }

  async discard(localId: number): Promise<void> {
    await this.#outboxAction(() => chat.discard(localId));
  }

  async #outboxAction(action: () => Promise<void>): Promise<void> {
    this.problem = null;
    try {
      await action();
    } catch (err) {
      this.fail(err);
    }
    await this.refreshThread();
  }

  /**
   * Shows why a call failed and acts on its code: without a session
   * (unauthorized) the tab asks to sign in again instead; anything else is
   * shown with its sentence (rate_limited with when to try again).
   */
  fail(err: unknown): AppError {
    const p = toAppError(err);
    switch (p.code) {
      case 'unauthorized':
        this.sync = { state: 'signed_out', message: p.message };
        this.problem = null;
        break;
      default:
        this.problem = p;
    }
    return p;
  }

  /**
   * Handles the failure of a panel's call (View Files, Tenant Info, New
   * Chat): without a session as fail does, and then there is nothing for the
   * panel to show (null); anything else is the panel's to show.
   */
  panelProblem(err: unknown): AppError | null {
    const p = toAppError(err);
    if (p.code === 'unauthorized') {
      this.fail(p);
      return null;
    }
    return p;
  }

  /** Keeps the compose box across switches and restarts. */
  async saveDraft(text: string): Promise<void> {
    if (this.selectedId === null) return;
    try {
      await chat.setDraft(this.selectedId, text);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Shows a conversation just started (New Chat): the list with it, and its thread. */
  async showStarted(conv: Conversation): Promise<void> {
    await this.loadConversations();
    await this.select(conv.id);
  }
}

/** Two adjacent pages of a thread as one: their messages, and what Go says
 * beside them (receipts, urgent marks), earlier page first. */
function joinPages(earlier: Thread, later: Thread): Pick<Thread, 'messages' | 'receipts' | 'urgent'> {
  return {
    messages: [...(earlier.messages ?? []), ...(later.messages ?? [])],
    receipts: [...(earlier.receipts ?? []), ...(later.receipts ?? [])],
    urgent: [...(earlier.urgent ?? []), ...(later.urgent ?? [])],
  };
}
