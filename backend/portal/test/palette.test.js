// The portal's colours come from assets/palette.css only, and every
// foreground/background pair it lists meets WCAG 2.2 AA in the light and the
// dark scheme: otherwise dark mode breaks silently, or text becomes hard to
// read. The desktop UI's palette has the same tests (frontend/src/palette.test.ts),
// with the same checks.
/// <reference path="node-fs.d.ts" />
import { readFileSync, readdirSync } from 'node:fs';
import { expect, test } from 'vitest';
import { colourLiterals, contrast, cssOf, pairs, schemes, undefinedProperties } from '../../../frontend/src/lib/palette-check';

const assets = new URL('../assets/', import.meta.url);
const palette = 'palette.css';
// Stylesheets, and the page's markup for style attributes.
const sources = Object.fromEntries(
  readdirSync(assets)
    .filter((name) => /\.(css|html)$/.test(name))
    .map((name) => [name, readFileSync(new URL(name, assets), 'utf8')]),
);
const css = sources[palette] ?? '';

test('colours are written only in the palette', () => {
  expect(Object.keys(sources)).toEqual(expect.arrayContaining([palette, 'portal.css', 'index.html']));
  const offenders = Object.entries(sources)
    .filter(([name]) => name !== palette)
    .flatMap(([name, text]) => colourLiterals(cssOf(name, text)).map((d) => `${name}: ${d}`));
  expect(offenders).toEqual([]);
});

test('portal.css loads the palette and reads every property it uses from it', () => {
  expect(sources['portal.css']).toMatch(/^(\/\*[\s\S]*?\*\/\s*)?@import url\("palette\.css"\);/);
  expect(undefinedProperties(css, sources)).toEqual([]);
});

test.each(Object.entries(schemes(css)))('the listed pairs meet WCAG 2.2 AA in the %s scheme', (_scheme, colours) => {
  const listed = pairs(css);
  expect(listed.length).toBeGreaterThan(5);
  const failing = listed
    .map(({ fg, bg, min }) => ({ pair: `${fg} on ${bg}`, min, ratio: contrast(colours[fg] ?? '?', colours[bg] ?? '?') }))
    .filter(({ ratio, min }) => ratio < min)
    .map(({ pair, ratio, min }) => `${pair}: ${ratio.toFixed(2)} < ${min}`);
  expect(failing).toEqual([]);
});

test('native controls and motion follow the system', () => {
  expect(css).toMatch(/color-scheme:\s*light dark/);
  expect(css).toMatch(/@media\s*\(prefers-reduced-motion:\s*reduce\)[\s\S]*transition-duration/);
});
