import { describe, expect, it, vi } from 'vitest';

const opened: string[] = [];
vi.mock('../../../wailsjs/runtime/runtime', () => ({ BrowserOpenURL: (u: string) => opened.push(u) }));

const { segments, openExternal } = await import('./links');

describe('links', () => {
  it('finds http(s) links and nothing else', () => {
    expect(segments('See https://example.com/lease.pdf, or call.')).toEqual([
      { text: 'See ' },
      { text: 'https://example.com/lease.pdf', href: 'https://example.com/lease.pdf' },
      { text: ', or call.' },
    ]);
    expect(segments('javascript:alert(1) file:///etc/passwd ftp://x')).toEqual([
      { text: 'javascript:alert(1) file:///etc/passwd ftp://x' },
    ]);
  });

  it('opens only http and https in the system browser', () => {
    openExternal('https://example.com/');
    openExternal('javascript:alert(1)');
    openExternal('file:///etc/passwd');
    openExternal('not a url');
    expect(opened).toEqual(['https://example.com/']);
  });
});
