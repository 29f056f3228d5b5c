// The only module that calls the Go ConnectionService binding. Everything
// else imports from here, so tests can hand stores a fake in its place.
import { Status } from '../../../wailsjs/go/app/ConnectionService';
import { call } from './errors';
import type { ConnectionStatus } from './types';

export type { ConnectionStatus };

/**
 * Server connection states, as set by app.ConnectionService (Go's
 * StateConnected and the others: Go strings, which Wails types as string).
 */
export type ConnectionState = 'connected' | 'unreachable' | 'unavailable' | 'invalid';

/** Asks the desktop process to check the server now; a failed check rejects with an AppError. */
export function checkConnection(): Promise<ConnectionStatus> {
  return call(() => Status());
}
