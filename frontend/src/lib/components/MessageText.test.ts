import { describe, expect, it, vi } from 'vitest';
import { render } from '@testing-library/svelte';

vi.mock('../../../wailsjs/runtime/runtime', () => ({ BrowserOpenURL: () => {} }));
const { default: MessageText } = await import('./MessageText.svelte');

describe('MessageText', () => {
  it('renders a tenant\'s HTML as text', () => {
    const hostile = '<img src=x onerror="window.pwned=1"><script>alert(1)</script> see https://ok.example';
    const { container } = render(MessageText, { text: hostile });
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('script')).toBeNull();
    expect(container.textContent).toBe(hostile);
    const links = container.querySelectorAll('a');
    expect(links).toHaveLength(1);
    expect(links[0]!.getAttribute('href')).toBe('https://ok.example');
  });
});
