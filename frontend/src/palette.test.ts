// Dark mode stays working only while every colour comes from a palette: these
// tests fail when a stylesheet or a component's style block writes a colour
// itself, and when a foreground/background pair the palette lists falls below
// the WCAG 2.2 AA contrast it needs, in the light or the dark scheme. The
// tenant portal's palette has the same tests (backend/portal/test/palette.test.js).
import { describe, expect, test } from 'vitest';
import { colourLiterals, contrast, cssOf, pairs, schemes, undefinedProperties } from './lib/palette-check';

const load = (files: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(files).map(([name, text]) => [name, String(text)]));

const desktopPalette = 'src/palette.css';

// Every stylesheet and component, by its path from frontend/.
const desktopSources = Object.fromEntries(
  Object.entries(
    load(import.meta.glob(['./**/*.css', './**/*.svelte'], { query: '?raw', import: 'default', eager: true })),
  ).map(([name, text]) => [name.replace(/^\.\//, 'src/'), text]),
);

test('colours are written only in the palette', () => {
  expect(Object.keys(desktopSources)).toContain(desktopPalette);
  expect(Object.keys(desktopSources).length).toBeGreaterThan(10);
  const offenders = Object.entries(desktopSources)
    .filter(([name]) => name !== desktopPalette)
    .flatMap(([name, text]) => colourLiterals(cssOf(name, text)).map((d) => `${name}: ${d}`));
  expect(offenders).toEqual([]);
});

test('the colour-literal check catches the ways a colour is written', () => {
  for (const css of ['a { color: #fff; }', 'a{background:rgb(0 0 0 / 0.2)}', 'a { border: 1px solid red; }',
    'a { color: var(--x, #222); }', 'a { box-shadow: 0 0 2px hsl(0 0% 0%); }']) {
    expect(colourLiterals(css), css).toHaveLength(1);
  }
  for (const css of ['a { color: var(--text); }', 'a { white-space: nowrap; }', 'a { color: var(--red); }', '#fade { color: inherit; }',
    'a { background: transparent; color: currentColor; }', '/* #fff */ a { color: var(--x); }']) {
    expect(colourLiterals(css), css).toEqual([]);
  }
});

test('contrast is computed as WCAG defines it', () => {
  expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
  expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  expect(contrast('#ffffff', '#ffffff')).toBe(1);
});

describe('the palette', () => {
  const css = desktopSources[desktopPalette] ?? '';
  const listed = pairs(css);
  const { light, dark } = schemes(css);

  test('defines every custom property the components use', () => {
    expect(listed.length).toBeGreaterThan(5);
    expect(undefinedProperties(css, desktopSources)).toEqual([]);
  });

  test.each([
    ['light', light],
    ['dark', dark],
  ])('meets WCAG 2.2 AA in the %s scheme', (_scheme, colours) => {
    const failing = listed
      .map(({ fg, bg, min }) => ({ pair: `${fg} on ${bg}`, min, ratio: contrast(colours[fg] ?? '?', colours[bg] ?? '?') }))
      .filter(({ ratio, min }) => ratio < min)
      .map(({ pair, ratio, min }) => `${pair}: ${ratio.toFixed(2)} < ${min}`);
    expect(failing).toEqual([]);
  });

  test('switches native controls and motion with the system', () => {
    expect(css).toMatch(/color-scheme:\s*light dark/);
    expect(css).toMatch(/@media\s*\(prefers-reduced-motion:\s*reduce\)[\s\S]*transition-duration/);
  });
});
