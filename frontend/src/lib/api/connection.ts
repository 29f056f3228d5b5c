// The only module that calls the Go ConnectionService binding. Everything
// else imports from here, so tests can hand stores a fake in its place.
import { Status } from '../../../wailsjs/go/app/ConnectionService';
import { call } from './errors';

/** Server connection states, as set by app.ConnectionService (Go). */
export type ConnectionState = 'connected' | 'unreachable' | 'unavailable' | 'invalid';

/** What the Go side reports about the server connection. */
export interface ConnectionStatus {
  state: ConnectionState;
  server: string;
  version?: string;
  serverId?: string;
  code?: string;
  message?: string;
}

/** Asks the desktop process to check the server now; a failed check rejects with an AppError. */
export function checkConnection(): Promise<ConnectionStatus> {
  return call(async () => (await Status()) as ConnectionStatus);
}
