import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import type { ExportResult } from '../api/types';

vi.mock('../../../wailsjs/go/app/ConversationService', () => ({}));
vi.mock('../../../wailsjs/go/app/ExportService', () => ({}));
vi.mock('../../../wailsjs/runtime/runtime', () => ({ EventsOn: () => () => {}, WindowSetTitle: () => {} }));
const { ChatStore } = await import('../stores/chat.svelte');
const { ExportStore } = await import('../stores/export.svelte');
const ExportTools = (await import('./ExportTools.svelte')).default;

/** An export store whose Export conversation… made path. */
function madeAt(path: string) {
  const result = { path, sentence: 'Exported 3 messages and 1 file.', notes: [], conversations: 1, messages: 3, files: 1 } as ExportResult;
  const never = () => new Promise<never>(() => {});
  return new ExportStore(
    {
      exportConversation: () => Promise.resolve(result),
      exportTenant: never,
      verifyExport: never,
      verifyDropped: never,
      keepSignedHead: () => Promise.resolve(),
      onVerified: () => () => {},
    },
    () => true,
  );
}

describe('ExportTools', () => {
  it('says, after a .zip, how to export to a folder instead', async () => {
    const exports = madeAt('/home/pat/Olivia Brown 2026-11-28.zip');
    render(ExportTools, { exports, chat: new ChatStore() });
    await exports.exportConversation(7);
    expect((await screen.findByTestId('export-folder-hint')).textContent?.trim()).toBe(
      'To export to a folder instead of a .zip, remove “.zip” from the name in the save dialog.',
    );
  });

  it('says nothing of it after a folder', async () => {
    const exports = madeAt('/home/pat/Olivia Brown 2026-11-28');
    render(ExportTools, { exports, chat: new ChatStore() });
    await exports.exportConversation(7);
    await screen.findByTestId('export-result');
    expect(screen.queryByTestId('export-folder-hint')).toBeNull();
  });
});
