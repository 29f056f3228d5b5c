// The only module that calls the Go AccountService binding.
import * as Account from '../../../wailsjs/go/app/AccountService';
import type { AccountState } from './types';

export const restore = async (): Promise<AccountState> => (await Account.Restore()) as AccountState;
export const state = async (): Promise<AccountState> => (await Account.State()) as AccountState;
export const signIn = async (server: string, email: string, password: string): Promise<AccountState> =>
  (await Account.SignIn(server, email, password)) as AccountState;
export const signOut = async (): Promise<AccountState> => (await Account.SignOut()) as AccountState;
export const setNotifications = async (on: boolean): Promise<AccountState> =>
  (await Account.SetNotifications(on)) as AccountState;
