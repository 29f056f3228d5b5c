import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionStore, RECHECK_MS, RETRY_MS } from './connection.svelte';
import type { ConnectionStatus } from '../api/connection';
import { SOMETHING_WENT_WRONG } from '../api/errors';

const connected: ConnectionStatus = { state: 'connected', server: 'http://127.0.0.1:8765', version: '0.1.0' };
const unreachable: ConnectionStatus = {
  state: 'unreachable',
  server: 'http://127.0.0.1:8765',
  code: 'unreachable',
  message: 'The server at http://127.0.0.1:8765 cannot be reached.',
};

describe('ConnectionStore', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('starts in checking and shows the first answer', async () => {
    const store = new ConnectionStore(async () => connected);
    expect(store.view.state).toBe('checking');
    await store.refresh();
    expect(store.view).toEqual(connected);
    expect(store.busy).toBe(false);
  });

  it('retries soon while unreachable and rarely once connected', async () => {
    const answers = [unreachable, unreachable, connected, connected];
    const check = vi.fn(async () => answers.shift()!);
    const store = new ConnectionStore(check);
    const stop = store.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.view.state).toBe('unreachable');
    expect(check).toHaveBeenCalledTimes(1);

    await vi.advanceTimersByTimeAsync(RETRY_MS);
    expect(check).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(RETRY_MS);
    expect(check).toHaveBeenCalledTimes(3);
    expect(store.view.state).toBe('connected');

    await vi.advanceTimersByTimeAsync(RECHECK_MS - 1);
    expect(check).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(check).toHaveBeenCalledTimes(4);

    stop();
    await vi.advanceTimersByTimeAsync(RECHECK_MS * 3);
    expect(check).toHaveBeenCalledTimes(4);
  });

  it('keeps the last outcome on screen while checking again', async () => {
    let answer!: (s: ConnectionStatus) => void;
    const store = new ConnectionStore(() => new Promise((r) => (answer = r)));
    const first = store.refresh();
    answer(unreachable);
    await first;
    const second = store.refresh();
    expect(store.busy).toBe(true);
    expect(store.view.state).toBe('unreachable');
    answer(connected);
    await second;
    expect(store.view.state).toBe('connected');
  });

  it('shares one check between concurrent refreshes', async () => {
    const check = vi.fn(async () => connected);
    const store = new ConnectionStore(check);
    await Promise.all([store.refresh(), store.refresh(), store.refresh()]);
    expect(check).toHaveBeenCalledTimes(1);
  });

  it('turns a failed binding call into a plain sentence, never the raw error', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const store = new ConnectionStore(async () => {
      throw new Error('sql: database is locked at /home/x/.local/share');
    });
    await store.refresh();
    expect(store.view).toEqual({ state: 'error', server: undefined, message: SOMETHING_WENT_WRONG });
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
  });
});
