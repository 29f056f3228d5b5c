import { type ConnectionStatus, checkConnection } from '../api/connection';
import { toAppError } from '../api/errors';

/** A ConnectionStatus, plus the states the UI has before and around a check. */
export type ConnectionView =
  | ConnectionStatus
  | { state: 'checking'; server?: string }
  | { state: 'error'; server?: string; message: string };

/** How often to check again: soon while the server is missing, rarely once it answers. */
export const RETRY_MS = 3_000;
export const RECHECK_MS = 10_000;

/**
 * Keeps the connection state and re-checks it on a timer. The check is the
 * Go side's (api/connection.checkConnection) unless one is passed in, as
 * tests do.
 */
export class ConnectionStore {
  /** The last outcome; 'checking' only until the first check answers. */
  view = $state<ConnectionView>({ state: 'checking' });
  /** True while a check is under way (the last outcome stays on screen meanwhile). */
  busy = $state(false);

  #check: () => Promise<ConnectionStatus>;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #inFlight: Promise<void> | undefined;

  constructor(check: () => Promise<ConnectionStatus> = checkConnection) {
    this.#check = check;
  }

  /** Checks now, then keeps checking until stop() is called. */
  start(): () => void {
    this.#running = true;
    void this.refresh();
    return () => this.stop();
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
  }

  /** Checks now; concurrent calls share one check. */
  refresh(): Promise<void> {
    this.#inFlight ??= this.#run().finally(() => (this.#inFlight = undefined));
    return this.#inFlight;
  }

  async #run(): Promise<void> {
    clearTimeout(this.#timer);
    this.busy = true;
    try {
      this.view = await this.#check();
    } catch (err) {
      this.view = { state: 'error', server: this.view.server, message: toAppError(err).message };
    } finally {
      this.busy = false;
    }
    if (this.#running) {
      const delay = this.view.state === 'connected' ? RECHECK_MS : RETRY_MS;
      this.#timer = setTimeout(() => void this.refresh(), delay);
    }
  }
}
