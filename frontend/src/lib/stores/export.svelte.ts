import * as api from '../api/export';
import { nativeFileDrop } from '../api/files';
import { type AppError, toAppError } from '../api/errors';
import type { ExportResult, ServerKey, VerifyOutcome } from '../api/types';

type ExportAPI = Pick<
  typeof api,
  'exportConversation' | 'exportTenant' | 'verifyExport' | 'verifyDropped' | 'keepSignedHead' | 'onVerified'
>;

/**
 * Exports for a dispute and their checks: what is being done, the last
 * export made and the last check, each shown until dismissed. The calls
 * are the Go side's (api/export) unless others are passed in, as tests do.
 */
export class ExportStore {
  /** What is under way: an export being made, or one being checked. */
  busy = $state<'exporting' | 'verifying' | null>(null);
  result = $state<ExportResult | null>(null);
  outcome = $state<VerifyOutcome | null>(null);
  /** Why the last check has no report (not an export, unreadable). */
  outcomeProblem = $derived(this.outcome?.problem ? toAppError(this.outcome.problem) : null);
  problem = $state<AppError | null>(null);

  #api: ExportAPI;
  #native: () => boolean;

  constructor(calls: ExportAPI = api, native: () => boolean = nativeFileDrop) {
    this.#api = calls;
    this.#native = native;
  }

  /** Follows the checks of exports dropped on the window; returns the unsubscribe function. */
  start(): () => void {
    return this.#api.onVerified((o) => {
      this.busy = null;
      this.outcome = o;
    });
  }

  exportConversation(id: number): Promise<void> {
    return this.#export(() => this.#api.exportConversation(id));
  }

  exportTenant(tenantId: number): Promise<void> {
    return this.#export(() => this.#api.exportTenant(tenantId));
  }

  async #export(run: () => Promise<ExportResult>): Promise<void> {
    this.problem = null;
    this.busy = 'exporting';
    try {
      const r = await run();
      if (r.path) this.result = r; // else the dialog was cancelled
    } catch (err) {
      this.problem = toAppError(err);
    } finally {
      this.busy = null;
    }
  }

  /** Verify an export…: the dialog, then the check. */
  async verify(): Promise<void> {
    this.problem = null;
    this.busy = 'verifying';
    try {
      const o = await this.#api.verifyExport();
      if (o.report || o.problem) this.outcome = o;
    } catch (err) {
      this.problem = toAppError(err);
    } finally {
      this.busy = null;
    }
  }

  /**
   * Offered files dropped where the page receives them (a plain browser;
   * in the desktop window Go gets the paths and decides the same way):
   * one .zip is taken and handed to Go, which checks it when it is an
   * export; when it is not, attach gets it back. Returns whether it took
   * the files.
   */
  takeDrop(files: File[], attach: (files: File[]) => void): boolean {
    const f = files[0];
    if (this.#native() || files.length !== 1 || !f || !f.name.toLowerCase().endsWith('.zip')) return false;
    void this.#checkDropped(f).then((wasExport) => {
      if (!wasExport) attach(files);
    });
    return true;
  }

  async #checkDropped(f: File): Promise<boolean> {
    this.problem = null;
    this.busy = 'verifying';
    try {
      const d = await this.#api.verifyDropped(f.name, new Uint8Array(await f.arrayBuffer()));
      if (d.export) this.outcome = d.outcome;
      return d.export;
    } catch (err) {
      this.problem = toAppError(err);
      return true; // it was not attached either: the problem says why
    } finally {
      this.busy = null;
    }
  }

  /** Keeps a signature of an opened conversation for exports made offline later; a failure changes nothing. */
  keepSignedHead(id: number): void {
    this.#api.keepSignedHead(id).catch(() => {});
  }

  dismiss(): void {
    this.result = null;
    this.outcome = null;
    this.problem = null;
  }
}

/** The server's key fingerprint for the About box, asked afresh each time it opens. */
export class ServerKeyStore {
  key = $state<ServerKey | null>(null);
  #ask: () => Promise<ServerKey>;

  constructor(ask: () => Promise<ServerKey> = api.serverKey) {
    this.#ask = ask;
  }

  async load(): Promise<void> {
    try {
      this.key = await this.#ask();
    } catch {
      this.key = null; // signed out, or never told: the box says it is not known
    }
  }
}
