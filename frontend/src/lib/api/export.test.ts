import { describe, expect, it, vi } from 'vitest';

// The Go binding as Wails exposes it: a dropped file comes over in pieces.
const received: string[] = [];
vi.mock('../../../wailsjs/go/app/ExportService', () => ({
  BeginDroppedFile: (name: string) => Promise.resolve(`id-${name}`),
  AppendDroppedFile: (id: string, b64: string) => {
    received.push(b64);
    return id === 'id-big.zip' ? Promise.resolve() : Promise.reject({ code: 'not_found', message: 'Drop it again.' });
  },
  VerifyDroppedFile: () => Promise.resolve({ export: false, outcome: { name: '' } }),
}));
vi.mock('../../../wailsjs/runtime/runtime', () => ({ EventsOn: () => () => {} }));
const { verifyDropped } = await import('./export');

describe('verifyDropped', () => {
  it('hands a file over in pieces small enough to arrive whole, all of it in order', async () => {
    const bytes = new Uint8Array(60_000).map((_, i) => i % 251);
    await verifyDropped('big.zip', bytes);
    expect(received.length).toBe(3);
    expect(received.every((b) => b.length <= 32 * 1024 + 4)).toBe(true);
    const joined = received.flatMap((b) => [...Uint8Array.from(atob(b), (c) => c.charCodeAt(0))]);
    expect(joined).toEqual([...bytes]);
  });

  it('a failed piece rejects with its sentence', async () => {
    await expect(verifyDropped('other.zip', new Uint8Array([1, 2, 3]))).rejects.toMatchObject({ code: 'not_found' });
  });
});
