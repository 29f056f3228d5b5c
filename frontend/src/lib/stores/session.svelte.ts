import * as account from '../api/account';
import type { AccountState } from '../api/types';
import { type AppError, toAppError } from '../api/errors';

/** The signed-in account (or none). */
export class SessionStore {
  state = $state<AccountState | null>(null);
  /** Why the last sign-in, restore, sign-out or setting failed, or null. */
  problem = $state<AppError | null>(null);
  busy = $state(false);
  /** Until when the server refuses sign-in attempts (rate_limited), or null. */
  waitUntil = $state<Date | null>(null);
  #waiting: ReturnType<typeof setTimeout> | undefined;

  async restore(): Promise<void> {
    try {
      this.state = await account.restore();
    } catch (err) {
      this.problem = toAppError(err);
      this.state = await account.state().catch(() => null);
    }
  }

  /** Signs in; false (with problem set) when the server refused. */
  async signIn(server: string, email: string, password: string): Promise<boolean> {
    if (this.waitUntil) return false;
    this.busy = true;
    this.problem = null;
    try {
      this.state = await account.signIn(server, email, password);
      return this.state.signedIn;
    } catch (err) {
      const p = toAppError(err);
      switch (p.code) {
        case 'rate_limited':
          // Trying again before the server allows it only makes the wait longer.
          if (p.retryAt) this.#waitUntil(p.retryAt);
          break;
      }
      this.problem = p;
      return false;
    } finally {
      this.busy = false;
    }
  }

  #waitUntil(at: Date): void {
    clearTimeout(this.#waiting);
    this.waitUntil = at;
    this.#waiting = setTimeout(() => (this.waitUntil = null), Math.max(0, at.getTime() - Date.now()));
  }

  async signOut(): Promise<void> {
    this.problem = null;
    try {
      this.state = await account.signOut();
    } catch (err) {
      this.problem = toAppError(err);
    }
  }

  async setNotifications(on: boolean): Promise<void> {
    this.problem = null;
    try {
      this.state = await account.setNotifications(on);
    } catch (err) {
      this.problem = toAppError(err);
      this.state = await account.state().catch(() => this.state);
    }
  }
}
