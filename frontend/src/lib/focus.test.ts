import { afterEach, describe, expect, it, vi } from 'vitest';
import { menuKeys, takeFocus } from './focus';

const tick = () => new Promise<void>((r) => queueMicrotask(r));

function panel(html: string): HTMLElement {
  const node = document.createElement('div');
  node.innerHTML = html;
  document.body.append(node);
  return node;
}

afterEach(() => document.body.replaceChildren());

describe('takeFocus', () => {
  it('moves focus in, closes on Escape, and gives focus back to the opener', async () => {
    const opener = document.createElement('button');
    document.body.append(opener);
    opener.focus();
    const node = panel('<h3 tabindex="-1">Tenant Info</h3><button>Close</button>');
    const onescape = vi.fn();
    const action = takeFocus(node, { onescape, first: 'h3' });
    await tick();
    expect(document.activeElement?.textContent).toBe('Tenant Info');

    node.querySelector('button')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    expect(onescape).toHaveBeenCalledOnce();
    action.destroy();
    node.remove();
    await tick();
    expect(document.activeElement).toBe(opener);
  });

  it('gives focus to returnTo, and leaves it alone when the person moved it elsewhere', async () => {
    const back = document.createElement('button');
    const elsewhere = document.createElement('input');
    document.body.append(back, elsewhere);
    const node = panel('<button>Open</button>');
    const action = takeFocus(node, { returnTo: back });
    await tick();
    expect(document.activeElement?.textContent).toBe('Open');
    elsewhere.focus();
    action.destroy();
    node.remove();
    await tick();
    expect(document.activeElement).toBe(elsewhere);
  });
});

describe('menuKeys', () => {
  it('moves between items with the arrows, Home and End, skipping disabled ones', () => {
    const menu = panel(
      '<ul role="menu"><li role="none"><button role="menuitem">A</button></li><li role="none"><button role="menuitem" disabled>B</button></li><li role="none"><button role="menuitem">C</button></li></ul>',
    ).querySelector('ul')!;
    menu.addEventListener('keydown', menuKeys);
    const press = (key: string) => menu.querySelector<HTMLElement>(':focus')!.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
    menu.querySelector('button')!.focus();
    press('ArrowDown');
    expect(document.activeElement?.textContent).toBe('C');
    press('ArrowDown');
    expect(document.activeElement?.textContent).toBe('A');
    press('ArrowUp');
    expect(document.activeElement?.textContent).toBe('C');
    press('Home');
    expect(document.activeElement?.textContent).toBe('A');
    press('End');
    expect(document.activeElement?.textContent).toBe('C');
  });
});

describe('takeFocus as a modal dialog', () => {
  it('keeps Tab and Shift+Tab inside', async () => {
    const node = panel('<button>First</button><input aria-label="Middle"><button>Last</button>');
    takeFocus(node, { trap: true });
    await tick();
    const [first, , last] = node.querySelectorAll<HTMLElement>('button, input');
    expect(document.activeElement).toBe(first);
    last!.focus();
    last!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Tab', bubbles: true }));
    expect(document.activeElement).toBe(first);
    first!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Tab', shiftKey: true, bubbles: true }));
    expect(document.activeElement).toBe(last);
  });
});
