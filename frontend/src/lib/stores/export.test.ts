import { describe, expect, it, vi } from 'vitest';
import type { DroppedFile, ExportReport, ExportResult, VerifyOutcome } from '../api/types';

vi.mock('../../../wailsjs/go/app/ExportService', () => ({}));
vi.mock('../../../wailsjs/runtime/runtime', () => ({ EventsOn: () => () => {} }));
const { ExportStore, ServerKeyStore } = await import('./export.svelte');

const intact: ExportReport = {
  intact: true,
  signed: true,
  summary: 'Intact: 3 messages, 1 file, signed by server 3F2A 9C01 on 2026-11-28 14:02 UTC.',
  conversations: [],
  messages: 3,
  files: 1,
  server_id: 's',
  fingerprint: '3F2A 9C01',
  key_trusted: true,
  exported_at: '2026-11-28T14:02:00Z',
  exporter: 'Pat Morgan',
  problems: [],
  notes: [],
};

function fakes() {
  let verified: ((o: VerifyOutcome) => void) | undefined;
  const calls = {
    exportConversation: vi.fn<(id: number) => Promise<ExportResult>>(),
    exportTenant: vi.fn<(id: number) => Promise<ExportResult>>(),
    verifyExport: vi.fn<() => Promise<VerifyOutcome>>(),
    verifyDropped: vi.fn<(name: string, bytes: Uint8Array) => Promise<DroppedFile>>(),
    keepSignedHead: vi.fn<(id: number) => Promise<void>>(() => Promise.resolve()),
    onVerified: (h: (o: VerifyOutcome) => void) => {
      verified = h;
      return () => (verified = undefined);
    },
  };
  return { calls, emit: (o: VerifyOutcome) => verified?.(o) };
}

// A dropped file as the browser hands it over (jsdom's File cannot read itself).
function dropped(text: string, name: string): File {
  const f = new File([text], name);
  return Object.assign(f, { arrayBuffer: () => Promise.resolve(new TextEncoder().encode(text).buffer) });
}

const made: ExportResult = {
  path: '/home/pat/Maria Garcia 2026-11-28.zip',
  sentence: 'Exported 3 messages and 1 file to Maria Garcia 2026-11-28.zip.',
  notes: ['1 file was not on this computer and the server could not be reached: lease.pdf.'],
  conversations: 1,
  messages: 3,
  files: 1,
};

describe('ExportStore', () => {
  it('keeps what an export made; a cancelled dialog shows nothing; a failure its sentence', async () => {
    const { calls } = fakes();
    const s = new ExportStore(calls, () => false);
    calls.exportConversation.mockResolvedValueOnce(made);
    await s.exportConversation(7);
    expect(calls.exportConversation).toHaveBeenCalledWith(7);
    expect(s.result?.sentence).toBe(made.sentence);
    expect(s.busy).toBeNull();
    s.dismiss();
    calls.exportTenant.mockResolvedValueOnce({ ...made, path: '' });
    await s.exportTenant(3);
    expect(s.result).toBeNull();
    calls.exportConversation.mockRejectedValueOnce({ code: 'forbidden', message: 'Doorstep is not allowed to save that there.' });
    await s.exportConversation(7);
    expect(s.problem?.message).toBe('Doorstep is not allowed to save that there.');
  });

  it('shows a check made from the dialog, and one of an export dropped on the window', async () => {
    const { calls, emit } = fakes();
    const s = new ExportStore(calls, () => true);
    const stop = s.start();
    calls.verifyExport.mockResolvedValueOnce({ name: '', report: undefined });
    await s.verify();
    expect(s.outcome).toBeNull(); // cancelled
    calls.verifyExport.mockResolvedValueOnce({ name: 'a.zip', report: intact });
    await s.verify();
    expect(s.outcome?.report?.summary).toBe(intact.summary);
    emit({ name: 'b.zip', report: { ...intact, intact: false, summary: 'Not intact: Message 2: changed' } });
    expect(s.outcome?.name).toBe('b.zip');
    expect(s.outcomeProblem).toBeNull();
    emit({ name: 'notes', problem: { code: 'invalid_input', message: 'This is not a Doorstep export: it has no manifest.json.' } });
    expect(s.outcomeProblem?.code).toBe('invalid_input');
    expect(s.outcomeProblem?.message).toBe('This is not a Doorstep export: it has no manifest.json.');
    stop();
  });

  it('takes a dropped .zip to check it; what is not an export goes back to be attached', async () => {
    const { calls } = fakes();
    const s = new ExportStore(calls, () => false);
    const attach = vi.fn();
    expect(s.takeDrop([new File(['x'], 'photo.jpg')], attach)).toBe(false);
    expect(s.takeDrop([new File(['x'], 'a.zip'), new File(['y'], 'b.zip')], attach)).toBe(false);

    calls.verifyDropped.mockResolvedValueOnce({ export: true, outcome: { name: 'export.zip', report: intact } });
    expect(s.takeDrop([dropped('PK', 'export.zip')], attach)).toBe(true);
    await vi.waitFor(() => expect(s.outcome?.name).toBe('export.zip'));
    const [name, bytes] = calls.verifyDropped.mock.calls[0]!;
    expect(name).toBe('export.zip');
    expect([...bytes]).toEqual([80, 75]); // "PK"
    expect(attach).not.toHaveBeenCalled();

    const photos = [dropped('PK', 'photos.ZIP')];
    calls.verifyDropped.mockResolvedValueOnce({ export: false, outcome: { name: '' } });
    expect(s.takeDrop(photos, attach)).toBe(true);
    await vi.waitFor(() => expect(attach).toHaveBeenCalledWith(photos));
  });

  it('in the desktop window Go decides: the page takes nothing', () => {
    const { calls } = fakes();
    const s = new ExportStore(calls, () => true);
    expect(s.takeDrop([new File(['PK'], 'export.zip')], vi.fn())).toBe(false);
    expect(calls.verifyDropped).not.toHaveBeenCalled();
  });
});

describe('ServerKeyStore', () => {
  it('holds the fingerprint, and nothing when it cannot be had', async () => {
    const ok = new ServerKeyStore(() => Promise.resolve({ server_id: 's', public_key: 'k', fingerprint: '3F2A 9C01' }));
    await ok.load();
    expect(ok.key?.fingerprint).toBe('3F2A 9C01');
    const no = new ServerKeyStore(() => Promise.reject({ code: 'unauthorized', message: 'Sign in.' }));
    await no.load();
    expect(no.key).toBeNull();
  });
});
