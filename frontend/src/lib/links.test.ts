import { describe, expect, it, vi } from 'vitest';

const opened: string[] = [];
vi.mock('../../wailsjs/runtime/runtime', () => ({ BrowserOpenURL: (u: string) => opened.push(u) }));
const { segments } = await import('./links');
const { openLink } = await import('./stores/links');

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
    openLink('https://example.com/');
    openLink('javascript:alert(1)');
    openLink('file:///etc/passwd');
    openLink('not a url');
    expect(opened).toEqual(['https://example.com/']);
  });
});
