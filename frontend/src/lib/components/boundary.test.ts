import { describe, expect, it } from 'vitest';

// Components render; stores act. A component may name the API layer's
// types (import type), never call it: its calls go through a store, which
// handles their errors.
const sources = import.meta.glob(['./*.svelte', '../../App.svelte'], { query: '?raw', import: 'default', eager: true });

describe('components call stores, never lib/api', () => {
  it('imports only types from lib/api, and nothing from wailsjs', () => {
    expect(Object.keys(sources).length).toBeGreaterThan(10);
    for (const [file, source] of Object.entries(sources)) {
      for (const [line] of String(source).matchAll(/^\s*import\s[^;]*?from\s+'[^']*\/(api|wailsjs)\/[^']*';/gm)) {
        expect(line.trim(), file).toMatch(/^import type /);
        expect(line, file).not.toMatch(/wailsjs/);
      }
    }
  });
});
