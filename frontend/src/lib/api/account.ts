// The only module that calls the Go AccountService binding. A failed call
// rejects with an AppError (see errors.ts).
import * as Account from '../../../wailsjs/go/app/AccountService';
import { call } from './errors';
import type { AccountState } from './types';

export const restore = (): Promise<AccountState> => call(async () => (await Account.Restore()) as AccountState);
export const state = (): Promise<AccountState> => call(async () => (await Account.State()) as AccountState);
export const signIn = (server: string, email: string, password: string): Promise<AccountState> =>
  call(async () => (await Account.SignIn(server, email, password)) as AccountState);
export const signOut = (): Promise<AccountState> => call(async () => (await Account.SignOut()) as AccountState);
export const setNotifications = (on: boolean): Promise<AccountState> =>
  call(async () => (await Account.SetNotifications(on)) as AccountState);
