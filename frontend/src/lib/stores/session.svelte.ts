import * as account from '../api/account';
import type { AccountState } from '../api/types';
import { userMessage } from '../api/errors';

/** Turns a rejected call into the sentence to show: the server's own
 * sentences (Wails passes the Go error text: "code: sentence") are kept. */
export function errorSentence(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const m = /^([a-z_]+): (.+)$/s.exec(text);
  if (m && m[1] !== 'internal') return m[2]!;
  return userMessage(err);
}

/** The signed-in account (or none). */
export class SessionStore {
  state = $state<AccountState | null>(null);
  error = $state('');
  busy = $state(false);

  async restore(): Promise<void> {
    try {
      this.state = await account.restore();
    } catch (err) {
      this.error = errorSentence(err);
      this.state = await account.state().catch(() => null);
    }
  }

  async signIn(server: string, email: string, password: string): Promise<boolean> {
    this.busy = true;
    this.error = '';
    try {
      this.state = await account.signIn(server, email, password);
      return this.state.signedIn;
    } catch (err) {
      this.error = errorSentence(err);
      return false;
    } finally {
      this.busy = false;
    }
  }

  async signOut(): Promise<void> {
    this.state = await account.signOut();
  }

  async setNotifications(on: boolean): Promise<void> {
    this.state = await account.setNotifications(on);
  }
}
