import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import VerifyReport from './VerifyReport.svelte';
import type { ExportReport } from '../api/types';
import { AppError } from '../api/errors';

const report: ExportReport = {
  intact: false,
  signed: false,
  summary: 'Not intact: Message 5: This message is not the one that was stored (and 1 more problem)',
  conversations: [],
  messages: 10,
  files: 2,
  server_id: 's',
  fingerprint: '3F2A 9C01',
  key_trusted: false,
  exported_at: '2026-11-28T14:02:00Z',
  exporter: 'Pat Morgan',
  problems: [
    { seq: 5, what: 'changed', text: 'Message 5: This message is not the one that was stored.' },
    { file: 'files/invoice\u202Egpj.exe', what: 'added', text: 'files/invoice\uFFFDgpj.exe: This file was added after the export.' },
  ],
  notes: ['Messages 9 to 10 came after the newest signature.'],
};

describe('VerifyReport', () => {
  it('names what changed, each line isolated, and says to compare the key', async () => {
    const onclose = vi.fn();
    render(VerifyReport, { outcome: { name: 'Maria Garcia.zip', report }, onclose });
    const dialog = screen.getByTestId('verify-report');
    expect(dialog.dataset.state).toBe('changed');
    expect(screen.getByTestId('verify-summary').textContent).toBe(report.summary);
    const items = screen.getByTestId('verify-problems').querySelectorAll('li');
    expect([...items].map((li) => li.textContent)).toEqual([report.problems![0]!.text, report.problems![1]!.text]);
    expect(items[0]!.dataset.seq).toBe('5');
    expect(items[0]!.querySelector('bdi')).not.toBeNull();
    expect(screen.getByTestId('verify-notes').textContent).toContain('came after the newest signature');
    expect(dialog.textContent).toContain('compare it with the one in About');
    await fireEvent.click(screen.getByRole('button', { name: 'Close' }));
    expect(onclose).toHaveBeenCalled();
  });

  it('an intact export signed by the server one is signed in to', () => {
    render(VerifyReport, {
      outcome: { name: 'x.zip', report: { ...report, intact: true, signed: true, key_trusted: true, problems: [], notes: [], summary: 'Intact: 10 messages, 2 files, signed by server 3F2A 9C01 on 2026-11-28 14:02 UTC.' } },
      onclose: () => {},
    });
    expect(screen.getByTestId('verify-report').dataset.state).toBe('intact');
    expect(screen.queryByTestId('verify-problems')).toBeNull();
    expect(screen.getByTestId('verify-report').textContent).toContain('the key of the server you are signed in to');
  });

  it('what is not an export says why', () => {
    const message = 'This is not a Doorstep export: it has no manifest.json.';
    render(VerifyReport, {
      outcome: { name: 'notes', problem: { code: 'invalid_input', message } },
      problem: new AppError('invalid_input', message),
      onclose: () => {},
    });
    expect(screen.getByTestId('verify-problem').textContent?.trim()).toBe('This is not a Doorstep export: it has no manifest.json.');
  });
});
