// The only module that calls the Go ConnectionService binding. Everything
// else imports from here, so tests can hand stores a fake in its place.
import { About, Status } from '../../../wailsjs/go/app/ConnectionService';
import { call } from './errors';
import type { AboutInfo, ConnectionStatus } from './types';

export type { AboutInfo, ConnectionStatus };

/** Asks the desktop process to check the server now; a failed check rejects with an AppError. */
export function checkConnection(): Promise<ConnectionStatus> {
  return call(() => Status());
}

/** This app's version, and the server's when it answers (the About box). */
export function about(): Promise<AboutInfo> {
  return call(() => About());
}
