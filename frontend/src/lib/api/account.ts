// The only module that calls the Go AccountService binding. A failed call
// rejects with an AppError (see errors.ts).
import * as Account from '../../../wailsjs/go/app/AccountService';
import { call } from './errors';
import type { AccountState } from './types';

export const restore = (): Promise<AccountState> => call(() => Account.Restore());
export const state = (): Promise<AccountState> => call(() => Account.State());
export const signIn = (server: string, email: string, password: string): Promise<AccountState> =>
  call(() => Account.SignIn(server, email, password));
export const signOut = (): Promise<AccountState> => call(() => Account.SignOut());
export const setNotifications = (on: boolean): Promise<AccountState> => call(() => Account.SetNotifications(on));
